// Unit tests for analysis/stats/compare: the incomplete beta and Student's t CDF, Welch's
// t-test, the Mann-Whitney U test and the run-vs-run verdict (the significance rule).
// Reference values: mpmath.betainc at 40 digits and scipy.stats.ttest_ind(equal_var=False).
#include "analysis/stats/compare.h"

#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>
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

// ---- the distributions ---------------------------------------------------------------------

TEST(CompareIncompleteBeta, ClosedForms) {
  for (double x : {0.0, 0.01, 0.3, 0.5, 0.77, 0.999, 1.0}) {
    EXPECT_NEAR(regularized_incomplete_beta(3.5, 1, x), std::pow(x, 3.5), 1e-14) << x;
    EXPECT_NEAR(regularized_incomplete_beta(1, 2.5, x), 1 - std::pow(1 - x, 2.5), 1e-14) << x;
    // I_x(2, 2) = 3x^2 - 2x^3; I_x(a, b) = 1 - I_1-x(b, a).
    EXPECT_NEAR(regularized_incomplete_beta(2, 2, x), 3 * x * x - 2 * x * x * x, 1e-14) << x;
    EXPECT_NEAR(regularized_incomplete_beta(4.5, 0.5, x),
                1 - regularized_incomplete_beta(0.5, 4.5, 1 - x), 1e-14)
        << x;
  }
  // I_1/2(a, a) = 1/2 by symmetry; I_x(1/2, 1/2) = 2 asin(sqrt x) / pi (the arcsine law).
  EXPECT_NEAR(regularized_incomplete_beta(7.25, 7.25, 0.5), 0.5, 1e-14);
  EXPECT_NEAR(regularized_incomplete_beta(0.5, 0.5, 0.3),
              2 * std::asin(std::sqrt(0.3)) / std::numbers::pi, 1e-14);
}

TEST(CompareIncompleteBeta, KnownValues) {
  EXPECT_NEAR(regularized_incomplete_beta(2, 3, 0.4), 0.5248, 1e-14);
  EXPECT_NEAR(regularized_incomplete_beta(5, 0.5, 0.9), 0.31664291502001231, 1e-13);
  EXPECT_NEAR(regularized_incomplete_beta(10, 20, 0.3), 0.36400408107194423, 1e-13);
  EXPECT_NEAR(regularized_incomplete_beta(1.5, 0.5, 0.999), 0.95974334188496820, 1e-13);
  EXPECT_NEAR(regularized_incomplete_beta(200, 0.5, 0.99), 0.045094107137079686, 1e-12);
  EXPECT_NEAR(regularized_incomplete_beta(0.5, 7.25, 0.01), 0.29251140043724787, 1e-13);
}

TEST(CompareIncompleteBeta, OutsideTheDomainIsNaN) {
  EXPECT_TRUE(std::isnan(regularized_incomplete_beta(0, 1, 0.5)));
  EXPECT_TRUE(std::isnan(regularized_incomplete_beta(1, -1, 0.5)));
  EXPECT_TRUE(std::isnan(regularized_incomplete_beta(1, 1, 1.5)));
  EXPECT_TRUE(std::isnan(regularized_incomplete_beta(1, 1, NAN)));
}

TEST(CompareStudentT, ClosedFormsForOneAndTwoDegrees) {
  for (double t : {-30.0, -2.5, -0.4, 0.0, 1e-9, 0.7, 3.0, 100.0}) {
    // df 1 is the Cauchy distribution, df 2 has F(t) = 1/2 + t / (2 sqrt(2 + t^2)).
    EXPECT_NEAR(student_t_cdf(t, 1), 0.5 + std::atan(t) / std::numbers::pi, 1e-14) << t;
    EXPECT_NEAR(student_t_cdf(t, 2), 0.5 + t / (2 * std::sqrt(2 + t * t)), 1e-14) << t;
  }
}

