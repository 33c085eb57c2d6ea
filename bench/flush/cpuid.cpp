// Reads CPUID once: flush-instruction support, invariant TSC and the brand string.
#include "bench/flush/cpuid.h"

#include <cpuid.h>

#include <cstring>

namespace daxbench {
namespace {

CpuFeatures read_features() {
  CpuFeatures f;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d)) f.clflush = (d >> 19) & 1;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    f.clflushopt = (b >> 23) & 1;
    f.clwb = (b >> 24) & 1;
    f.movdir64b = (c >> 28) & 1;
  }
  if (__get_cpuid(0x80000007, &a, &b, &c, &d)) f.invariant_tsc = (d >> 8) & 1;
  char brand[49] = {};
  for (unsigned leaf = 0; leaf < 3; ++leaf) {
    unsigned regs[4] = {};
    if (!__get_cpuid(0x80000002 + leaf, &regs[0], &regs[1], &regs[2], &regs[3])) break;
    std::memcpy(brand + 16 * leaf, regs, sizeof regs);
  }
  f.model = brand;
  while (!f.model.empty() && f.model.back() == ' ') f.model.pop_back();
  return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = read_features();
  return features;
}

}  // namespace daxbench
