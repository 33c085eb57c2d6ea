// The run-vs-run verdict (Welch's t-test on logarithms, Benjamini-Hochberg over a family, the
// bootstrap interval of the ratio of medians), the incomplete beta and Student's t CDF it
// needs, and the Mann-Whitney U test.
#include "analysis/stats/compare.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

namespace daxbench::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Up to this many samples per side, and without ties, the p-value is exact. Every count of
// the null distribution is then at most C(40, 20) ~ 1.4e11 < 2^53, so exact in a double, and
// the table takes microseconds. Beyond it the normal approximation is accurate to far more
// digits than anyone reads a p-value at. With ties the exact distribution would have to be
// conditioned on the tie pattern (a permutation test), which the counting recursion does not
// give, so ties always take the tie-corrected approximation.
constexpr std::size_t kExactLimit = 20;

bool has_nan(std::span<const double> samples) {
  return std::any_of(samples.begin(), samples.end(), [](double x) { return std::isnan(x); });
}

// The continued fraction of I_x(a, b) (Abramowitz & Stegun 26.5.8; Press et al., Numerical
// Recipes, 3rd ed., section 6.4), evaluated by the modified Lentz method. It converges quickly
// for x < (a + 1) / (a + b + 2); the caller uses the symmetry I_x(a, b) = 1 - I_1-x(b, a) above.
double beta_continued_fraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;  // keeps a vanishing denominator from dividing by zero
  constexpr double kEpsilon = 1e-16;
  constexpr int kMaxTerms = 10000;
  const auto guard = [](double value) { return std::abs(value) < kTiny ? kTiny : value; };
  double c = 1;
  double d = 1 / guard(1 - (a + b) * x / (a + 1));
  double fraction = d;
  for (int m = 1; m <= kMaxTerms; ++m) {
    const double twice_m = 2.0 * m;
    // The even step d_2m = m (b - m) x / ((a + 2m - 1)(a + 2m)) ...
    const double even = m * (b - m) * x / ((a + twice_m - 1) * (a + twice_m));
    d = 1 / guard(1 + even * d);
    c = guard(1 + even / c);
    fraction *= d * c;
    // ... and the odd step d_2m+1 = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)).
    const double odd = -(a + m) * (a + b + m) * x / ((a + twice_m) * (a + twice_m + 1));
    d = 1 / guard(1 + odd * d);
    c = guard(1 + odd / c);
    const double step = d * c;
    fraction *= step;
    if (std::abs(step - 1) < kEpsilon) break;
  }
  return fraction;
}

// I_x(a, b) with y = 1 - x given separately, so that x close to 1 loses no digits (the t
// distribution's tails need I near x = 1 for small t).
double incomplete_beta(double a, double b, double x, double y) {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  // x^a y^b / B(a, b), in logarithms: the powers alone under- or overflow for large a or b.
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                                a * std::log(x) + b * std::log(y));
  if (x < (a + 1) / (a + b + 2)) return front * beta_continued_fraction(a, b, x) / a;
  return 1 - front * beta_continued_fraction(b, a, y) / b;
}

// P(|T| >= |t|) for Student's t with df degrees of freedom: I_z(df / 2, 1 / 2) at
// z = df / (df + t^2), with z and 1 - z computed without cancellation or overflow.
double two_sided_t_p(double t, double df) {
  if (std::isinf(t)) return 0;
  const double t_squared = t * t;
  double z;
  double one_minus_z;
  if (t_squared > df) {
    const double r = df / t_squared;
    z = r / (1 + r);
    one_minus_z = 1 / (1 + r);
  } else {
    const double r = t_squared / df;
    z = 1 / (1 + r);
    one_minus_z = r / (1 + r);
  }
  return incomplete_beta(df / 2, 0.5, z, one_minus_z);
}

// Exactly 0 when every sample is the same value: the two-pass formula can leave a rounding
// residue there (the mean of three copies of ln 5 need not be ln 5 to the last bit).
double sample_variance(std::span<const double> samples) {
  const auto [low, high] = std::minmax_element(samples.begin(), samples.end());
  if (*low == *high) return 0;
  return stddev(samples) * stddev(samples);
}

