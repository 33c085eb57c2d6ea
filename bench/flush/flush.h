// Cache-flush primitives: flush (write lines back) and drain (order them) are separate steps,
// as in libpmem2, so a commit of many ranges flushes each and pays one fence.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "bench/base/fio_rows.h"

namespace daxbench {

inline constexpr std::size_t kCacheLine = 64;

// What a copy did to get its bytes out of the cache, so the counters stay exact.
struct CopyCounts {
  std::size_t lines_flushed = 0;    // lines stored normally, then written back by a flush
  std::size_t lines_nt_stored = 0;  // lines written whole with non-temporal stores
};

struct FlushOps {
  std::string_view name;
  std::string_view summary;
  bool (*available)();  // CPUID says the instruction exists: never execute it otherwise
  // Writes back every cache line that overlaps [addr, addr + len) and returns how many lines
  // it issued its instruction on: the count comes from the loop that issued them
  // (for_each_line in line_loop.h), so the Writer's `lines_flushed` is what was done, not
  // what should have been. 0 for `none`; libpmem reports the lines it was asked to cover.
  std::size_t (*flush)(const void* addr, std::size_t len);
  // Makes the flushes above globally visible in order (SFENCE) and returns the fences it
  // issued (1 for every registered primitive), which the Writer adds to `fences`.
  std::size_t (*drain)();
  // How a store reaches memory. Null: a plain memcpy whose lines are flushed at commit.
  // Otherwise the copy gets its bytes out of the cache itself (non-temporal stores, or a
  // flush of what it had to store normally), so the commit only drains.
  CopyCounts (*copy)(void* dst, const void* src, std::size_t len) = nullptr;
  // `flush` writes back every line it covers; false only for `none` (eADR: nothing to write).
  bool writes_back = true;
  // A library (libpmem) whose own loops do the work, unobserved: flush() reports the lines it
  // was asked to cover and copy() none, since which instruction or path it took is not known.
  bool library = false;
  // A cache-flush instruction that `auto` may pick; not ntstore, libpmem or none, which
  // change what is measured rather than which instruction measures it.
  bool auto_candidate = false;
  // A test fixture with a fault planted on purpose (tests/unit/mutant_flush.h), never in
  // flush.def: under ADR its crash cells must be SEEN to lose on the strict image, or the
  // power cuts could not see a missing flush or fence.
  bool planted_fault = false;
  // How fio's libpmem and dev-dax engines are told to use it (PMEM_* switches).
  fio::FlushRow fio = {};
};

// Registered primitives, in preference order (flush.def), then any fixtures added below.
std::span<const FlushOps* const> flush_primitives();
// Appends primitives with planted faults to the list, for the test-only driver
// `daxbench-mutants` (tests/unit/mutant_registrar.cpp) alone: `daxbench` never calls it, so
// no config of the suite's own driver can name one. `auto` never picks them.
void add_fixture_flushes(std::span<const FlushOps* const> fixtures);
const FlushOps* find_flush(std::string_view name);  // nullptr if unknown
const FlushOps* best_flush();  // `auto`: first available cache-flush instruction
// The primitive a case or crash cell asks for (`auto` or a name), or nullptr with `problem`
// saying why it cannot run on this CPU.
const FlushOps* resolve_flush(std::string_view name, std::string& problem);

// Number of cache lines that [offset, offset + len) overlaps: the formula, for what a
// library was asked to cover (libpmem) and as the tests' independent check. What a primitive
// did is what its flush() returns.
inline std::size_t lines_covered(std::size_t offset, std::size_t len) {
  if (len == 0) return 0;
  return (offset + len - 1) / kCacheLine - offset / kCacheLine + 1;
}

}  // namespace daxbench
