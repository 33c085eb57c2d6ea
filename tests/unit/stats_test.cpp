// Unit tests for analysis/stats: known values, numpy-compatible quantiles and the bootstrap.
#include "analysis/stats/stats.h"

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace daxbench::stats {
namespace {

// The test's own fixed generator (splitmix64), so the generated samples never change.
class TestGenerator {
 public:
  explicit TestGenerator(std::uint64_t seed) : state_(seed) {}
  // Uniform in [0, 1).
  double uniform() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
  }
  // Roughly standard normal (Irwin-Hall sum of 12 uniforms), portable unlike
  // std::normal_distribution.
  double normal() {
    double sum = 0;
    for (int i = 0; i < 12; ++i) sum += uniform();
    return sum - 6;
  }

 private:
  std::uint64_t state_;
};

// `count` samples around `center` with the given spread; the same seed gives the same shape.
std::vector<double> normal_samples(std::size_t count, double center, double spread,
                                   std::uint64_t seed = 7) {
  TestGenerator generator(seed);
  std::vector<double> samples(count);
  for (double& x : samples) x = center + spread * generator.normal();
  return samples;
}

double width(Interval interval) {
  return interval.high - interval.low;
}

const std::vector<double> kWikipediaSample = {2, 4, 4, 4, 5, 5, 7, 9};
constexpr double kWikipediaSampleStddev = 2.138089935299395;  // sqrt(32 / 7)

TEST(StatsMedian, OddCountIsTheMiddleValue) {
  EXPECT_EQ(median(std::vector<double>{3, 1, 2}), 2);
  EXPECT_EQ(median(std::vector<double>{5}), 5);
  EXPECT_EQ(median(std::vector<double>{9, -1, 4, 4, 100}), 4);
}

TEST(StatsMedian, EvenCountIsTheMeanOfTheTwoMiddleValues) {
  EXPECT_EQ(median(std::vector<double>{1, 2, 3, 4}), 2.5);
  EXPECT_EQ(median(std::vector<double>{4, 1, 3, 2}), 2.5);
  EXPECT_EQ(median(std::vector<double>{10, 0}), 5);
  EXPECT_EQ(median(kWikipediaSample), 4.5);
}

TEST(StatsMedian, LeavesTheInputUntouched) {
  const std::vector<double> samples = {5, 3, 9, 1};
  const std::vector<double> copy = samples;
  median(samples);
  quantile(samples, 0.3);
  EXPECT_EQ(samples, copy);
}

TEST(StatsMoments, KnownValues) {
  EXPECT_EQ(mean(std::vector<double>{1, 2, 3, 4}), 2.5);
  EXPECT_EQ(mean(kWikipediaSample), 5);
  EXPECT_DOUBLE_EQ(stddev(kWikipediaSample), kWikipediaSampleStddev);
  EXPECT_DOUBLE_EQ(cv(kWikipediaSample), kWikipediaSampleStddev / 5);
  EXPECT_EQ(min(kWikipediaSample), 2);
  EXPECT_EQ(max(kWikipediaSample), 9);
}

TEST(StatsMoments, StddevIsStableForTightSamplesFarFromZero) {
  // The same spread as kWikipediaSample, shifted by 1e9: a one-pass formula loses it.
  std::vector<double> shifted = kWikipediaSample;
  for (double& x : shifted) x += 1e9;
  EXPECT_NEAR(stddev(shifted), kWikipediaSampleStddev, 1e-6);
}

TEST(StatsMoments, DegenerateCases) {
  const std::vector<double> empty;
  const std::vector<double> single = {42};
  const std::vector<double> centred = {-3, 3};

  EXPECT_EQ(stddev(empty), 0);
  EXPECT_EQ(stddev(single), 0);
  EXPECT_EQ(cv(single), 0);
  EXPECT_EQ(cv(centred), 0);  // mean 0: no meaningful relative spread
  EXPECT_EQ(stddev(std::vector<double>{7, 7, 7}), 0);

  EXPECT_TRUE(std::isnan(median(empty)));
  EXPECT_TRUE(std::isnan(mean(empty)));
  EXPECT_TRUE(std::isnan(cv(empty)));
  EXPECT_TRUE(std::isnan(min(empty)));
  EXPECT_TRUE(std::isnan(max(empty)));
  EXPECT_TRUE(std::isnan(quantile(empty, 0.5)));
}

TEST(StatsMoments, NaNSamplesGiveNaN) {
  const std::vector<double> samples = {1, NAN, 3};
  EXPECT_TRUE(std::isnan(median(samples)));
  EXPECT_TRUE(std::isnan(mean(samples)));
  EXPECT_TRUE(std::isnan(min(samples)));
  EXPECT_TRUE(std::isnan(max(samples)));
  EXPECT_TRUE(std::isnan(quantile(samples, 0.5)));
  EXPECT_TRUE(std::isnan(bootstrap_median_ci(samples).low));
}

TEST(StatsQuantile, MatchesNumpyLinearMethod) {
  const std::vector<double> four = {1, 2, 3, 4};
  EXPECT_EQ(quantile(four, 0.25), 1.75);  // np.quantile([1, 2, 3, 4], 0.25)
  EXPECT_EQ(quantile(four, 0.5), 2.5);
  EXPECT_EQ(quantile(four, 0.75), 3.25);
  EXPECT_EQ(quantile(four, 0.9), 3.7);

  const std::vector<double> numpy_docs = {10, 7, 4, 3, 2, 1};  // from np.percentile's docs
  EXPECT_EQ(quantile(numpy_docs, 0.5), 3.5);

  const std::vector<double> five = {35, 15, 50, 40, 20};
  EXPECT_DOUBLE_EQ(quantile(five, 0.1), 17);  // position 0.4 between 15 and 20
  EXPECT_DOUBLE_EQ(quantile(five, 0.4), 29);  // position 1.6 between 20 and 35
  EXPECT_EQ(quantile(five, 0), 15);
  EXPECT_EQ(quantile(five, 1), 50);
  EXPECT_EQ(quantile(five, 0.5), median(five));
}

TEST(StatsQuantile, RejectsLevelsOutsideTheUnitInterval) {
  const std::vector<double> samples = {1, 2, 3};
  EXPECT_THROW(quantile(samples, -0.1), std::invalid_argument);
  EXPECT_THROW(quantile(samples, 1.5), std::invalid_argument);
  EXPECT_THROW(quantile(samples, NAN), std::invalid_argument);
}

TEST(StatsBootstrap, IntervalContainsTheMedian) {
  const std::vector<double> samples = normal_samples(31, 1000, 50);
  const Interval ci = bootstrap_median_ci(samples);
  EXPECT_LE(ci.low, median(samples));
  EXPECT_GE(ci.high, median(samples));
  EXPECT_LT(ci.low, ci.high);
  EXPECT_GE(ci.low, min(samples));
  EXPECT_LE(ci.high, max(samples));
}

TEST(StatsBootstrap, IsDeterministicForTheSameSeed) {
  const std::vector<double> samples = normal_samples(20, 500, 40);
  const Interval first = bootstrap_median_ci(samples, 0.9, 1000, 12345);
  const Interval second = bootstrap_median_ci(samples, 0.9, 1000, 12345);
  EXPECT_EQ(first.low, second.low);
  EXPECT_EQ(first.high, second.high);

  const Interval by_default = bootstrap_median_ci(samples);
  const Interval explicit_default =
      bootstrap_median_ci(samples, kDefaultConfidence, kDefaultResamples, kDefaultSeed);
  EXPECT_EQ(by_default.low, explicit_default.low);
  EXPECT_EQ(by_default.high, explicit_default.high);
}

TEST(StatsBootstrap, TightSampleGivesANarrowerIntervalThanASpreadOne) {
  const Interval tight = bootstrap_median_ci(normal_samples(25, 100, 1));
  const Interval spread = bootstrap_median_ci(normal_samples(25, 100, 30));
  EXPECT_GT(width(tight), 0);
  EXPECT_LT(width(tight), width(spread));
}

TEST(StatsBootstrap, HigherConfidenceIsNoNarrower) {
  const std::vector<double> samples = normal_samples(40, 10, 2);
  EXPECT_LE(width(bootstrap_median_ci(samples, 0.8)), width(bootstrap_median_ci(samples, 0.99)));
}

TEST(StatsBootstrap, DegenerateCases) {
  const Interval single = bootstrap_median_ci(std::vector<double>{3.25});
  EXPECT_EQ(single.low, 3.25);
  EXPECT_EQ(single.high, 3.25);

  const Interval all_equal = bootstrap_median_ci(std::vector<double>{8, 8, 8, 8, 8, 8});
  EXPECT_EQ(all_equal.low, 8);
  EXPECT_EQ(all_equal.high, 8);

  const Interval empty = bootstrap_median_ci(std::vector<double>{});
  EXPECT_TRUE(std::isnan(empty.low));
  EXPECT_TRUE(std::isnan(empty.high));
}

TEST(StatsBootstrap, RejectsBadArguments) {
  const std::vector<double> samples = {1, 2, 3};
  EXPECT_THROW(bootstrap_median_ci(samples, 0), std::invalid_argument);
  EXPECT_THROW(bootstrap_median_ci(samples, 1), std::invalid_argument);
  EXPECT_THROW(bootstrap_median_ci(samples, 0.95, 0), std::invalid_argument);
  EXPECT_THROW(ratio_ci(samples, samples, 1.5), std::invalid_argument);
}

TEST(StatsRatio, IdenticalSamplesContainOne) {
  const std::vector<double> samples = normal_samples(30, 200, 10);
  const Interval ci = ratio_ci(samples, samples);
  EXPECT_LE(ci.low, 1);
  EXPECT_GE(ci.high, 1);
  EXPECT_LT(ci.low, ci.high);  // resampled independently, so not the degenerate [1, 1]
}

TEST(StatsRatio, DoubledSamplesGiveAboutTwo) {
  const std::vector<double> base = normal_samples(30, 200, 10);
  std::vector<double> doubled = base;
  for (double& x : doubled) x *= 2;
  const Interval ci = ratio_ci(base, doubled);
  EXPECT_LE(ci.low, 2);
  EXPECT_GE(ci.high, 2);
  EXPECT_GT(ci.low, 1.8);
  EXPECT_LT(ci.high, 2.2);

  const Interval again = ratio_ci(base, doubled);
  EXPECT_EQ(ci.low, again.low);
  EXPECT_EQ(ci.high, again.high);
}

TEST(StatsRatio, DegenerateCases) {
  const std::vector<double> empty;
  const std::vector<double> samples = {1, 2, 3};
  EXPECT_TRUE(std::isnan(ratio_ci(empty, samples).low));
  EXPECT_TRUE(std::isnan(ratio_ci(samples, empty).high));

  const std::vector<double> zeros = {0, 0, 0};
  EXPECT_TRUE(std::isnan(ratio_ci(zeros, zeros).low));  // 0 / 0

  const Interval singletons = ratio_ci(std::vector<double>{4}, std::vector<double>{6});
  EXPECT_EQ(singletons.low, 1.5);
  EXPECT_EQ(singletons.high, 1.5);
}

TEST(StatsSummary, CollectsEveryStatistic) {
  const Summary summary = summarize(kWikipediaSample);
  EXPECT_EQ(summary.n, 8u);
  EXPECT_EQ(summary.median, 4.5);
  EXPECT_EQ(summary.mean, 5);
  EXPECT_DOUBLE_EQ(summary.stddev, kWikipediaSampleStddev);
  EXPECT_DOUBLE_EQ(summary.cv, kWikipediaSampleStddev / 5);
  EXPECT_EQ(summary.min, 2);
  EXPECT_EQ(summary.max, 9);
  const Interval expected_ci = bootstrap_median_ci(kWikipediaSample);
  EXPECT_EQ(summary.ci.low, expected_ci.low);
  EXPECT_EQ(summary.ci.high, expected_ci.high);
  EXPECT_LE(summary.ci.low, summary.median);
  EXPECT_GE(summary.ci.high, summary.median);
}

TEST(StatsSummary, EmptyInput) {
  const Summary summary = summarize(std::vector<double>{});
  EXPECT_EQ(summary.n, 0u);
  EXPECT_TRUE(std::isnan(summary.median));
  EXPECT_TRUE(std::isnan(summary.mean));
  EXPECT_EQ(summary.stddev, 0);
  EXPECT_TRUE(std::isnan(summary.min));
  EXPECT_TRUE(std::isnan(summary.max));
  EXPECT_TRUE(std::isnan(summary.ci.low));
  EXPECT_TRUE(std::isnan(summary.ci.high));
}

}  // namespace
}  // namespace daxbench::stats