std::vector<double> logarithms(std::span<const double> samples) {
  std::vector<double> logs;
  logs.reserve(samples.size());
  for (double x : samples) logs.push_back(std::log(x));
  return logs;
}

bool all_positive(std::span<const double> samples) {
  return std::all_of(samples.begin(), samples.end(), [](double x) { return x > 0; });
}

struct RankSums {
  double candidate_rank_sum;  // 1-based ranks in the pooled sample, midranks for ties
  double tie_term;            // sum over groups of tied values of t^3 - t
};

RankSums rank_pooled(std::span<const double> base, std::span<const double> candidate) {
  std::vector<std::pair<double, bool>> pooled;  // (value, is_candidate)
  pooled.reserve(base.size() + candidate.size());
  for (double x : base) pooled.emplace_back(x, false);
  for (double x : candidate) pooled.emplace_back(x, true);
  std::sort(pooled.begin(), pooled.end());

  RankSums sums{0, 0};
  for (std::size_t start = 0; start < pooled.size();) {
    std::size_t end = start;
    while (end < pooled.size() && pooled[end].first == pooled[start].first) ++end;
    // Positions start+1 .. end share their mean rank.
    const double midrank = static_cast<double>(start + 1 + end) / 2;
    const auto tied = static_cast<double>(end - start);
    sums.tie_term += tied * tied * tied - tied;
    for (std::size_t i = start; i < end; ++i)
      if (pooled[i].second) sums.candidate_rank_sum += midrank;
    start = end;
  }
  return sums;
}

// counts[k] = how many of the C(m + n, m) orderings of m base and n candidate values give the
// candidate U = k, by the recursion of Mann & Whitney (1947): the largest value is either a
// candidate, which beats all m base values (k - m left for the rest), or a base value, which
// beats nothing. f(m, n, k) = f(m, n - 1, k - m) + f(m - 1, n, k).
std::vector<double> null_distribution(std::size_t base_size, std::size_t candidate_size) {
  // previous[i] = f(i, j - 1, .) and current[i] = f(i, j, .) while j counts candidates up.
  std::vector<std::vector<double>> previous(base_size + 1, std::vector<double>{1});
  for (std::size_t j = 1; j <= candidate_size; ++j) {
    std::vector<std::vector<double>> current(base_size + 1);
    current[0] = {1};
    for (std::size_t i = 1; i <= base_size; ++i) {
      current[i].assign(i * j + 1, 0);
      for (std::size_t k = i; k - i < previous[i].size(); ++k) current[i][k] += previous[i][k - i];
      for (std::size_t k = 0; k < current[i - 1].size(); ++k) current[i][k] += current[i - 1][k];
    }
    previous = std::move(current);
  }
  return previous[base_size];
}

// Twice the smaller tail at u, at most 1.
double exact_two_sided_p(double u, std::size_t base_size, std::size_t candidate_size) {
  const std::vector<double> counts = null_distribution(base_size, candidate_size);
  const auto observed = static_cast<std::size_t>(u);
  double total = 0;
  double at_most = 0;
  double at_least = 0;
  for (std::size_t k = 0; k < counts.size(); ++k) {
    total += counts[k];
    if (k <= observed) at_most += counts[k];
    if (k >= observed) at_least += counts[k];
  }
  return std::min(1.0, 2 * std::min(at_most, at_least) / total);
}

// The large-sample approximation with the tie-corrected variance and a continuity correction
// of 1/2 toward the mean (Hollander, Wolfe & Chicken, Nonparametric Statistical Methods,
// 3rd ed., section 4.1; the same as scipy.stats.mannwhitneyu(method="asymptotic")):
//   mu = m n / 2,  sigma^2 = m n / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1))),  N = m + n,
//   z = max(|U - mu| - 1/2, 0) / sigma,  p = 2 (1 - Phi(z)) = erfc(z / sqrt 2).
double approximate_two_sided_p(double u, double tie_term, std::size_t base_size,
                               std::size_t candidate_size) {
  const auto m = static_cast<double>(base_size);
  const auto n = static_cast<double>(candidate_size);
  const double pooled = m + n;
  const double mean_u = m * n / 2;
  const double variance = m * n / 12 * ((pooled + 1) - tie_term / (pooled * (pooled - 1)));
  const double distance = std::max(std::abs(u - mean_u) - 0.5, 0.0);
  // All values tied (variance 0): U sits at its mean and nothing speaks against the null.
  if (!(variance > 0)) return 1;
  return std::min(1.0, std::erfc(distance / std::sqrt(variance) / std::sqrt(2.0)));
}