TEST(CompareStudentT, KnownValues) {
  // The two-sided 5% critical values of the tables: F = 0.975.
  EXPECT_NEAR(student_t_cdf(12.706204736174707, 1), 0.975, 1e-14);
  EXPECT_NEAR(student_t_cdf(2.776445105197793, 4), 0.975, 1e-14);
  EXPECT_NEAR(student_t_cdf(-2.776445105197793, 4), 0.025, 1e-14);
  // Non-integer degrees of freedom, as Welch's test has.
  EXPECT_NEAR(student_t_cdf(-1.5, 2.5), 0.12391822654314813, 1e-13);
  EXPECT_NEAR(student_t_cdf(0.3, 3.7), 0.60986625643426885, 1e-13);
  EXPECT_NEAR(student_t_cdf(-7, 2.2), 0.0076418813826904536, 1e-14);
  // Far tail: the small probability keeps its relative precision.
  EXPECT_NEAR(1 - student_t_cdf(40, 3), 1.7190340394579264e-5, 1e-15);
  EXPECT_NEAR(student_t_cdf(-40, 3), 1.7190340394579264e-5, 1e-15);
  // Near 0 and at many degrees of freedom (the normal: Phi(2) = 0.97725).
  EXPECT_NEAR(student_t_cdf(1e-8, 5), 0.50000000379606690, 1e-15);
  EXPECT_NEAR(student_t_cdf(2, 1e6), 0.97724973307434040, 1e-9);
  EXPECT_EQ(student_t_cdf(std::numeric_limits<double>::infinity(), 3), 1);
  EXPECT_EQ(student_t_cdf(-std::numeric_limits<double>::infinity(), 3), 0);
  EXPECT_TRUE(std::isnan(student_t_cdf(1, 0)));
  EXPECT_TRUE(std::isnan(student_t_cdf(NAN, 3)));
}

// ---- Welch's t-test --------------------------------------------------------------------------

TEST(CompareWelch, MatchesScipy) {
  // Wikipedia's "Welch's t-test" example A1 vs A2: t 2.46, df 25.0, p 0.021.
  const Samples a1 = {27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1,
                      21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4};
  const Samples a2 = {27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0,
                      24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4};
  const WelchT result = welch_t_test(a1, a2);
  EXPECT_NEAR(result.t, 2.455356398286006, 1e-12);
  EXPECT_NEAR(result.df, 24.988529290231416, 1e-10);
  EXPECT_NEAR(result.p_value, 0.021378001462866985, 1e-13);
  // Unequal spreads, 3 a side: df falls toward the smaller side's n - 1.
  const WelchT skewed = welch_t_test(Samples{1, 2, 3}, Samples{2, 4, 9});
  EXPECT_NEAR(skewed.t, 1.3887301496588274, 1e-12);
  EXPECT_NEAR(skewed.df, 2.3058823529411763, 1e-12);
  EXPECT_NEAR(skewed.p_value, 0.28383440496170864, 1e-12);
}

TEST(CompareWelch, NoSpreadMeansExactValues) {
  const WelchT same = welch_t_test(Samples{5, 5, 5}, Samples{5, 5, 5});
  EXPECT_EQ(same.t, 0);
  EXPECT_EQ(same.p_value, 1);
  const WelchT more = welch_t_test(Samples{5, 5, 5}, Samples{6, 6, 6});
  EXPECT_EQ(more.t, std::numeric_limits<double>::infinity());
  EXPECT_EQ(more.p_value, 0);
  EXPECT_EQ(more.df, 4);
  // One side without spread: the other side's variance alone, df = its n - 1.
  const WelchT one_sided = welch_t_test(Samples{5, 5, 5}, Samples{6, 7, 8});
  EXPECT_NEAR(one_sided.t, 2 / std::sqrt(1.0 / 3), 1e-12);
  EXPECT_NEAR(one_sided.df, 2, 1e-12);
}

TEST(CompareWelch, MinimumVariance) {
  // Both sides without spread: the floor alone, n - 1 a side.
  const WelchT floored = welch_t_test(Samples{1, 1, 1}, Samples{1.1, 1.1, 1.1}, 0.0003);
  EXPECT_NEAR(floored.t, 0.1 / std::sqrt(2 * 0.0003 / 3), 1e-12);
  EXPECT_NEAR(floored.df, 4, 1e-12);
  // A floor below the spread changes nothing.
  const WelchT above = welch_t_test(Samples{1, 2, 3}, Samples{2, 4, 9}, 0.5);
  EXPECT_NEAR(above.p_value, 0.28383440496170864, 1e-12);
}

TEST(CompareWelch, FewerThanTwoOrNaNGiveNaN) {
  EXPECT_TRUE(std::isnan(welch_t_test(Samples{1}, kOneToFive).p_value));
  EXPECT_TRUE(std::isnan(welch_t_test(kOneToFive, Samples{}).t));
  EXPECT_TRUE(std::isnan(welch_t_test(kOneToFive, Samples{1, NAN}).df));
}

