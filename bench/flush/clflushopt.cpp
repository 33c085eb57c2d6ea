// CLFLUSHOPT: writes a line back and evicts it; weakly ordered, so one SFENCE drains many.
#include <immintrin.h>

#include <cstdint>

#include "bench/flush/cpuid.h"
#include "bench/flush/flush.h"
#include "bench/flush/line_loop.h"

namespace daxbench {
namespace {

struct Clflushopt {
  __attribute__((target("clflushopt"))) void operator()(std::uintptr_t line) const {
    _mm_clflushopt(reinterpret_cast<void*>(line));
  }
};

__attribute__((target("clflushopt"))) std::size_t clflushopt_flush(const void* addr,
                                                                   std::size_t len) {
  return for_each_line(addr, len, Clflushopt{});
}

std::size_t sfence_drain() {
  _mm_sfence();
  return 1;
}

}  // namespace

extern const FlushOps kClflushoptFlush{
    .name = "clflushopt",
    .summary = "CLFLUSHOPT per line (evicts), SFENCE to drain",
    .available = [] { return cpu_features().clflushopt; },
    .flush = clflushopt_flush,
    .drain = sfence_drain,
    .auto_candidate = true,
    .fio = {.env = {"PMEM_NO_CLWB"}, .note = "PMEM_NO_CLWB=1 leaves libpmem CLFLUSHOPT"},
};

}  // namespace daxbench