Verdict verdict_of(Better better, bool significant, bool candidate_higher) {
  if (!significant || better == Better::neither) return Verdict::same;
  const bool candidate_better = (better == Better::higher) == candidate_higher;
  return candidate_better ? Verdict::improvement : Verdict::regression;
}

}  // namespace

double regularized_incomplete_beta(double a, double b, double x) {
  if (!(a > 0 && b > 0 && x >= 0 && x <= 1)) return kNaN;  // NaN arguments fail here too
  return incomplete_beta(a, b, x, 1 - x);
}

double student_t_cdf(double t, double df) {
  if (std::isnan(t) || !(df > 0)) return kNaN;
  const double tail = two_sided_t_p(t, df) / 2;  // P(T <= -|t|)
  return t > 0 ? 1 - tail : tail;
}

WelchT welch_t_test(std::span<const double> base, std::span<const double> candidate,
                    double min_variance) {
  if (base.size() < 2 || candidate.size() < 2 || has_nan(base) || has_nan(candidate))
    return {kNaN, kNaN, kNaN};
  const auto base_size = static_cast<double>(base.size());
  const auto candidate_size = static_cast<double>(candidate.size());
  const double difference = mean(candidate) - mean(base);
  // The squared standard errors of the two means.
  const double base_error = std::max(sample_variance(base), min_variance) / base_size;
  const double candidate_error =
      std::max(sample_variance(candidate), min_variance) / candidate_size;
  const double error = base_error + candidate_error;
  if (!(error > 0)) {
    // No spread on either side: the values are exact (counts), so they differ or they do not.
    const double df = base_size + candidate_size - 2;
    if (difference == 0) return {0, df, 1};
    return {std::copysign(std::numeric_limits<double>::infinity(), difference), df, 0};
  }
  const double t = difference / std::sqrt(error);
  // Welch-Satterthwaite, written with the shares of the error so that tiny variances cannot
  // underflow when squared: df = 1 / (w_b^2 / (n_b - 1) + w_c^2 / (n_c - 1)).
  const double base_share = base_error / error;
  const double candidate_share = candidate_error / error;
  const double df = 1 / (base_share * base_share / (base_size - 1) +
                         candidate_share * candidate_share / (candidate_size - 1));
  return {t, df, two_sided_t_p(t, df)};
}

std::vector<double> benjamini_hochberg(std::span<const double> p_values) {
  std::vector<std::size_t> order;  // the family: every test that ran, by ascending p
  for (std::size_t i = 0; i < p_values.size(); ++i)
    if (!std::isnan(p_values[i])) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return p_values[a] < p_values[b]; });
  std::vector<double> adjusted(p_values.size(), kNaN);
  const auto family_size = static_cast<double>(order.size());
  // From the largest p down, so that each q is the minimum over the ranks at and above it.
  double running_min = 1;
  for (std::size_t rank = order.size(); rank > 0; --rank) {
    const std::size_t i = order[rank - 1];
    running_min = std::min(running_min, p_values[i] * family_size / static_cast<double>(rank));
    adjusted[i] = running_min;
  }
  return adjusted;
}

MannWhitney mann_whitney_u(std::span<const double> base, std::span<const double> candidate) {
  // NaN has no rank (and would break the sort's ordering).
  if (base.empty() || candidate.empty() || has_nan(base) || has_nan(candidate))
    return {kNaN, kNaN, false};
  const RankSums sums = rank_pooled(base, candidate);
  const auto n = static_cast<double>(candidate.size());
  const double u = sums.candidate_rank_sum - n * (n + 1) / 2;
  if (sums.tie_term == 0 && base.size() <= kExactLimit && candidate.size() <= kExactLimit)
    return {u, exact_two_sided_p(u, base.size(), candidate.size()), true};
  return {u, approximate_two_sided_p(u, sums.tie_term, base.size(), candidate.size()), false};
}

