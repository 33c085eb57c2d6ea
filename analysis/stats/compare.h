// Run-vs-run comparison of one metric: the Mann-Whitney U test and the regression verdict that
// `daxbench compare`, the reports and the dashboard show (exported to Python as `_daxstats`).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "analysis/stats/stats.h"

namespace daxbench::stats {

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

// The samples are independent repetitions of two runs, in any order.
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
// Below this many repetitions per side the U test rarely reaches significance even for real
// changes (with 5 vs 5 the smallest possible p is 2/252): the comparison says so.
inline constexpr std::size_t kFewRepetitions = 9;

struct Comparison {
  double ratio;  // median(candidate) / median(base)
  Interval ci;   // ratio_ci at confidence 1 - alpha, default resamples and seed
  double p_value;
  bool significant;        // p_value < alpha and the ratio interval excludes 1
  Verdict verdict;         // `same` unless significant; always `same` for Better::neither
  bool exceeds_threshold;  // a regression whose ratio is worse than 1 -/+ threshold
  bool few_repetitions;    // min(n_base, n_candidate) < kFewRepetitions: read p with care
};

// Compares a candidate run's repetitions of one metric with a base run's.
// Throws std::invalid_argument unless 0 < alpha < 1 and threshold >= 0.
Comparison compare(std::span<const double> base, std::span<const double> candidate,
                   Better better = Better::higher, double threshold = kDefaultThreshold,
                   double alpha = kDefaultAlpha);

}  // namespace daxbench::stats
