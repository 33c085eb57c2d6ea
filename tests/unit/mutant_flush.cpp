// The test-only mutants of mutant_flush.h. Each runs on every x86-64 CPU, so the mutants run
// wherever the tests do.
#include "tests/unit/mutant_flush.h"

#include <immintrin.h>

#include <cstdint>

#include "bench/flush/cpuid.h"
#include "bench/flush/line_loop.h"

namespace daxbench::testing {
namespace {

// A hand-written loop, as each primitive had before the shared one: `line + kCacheLine < end`
// where it should be `line < end`.
std::size_t flush_skipping_last_line(const void* addr, std::size_t len) {
  const auto begin = reinterpret_cast<std::uintptr_t>(addr);
  const std::uintptr_t end = begin + len;
  std::size_t lines = 0;
  for (std::uintptr_t line = line_of(begin); line + kCacheLine < end; line += kCacheLine) {
    _mm_clflush(reinterpret_cast<const void*>(line));
    ++lines;
  }
  return lines;
}

std::size_t sfence_drain() {
  _mm_sfence();
  return 1;
}

struct Clwb {
  __attribute__((target("clwb"))) void operator()(std::uintptr_t line) const {
    _mm_clwb(reinterpret_cast<void*>(line));
  }
};
struct Clflushopt {
  __attribute__((target("clflushopt"))) void operator()(std::uintptr_t line) const {
    _mm_clflushopt(reinterpret_cast<void*>(line));
  }
};

// A weakly ordered flush, where the CPU has one: CLFLUSH is ordered with the stores before it
// and needs no fence (SDM), so a missing fence is a fault only after CLWB or CLFLUSHOPT, and
// only then can a power cut under the persistence model catch it.
__attribute__((target("clwb,clflushopt"))) std::size_t weakly_ordered_flush(const void* addr,
                                                                            std::size_t len) {
  if (cpu_features().clwb) return for_each_line(addr, len, Clwb{});
  if (cpu_features().clflushopt) return for_each_line(addr, len, Clflushopt{});
  return for_each_line(
      addr, len, [](std::uintptr_t line) { _mm_clflush(reinterpret_cast<const void*>(line)); });
}

// The instruction on every line but `last`.
template <typename Instruction>
struct AllButLast {
  std::uintptr_t last;
  void operator()(std::uintptr_t line) const {
    if (line != last) Instruction{}(line);  // the bug: the last line gets no instruction ...
  }
};
struct Clflush {
  void operator()(std::uintptr_t line) const { _mm_clflush(reinterpret_cast<const void*>(line)); }
};

std::size_t flush_all_but_last_counting_all(const void* addr, std::size_t len) {
  if (len == 0) return 0;
  const std::uintptr_t last = line_of(reinterpret_cast<std::uintptr_t>(addr) + len - 1);
  // ... but is counted: for_each_line returns every line it visited.
  if (cpu_features().clwb) return for_each_line(addr, len, AllButLast<Clwb>{last});
  if (cpu_features().clflushopt) return for_each_line(addr, len, AllButLast<Clflushopt>{last});
  return for_each_line(addr, len, AllButLast<Clflush>{last});
}

std::size_t drain_without_fence() {
  return 0;  // the bug: no SFENCE, so nothing orders the flushes before the commit returns
}

}  // namespace

extern const FlushOps kMutantSkipsLastLine{
    .name = "mutant-skips-last-line",
    .summary = "test fixture: CLFLUSH loop that stops before the last line",
    .available = [] { return true; },
    .flush = flush_skipping_last_line,
    .drain = sfence_drain,
    .planted_fault = true,
};

extern const FlushOps kMutantDrainsWithoutFence{
    .name = "mutant-drains-without-fence",
    .summary =
        "test fixture: CLWB (else CLFLUSHOPT, else CLFLUSH) every line, a drain with no "
        "SFENCE",
    .available = [] { return true; },
    .flush = weakly_ordered_flush,
    .drain = drain_without_fence,
    .planted_fault = true,
};

extern const FlushOps kMutantCountsASkippedLine{
    .name = "mutant-counts-a-skipped-line",
    .summary =
        "test fixture: CLWB (else CLFLUSHOPT, else CLFLUSH) on every line but the last, "
        "counting the last too; SFENCE to drain",
    .available = [] { return true; },
    .flush = flush_all_but_last_counting_all,
    .drain = sfence_drain,
    .planted_fault = true,
};

std::span<const FlushOps* const> mutant_flushes() {
  static const FlushOps* const all[] = {&kMutantSkipsLastLine, &kMutantDrainsWithoutFence,
                                        &kMutantCountsASkippedLine};
  return all;
}

}  // namespace daxbench::testing
