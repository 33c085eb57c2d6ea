// Unit tests for bench/base/histogram: bucket layout, percentile accuracy and merging.
#include "bench/base/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

namespace daxbench {
namespace {

constexpr std::uint64_t kMaxValue = std::numeric_limits<std::uint64_t>::max();

// The test's own fixed generator (splitmix64), so the generated values never change.
class TestGenerator {
 public:
  explicit TestGenerator(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in (0, 1], so its logarithm is finite.
  double uniform_open_below() { return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

Histogram histogram_of(const std::vector<std::uint64_t>& values) {
  Histogram histogram;
  for (std::uint64_t value : values) histogram.add(value);
  return histogram;
}

// A percentile level given as an exact fraction, so the test knows the nearest rank without
// floating-point doubt: rank = ceil(numerator / denominator * count).
struct Level {
  std::uint64_t numerator;
  std::uint64_t denominator;
  double q() const { return static_cast<double>(numerator) / static_cast<double>(denominator); }
  std::uint64_t rank(std::uint64_t count) const {
    return std::max<std::uint64_t>(1, (numerator * count + denominator - 1) / denominator);
  }
};

const std::vector<Level> kLevels = {
    {0, 1}, {1, 1000}, {1, 100}, {7, 100},  {1, 10},   {1, 4},      {1, 3},        {1, 2},
    {2, 3}, {3, 4},    {9, 10},  {95, 100}, {99, 100}, {999, 1000}, {9999, 10000}, {1, 1}};

// Every level's percentile is exactly the documented one (the upper bound of the bucket of the
// nearest-rank value, clamped to the maximum) and so within 1/32 above the true value.
void expect_accurate_percentiles(std::vector<std::uint64_t> values) {
  const Histogram histogram = histogram_of(values);
  std::sort(values.begin(), values.end());
  for (const Level& level : kLevels) {
    const std::uint64_t truth = values[level.rank(values.size()) - 1];
    const std::uint64_t reported = histogram.percentile(level.q());
    SCOPED_TRACE(testing::Message() << "q=" << level.q() << " truth=" << truth);
    EXPECT_EQ(reported, std::min(Histogram::upper_bound(Histogram::index(truth)), values.back()));
    EXPECT_GE(reported, truth);
    EXPECT_LE(reported - truth, truth / 32);
  }
}

TEST(Histogram, ValuesBelow64AreExact) {
  for (std::uint64_t value = 0; value < Histogram::kLinear; ++value) {
    EXPECT_EQ(Histogram::index(value), static_cast<int>(value));
    EXPECT_EQ(Histogram::upper_bound(static_cast<int>(value)), value);
    Histogram histogram;
    histogram.add(value);
    EXPECT_EQ(histogram.percentile(0.5), value);
  }

  Histogram every_small_value;
  for (std::uint64_t value = 0; value < Histogram::kLinear; ++value) every_small_value.add(value);
  for (std::uint64_t rank = 1; rank <= Histogram::kLinear; ++rank) {
    const double q = static_cast<double>(rank) / Histogram::kLinear;  // exact in binary
    EXPECT_EQ(every_small_value.percentile(q), rank - 1);
  }
}

TEST(Histogram, EveryBucketBoundaryMapsBackToItsBucket) {
  for (int index = 0; index < Histogram::kBuckets; ++index) {
    const std::uint64_t upper = Histogram::upper_bound(index);
    EXPECT_EQ(Histogram::index(upper), index);
    if (index + 1 < Histogram::kBuckets) {
      EXPECT_EQ(Histogram::index(upper + 1), index + 1);
    }
  }
  EXPECT_EQ(Histogram::index(kMaxValue), Histogram::kBuckets - 1);
  EXPECT_EQ(Histogram::upper_bound(Histogram::kBuckets - 1), kMaxValue);
}

TEST(Histogram, BucketsAreAtMostOneThirtySecondWide) {
  for (int index = Histogram::kLinear; index < Histogram::kBuckets; ++index) {
    const std::uint64_t lower = Histogram::upper_bound(index - 1) + 1;
    const std::uint64_t bucket_width = Histogram::upper_bound(index) - lower + 1;
    EXPECT_LE(bucket_width, lower / 32) << "index " << index;
  }
}

TEST(Histogram, IndexAndUpperBoundAgreeAcrossMagnitudes) {
  std::vector<std::uint64_t> sweep;
  for (int power = 0; power <= 62; ++power) {
    const std::uint64_t base = std::uint64_t{1} << power;
    sweep.push_back(base - 1);
    sweep.push_back(base);
    sweep.push_back(base + 1);
    for (std::uint64_t step = 1; step < 64; ++step) sweep.push_back(base + (base / 64) * step);
  }
  for (double value = 1; value < 0x1.0p62; value = value * 1.0007 + 1)
    sweep.push_back(static_cast<std::uint64_t>(value));
  sweep.push_back(std::uint64_t{1} << 62);

  int previous_index = 0;
  std::sort(sweep.begin(), sweep.end());
  for (std::uint64_t value : sweep) {
    const int index = Histogram::index(value);
    ASSERT_GE(index, 0);
    ASSERT_LT(index, Histogram::kBuckets);
    ASSERT_LE(value, Histogram::upper_bound(index)) << value;
    if (index > 0) {
      ASSERT_GT(value, Histogram::upper_bound(index - 1)) << value;
    }
    ASSERT_GE(index, previous_index) << "index must not decrease with the value: " << value;
    previous_index = index;
  }
}

TEST(Histogram, PercentilesOfAUniformSweep) {
  std::vector<std::uint64_t> values;
  for (std::uint64_t value = 1; value <= 1'000'000; ++value) values.push_back(value);
  expect_accurate_percentiles(values);
}

TEST(Histogram, PercentilesOfAnExponentialDistribution) {
  TestGenerator generator(2024);
  std::vector<std::uint64_t> values(200'000);
  for (auto& value : values)
    value = 100 + static_cast<std::uint64_t>(-5000 * std::log(generator.uniform_open_below()));
  expect_accurate_percentiles(values);
}

TEST(Histogram, PercentilesAcrossManyMagnitudes) {
  TestGenerator generator(99);
  std::vector<std::uint64_t> values(100'000);
  for (auto& value : values)
    value = static_cast<std::uint64_t>(std::exp2(60 * generator.uniform_open_below()));
  expect_accurate_percentiles(values);
}

TEST(Histogram, NearestRankOnSmallSets) {
  const Histogram small = histogram_of({40, 10, 30, 20});
  EXPECT_EQ(small.percentile(0), 10);
  EXPECT_EQ(small.percentile(0.25), 10);
  EXPECT_EQ(small.percentile(0.26), 20);
  EXPECT_EQ(small.percentile(0.5), 20);
  EXPECT_EQ(small.percentile(0.75), 30);
  EXPECT_EQ(small.percentile(0.99), 40);
  EXPECT_EQ(small.percentile(1), 40);

  const Histogram large = histogram_of({4000, 1000, 3000, 2000});
  EXPECT_GE(large.percentile(0.5), 2000u);
  EXPECT_EQ(large.percentile(0.5), Histogram::upper_bound(Histogram::index(2000)));
  EXPECT_EQ(large.percentile(1), 4000u);  // clamped to the maximum, not the bucket's bound

  // q * count is not always exact in binary (0.07 * 100 == 7.000000000000001): the rank must
  // still be the 7th, not the 8th. (Above 63 the buckets are two wide, hence upper_bound.)
  std::vector<std::uint64_t> one_to_hundred;
  for (std::uint64_t value = 1; value <= 100; ++value) one_to_hundred.push_back(value);
  const Histogram hundred = histogram_of(one_to_hundred);
  for (std::uint64_t percent = 1; percent <= 100; ++percent) {
    EXPECT_EQ(hundred.percentile(static_cast<double>(percent) / 100),
              std::min(Histogram::upper_bound(Histogram::index(percent)), hundred.max()));
  }
}

TEST(Histogram, MergeEqualsAddingEverythingToOne) {
  TestGenerator generator(5);
  Histogram left;
  Histogram right;
  Histogram together;
  for (int i = 0; i < 10'000; ++i) {
    const std::uint64_t small = generator.next() % 5000;
    const std::uint64_t large = (generator.next() >> 20) + 1'000'000;
    left.add(small);
    right.add(large);
    together.add(small);
    together.add(large);
  }
  Histogram merged = left;
  merged.merge(right);
  EXPECT_EQ(merged.count(), together.count());
  EXPECT_EQ(merged.min(), together.min());
  EXPECT_EQ(merged.max(), together.max());
  EXPECT_EQ(merged.mean(), together.mean());
  EXPECT_EQ(merged.buckets(), together.buckets());
  for (const Level& level : kLevels)
    EXPECT_EQ(merged.percentile(level.q()), together.percentile(level.q()));
}

TEST(Histogram, MergingWithAnEmptyHistogramKeepsMinAndMax) {
  const Histogram filled = histogram_of({500, 7, 90});
  Histogram into_empty;
  into_empty.merge(filled);
  EXPECT_EQ(into_empty.min(), 7u);
  EXPECT_EQ(into_empty.max(), 500u);
  EXPECT_EQ(into_empty.count(), 3u);

  Histogram with_empty = filled;
  with_empty.merge(Histogram{});
  EXPECT_EQ(with_empty.min(), 7u);
  EXPECT_EQ(with_empty.max(), 500u);
  EXPECT_EQ(with_empty.buckets(), filled.buckets());
}

TEST(Histogram, CountMinMaxMeanAreExact) {
  const Histogram histogram = histogram_of({1000003, 17, 250, 99999});
  EXPECT_EQ(histogram.count(), 4u);
  EXPECT_EQ(histogram.min(), 17u);
  EXPECT_EQ(histogram.max(), 1000003u);
  EXPECT_EQ(histogram.mean(), (1000003.0 + 17 + 250 + 99999) / 4);

  // The sum is wider than 64 bits, so huge values do not wrap the mean.
  const Histogram huge = histogram_of({kMaxValue, kMaxValue, kMaxValue});
  EXPECT_EQ(huge.mean(), static_cast<double>(kMaxValue));
  EXPECT_EQ(huge.min(), kMaxValue);
  EXPECT_EQ(huge.percentile(0.5), kMaxValue);
}

TEST(Histogram, EmptyHistogramReportsZeros) {
  Histogram histogram;
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.min(), 0u);
  EXPECT_EQ(histogram.max(), 0u);
  EXPECT_EQ(histogram.mean(), 0);
  EXPECT_EQ(histogram.percentile(0.5), 0u);
  EXPECT_EQ(histogram.percentile(1), 0u);
  EXPECT_TRUE(histogram.buckets().empty());

  histogram.add(12345);
  histogram.clear();
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.min(), 0u);
  EXPECT_EQ(histogram.max(), 0u);
  EXPECT_TRUE(histogram.buckets().empty());
}

TEST(Histogram, BucketsSumToCountInAscendingOrder) {
  TestGenerator generator(11);
  Histogram histogram;
  for (int i = 0; i < 50'000; ++i) histogram.add(generator.next() >> (generator.next() % 64));
  const auto buckets = histogram.buckets();
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    EXPECT_GT(buckets[i].second, 0u);
    if (i > 0) {
      EXPECT_GT(buckets[i].first, buckets[i - 1].first);
    }
    total += buckets[i].second;
  }
  EXPECT_EQ(total, histogram.count());
  EXPECT_GE(buckets.front().first, histogram.min());
  EXPECT_GE(buckets.back().first, histogram.max());
}

// The record's buckets are in ns, and at more than one tick per ns several 1-tick buckets
// round to one ns bound: tests/e2e/schema.py saw "op histogram: not ascending" on a 2.3 GHz TSC.
TEST(Histogram, BucketsInACoarserUnitMergeCoincidingBoundsAndKeepTheCount) {
  Histogram histogram;
  for (std::uint64_t ticks = 0; ticks < 200; ++ticks) histogram.add(ticks);
  const double ticks_per_ns = 2.5;
  const auto to_ns = [&](std::uint64_t ticks) {
    return static_cast<std::uint64_t>(static_cast<double>(ticks) / ticks_per_ns + 0.5);
  };
  const auto buckets = histogram.buckets_in(to_ns);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    if (i > 0) {
      EXPECT_GT(buckets[i].first, buckets[i - 1].first) << "bucket " << i;
    }
    total += buckets[i].second;
  }
  EXPECT_EQ(total, histogram.count());
  // Rounded to the nearest ns: ticks 0 and 1 are 0 ns, 2 and 3 are 1 ns, 4, 5 and 6 are 2 ns.
  EXPECT_EQ(buckets.front(), (std::pair<std::uint64_t, std::uint64_t>{0, 2}));
  EXPECT_EQ(buckets[1], (std::pair<std::uint64_t, std::uint64_t>{1, 2}));
  EXPECT_EQ(buckets[2], (std::pair<std::uint64_t, std::uint64_t>{2, 3}));
}

}  // namespace
}  // namespace daxbench
