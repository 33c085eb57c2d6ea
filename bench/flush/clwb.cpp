// CLWB: writes a line back and may keep it cached; the preferred flush where the CPU has it.
#include <immintrin.h>

#include <cstdint>

#include "bench/flush/cpuid.h"
#include "bench/flush/flush.h"
#include "bench/flush/line_loop.h"

namespace daxbench {
namespace {

struct Clwb {
  __attribute__((target("clwb"))) void operator()(std::uintptr_t line) const {
    _mm_clwb(reinterpret_cast<void*>(line));
  }
};

__attribute__((target("clwb"))) std::size_t clwb_flush(const void* addr, std::size_t len) {
  return for_each_line(addr, len, Clwb{});
}

std::size_t sfence_drain() {
  _mm_sfence();
  return 1;
}

}  // namespace

extern const FlushOps kClwbFlush{
    .name = "clwb",
    .summary = "CLWB per line, SFENCE to drain",
    .available = [] { return cpu_features().clwb; },
    .flush = clwb_flush,
    .drain = sfence_drain,
    .auto_candidate = true,
    .fio = {.note = "libpmem picks CLWB first where the CPU has it"},
};

}  // namespace daxbench
