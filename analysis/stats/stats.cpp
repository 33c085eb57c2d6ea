// Summary statistics: order statistics, moments and the bootstrap confidence intervals.
#include "analysis/stats/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace daxbench::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr Interval kNaNInterval{kNaN, kNaN};

bool has_nan(std::span<const double> samples) {
  return std::any_of(samples.begin(), samples.end(), [](double x) { return std::isnan(x); });
}

// numpy's _lerp, step for step, so our quantiles match np.quantile to the last bit: from
// fraction 0.5 on it interpolates back from `above`, which is exact at fraction 1.
double interpolate_like_numpy(double below, double above, double fraction) {
  const double difference = above - below;
  if (fraction >= 0.5) return above - difference * (1 - fraction);
  return below + difference * fraction;
}

// The median of a non-empty, NaN-free scratch buffer, which it reorders. Selection instead of
// a full sort: the bootstrap calls this thousands of times.
double median_in_place(std::span<double> values) {
  const std::size_t middle = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + middle, values.end());
  const double upper_middle = values[middle];
  if (values.size() % 2 == 1) return upper_middle;
  // nth_element leaves the smaller half in front, so the lower middle value is its maximum.
  const double lower_middle = *std::max_element(values.begin(), values.begin() + middle);
  return (lower_middle + upper_middle) / 2;  // as numpy: the mean of the two
}

// Type 7 quantile of a non-empty, NaN-free scratch buffer, which it reorders.
double quantile_in_place(std::span<double> values, double q) {
  const double position = static_cast<double>(values.size() - 1) * q;
  const double floor_position = std::floor(position);
  const auto below_index = static_cast<std::size_t>(floor_position);
  std::nth_element(values.begin(), values.begin() + below_index, values.end());
  const double below = values[below_index];
  if (below_index + 1 >= values.size()) return below;
  const double above = *std::min_element(values.begin() + below_index + 1, values.end());
  return interpolate_like_numpy(below, above, position - floor_position);
}

// splitmix64 (Steele, Lea & Flood 2014), written out rather than std::mt19937 with a
// std::uniform_int_distribution, whose output differs between standard libraries: a seed must
// mean the same resamples everywhere, including in the Python binding.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, bound), bound > 0. Draws below 2^64 mod bound are rejected so that every
  // residue is equally likely; a plain `next() % bound` would favour small indices.
  std::uint64_t below(std::uint64_t bound) {
    const std::uint64_t rejection_threshold = (std::uint64_t{0} - bound) % bound;
    for (;;) {
      const std::uint64_t draw = next();
      if (draw >= rejection_threshold) return draw % bound;
    }
  }

 private:
  std::uint64_t state_;
};

void check_bootstrap_arguments(double confidence, std::size_t resamples) {
  if (!(confidence > 0 && confidence < 1))
    throw std::invalid_argument("confidence must be strictly between 0 and 1");
  if (resamples == 0) throw std::invalid_argument("resamples must be at least 1");
}

// Fills `resample` (already sized) with draws, with replacement, from `samples`.
void draw_resample(std::span<const double> samples, SplitMix64& generator,
                   std::vector<double>& resample) {
  for (double& value : resample) value = samples[generator.below(samples.size())];
}

// The percentile interval: the central `confidence` share of the bootstrap estimates. Chosen
// over the BCa or studentized intervals because it needs no jackknife or variance model, stays
// within the range of the statistic and is easy to reproduce from the raw samples.
Interval central_interval(std::vector<double>& estimates, double confidence) {
  const double tail = (1 - confidence) / 2;
  return {quantile_in_place(estimates, tail), quantile_in_place(estimates, 1 - tail)};
}

}  // namespace

double median(std::span<const double> samples) {
  if (samples.empty() || has_nan(samples)) return kNaN;
  std::vector<double> scratch(samples.begin(), samples.end());
  return median_in_place(scratch);
}

double mean(std::span<const double> samples) {
  if (samples.empty()) return kNaN;
  return std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
}

double stddev(std::span<const double> samples) {
  if (samples.size() < 2) return 0;
  // Two passes (deviations from the mean) rather than sum of squares minus square of sum,
  // which cancels catastrophically for tight samples far from zero, i.e. most timings.
  const double average = mean(samples);
  double sum_of_squares = 0;
  for (double x : samples) sum_of_squares += (x - average) * (x - average);
  return std::sqrt(sum_of_squares / static_cast<double>(samples.size() - 1));
}

double cv(std::span<const double> samples) {
  const double average = mean(samples);
  if (average == 0) return 0;
  return stddev(samples) / average;
}

double min(std::span<const double> samples) {
  if (samples.empty() || has_nan(samples)) return kNaN;
  return *std::min_element(samples.begin(), samples.end());
}

double max(std::span<const double> samples) {
  if (samples.empty() || has_nan(samples)) return kNaN;
  return *std::max_element(samples.begin(), samples.end());
}

double quantile(std::span<const double> samples, double q) {
  if (!(q >= 0 && q <= 1)) throw std::invalid_argument("quantile must be within [0, 1]");
  if (samples.empty() || has_nan(samples)) return kNaN;
  std::vector<double> scratch(samples.begin(), samples.end());
  return quantile_in_place(scratch, q);
}

Interval bootstrap_median_ci(std::span<const double> samples, double confidence,
                             std::size_t resamples, std::uint64_t seed) {
  check_bootstrap_arguments(confidence, resamples);
  if (samples.empty() || has_nan(samples)) return kNaNInterval;
  if (samples.size() == 1) return {samples[0], samples[0]};

  SplitMix64 generator(seed);
  std::vector<double> resample(samples.size());
  std::vector<double> medians;
  medians.reserve(resamples);
  for (std::size_t i = 0; i < resamples; ++i) {
    draw_resample(samples, generator, resample);
    medians.push_back(median_in_place(resample));
  }
  return central_interval(medians, confidence);
}

Interval ratio_ci(std::span<const double> base, std::span<const double> candidate,
                  double confidence, std::size_t resamples, std::uint64_t seed) {
  check_bootstrap_arguments(confidence, resamples);
  if (base.empty() || candidate.empty() || has_nan(base) || has_nan(candidate)) return kNaNInterval;

  // One stream for both sides, base first then candidate in every round: still independent
  // draws, and the whole interval follows from the one seed.
  SplitMix64 generator(seed);
  std::vector<double> base_resample(base.size());
  std::vector<double> candidate_resample(candidate.size());
  std::vector<double> ratios;
  ratios.reserve(resamples);
  for (std::size_t i = 0; i < resamples; ++i) {
    draw_resample(base, generator, base_resample);
    draw_resample(candidate, generator, candidate_resample);
    const double ratio = median_in_place(candidate_resample) / median_in_place(base_resample);
    if (std::isnan(ratio)) return kNaNInterval;  // 0 / 0: no ratio to speak of
    ratios.push_back(ratio);
  }
  return central_interval(ratios, confidence);
}

Summary summarize(std::span<const double> samples) {
  return {
      .n = samples.size(),
      .median = median(samples),
      .mean = mean(samples),
      .stddev = stddev(samples),
      .cv = cv(samples),
      .min = min(samples),
      .max = max(samples),
      .ci = bootstrap_median_ci(samples),
  };
}

}  // namespace daxbench::stats