// ---- Benjamini-Hochberg -----------------------------------------------------------------------

TEST(CompareBenjaminiHochberg, AdjustsInTheGivenOrder) {
  // Sorted 0.005, 0.01, 0.03, 0.04 (m = 4): m p / rank = 0.02, 0.02, 0.04, 0.04, and each q is
  // the minimum of those at its rank and above.
  const std::vector<double> q = benjamini_hochberg(Samples{0.01, 0.04, 0.03, 0.005});
  ASSERT_EQ(q.size(), 4u);
  EXPECT_NEAR(q[0], 0.02, 1e-15);
  EXPECT_NEAR(q[1], 0.04, 1e-15);
  EXPECT_NEAR(q[2], 0.04, 1e-15);
  EXPECT_NEAR(q[3], 0.02, 1e-15);
  // The minimum from above: a large p at rank 2 takes the smaller q of rank 3.
  const std::vector<double> monotone = benjamini_hochberg(Samples{0.001, 0.03, 0.031});
  EXPECT_NEAR(monotone[0], 0.003, 1e-15);
  EXPECT_NEAR(monotone[1], 0.031, 1e-15);
  EXPECT_NEAR(monotone[2], 0.031, 1e-15);
  // Capped at 1; a family of one is unchanged; NaNs are no part of the family.
  EXPECT_EQ(benjamini_hochberg(Samples{0.9, 0.8})[0], 0.9);
  EXPECT_EQ(benjamini_hochberg(Samples{0.9, 0.8})[1], 0.9);
  EXPECT_EQ(benjamini_hochberg(Samples{0.2})[0], 0.2);
  const std::vector<double> with_nan = benjamini_hochberg(Samples{0.01, NAN, 0.02});
  EXPECT_NEAR(with_nan[0], 0.02, 1e-15);
  EXPECT_TRUE(std::isnan(with_nan[1]));
  EXPECT_NEAR(with_nan[2], 0.02, 1e-15);
  EXPECT_TRUE(benjamini_hochberg(Samples{}).empty());
}

// ---- the Mann-Whitney U test (a library function, not the verdict) --------------------------

TEST(CompareMannWhitney, SeparatedSamplesGiveTheExtremeUAndExactP) {
  const MannWhitney higher = mann_whitney_u(kOneToFive, kSixToTen);
  EXPECT_EQ(higher.u, 25);  // every candidate value beats every base value
  EXPECT_TRUE(higher.exact);
  // Only 2 of the C(10, 5) = 252 orderings are this extreme (all higher or all lower).
  EXPECT_DOUBLE_EQ(higher.p_value, 2.0 / 252);

  const MannWhitney lower = mann_whitney_u(kSixToTen, kOneToFive);
  EXPECT_EQ(lower.u, 0);
  EXPECT_DOUBLE_EQ(lower.p_value, 2.0 / 252);
}

TEST(CompareMannWhitney, ExactPMatchesBruteForceEnumeration) {
  const Samples base = {1, 3, 5, 7, 11};
  const Samples candidate = {2, 4, 6, 8, 9, 10};
  const MannWhitney result = mann_whitney_u(base, candidate);
  EXPECT_TRUE(result.exact);
  // 2 beats 1; 4 beats 1, 3; 6 beats 1, 3, 5; 8, 9 and 10 each beat 1, 3, 5, 7; none beats 11.
  EXPECT_EQ(result.u, 1 + 2 + 3 + 3 * 4);
  EXPECT_DOUBLE_EQ(result.p_value, enumerated_p(base, candidate));
}

TEST(CompareMannWhitney, TiesUseTheTieCorrectedNormalApproximation) {
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

TEST(CompareMannWhitney, IdenticalSamplesGivePOne) {
  const MannWhitney result = mann_whitney_u(kOneToFive, kOneToFive);
  EXPECT_EQ(result.u, 12.5);  // the null mean: no evidence either way
  EXPECT_EQ(result.p_value, 1);
  const MannWhitney all_tied = mann_whitney_u(Samples{4, 4, 4}, Samples{4, 4});
  EXPECT_EQ(all_tied.p_value, 1);
}

TEST(CompareMannWhitney, LargeSamplesUseTheApproximation) {
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

TEST(CompareMannWhitney, EmptyOrNaNGivesNaN) {
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
