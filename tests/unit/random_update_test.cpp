// Unit tests of random-update and of the zipfian generator it draws from (workloads/zipf.h).
#include <gtest/gtest.h>

#include "workload_test_support.h"

namespace daxbench {
namespace {

using namespace workload_testing;

// --- random-update -----------------------------------------------------------------------

TEST(RandomUpdate, SameSeedAndThreadGiveTheSameSequence) {
  const WorkloadDesc& desc = workload("random-update");
  for (const char* distribution : {"uniform", "zipfian"}) {
    const ParamSet params = make_params(desc, {{"distribution", distribution}});
    const View view{0, 1 << 20};
    const auto a = run(desc, params, view.length, view, 500, 3);
    const auto b = run(desc, params, view.length, view, 500, 3);
    const auto other_thread = run(desc, params, view.length, view, 500, 4);
    const auto other_seed =
        run(desc, make_params(desc, {{"distribution", distribution}, {"seed", "2"}}), view.length,
            view, 500, 3);
    EXPECT_EQ(a, b) << distribution;
    EXPECT_NE(a, other_thread) << distribution;
    EXPECT_NE(a, other_seed) << distribution;
  }
}

TEST(RandomUpdate, UpdatesRecordAlignedSlotsInsideTheView) {
  const WorkloadDesc& desc = workload("random-update");
  const ParamSet params = make_params(desc, {{"record_size", "100"}, {"commit_every", "4"}});
  const View view{1000, 100 * 50 + 99};  // 50 whole slots; the last 99 bytes are no slot
  const auto events = run(desc, params, 8192, view, 2000);
  std::set<std::uint64_t> slots;
  int stores = 0, commits = 0;
  for (const Event& e : events) {
    if (e.commit) {
      ++commits;
      continue;
    }
    ++stores;
    EXPECT_EQ(e.length, 100u);
    ASSERT_GE(e.offset, view.offset);
    EXPECT_EQ((e.offset - view.offset) % 100, 0u);
    EXPECT_LT((e.offset - view.offset) / 100, 50u);
    slots.insert(e.offset);
  }
  EXPECT_EQ(stores, 2000);
  EXPECT_EQ(commits, 500);
  EXPECT_EQ(slots.size(), 50u);  // 2000 uniform draws over 50 slots reach them all
}

TEST(RandomUpdate, ZipfianConcentratesUpdatesOnHotRecords) {
  const WorkloadDesc& desc = workload("random-update");
  const View view{0, 10000 * 64};  // 10000 records
  const int ops = 100000;
  const auto zipfian =
      run(desc, make_params(desc, {{"distribution", "zipfian"}}), view.length, view, ops);
  const auto uniform =
      run(desc, make_params(desc, {{"distribution", "uniform"}}), view.length, view, ops);
  // The 100 hottest of 10000 records (1%): about sum_{1..100} k^-0.99 / zeta(10000) = 54% of
  // zipfian updates, against a little over 1% for uniform.
  EXPECT_GT(hottest_share(zipfian, 100), 0.40);
  EXPECT_LT(hottest_share(uniform, 100), 0.03);
}

TEST(RandomUpdate, ScrambleSpreadsHotRecordsOverTheFile) {
  const WorkloadDesc& desc = workload("random-update");
  const std::uint64_t records = 10000;
  const View view{0, records * 64};
  const auto events =
      run(desc, make_params(desc, {{"distribution", "zipfian"}}), view.length, view, 50000);
  std::map<std::uint64_t, int> per_record;
  for (const Event& e : events)
    if (!e.commit) ++per_record[e.offset / 64];
  std::vector<std::pair<int, std::uint64_t>> by_count;
  for (const auto& [record, count] : per_record) by_count.push_back({count, record});
  std::sort(by_count.rbegin(), by_count.rend());
  // Unscrambled, the ten hottest would be records 0..9; scrambled they are spread out.
  std::uint64_t lowest = records, highest = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    lowest = std::min(lowest, by_count[i].second);
    highest = std::max(highest, by_count[i].second);
  }
  EXPECT_GT(highest - lowest, records / 2);
}

// --- zipf.h ------------------------------------------------------------------------------

TEST(Zipf, ZetaMatchesTheExactSum) {
  for (double theta : {0.01, 0.5, 0.99, 0.999}) {
    for (std::uint64_t n : {1ull, 2ull, 1000ull, 1025ull, 5000ull, 1000000ull}) {
      double exact = 0;
      for (std::uint64_t i = n; i >= 1; --i) exact += std::pow(static_cast<double>(i), -theta);
      EXPECT_NEAR(zeta(n, theta) / exact, 1.0, 1e-12) << "n=" << n << " theta=" << theta;
    }
  }
}

// Setup is fast because its work does not grow with the records: the pow() calls are
// counted, not timed (how long they take is a benchmark's question, not a unit test's).
TEST(Zipf, SetupForSixteenMillionRecordsCostsNoMoreThanForTwoThousand) {
  const auto calls = [](std::uint64_t n) {
    std::uint64_t count = 0;
    const double value = zeta(n, 0.99, [&count](double x, double y) {
      ++count;
      return std::pow(x, y);
    });
    EXPECT_EQ(value, zeta(n, 0.99)) << n;  // counting changes nothing
    return count;
  };
  EXPECT_EQ(calls(1000), 1000u);  // below the cut-off, every term
  const std::uint64_t small = calls(2048);
  EXPECT_LE(small, kZetaExactTerms + 7);
  EXPECT_EQ(calls(16u << 20), small);
  EXPECT_EQ(calls(std::uint64_t{1} << 40), small);

  ZipfianGenerator zipf(16u << 20, 0.99);
  Rng rng(1, 0);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(zipf.next(rng), 16u << 20);
}

TEST(Zipf, RankFrequenciesFollowTheLaw) {
  const std::uint64_t n = 1000;
  const double theta = 0.99;
  ZipfianGenerator zipf(n, theta);
  Rng rng(7, 0);
  std::vector<int> hits(n);
  const int draws = 200000;
  for (int i = 0; i < draws; ++i) ++hits[zipf.next(rng)];
  const double zetan = zeta(n, theta);
  // P(rank 0) = 1/zeta(n) and P(rank 1) = 2^-theta/zeta(n) exactly in Gray's algorithm.
  EXPECT_NEAR(hits[0] / double(draws), 1 / zetan, 0.01);
  EXPECT_NEAR(hits[1] / double(draws), std::pow(2, -theta) / zetan, 0.01);
  EXPECT_GT(hits[0], hits[9]);
  EXPECT_GT(hits[9], hits[99]);
}

}  // namespace
}  // namespace daxbench
