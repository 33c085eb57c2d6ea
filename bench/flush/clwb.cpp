// CLWB: writes a line back and may keep it cached; the preferred flush where the CPU has it.
#include <immintrin.h>

#include <cstdint>

#include "bench/flush/cpuid.h"
#include "bench/flush/flush.h"

namespace daxbench {
namespace {

__attribute__((target("clwb"))) void clwb_flush(const void* addr, std::size_t len) {
  auto p = reinterpret_cast<std::uintptr_t>(addr) & ~(kCacheLine - 1);
  const auto end = reinterpret_cast<std::uintptr_t>(addr) + len;
  for (; p < end; p += kCacheLine) _mm_clwb(reinterpret_cast<void*>(p));
}

void sfence_drain() {
  _mm_sfence();
}

}  // namespace

extern const FlushOps kClwbFlush{
    .name = "clwb",
    .summary = "CLWB per line, SFENCE to drain",
    .available = [] { return cpu_features().clwb; },
    .flush = clwb_flush,
    .drain = sfence_drain,
    .auto_candidate = true,
};

}  // namespace daxbench
