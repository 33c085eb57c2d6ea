// Unit tests for the statistical tests analysis/stats/compare is built on: the incomplete
// beta and Student's t CDF, Welch's t-test, Benjamini-Hochberg and the Mann-Whitney U test.
// Reference values: mpmath.betainc at 40 digits and scipy.stats.ttest_ind(equal_var=False).
// The run-vs-run verdict built from them is compare_test.cpp.
#include "analysis/stats/compare.h"

#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>
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

}  // namespace
}  // namespace daxbench::stats
