// CLFLUSHOPT: writes a line back and evicts it; weakly ordered, so one SFENCE drains many.
#include <immintrin.h>

#include <cstdint>

#include "bench/flush/cpuid.h"
#include "bench/flush/flush.h"

namespace daxbench {
namespace {

__attribute__((target("clflushopt"))) void clflushopt_flush(const void* addr, std::size_t len) {
  auto p = reinterpret_cast<std::uintptr_t>(addr) & ~(kCacheLine - 1);
  const auto end = reinterpret_cast<std::uintptr_t>(addr) + len;
  for (; p < end; p += kCacheLine) _mm_clflushopt(reinterpret_cast<void*>(p));
}

void sfence_drain() {
  _mm_sfence();
}

}  // namespace

extern const FlushOps kClflushoptFlush{
    .name = "clflushopt",
    .summary = "CLFLUSHOPT per line (evicts), SFENCE to drain",
    .available = [] { return cpu_features().clflushopt; },
    .flush = clflushopt_flush,
    .drain = sfence_drain,
    .auto_candidate = true,
};

}  // namespace daxbench