std::string_view to_string(Better better) {
  switch (better) {
    case Better::higher:
      return "higher";
    case Better::lower:
      return "lower";
    case Better::neither:
      return "neither";
  }
  return "neither";
}

Better better_from_string(std::string_view text) {
  for (Better better : {Better::higher, Better::lower, Better::neither})
    if (to_string(better) == text) return better;
  throw std::invalid_argument("better must be \"higher\", \"lower\" or \"neither\", not \"" +
                              std::string(text) + "\"");
}

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::same:
      return "same";
    case Verdict::improvement:
      return "improvement";
    case Verdict::regression:
      return "regression";
  }
  return "same";
}

namespace {

// Everything about one member that does not depend on the family: the ratio, its interval and
// the test. Welch on ln x: run-to-run noise is multiplicative (a slower machine slows every
// repetition by a factor), and a ratio is a difference of logarithms.
Comparison measure(const ComparedSamples& samples, double alpha) {
  Comparison result{};
  result.ratio = median(samples.candidate) / median(samples.base);
  result.ci = ratio_ci(samples.base, samples.candidate, 1 - alpha);
  result.enough_repetitions =
      std::min(samples.base.size(), samples.candidate.size()) >= kMinRepetitions;
  result.log_scale = all_positive(samples.base) && all_positive(samples.candidate);
  result.t = result.df = result.p_value = result.p_adjusted = kNaN;
  if (result.enough_repetitions) {
    const WelchT welch =
        result.log_scale
            ? welch_t_test(logarithms(samples.base), logarithms(samples.candidate), kMinLogVariance)
            : welch_t_test(samples.base, samples.candidate);
    result.t = welch.t;
    result.df = welch.df;
    result.p_value = welch.p_value;
  }
  return result;
}

// The verdict from the family-adjusted p-value. The interval of the ratio of medians must
// exclude 1 on the side the means moved: a change carried by one outlying repetition moves the
// mean, not the median. NaNs compare false and so are never significant.
void judge(Comparison& result, Better better, double threshold, double alpha) {
  const bool candidate_higher = result.ci.low > 1 && result.t > 0;
  const bool candidate_lower = result.ci.high < 1 && result.t < 0;
  result.significant = result.enough_repetitions && result.p_adjusted < alpha &&
                       (candidate_higher || candidate_lower);
  result.verdict = verdict_of(better, result.significant, candidate_higher);
  const bool worse_than_threshold =
      better == Better::higher ? result.ratio < 1 - threshold : result.ratio > 1 + threshold;
  result.exceeds_threshold = result.verdict == Verdict::regression && worse_than_threshold;
}

}  // namespace

std::vector<Comparison> compare_family(std::span<const ComparedSamples> family, double threshold,
                                       double alpha) {
  if (!(alpha > 0 && alpha < 1)) throw std::invalid_argument("alpha must be between 0 and 1");
  if (!(threshold >= 0)) throw std::invalid_argument("threshold must not be negative");
  std::vector<Comparison> results;
  results.reserve(family.size());
  std::vector<double> p_values;
  p_values.reserve(family.size());
  for (const ComparedSamples& member : family) {
    results.push_back(measure(member, alpha));
    p_values.push_back(results.back().p_value);
  }
  const std::vector<double> adjusted = benjamini_hochberg(p_values);
  for (std::size_t i = 0; i < results.size(); ++i) {
    results[i].p_adjusted = adjusted[i];
    judge(results[i], family[i].better, threshold, alpha);
  }
  return results;
}

Comparison compare(std::span<const double> base, std::span<const double> candidate, Better better,
                   double threshold, double alpha) {
  const ComparedSamples member{base, candidate, better};
  return compare_family(std::span(&member, 1), threshold, alpha).front();
}

}  // namespace daxbench::stats
