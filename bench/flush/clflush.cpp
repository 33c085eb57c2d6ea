// CLFLUSH: the original, serialising flush; every x86-64 CPU has it, so it is the fallback.
#include <immintrin.h>

#include <cstdint>

#include "bench/flush/cpuid.h"
#include "bench/flush/flush.h"

namespace daxbench {
namespace {

void clflush_flush(const void* addr, std::size_t len) {
  auto p = reinterpret_cast<std::uintptr_t>(addr) & ~(kCacheLine - 1);
  const auto end = reinterpret_cast<std::uintptr_t>(addr) + len;
  for (; p < end; p += kCacheLine) _mm_clflush(reinterpret_cast<void*>(p));
}

// CLFLUSH is ordered with stores already; the fence keeps the commit's shape identical to
// the other primitives (one fence per commit) and costs little next to CLFLUSH itself.
void sfence_drain() {
  _mm_sfence();
}

}  // namespace

extern const FlushOps kClflushFlush{
    .name = "clflush",
    .summary = "CLFLUSH per line (serialising, evicts), SFENCE to drain",
    .available = [] { return cpu_features().clflush; },
    .flush = clflush_flush,
    .drain = sfence_drain,
    .auto_candidate = true,
};

}  // namespace daxbench
