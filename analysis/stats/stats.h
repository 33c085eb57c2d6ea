// Summary statistics over benchmark repetitions, shared by the driver and (via pybind11) the plots.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace daxbench::stats {

// A closed interval [low, high]; both NaN when it cannot be computed (no samples).
struct Interval {
  double low;
  double high;
};

inline constexpr double kDefaultConfidence = 0.95;
inline constexpr std::size_t kDefaultResamples = 2000;
// Bootstrap intervals are random; a fixed default seed makes the same samples give the same
// interval in every run, so the driver's summary and a re-plot weeks later agree to the digit.
inline constexpr std::uint64_t kDefaultSeed = 0x5eedda7be7c40001ull;

// Every function below takes the samples in any order and does not modify them. A NaN sample
// makes the result NaN (as in numpy), except stddev for fewer than two samples, which is 0.

// Middle value; the mean of the two middle values for an even count. NaN when empty.
double median(std::span<const double> samples);
// Arithmetic mean. NaN when empty.
double mean(std::span<const double> samples);
// Sample standard deviation (divides by n - 1). 0 for fewer than two samples.
double stddev(std::span<const double> samples);
// Coefficient of variation, stddev / mean; 0 when the mean is 0, NaN when empty.
double cv(std::span<const double> samples);
// Smallest and largest sample. NaN when empty.
double min(std::span<const double> samples);
double max(std::span<const double> samples);
// Quantile q in [0, 1] by linear interpolation between order statistics (Hyndman & Fan type 7,
// numpy's default "linear" method, including its rounding). NaN when empty.
// Throws std::invalid_argument when q is outside [0, 1].
double quantile(std::span<const double> samples, double q);

// Percentile-bootstrap confidence interval of the median: `resamples` resamples with
// replacement, each one's median taken, and the central `confidence` share of those medians
// kept. [x, x] for one sample, NaNs when empty. Deterministic for a given seed.
// Throws std::invalid_argument unless 0 < confidence < 1 and resamples >= 1.
Interval bootstrap_median_ci(std::span<const double> samples,
                             double confidence = kDefaultConfidence,
                             std::size_t resamples = kDefaultResamples,
                             std::uint64_t seed = kDefaultSeed);

// Percentile-bootstrap confidence interval of median(candidate) / median(base), resampling the
// two independently (they come from separate runs). NaNs when either is empty or a resampled
// ratio is 0 / 0; base is meant to be positive (times, rates). Same preconditions as above.
Interval ratio_ci(std::span<const double> base, std::span<const double> candidate,
                  double confidence = kDefaultConfidence, std::size_t resamples = kDefaultResamples,
                  std::uint64_t seed = kDefaultSeed);

struct Summary {
  std::size_t n;
  double median;
  double mean;
  double stddev;
  double cv;
  double min;
  double max;
  Interval ci;  // bootstrap_median_ci with the default confidence, resamples and seed
};

Summary summarize(std::span<const double> samples);

}  // namespace daxbench::stats
