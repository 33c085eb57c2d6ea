// The shared line loop, driven with an instruction that records each line; each flush
// primitive checked against what it must do (flush_conformance.h), and the test-only mutants
// (mutant_flush.h) shown to fail the same checks; each primitive driven through the Writer
// the user-space flushing modes use: what it writes back, what it stores non-temporally, how
// many fences a commit pays, and that the bytes land. Also a reading guide: the counts below
// are each primitive's rule.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "bench/flush/flush.h"
#include "bench/flush/line_loop.h"
#include "bench/modes/user_flush.h"
#include "tests/unit/flush_conformance.h"
#include "tests/unit/mutant_flush.h"

namespace daxbench {
namespace {

constexpr std::size_t kSize = 4 * 4096;

// A page-aligned stand-in for a mapping, so line counts do not depend on the allocator.
struct AlignedFile {
  struct alignas(4096) Bytes {
    std::array<std::byte, kSize> data{};
  };
  AlignedFile() : bytes(std::make_unique<Bytes>()) {
    file.path = "(memory)";
    file.size = kSize;
    file.base = bytes->data.data();
  }
  std::unique_ptr<Bytes> bytes;
  MappedFile file;
};

std::vector<std::byte> pattern(std::size_t len, unsigned seed) {
  std::vector<std::byte> out(len);
  for (std::size_t i = 0; i < len; ++i) out[i] = std::byte(static_cast<unsigned char>(seed + i));
  return out;
}

const FlushOps& primitive(std::string_view name) {
  const FlushOps* ops = find_flush(name);
  if (!ops) throw std::runtime_error("no flush primitive " + std::string(name));
  return *ops;
}

struct Expected {
  std::string_view name;
  std::uint64_t lines_flushed;
  std::uint64_t lines_nt_stored;
};

// Three commits: two aligned 64-byte records (2 lines), an aligned 4 KiB page (64 lines),
// and 100 bytes starting 32 bytes into a line (a partial line, a whole one, a partial one).
TEST(FlushPrimitives, EachPrimitiveCountsExactlyWhatItDoesAndTheBytesLand) {
  const Expected table[] = {
      {"clwb", 69, 0},        // every line the stores cover
      {"clflushopt", 69, 0},  //
      {"clflush", 69, 0},     //
      {"ntstore", 2, 67},     // whole lines bypass the cache; only the 100-byte store's edges flush
      {"libpmem", 0, 0},  // libpmem flushes inside pmem_memcpy_nodrain: not visible, not counted
      {"none", 0, 0},     // eADR: nothing to write back
  };
  ASSERT_EQ(std::size(table), flush_primitives().size()) << "a primitive without expected counts";
  for (const Expected& e : table) {
    SCOPED_TRACE(std::string(e.name));
    const FlushOps& ops = primitive(e.name);
    if (!ops.available()) {
      std::cout << "skipping " << e.name << ": not on this CPU\n";
      continue;
    }
    AlignedFile mem;
    UserFlushWriter writer(mem.file, &ops);
    const auto a = pattern(64, 1), b = pattern(64, 2), page = pattern(4096, 3),
               odd = pattern(100, 4);
    writer.store(0, a.data(), a.size());
    writer.store(128, b.data(), b.size());
    writer.commit();
    writer.store(4096, page.data(), page.size());
    writer.commit();
    writer.store(8192 + 32, odd.data(), odd.size());
    writer.commit();

    EXPECT_EQ(writer.counters().lines_flushed, e.lines_flushed);
    EXPECT_EQ(writer.counters().lines_nt_stored, e.lines_nt_stored);
    EXPECT_EQ(writer.counters().fences, 3u);  // one drain per commit, whatever the primitive
    const std::byte* base = mem.file.base;
    EXPECT_EQ(std::memcmp(base, a.data(), a.size()), 0);
    EXPECT_EQ(std::memcmp(base + 128, b.data(), b.size()), 0);
    EXPECT_EQ(std::memcmp(base + 4096, page.data(), page.size()), 0);
    EXPECT_EQ(std::memcmp(base + 8192 + 32, odd.data(), odd.size()), 0);
    // Bytes next to the stores are untouched: the edges were not overwritten whole.
    EXPECT_EQ(base[8192 + 31], std::byte{0});
    EXPECT_EQ(base[8192 + 132], std::byte{0});
  }
}

TEST(FlushPrimitives, NoneFlushesNoLineAndFencesOncePerCommit) {
  AlignedFile mem;
  UserFlushWriter writer(mem.file, &primitive("none"));
  const auto data = pattern(256, 7);
  for (int commit = 0; commit < 5; ++commit) {
    writer.store(64 * commit, data.data(), 64);
    writer.store(1024 + 256 * commit, data.data(), 256);
    writer.commit();
  }
  EXPECT_EQ(writer.counters().lines_flushed, 0u);
  EXPECT_EQ(writer.counters().lines_nt_stored, 0u);
  EXPECT_EQ(writer.counters().fences, 5u);
}

TEST(FlushPrimitives, NtstoreOfAnAlignedPageFlushesNoLine) {
  AlignedFile mem;
  UserFlushWriter writer(mem.file, &primitive("ntstore"));
  const auto page = pattern(4096, 9);
  writer.store(4096, page.data(), page.size());
  writer.commit();
  EXPECT_EQ(writer.counters().lines_flushed, 0u);
  EXPECT_EQ(writer.counters().lines_nt_stored, 64u);
  EXPECT_EQ(writer.counters().fences, 1u);
  EXPECT_EQ(std::memcmp(mem.file.base + 4096, page.data(), page.size()), 0);
}

// The rule: a line the store covers whole is stored non-temporally; a line it covers in part
// is stored normally and flushed, since a non-temporal store cannot write only part of it.
TEST(FlushPrimitives, NtstoreOfAnUnaligned100ByteStoreFlushesOnlyItsEdgeLines) {
  AlignedFile mem;
  UserFlushWriter writer(mem.file, &primitive("ntstore"));
  const auto data = pattern(100, 11);
  writer.store(32, data.data(), data.size());  // bytes 32..131: part of line 0, line 1, part of 2
  writer.commit();
  EXPECT_EQ(writer.counters().lines_flushed, 2u);
  EXPECT_EQ(writer.counters().lines_nt_stored, 1u);
  writer.store(1000, data.data(), 80);     // bytes 1000..1079: parts of lines 15 and 16, none whole
  writer.store(2048 + 8, data.data(), 8);  // inside one line
  writer.commit();
  EXPECT_EQ(writer.counters().lines_flushed, 2u + 2u + 1u);
  EXPECT_EQ(writer.counters().lines_nt_stored, 1u);
  EXPECT_EQ(writer.counters().fences, 2u);
  EXPECT_EQ(std::memcmp(mem.file.base + 32, data.data(), 100), 0);
  EXPECT_EQ(std::memcmp(mem.file.base + 1000, data.data(), 80), 0);
  EXPECT_EQ(std::memcmp(mem.file.base + 2048 + 8, data.data(), 8), 0);
}

TEST(FlushPrimitives, LibpmemWritesLandAndACommitOfManyRangesFencesOnce) {
  AlignedFile mem;
  UserFlushWriter writer(mem.file, &primitive("libpmem"));
  // Sizes on both sides of libpmem's non-temporal threshold, at odd offsets.
  const std::size_t sizes[] = {1, 7, 64, 100, 255, 256, 1000, 4096};
  std::uint64_t offset = 3;
  std::vector<std::pair<std::uint64_t, std::vector<std::byte>>> stored;
  for (std::size_t len : sizes) {
    stored.emplace_back(offset, pattern(len, static_cast<unsigned>(len)));
    writer.store(offset, stored.back().second.data(), len);
    offset += len + 13;
  }
  writer.commit();
  EXPECT_EQ(writer.counters().fences, 1u);
  EXPECT_EQ(writer.counters().lines_flushed, 0u);  // only what the suite passes to pmem_flush
  for (const auto& [at, bytes] : stored)
    EXPECT_EQ(std::memcmp(mem.file.base + at, bytes.data(), bytes.size()), 0) << "at " << at;
}

TEST(FlushPrimitives, AutoPicksACacheFlushInstructionNeverAnotherKindOfPrimitive) {
  const FlushOps* best = best_flush();
  ASSERT_NE(best, nullptr);  // every x86-64 CPU has CLFLUSH
  EXPECT_TRUE(best->name == "clwb" || best->name == "clflushopt" || best->name == "clflush")
      << best->name;
  EXPECT_TRUE(best->available());
  for (std::string_view name : {"ntstore", "libpmem", "none"}) {
    EXPECT_FALSE(primitive(name).auto_candidate) << name;
    EXPECT_TRUE(primitive(name).available()) << name;
  }
}

// ---- The shared line loop, with an instruction that records instead of flushing ----------

using testing::check_primitive_conformance;
using testing::lines_overlapped;
using testing::probe_ranges;
using Lines = std::vector<std::uint64_t>;

// The offsets (from the page-aligned base) of the lines for_each_line hands its instruction,
// in the order it hands them; also checks that it returns how many it handed.
Lines visit(std::uint64_t offset, std::uint64_t len) {
  static const AlignedFile mem;
  const auto base = reinterpret_cast<std::uintptr_t>(mem.file.base);
  Lines lines;
  const std::size_t n = for_each_line(mem.file.base + offset, len,
                                      [&](std::uintptr_t line) { lines.push_back(line - base); });
  EXPECT_EQ(n, lines.size()) << "for_each_line's count is not the lines it visited";
  return lines;
}

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

// ---- Every registered primitive conforms; the mutants do not ---------------------------------

std::string joined(const std::vector<std::string>& failures) {
  std::string out;
  for (const auto& f : failures) out += "\n  " + f;
  return out;
}

bool any_contains(const std::vector<std::string>& failures, std::string_view text) {
  for (const auto& f : failures)
    if (f.find(text) != std::string::npos) return true;
  return false;
}

TEST(FlushConformance, EveryRegisteredPrimitiveConforms) {
  int checked = 0;
  for (const FlushOps* ops : flush_primitives()) {
    if (!ops->available()) {
      std::cout << "skipping " << ops->name << ": not on this CPU\n";
      continue;
    }
    const auto failures = check_primitive_conformance(*ops);
    EXPECT_TRUE(failures.empty()) << ops->name << ":" << joined(failures);
    ++checked;
  }
  EXPECT_GE(checked, 4);  // clflush, ntstore, libpmem and none run on every x86-64 CPU
}

// Stated directly: a primitive's flush() reports the lines the shared loop visits (none for
// `none`), and its drain() one fence.
TEST(FlushConformance, EachPrimitiveReportsTheLinesTheSharedLoopVisitsAndOneFence) {
  for (const FlushOps* ops : flush_primitives()) {
    if (!ops->available()) continue;
    SCOPED_TRACE(std::string(ops->name));
    AlignedFile mem;
    for (const auto& r : probe_ranges()) {
      SCOPED_TRACE(r.what);
      const std::size_t visited = visit(r.offset, r.len).size();
      EXPECT_EQ(ops->flush(mem.file.base + r.offset, r.len), ops->writes_back ? visited : 0);
    }
    EXPECT_EQ(ops->drain(), 1u);
  }
}

TEST(FlushConformance, TheMutantThatSkipsTheLastLineIsCaught) {
  const auto failures = check_primitive_conformance(testing::kMutantSkipsLastLine);
  ASSERT_FALSE(failures.empty());
  std::cout << "caught, as it must be:" << joined(failures) << "\n";
  // A byte alone at +130: its line, +128, the last (and only) one, got no flush.
  EXPECT_TRUE(any_contains(failures,
                           "flush(+130, 1) [one byte] issued 0 of the 1 line it overlaps (+128): "
                           "1 line not flushed"))
      << joined(failures);
  EXPECT_TRUE(any_contains(failures,
                           "flush(+32, 100) [partial first and last lines] issued 2 of "
                           "the 3 lines it overlaps (+0 +64 +128)"))
      << joined(failures);
  EXPECT_TRUE(any_contains(failures, "commits counted lines_flushed")) << joined(failures);
  EXPECT_FALSE(any_contains(failures, "fence")) << "only the broken part fails" << joined(failures);
}

TEST(FlushConformance, TheMutantWhoseDrainIssuesNoFenceIsCaught) {
  const auto failures = check_primitive_conformance(testing::kMutantDrainsWithoutFence);
  ASSERT_FALSE(failures.empty());
  std::cout << "caught, as it must be:" << joined(failures) << "\n";
  EXPECT_TRUE(any_contains(failures, "drain() issued 0 fences")) << joined(failures);
  EXPECT_TRUE(any_contains(failures, "commits counted fences 0, expected 3 (one per commit)"))
      << joined(failures);
  EXPECT_FALSE(any_contains(failures, "flush("))
      << "only the broken part fails" << joined(failures);
}

TEST(FlushConformance, TheMutantsAreTestFixturesNeverRegistered) {
  for (const FlushOps* mutant : testing::mutant_flushes()) {
    SCOPED_TRACE(std::string(mutant->name));
    EXPECT_EQ(find_flush(mutant->name), nullptr);
    for (const FlushOps* ops : flush_primitives()) EXPECT_NE(ops, mutant);
    std::string problem;
    EXPECT_EQ(resolve_flush(mutant->name, problem), nullptr);  // no config can ask for one
    EXPECT_NE(best_flush(), mutant);
  }
}

// The Writer's counters are what the primitive reports, so a broken primitive shows there:
// the same stores and commits through clflush and through each mutant.
TEST(FlushPrimitives, AWriterCommitThroughAMutantShowsInItsCounters) {
  const auto run = [](const FlushOps& ops) {
    AlignedFile mem;
    UserFlushWriter writer(mem.file, &ops);
    const auto data = pattern(100, 31);
    writer.store(32, data.data(), 100);        // lines 0, 64, 128
    writer.store(4096 - 40, data.data(), 80);  // lines 4032, 4096
    writer.commit();
    writer.store(8192 + 8, data.data(), 1);  // line 8192
    writer.commit();
    return writer.counters();
  };
  const InternalCounters good = run(primitive("clflush"));
  EXPECT_EQ(good.lines_flushed, 6u);
  EXPECT_EQ(good.fences, 2u);

  const InternalCounters skips = run(testing::kMutantSkipsLastLine);
  EXPECT_EQ(skips.lines_flushed, 3u) << "each of the three ranges lost its last line";
  EXPECT_EQ(skips.fences, 2u);

  const InternalCounters unfenced = run(testing::kMutantDrainsWithoutFence);
  EXPECT_EQ(unfenced.lines_flushed, 6u);
  EXPECT_EQ(unfenced.fences, 0u) << "two commits, no fence";
}

}  // namespace
}  // namespace daxbench
