// Each flush primitive driven through the Writer the user-space flushing modes use: what it
// writes back, what it stores non-temporally, how many fences a commit pays, and that the
// bytes land; and a mutant (mutant_flush.h) shown in a Writer's counters. Also a reading
// guide: the counts below are each primitive's rule. The shared line loop is
// line_loop_test.cpp; the conformance checks over every primitive, flush_conformance_test.cpp.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "bench/flush/flush.h"
#include "bench/modes/user_flush.h"
#include "tests/unit/flush_test_support.h"
#include "tests/unit/mutant_flush.h"

namespace daxbench {
namespace {

using testing::AlignedFile;
using testing::pattern;
using testing::primitive;

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
