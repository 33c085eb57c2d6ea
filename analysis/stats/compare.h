// Run-vs-run comparison of a metric: the significance rule that `daxbench compare`, the
// reports' "vs baseline" marks and the dashboard all use (exported to Python as `_daxstats`),
// with the distribution functions it needs, and the Mann-Whitney U test.
//
// The rule, in one place (compare_family(); compare() is a family of one):
//  - fewer than kMinRepetitions repetitions on either side: not enough, nothing is judged;
//  - Welch's t-test on ln(sample), each side's variance at least kMinLogVariance (the
//    resolution of a measurement), gives a two-sided p-value;
//  - the p-values of a family (one metric over every case judged at once) are adjusted by
//    Benjamini-Hochberg, so that many cases do not make a false flag likely;
//  - significant: adjusted p < alpha, and the 1 - alpha bootstrap interval of the ratio of
//    medians excludes 1 on the side the means moved.
// docs/analysis.md says why, and what the rule can and cannot see at small n.
#pragma once

#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/stats/stats.h"

namespace daxbench::stats {

// The regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b), for a, b > 0 and
// 0 <= x <= 1 (the CDF of the Beta(a, b) distribution at x). NaN outside that domain.
double regularized_incomplete_beta(double a, double b, double x);

// The CDF of Student's t distribution with `df` degrees of freedom (df > 0, not necessarily an
// integer, as Welch's test needs): P(T <= t). NaN when df <= 0 or an argument is NaN.
double student_t_cdf(double t, double df);

struct WelchT {
  // (mean(candidate) - mean(base)) / sqrt(var(base) / n_base + var(candidate) / n_candidate),
  // sample variances (n - 1). +-inf when both variances are 0 and the means differ.
  double t;
  // Welch-Satterthwaite degrees of freedom; n_base + n_candidate - 2 when both variances are 0.
  double df;
  // Two-sided p-value of "equal means". With both variances 0 (every repetition alike on each
  // side, as exact counts are): 1 when the means are equal, 0 when they differ.
  double p_value;
};

// Welch's unequal-variance t-test on the samples as given (compare() passes logarithms). Each
// side's sample variance is taken as at least `min_variance`. All NaN when a side has fewer
// than two samples or holds a NaN.
WelchT welch_t_test(std::span<const double> base, std::span<const double> candidate,
                    double min_variance = 0);

// Benjamini-Hochberg adjusted p-values of a family of tests, in the order given:
// q_(i) = min over k >= i of min(1, m p_(k) / k) with the p-values sorted ascending. Rejecting
// where q < alpha keeps the expected share of false rejections among the rejections at alpha,
// and the chance of any false rejection at alpha when nothing changed. NaN p-values (tests
// that could not run) are not counted in m and stay NaN.
std::vector<double> benjamini_hochberg(std::span<const double> p_values);

struct MannWhitney {
  // U of the candidate: the number of (base, candidate) pairs where the candidate value is the
  // larger, ties counting one half. 0 .. n_base * n_candidate; NaN when a sample is empty or
  // holds a NaN.
  double u;
  // Two-sided p-value of "both samples come from the same distribution". NaN when either
  // sample is empty or holds a NaN.
  double p_value;
  // True when p_value is the exact null distribution, false for the normal approximation.
  bool exact;
};

// The samples are independent repetitions of two runs, in any order. Not part of the verdict
// (with 3 and 3 repetitions its smallest two-sided p is 0.1): a rank test for other analyses.
MannWhitney mann_whitney_u(std::span<const double> base, std::span<const double> candidate);

// Which direction of a metric is good: ops/s is `higher`, latencies are `lower`, counts that
// merely describe the workload are `neither` (a change is reported, never judged).
enum class Better { higher, lower, neither };

std::string_view to_string(Better better);
// Throws std::invalid_argument for anything but "higher", "lower" or "neither".
Better better_from_string(std::string_view text);

enum class Verdict { same, improvement, regression };

std::string_view to_string(Verdict verdict);

inline constexpr double kDefaultThreshold = 0.05;
inline constexpr double kDefaultAlpha = 0.05;
// Fewer repetitions than this on either side are not enough to judge a change: one sample
// has no spread at all, and two give a spread from a single difference, too rough to tell
// noise from a change (LKP's comparison also wants 3 samples a side).
inline constexpr std::size_t kMinRepetitions = 3;
// The finest any compared metric resolves: latency percentiles come from a histogram with 32
// buckets per power of two (values within 1/32), and identical repetitions there mean "the
// same bucket", not "exact". The variance of ln x is taken as at least that of a uniform error
// over one such bucket, ln(1 + 1/32)^2 / 12, i.e. a spread of 0.9%.
inline const double kMinLogVariance = std::log1p(1.0 / 32) * std::log1p(1.0 / 32) / 12;

struct Comparison {
  double ratio;  // median(candidate) / median(base)
  Interval ci;   // ratio_ci at confidence 1 - alpha, default resamples and seed
  // Welch's t-test on ln(sample) with kMinLogVariance when every sample of both sides is > 0
  // (a ratio then is a difference of logarithms), else on the samples as they are
  // (`log_scale` false). All NaN without enough repetitions.
  double t;
  double df;
  double p_value;
  double p_adjusted;  // Benjamini-Hochberg within the family; p_value in a family of one
  bool log_scale;
  bool enough_repetitions;  // min(n_base, n_candidate) >= kMinRepetitions
  // enough_repetitions, p_adjusted < alpha, the ratio interval excludes 1, and t points the
  // same way as the interval.
  bool significant;
  Verdict verdict;         // `same` unless significant; always `same` for Better::neither
  bool exceeds_threshold;  // a regression whose ratio is worse than 1 -/+ threshold
};

// One member of a family: a metric's repetitions in the base and in the candidate run. Views:
// the samples they point at must outlive the compare_family call.
struct ComparedSamples {
  std::span<const double> base;
  std::span<const double> candidate;
  Better better = Better::higher;
};

// The rule above for a family judged at once, one Comparison per member in the given order.
// A family is one metric over every case a comparison judges (compare: each compared metric
// over the cases both runs have; a report: its "vs baseline" cells; the dashboard: one metric
// over the cases of one run). Throws std::invalid_argument unless 0 < alpha < 1 and
// threshold >= 0.
std::vector<Comparison> compare_family(std::span<const ComparedSamples> family,
                                       double threshold = kDefaultThreshold,
                                       double alpha = kDefaultAlpha);

// A family of one: a candidate run's repetitions of one metric against a base run's.
Comparison compare(std::span<const double> base, std::span<const double> candidate,
                   Better better = Better::higher, double threshold = kDefaultThreshold,
                   double alpha = kDefaultAlpha);

}  // namespace daxbench::stats
