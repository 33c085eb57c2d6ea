// Unit tests for analysis/stats/compare: the Mann-Whitney U test and the run-vs-run verdict.
#include "analysis/stats/compare.h"

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace daxbench::stats {
namespace {

using Samples = std::vector<double>;

const Samples kOneToFive = {1, 2, 3, 4, 5};
const Samples kSixToTen = {6, 7, 8, 9, 10};

// The two-sided p-value by brute force: every way of choosing which pooled values are the
// candidate's, counting those whose U is at least as far from the mean as the observed one.
double enumerated_p(const Samples& base, const Samples& candidate) {
  Samples pooled = base;
  pooled.insert(pooled.end(), candidate.begin(), candidate.end());
  const double observed = mann_whitney_u(base, candidate).u;
  const double mean_u = static_cast<double>(base.size() * candidate.size()) / 2;
  std::size_t as_extreme = 0;
  std::size_t total = 0;
  for (unsigned mask = 0; mask < (1u << pooled.size()); ++mask) {
    if (static_cast<std::size_t>(__builtin_popcount(mask)) != candidate.size()) continue;
    Samples chosen_base;
    Samples chosen_candidate;
    for (std::size_t i = 0; i < pooled.size(); ++i)
      ((mask >> i) & 1u ? chosen_candidate : chosen_base).push_back(pooled[i]);
    const double u = mann_whitney_u(chosen_base, chosen_candidate).u;
    ++total;
    if (std::abs(u - mean_u) >= std::abs(observed - mean_u)) ++as_extreme;
  }
  return static_cast<double>(as_extreme) / static_cast<double>(total);
}

TEST(MannWhitney, SeparatedSamplesGiveTheExtremeUAndExactP) {
  const MannWhitney higher = mann_whitney_u(kOneToFive, kSixToTen);
  EXPECT_EQ(higher.u, 25);  // every candidate value beats every base value
  EXPECT_TRUE(higher.exact);
  // Only 2 of the C(10, 5) = 252 orderings are this extreme (all higher or all lower).
  EXPECT_DOUBLE_EQ(higher.p_value, 2.0 / 252);

  const MannWhitney lower = mann_whitney_u(kSixToTen, kOneToFive);
  EXPECT_EQ(lower.u, 0);
  EXPECT_DOUBLE_EQ(lower.p_value, 2.0 / 252);
}

TEST(MannWhitney, ExactPMatchesBruteForceEnumeration) {
  const Samples base = {1, 3, 5, 7, 11};
  const Samples candidate = {2, 4, 6, 8, 9, 10};
  const MannWhitney result = mann_whitney_u(base, candidate);
  EXPECT_TRUE(result.exact);
  // 2 beats 1; 4 beats 1, 3; 6 beats 1, 3, 5; 8, 9 and 10 each beat 1, 3, 5, 7; none beats 11.
  EXPECT_EQ(result.u, 1 + 2 + 3 + 3 * 4);
  EXPECT_DOUBLE_EQ(result.p_value, enumerated_p(base, candidate));
}

TEST(MannWhitney, TiesUseTheTieCorrectedNormalApproximation) {
  // base {1, 2, 3, 3, 4} vs candidate {3, 4, 5, 6, 7}. Pooled and sorted:
  //   1b 2b 3b 3b 3c 4b 4c 5c 6c 7c  -> ranks 1, 2, (3+4+5)/3 = 4 for the 3s, 6.5 for the 4s.
  // Candidate rank sum 4 + 6.5 + 8 + 9 + 10 = 37.5, so U = 37.5 - 5 * 6 / 2 = 22.5.
  // mu = 5 * 5 / 2 = 12.5; ties: (27 - 3) + (8 - 2) = 30; N = 10;
  // sigma^2 = 25 / 12 * (11 - 30 / 90) = 22.2222..., sigma = 4.714045...
  // z = (22.5 - 12.5 - 0.5) / 4.714045 = 2.015254; p = erfc(z / sqrt 2) = 0.043878008.
  const MannWhitney result = mann_whitney_u(Samples{1, 2, 3, 3, 4}, Samples{3, 4, 5, 6, 7});
  EXPECT_FALSE(result.exact);
  EXPECT_EQ(result.u, 22.5);
  EXPECT_NEAR(result.p_value, 0.04387800789041377, 1e-12);
}

TEST(MannWhitney, IdenticalSamplesGivePOne) {
  const MannWhitney result = mann_whitney_u(kOneToFive, kOneToFive);
  EXPECT_EQ(result.u, 12.5);  // the null mean: no evidence either way
  EXPECT_EQ(result.p_value, 1);
  const MannWhitney all_tied = mann_whitney_u(Samples{4, 4, 4}, Samples{4, 4});
  EXPECT_EQ(all_tied.p_value, 1);
}

TEST(MannWhitney, LargeSamplesUseTheApproximation) {
  Samples base;
  Samples candidate;
  for (int i = 0; i < 21; ++i) {
    base.push_back(2 * i);
    candidate.push_back(2 * i + 1);
  }
  const MannWhitney result = mann_whitney_u(base, candidate);
  EXPECT_FALSE(result.exact);
  EXPECT_GT(result.p_value, 0.5);  // interleaved: no real difference
  EXPECT_LE(result.p_value, 1);
}

TEST(MannWhitney, EmptyOrNaNGivesNaN) {
  EXPECT_TRUE(std::isnan(mann_whitney_u(Samples{}, kOneToFive).p_value));
  EXPECT_TRUE(std::isnan(mann_whitney_u(kOneToFive, Samples{}).p_value));
  EXPECT_TRUE(std::isnan(mann_whitney_u(kOneToFive, Samples{1, NAN}).p_value));
  EXPECT_TRUE(std::isnan(mann_whitney_u(Samples{NAN}, kOneToFive).u));
}

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
  EXPECT_DOUBLE_EQ(result.p_value, 2.0 / 252);
  EXPECT_TRUE(result.significant);
  EXPECT_EQ(result.verdict, Verdict::regression);
  EXPECT_TRUE(result.exceeds_threshold);  // 0.90 < 1 - 0.05
  EXPECT_TRUE(result.few_repetitions);
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

TEST(Compare, FewRepetitionsBelowNine) {
  Samples nine_base;
  Samples nine_candidate;
  for (int i = 0; i < 9; ++i) {
    nine_base.push_back(10 + i);
    nine_candidate.push_back(20 + i);
  }
  const Comparison nine = compare(nine_base, nine_candidate, Better::lower);
  EXPECT_FALSE(nine.few_repetitions);
  EXPECT_EQ(nine.verdict, Verdict::regression);
  EXPECT_TRUE(nine.exceeds_threshold);
  EXPECT_TRUE(compare(nine_base, Samples(nine_candidate.begin() + 1, nine_candidate.end()))
                  .few_repetitions);
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
