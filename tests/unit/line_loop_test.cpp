// The shared line loop, driven with an instruction that records each line, and ntstore's
// split of a copy into lines stored non-temporally and edges stored normally and flushed.
#include <gtest/gtest.h>

#include <cstring>
#include <utility>
#include <vector>

#include "bench/flush/flush.h"
#include "bench/flush/line_loop.h"
#include "tests/unit/flush_conformance.h"
#include "tests/unit/flush_test_support.h"

namespace daxbench {
namespace {

using testing::AlignedFile;
using testing::kSize;
using testing::Lines;
using testing::lines_overlapped;
using testing::pattern;
using testing::probe_ranges;
using testing::visit;

TEST(LineLoop, AnAlignedStartVisitsEachLineItOverlapsOnce) {
  EXPECT_EQ(visit(0, 64), (Lines{0}));
  EXPECT_EQ(visit(256, 256), (Lines{256, 320, 384, 448}));
}

TEST(LineLoop, AnUnalignedStartBeginsAtTheLineHoldingTheFirstByte) {
  EXPECT_EQ(visit(8, 64), (Lines{0, 64}));
  EXPECT_EQ(visit(63, 2), (Lines{0, 64}));
  EXPECT_EQ(visit(100, 20), (Lines{64}));
}

TEST(LineLoop, LengthZeroVisitsNoLineEvenAtAnUnalignedAddress) {
  EXPECT_EQ(visit(128, 0), Lines{});
  EXPECT_EQ(visit(200, 0), Lines{});  // the old per-primitive loops flushed line 192 here
  EXPECT_EQ(visit(4095, 0), Lines{});
}

TEST(LineLoop, OneByteVisitsTheLineHoldingIt) {
  EXPECT_EQ(visit(130, 1), (Lines{128}));
  EXPECT_EQ(visit(63, 1), (Lines{0}));
  EXPECT_EQ(visit(64, 1), (Lines{64}));
}

TEST(LineLoop, ARangeEndingOnALineBoundaryVisitsNoLineBeyondIt) {
  EXPECT_EQ(visit(32, 96), (Lines{0, 64}));
  EXPECT_EQ(visit(0, 128), (Lines{0, 64}));
}

TEST(LineLoop, PartialFirstAndLastLinesAreVisited) {
  EXPECT_EQ(visit(32, 100), (Lines{0, 64, 128}));
  EXPECT_EQ(visit(1000, 80), (Lines{960, 1024}));
}

TEST(LineLoop, ARangeAcrossA4KiBPageBoundaryVisitsTheLinesOfBothPages) {
  EXPECT_EQ(visit(4096 - 40, 80), (Lines{4032, 4096}));
  EXPECT_EQ(visit(4096 - 1, 2), (Lines{4032, 4096}));
  Lines page_and_two_bytes;  // +8191 .. +12288: the last line of page 1, all of page 2, one more
  for (std::uint64_t line = 8128; line <= 12288; line += 64) page_and_two_bytes.push_back(line);
  EXPECT_EQ(visit(8191, 4098), page_and_two_bytes);
  EXPECT_EQ(page_and_two_bytes.size(), 66u);
}

TEST(LineLoop, VisitsWhatTheRangeOverlapsOnEveryProbeRange) {
  for (const auto& r : probe_ranges()) {
    SCOPED_TRACE(r.what);
    EXPECT_EQ(visit(r.offset, r.len), lines_overlapped(r.offset, r.len));
    EXPECT_EQ(lines_covered(r.offset, r.len), lines_overlapped(r.offset, r.len).size());
  }
}

// ---- ntstore's split: which lines are stored non-temporally, which edges are flushed -------

struct NtCopyRecord {
  Lines nt_stored;                                           // lines handed to store_line
  std::vector<std::pair<std::uint64_t, std::size_t>> edges;  // (offset, bytes) stored normally
  Lines flushed;  // the edges' lines, in the order flushed
  CopyCounts counts;
};

// copy_lines_nt with a store_line that records and memcpys 64 bytes, and a store_edge that
// records, memcpys and flushes through for_each_line with a recording instruction.
NtCopyRecord nt_copy(AlignedFile& mem, std::uint64_t offset, const std::vector<std::byte>& src) {
  NtCopyRecord rec;
  std::byte* base = mem.file.base;
  const auto b = reinterpret_cast<std::uintptr_t>(base);
  rec.counts = copy_lines_nt(
      base + offset, src.data(), src.size(),
      [&](std::uintptr_t line, const char* s) {
        rec.nt_stored.push_back(line - b);
        std::memcpy(reinterpret_cast<void*>(line), s, kCacheLine);
      },
      [&](char* d, const char* s, std::size_t n) {
        rec.edges.emplace_back(reinterpret_cast<std::uintptr_t>(d) - b, n);
        std::memcpy(d, s, n);
        return for_each_line(d, n, [&](std::uintptr_t line) { rec.flushed.push_back(line - b); });
      });
  return rec;
}

using Edges = std::vector<std::pair<std::uint64_t, std::size_t>>;

void expect_exact_bytes(const AlignedFile& mem, std::uint64_t offset,
                        const std::vector<std::byte>& src) {
  std::vector<std::byte> want(kSize);
  if (!src.empty()) std::memcpy(want.data() + offset, src.data(), src.size());
  for (std::size_t i = 0; i < kSize; ++i)
    if (mem.file.base[i] != want[i]) {
      ADD_FAILURE() << "byte +" << i << " is " << int(mem.file.base[i]) << ", expected "
                    << int(want[i]);
      return;
    }
}

TEST(NtstoreCopy, AnAlignedPageIsStoredNonTemporallyLineByLineWithNoFlush) {
  AlignedFile mem;
  const auto src = pattern(4096, 21);
  const NtCopyRecord rec = nt_copy(mem, 4096, src);
  Lines page;
  for (std::uint64_t line = 4096; line < 8192; line += 64) page.push_back(line);
  EXPECT_EQ(rec.nt_stored, page);
  EXPECT_EQ(rec.edges, Edges{});
  EXPECT_EQ(rec.flushed, Lines{});
  EXPECT_EQ(rec.counts.lines_nt_stored, 64u);
  EXPECT_EQ(rec.counts.lines_flushed, 0u);
  expect_exact_bytes(mem, 4096, src);
}

TEST(NtstoreCopy, PartialHeadAndTailAreStoredNormallyAndFlushedTheWholeLineNonTemporally) {
  AlignedFile mem;
  const auto src = pattern(100, 22);
  const NtCopyRecord rec = nt_copy(mem, 32, src);  // bytes 32..131
  EXPECT_EQ(rec.nt_stored, (Lines{64}));
  EXPECT_EQ(rec.edges, (Edges{{32, 32}, {128, 4}}));
  EXPECT_EQ(rec.flushed, (Lines{0, 128}));
  EXPECT_EQ(rec.counts.lines_nt_stored, 1u);
  EXPECT_EQ(rec.counts.lines_flushed, 2u);
  expect_exact_bytes(mem, 32, src);
}

TEST(NtstoreCopy, ARangeWithNoWholeLineIsOneEdgeFlushedLineByLine) {
  AlignedFile mem;
  const auto src = pattern(80, 23);
  const NtCopyRecord rec = nt_copy(mem, 1000, src);  // parts of lines 960 and 1024
  EXPECT_EQ(rec.nt_stored, Lines{});
  EXPECT_EQ(rec.edges, (Edges{{1000, 80}}));
  EXPECT_EQ(rec.flushed, (Lines{960, 1024}));
  EXPECT_EQ(rec.counts.lines_flushed, 2u);
  expect_exact_bytes(mem, 1000, src);

  AlignedFile one;
  const auto eight = pattern(8, 24);
  const NtCopyRecord inside = nt_copy(one, 2048 + 8, eight);
  EXPECT_EQ(inside.edges, (Edges{{2056, 8}}));
  EXPECT_EQ(inside.flushed, (Lines{2048}));
  EXPECT_EQ(inside.counts.lines_nt_stored, 0u);
  expect_exact_bytes(one, 2056, eight);
}

TEST(NtstoreCopy, ACopyAcrossAPageBoundarySplitsAtLinesNotPages) {
  AlignedFile mem;
  const auto src = pattern(200, 25);
  const NtCopyRecord rec = nt_copy(mem, 4000, src);  // bytes 4000..4199
  EXPECT_EQ(rec.nt_stored, (Lines{4032, 4096}));
  EXPECT_EQ(rec.edges, (Edges{{4000, 32}, {4160, 40}}));
  EXPECT_EQ(rec.flushed, (Lines{3968, 4160}));
  expect_exact_bytes(mem, 4000, src);

  AlignedFile no_whole;
  const auto eighty = pattern(80, 26);
  const NtCopyRecord straddle = nt_copy(no_whole, 4096 - 40, eighty);
  EXPECT_EQ(straddle.nt_stored, Lines{});
  EXPECT_EQ(straddle.flushed, (Lines{4032, 4096}));
  expect_exact_bytes(no_whole, 4096 - 40, eighty);
}

TEST(NtstoreCopy, LengthZeroStoresAndFlushesNothing) {
  AlignedFile mem;
  const NtCopyRecord rec = nt_copy(mem, 200, {});
  EXPECT_EQ(rec.nt_stored, Lines{});
  EXPECT_EQ(rec.edges, Edges{});
  EXPECT_EQ(rec.counts.lines_flushed + rec.counts.lines_nt_stored, 0u);
  expect_exact_bytes(mem, 200, {});
}

}  // namespace
}  // namespace daxbench
