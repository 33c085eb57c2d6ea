// Unit tests for analysis/stats/compare's run-vs-run verdict (the significance rule): when a
// change is flagged, at which repetitions, in which direction, and across a family of cases.
// The statistical tests under it are compare_stats_test.cpp.
#include "analysis/stats/compare.h"

#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace daxbench::stats {
namespace {

using Samples = std::vector<double>;

TEST(CompareBetter, RoundTripsThroughText) {
  for (Better better : {Better::higher, Better::lower, Better::neither})
    EXPECT_EQ(better_from_string(to_string(better)), better);
  EXPECT_THROW(better_from_string("bigger"), std::invalid_argument);
  EXPECT_EQ(to_string(Verdict::regression), "regression");
}

const Samples kBase = {100, 101, 102, 103, 104};
const Samples kTenPercentSlower = {90, 91, 92, 93, 94};

TEST(Compare, ClearRegressionIsFlagged) {
  const Comparison result = compare(kBase, kTenPercentSlower, Better::higher);
  EXPECT_DOUBLE_EQ(result.ratio, 92.0 / 102);
  EXPECT_LT(result.ci.high, 1);
  // Welch on the logarithms (scipy: ttest_ind(log(new), log(base), equal_var=False)).
  EXPECT_TRUE(result.log_scale);
  EXPECT_NEAR(result.t, -9.969758474270717, 1e-10);
  EXPECT_NEAR(result.df, 7.916263855128786, 1e-10);
  EXPECT_NEAR(result.p_value, 9.355982609390885e-06, 1e-15);
  EXPECT_TRUE(result.significant);
  EXPECT_EQ(result.verdict, Verdict::regression);
  EXPECT_TRUE(result.exceeds_threshold);  // 0.90 < 1 - 0.05
  EXPECT_TRUE(result.enough_repetitions);
}

// The repetitions people use: quick.yaml has 3. The U test could not go below p = 0.1 there.
const Samples kThreeBase = {100, 103, 98};

TEST(Compare, HalvingIsFlaggedAtThreeRepetitions) {
  const Comparison result = compare(kThreeBase, Samples{50, 51.5, 49}, Better::higher);
  EXPECT_TRUE(result.enough_repetitions);
  EXPECT_NEAR(result.t, -33.92061400660316, 1e-9);
  EXPECT_NEAR(result.df, 4, 1e-9);
  EXPECT_NEAR(result.p_value, 4.5059284792982335e-06, 1e-14);
  EXPECT_LT(result.ci.high, 1);
  EXPECT_TRUE(result.significant);
  EXPECT_EQ(result.verdict, Verdict::regression);
  EXPECT_TRUE(result.exceeds_threshold);
  // 20% slower with the same 2-3% noise: flagged too (p = 0.0004).
  const Comparison slower = compare(kThreeBase, Samples{80, 82.4, 78.4}, Better::higher);
  EXPECT_NEAR(slower.p_value, 0.00039935843137550996, 1e-13);
  EXPECT_TRUE(slower.exceeds_threshold);
  // A doubled latency is a regression the same way.
  EXPECT_TRUE(compare(kThreeBase, Samples{200, 206, 196}, Better::lower).exceeds_threshold);
}

TEST(Compare, NoiseIsNotFlaggedAtThreeRepetitions) {
  const Comparison result = compare(kThreeBase, Samples{101, 99, 102}, Better::higher);
  EXPECT_NEAR(result.p_value, 0.8503199679514657, 1e-12);
  EXPECT_FALSE(result.significant);
  EXPECT_EQ(result.verdict, Verdict::same);
  EXPECT_FALSE(result.exceeds_threshold);
}

TEST(Compare, IdenticalRepetitionsAtThreeRepetitions) {
  // Every repetition alike on both sides (an exact count, or a latency percentile in the same
  // histogram bucket each time): the spread is taken as the histogram's resolution, 1/32, so
  // a change of a fifth is certain (t = ln 1.2 / sqrt(2 kMinLogVariance / 3) = 25.1, df 4) ...
  const Comparison more = compare(Samples{5, 5, 5}, Samples{6, 6, 6}, Better::lower);
  EXPECT_NEAR(more.t, 25.137574265006855, 1e-9);
  EXPECT_NEAR(more.p_value, 1.4869272369002282e-05, 1e-15);
  EXPECT_TRUE(more.significant);
  EXPECT_EQ(more.verdict, Verdict::regression);
  EXPECT_TRUE(more.exceeds_threshold);
  const Comparison same = compare(Samples{5, 5, 5}, Samples{5, 5, 5}, Better::lower);
  EXPECT_EQ(same.p_value, 1);
  EXPECT_FALSE(same.significant);
  // ... and a p50 latency one bucket apart, or moved by a TSC calibration (these two are real
  // runs' medians of a first-touch case, 45 ns apart in 4 ms), is not: both measure 1/32.
  EXPECT_NEAR(compare(Samples{288, 288, 288}, Samples{264, 264, 264}, Better::lower).p_value,
              0.00027672698617967116, 1e-15);
  const Comparison calibration = compare(Samples{4004810, 4004810, 4004810},
                                         Samples{4004765, 4004765, 4004765}, Better::lower);
  EXPECT_GT(calibration.p_value, 0.99);
  EXPECT_FALSE(calibration.significant);
  // Zeros have no logarithm: the test then runs on the values as they are, without a floor.
  const Comparison zeros = compare(Samples{0, 0, 0}, Samples{0, 0, 0}, Better::lower);
  EXPECT_FALSE(zeros.log_scale);
  EXPECT_FALSE(zeros.significant);
  const Comparison from_zero = compare(Samples{0, 0, 0}, Samples{1, 1, 1}, Better::lower);
  EXPECT_FALSE(from_zero.log_scale);
  EXPECT_EQ(from_zero.p_value, 0);
}

TEST(Compare, FewerThanThreeRepetitionsAreNotJudged) {
  for (const Samples& few : {Samples{50}, Samples{50, 51}}) {
    const Comparison result = compare(kThreeBase, few, Better::higher);
    EXPECT_FALSE(result.enough_repetitions);
    EXPECT_TRUE(std::isnan(result.p_value));
    EXPECT_FALSE(result.significant);
    EXPECT_EQ(result.verdict, Verdict::same);
    EXPECT_FALSE(result.exceeds_threshold);
    EXPECT_LT(result.ratio, 0.6);  // the ratio is still reported
    EXPECT_FALSE(compare(few, kThreeBase, Better::higher).enough_repetitions);
  }
  EXPECT_TRUE(compare(kThreeBase, kThreeBase).enough_repetitions);
}

TEST(Compare, AnOutlierMovesTheMeanNotTheVerdict) {
  // Four of nine repetitions at half speed: Welch's p is below 0.05 (0.036), but the median
  // did not move, so its interval keeps 1 and nothing is flagged.
  const Samples base = {100, 101, 99, 100.5, 99.5, 100.2, 99.8, 100.7, 99.3};
  const Samples candidate = {100.1, 99.6, 100.4, 99.9, 100.3, 50, 51, 49, 50.5};
  const Comparison result = compare(base, candidate, Better::higher);
  EXPECT_NEAR(result.p_value, 0.03561378543094096, 1e-12);
  EXPECT_LE(result.ci.low, 1);
  EXPECT_GE(result.ci.high, 1);
  EXPECT_FALSE(result.significant);
  EXPECT_FALSE(result.exceeds_threshold);
}

TEST(Compare, DirectionFollowsBetter) {
  EXPECT_EQ(compare(kBase, kTenPercentSlower, Better::lower).verdict, Verdict::improvement);
  EXPECT_FALSE(compare(kBase, kTenPercentSlower, Better::lower).exceeds_threshold);
  EXPECT_EQ(compare(kTenPercentSlower, kBase, Better::higher).verdict, Verdict::improvement);
  const Comparison slower_latency = compare(kTenPercentSlower, kBase, Better::lower);
  EXPECT_EQ(slower_latency.verdict, Verdict::regression);
  EXPECT_TRUE(slower_latency.exceeds_threshold);  // 102 / 92 = 1.11 > 1 + 0.05
}

TEST(Compare, OverlappingNoiseIsNotFlagged) {
  const Comparison result =
      compare(Samples{100, 103, 98, 101, 99, 102}, Samples{101, 99, 102, 100, 98, 103});
  EXPECT_FALSE(result.significant);
  EXPECT_EQ(result.verdict, Verdict::same);
  EXPECT_FALSE(result.exceeds_threshold);
  EXPECT_LE(result.ci.low, 1);
  EXPECT_GE(result.ci.high, 1);
}

TEST(Compare, ThresholdSeparatesSmallFromLargeRegressions) {
  // A significant 10% drop: beyond a 5% threshold, within a 20% one.
  EXPECT_TRUE(compare(kBase, kTenPercentSlower, Better::higher, 0.05).exceeds_threshold);
  const Comparison tolerated = compare(kBase, kTenPercentSlower, Better::higher, 0.20);
  EXPECT_EQ(tolerated.verdict, Verdict::regression);
  EXPECT_FALSE(tolerated.exceeds_threshold);
  // A significant 2% drop stays under the default threshold.
  const Comparison small = compare(kBase, Samples{98, 99, 99.5, 99.9, 100.5}, Better::higher);
  EXPECT_EQ(small.verdict, Verdict::regression);
  EXPECT_FALSE(small.exceeds_threshold);
}

TEST(Compare, NeitherNeverFlags) {
  const Comparison result = compare(kBase, kTenPercentSlower, Better::neither);
  EXPECT_TRUE(result.significant);           // the change is real and reported ...
  EXPECT_EQ(result.verdict, Verdict::same);  // ... but not judged
  EXPECT_FALSE(result.exceeds_threshold);
}

TEST(CompareFamily, ManyCasesRaiseTheBar) {
  // A 20% drop with 2-3% noise: p = 0.0004 alone, significant in a family of one ...
  const Samples slower = {80, 82.4, 78.4};
  const ComparedSamples changed{kThreeBase, slower, Better::higher};
  const Samples unchanged = {101, 99, 102};
  // ... and still in a family of 40 unchanged cases (q = 40 p = 0.016), but not at alpha 0.01.
  std::vector<ComparedSamples> family(40, ComparedSamples{kThreeBase, unchanged, Better::higher});
  family.front() = changed;
  const std::vector<Comparison> judged = compare_family(family);
  ASSERT_EQ(judged.size(), 40u);
  EXPECT_NEAR(judged[0].p_value, 0.00039935843137550996, 1e-13);
  EXPECT_NEAR(judged[0].p_adjusted, 40 * 0.00039935843137550996, 1e-12);
  EXPECT_TRUE(judged[0].exceeds_threshold);
  for (std::size_t i = 1; i < judged.size(); ++i) EXPECT_FALSE(judged[i].significant) << i;
  EXPECT_FALSE(compare_family(family, kDefaultThreshold, 0.01)[0].significant);
  EXPECT_TRUE(compare(kThreeBase, slower, Better::higher, kDefaultThreshold, 0.01).significant);
}

TEST(CompareFamily, ManyChangesKeepTheirPower) {
  // Every case halved: the adjusted p-values stay small, every case is flagged.
  const Samples halved = {50, 51.5, 49};
  std::vector<ComparedSamples> family(40, ComparedSamples{kThreeBase, halved, Better::higher});
  for (const Comparison& c : compare_family(family)) {
    EXPECT_NEAR(c.p_adjusted, c.p_value, 1e-15);  // forty equal p-values: q = p
    EXPECT_TRUE(c.exceeds_threshold);
  }
  // Members are judged by their own direction; the family only shares the adjustment.
  const std::vector<ComparedSamples> mixed = {{kThreeBase, halved, Better::higher},
                                              {kThreeBase, halved, Better::lower},
                                              {kThreeBase, halved, Better::neither}};
  const std::vector<Comparison> judged = compare_family(mixed);
  EXPECT_EQ(judged[0].verdict, Verdict::regression);
  EXPECT_EQ(judged[1].verdict, Verdict::improvement);
  EXPECT_EQ(judged[2].verdict, Verdict::same);
  EXPECT_TRUE(compare_family(std::vector<ComparedSamples>{}).empty());
  EXPECT_THROW(compare_family(mixed, 0.05, 1.5), std::invalid_argument);
}

TEST(CompareFamily, MembersWithoutATestAreNoPartOfTheFamily) {
  // A case with two repetitions has no p-value and does not dilute the others.
  // Named: a ComparedSamples holds spans, which a temporary Samples would leave dangling.
  const Samples tested{80, 82.4, 78.4};
  const Samples two{50, 51};
  const std::vector<ComparedSamples> family = {{kThreeBase, tested, Better::higher},
                                               {kThreeBase, two, Better::higher}};
  const std::vector<Comparison> judged = compare_family(family);
  EXPECT_NEAR(judged[0].p_adjusted, judged[0].p_value, 1e-15);
  EXPECT_FALSE(judged[1].enough_repetitions);
  EXPECT_TRUE(std::isnan(judged[1].p_adjusted));
  EXPECT_FALSE(judged[1].significant);
}

TEST(Compare, ManyRepetitionsUseTheSameRule) {
  Samples nine_base;
  Samples nine_candidate;
  for (int i = 0; i < 9; ++i) {
    nine_base.push_back(10 + i);
    nine_candidate.push_back(20 + i);
  }
  const Comparison nine = compare(nine_base, nine_candidate, Better::lower);
  EXPECT_TRUE(nine.enough_repetitions);
  EXPECT_LT(nine.p_value, 1e-4);
  EXPECT_EQ(nine.verdict, Verdict::regression);
  EXPECT_TRUE(nine.exceeds_threshold);
}

TEST(Compare, EmptySamplesAreNeverSignificant) {
  const Comparison result = compare(Samples{}, kBase);
  EXPECT_TRUE(std::isnan(result.ratio));
  EXPECT_FALSE(result.significant);
  EXPECT_EQ(result.verdict, Verdict::same);
}

TEST(Compare, RejectsBadArguments) {
  EXPECT_THROW(compare(kBase, kBase, Better::higher, 0.05, 0), std::invalid_argument);
  EXPECT_THROW(compare(kBase, kBase, Better::higher, 0.05, 1), std::invalid_argument);
  EXPECT_THROW(compare(kBase, kBase, Better::higher, -0.1), std::invalid_argument);
}

}  // namespace
}  // namespace daxbench::stats
