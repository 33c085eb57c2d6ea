// Latency sampling: which events get timed, how the auto rate is chosen, and that a case's
// histograms hold exactly the events its record says they sample.
#include "bench/base/latency_sampler.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "tests/unit/test_support.h"

namespace daxbench {
namespace {

using testing::config_from;
using testing::run_once;

std::uint64_t taken(LatencySampler sampler, std::uint64_t events) {
  std::uint64_t count = 0;
  for (std::uint64_t i = 0; i < events; ++i) count += sampler.take();
  return count;
}

TEST(LatencySampler, DefaultAndOneTimeEveryEvent) {
  EXPECT_EQ(taken(LatencySampler{}, 1000), 1000u);
  EXPECT_EQ(taken(LatencySampler(1, 7, 0), 1000), 1000u);
  EXPECT_EQ(taken(LatencySampler(0, 7, 0), 1000), 1000u);  // 0 is not a rate: treated as 1
}

TEST(LatencySampler, TakesOneInNOnAverageAndRepeatsPerSeed) {
  constexpr std::uint64_t kEvents = 1'000'000, kEvery = 100;
  const std::uint64_t count = taken(LatencySampler(kEvery, 7, 0), kEvents);
  // Gaps uniform in [1, 199]: sd of the count ≈ sqrt(events · var / mean³) ≈ 58.
  EXPECT_NEAR(static_cast<double>(count), double(kEvents / kEvery), 400.0);
  EXPECT_EQ(count, taken(LatencySampler(kEvery, 7, 0), kEvents));

  // Other seeds and other streams (threads, ops vs commits) pick other events.
  auto first_taken = [](LatencySampler s) {
    std::uint64_t i = 0;
    while (!s.take()) ++i;
    return i;
  };
  std::array<std::uint64_t, 4> firsts = {
      first_taken(LatencySampler(kEvery, 7, 0)), first_taken(LatencySampler(kEvery, 7, 1)),
      first_taken(LatencySampler(kEvery, 8, 0)), first_taken(LatencySampler(kEvery, 8, 1))};
  std::sort(firsts.begin(), firsts.end());
  EXPECT_NE(firsts.front(), firsts.back());
}

// A fixed stride of 16 would time only phase 0 of a workload that commits every 8 operations;
// random gaps must reach every phase about equally.
TEST(LatencySampler, DoesNotAliasWithAPeriodicWorkload) {
  constexpr int kPeriod = 8;
  std::array<std::uint64_t, kPeriod> per_phase{};
  LatencySampler sampler(16, 3, 0);
  for (std::uint64_t i = 0; i < 1'600'000; ++i)
    if (sampler.take()) ++per_phase[i % kPeriod];
  for (std::uint64_t n : per_phase) EXPECT_NEAR(static_cast<double>(n), 100'000.0 / kPeriod, 700.0);
}

TEST(LatencySampler, AutoRateKeepsTimingWithinItsBudget) {
  const double cost = 100;  // ticks per timed event
  // Slow operations (≥ 100 × the timing cost, e.g. a sync call) are all timed.
  EXPECT_EQ(choose_sample_rates(100 * cost, 1, cost).op, 1u);
  EXPECT_EQ(choose_sample_rates(100 * cost, 1, cost).commit, 1u);
  // Ten times the cost: 1 in 10 keeps timing at 1% of the operation.
  EXPECT_EQ(choose_sample_rates(10 * cost, 0, cost).op, 10u);
  // Commits once per 64 operations cost 1/64 as much per operation to time.
  const SampleRates grouped = choose_sample_rates(cost / 4, 1.0 / 64, cost);
  EXPECT_EQ(grouped.op, 400u);
  EXPECT_EQ(grouped.commit, 7u);  // ceil(100 / 64 / 0.25)
  // An operation far cheaper than a clock read: capped so the sample stays thick enough.
  EXPECT_EQ(choose_sample_rates(1, 1, cost).op, kMaxSampleEvery);
  // Nothing measured (no warm-up): everything is timed.
  EXPECT_EQ(choose_sample_rates(0, 0, cost).op, 1u);
}

TEST(LatencySampler, TimingCostIsMeasured) {
  const double cost = timing_cost_ticks();
  EXPECT_GT(cost, 0);
  EXPECT_EQ(cost, timing_cost_ticks());  // once per process
}

RepetitionResult random_update_none(const std::string& extra) {
  const Config config = config_from(
      "cases:\n"
      "  - {workload: random-update, mode: none, record_size: 64, working_set: 1M,\n"
      "     ops: 200000, repetitions: 1, " +
      extra + "}\n");
  return run_once(config.cases.at(0));
}

TEST(Runner, HistogramsHoldEveryEventWhenSampledOneInOne) {
  const RepetitionResult r = random_update_none("warmup_s: 0.02, latency_sample_every: 1");
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  EXPECT_EQ(r.sample_rates.op, 1u);
  EXPECT_EQ(r.op_latency.count(), r.ops);
  EXPECT_EQ(r.commit_latency.count(), r.commits);
}

TEST(Runner, WithoutAWarmUpAutoTimesEveryEvent) {
  const RepetitionResult r = random_update_none("warmup_s: 0");
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  EXPECT_EQ(r.sample_rates.op, 1u);
  EXPECT_EQ(r.op_latency.count(), r.ops);
}

// A 64 B store with no sync costs less than a clock read: auto samples it, throughput still
// counts every operation, and the histograms hold about ops / N of them.
TEST(Runner, AutoSamplesAFastCaseAndCountsEveryOperation) {
  const RepetitionResult r = random_update_none("warmup_s: 0.05");
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  EXPECT_EQ(r.ops, 200000u);
  EXPECT_EQ(r.commits, 200000u);
  ASSERT_GT(r.sample_rates.op, 1u);
  const double expected = double(r.ops) / double(r.sample_rates.op);
  EXPECT_NEAR(double(r.op_latency.count()), expected, 6 * std::sqrt(expected) + 2);
  const double expected_commits = double(r.commits) / double(r.sample_rates.commit);
  EXPECT_NEAR(double(r.commit_latency.count()), expected_commits,
              6 * std::sqrt(expected_commits) + 2);
}

}  // namespace
}  // namespace daxbench
