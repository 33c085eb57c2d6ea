// The Mann-Whitney U test (exact or normal approximation) and the run-vs-run verdict.
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

Comparison compare(std::span<const double> base, std::span<const double> candidate, Better better,
                   double threshold, double alpha) {
  if (!(alpha > 0 && alpha < 1)) throw std::invalid_argument("alpha must be between 0 and 1");
  if (!(threshold >= 0)) throw std::invalid_argument("threshold must not be negative");

  Comparison result{};
  result.ratio = median(candidate) / median(base);
  result.ci = ratio_ci(base, candidate, 1 - alpha);
  result.p_value = mann_whitney_u(base, candidate).p_value;
  // The direction comes from the interval, not the point ratio: when it excludes 1 the whole
  // interval is on one side. NaNs (empty samples) compare false and so are never significant.
  const bool candidate_higher = result.ci.low > 1;
  const bool candidate_lower = result.ci.high < 1;
  result.significant = result.p_value < alpha && (candidate_higher || candidate_lower);
  result.verdict = verdict_of(better, result.significant, candidate_higher);
  const bool worse_than_threshold =
      better == Better::higher ? result.ratio < 1 - threshold : result.ratio > 1 + threshold;
  result.exceeds_threshold = result.verdict == Verdict::regression && worse_than_threshold;
  result.few_repetitions = std::min(base.size(), candidate.size()) < kFewRepetitions;
  return result;
}

}  // namespace daxbench::stats
