// CLFLUSH: the original, serialising flush; every x86-64 CPU has it, so it is the fallback.
#include <immintrin.h>

#include <cstdint>

#include "bench/flush/cpuid.h"
#include "bench/flush/flush.h"
#include "bench/flush/line_loop.h"

namespace daxbench {
namespace {

struct Clflush {
  void operator()(std::uintptr_t line) const { _mm_clflush(reinterpret_cast<const void*>(line)); }
};

std::size_t clflush_flush(const void* addr, std::size_t len) {
  return for_each_line(addr, len, Clflush{});
}

// CLFLUSH is ordered with stores already; the fence keeps the commit's shape identical to
// the other primitives (one fence per commit) and costs little next to CLFLUSH itself.
std::size_t sfence_drain() {
  _mm_sfence();
  return 1;
}

}  // namespace

extern const FlushOps kClflushFlush{
    .name = "clflush",
    .summary = "CLFLUSH per line (serialising, evicts), SFENCE to drain",
    .available = [] { return cpu_features().clflush; },
    .flush = clflush_flush,
    .drain = sfence_drain,
    .auto_candidate = true,
    .fio = {.env = {"PMEM_NO_CLWB", "PMEM_NO_CLFLUSHOPT"},
            .note = "PMEM_NO_CLWB=1 PMEM_NO_CLFLUSHOPT=1 leave libpmem CLFLUSH"},
};

}  // namespace daxbench
