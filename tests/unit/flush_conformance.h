// What every flush primitive must do, as checks that return their failures instead of
// asserting, so the same checks run over every registered primitive (which must pass) and
// over the test-only mutants (which must fail, or the checks cannot see the faults they are
// for). The expected lines are computed here from the range alone, independently of the
// shared line loop, which has its own exact tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/flush/flush.h"

namespace daxbench::testing {

// A range of the probe buffer (page-aligned, kProbeSize bytes) and what it is meant to test.
struct ProbeRange {
  std::uint64_t offset;
  std::uint64_t len;
  const char* what;
};

inline constexpr std::uint64_t kProbePage = 4096;
inline constexpr std::uint64_t kProbeSize = 4 * kProbePage;

// Aligned and unaligned starts, len 0, len 1, a range ending on a line boundary, partial
// first and last lines, one across a 4 KiB page boundary, a whole page.
const std::vector<ProbeRange>& probe_ranges();

// The offsets of the cache lines [offset, offset + len) overlaps, ascending (buffer offsets,
// the buffer being line-aligned).
std::vector<std::uint64_t> lines_overlapped(std::uint64_t offset, std::uint64_t len);
// Of those, the lines the range covers whole.
std::vector<std::uint64_t> lines_covered_whole(std::uint64_t offset, std::uint64_t len);

// Runs `ops` (which must be available on this CPU) over the probe ranges:
//  - flush(range) reports exactly the lines the range overlaps (none for `none`);
//  - drain() reports exactly one fence;
//  - copy, if any, lands the exact bytes, touches no other byte, and reports every line it
//    covers whole as stored non-temporally and every partial line as flushed (a library's
//    copy reports nothing: it cannot know);
//  - a Writer committing stores through it counts those lines and one fence per commit.
// Returns one sentence per failure, naming the primitive, the range and the lines or fences
// that differ; empty when it conforms.
std::vector<std::string> check_primitive_conformance(const FlushOps& ops);

}  // namespace daxbench::testing
