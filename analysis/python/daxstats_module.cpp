// pybind11 module `_daxstats`: the driver's own statistics (analysis/stats) for the Python
// analysis, so a report and summary.csv agree to the last digit. Import it through
// daxbench_analysis.stats.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "analysis/stats/compare.h"
#include "analysis/stats/stats.h"

namespace py = pybind11;
namespace stats = daxbench::stats;

namespace {

using Samples = std::vector<double>;  // any Python sequence of numbers converts to this
using Pair = std::pair<double, double>;

Pair as_pair(stats::Interval interval) {
  return {interval.low, interval.high};
}

// repr() shows floats as Python does (shortest round trip), so a printed result can be pasted.
std::string number(double value) {
  return py::repr(py::float_(value)).cast<std::string>();
}

std::string flag(bool value) {
  return value ? "True" : "False";
}

std::string summary_repr(const stats::Summary& s) {
  return "Summary(n=" + std::to_string(s.n) + ", median=" + number(s.median) +
         ", mean=" + number(s.mean) + ", stddev=" + number(s.stddev) + ", cv=" + number(s.cv) +
         ", min=" + number(s.min) + ", max=" + number(s.max) + ", ci_low=" + number(s.ci.low) +
         ", ci_high=" + number(s.ci.high) + ")";
}

std::string welch_repr(const stats::WelchT& w) {
  return "WelchT(t=" + number(w.t) + ", df=" + number(w.df) + ", p_value=" + number(w.p_value) +
         ")";
}

std::string mann_whitney_repr(const stats::MannWhitney& m) {
  return "MannWhitney(u=" + number(m.u) + ", p_value=" + number(m.p_value) +
         ", exact=" + flag(m.exact) + ")";
}

std::string comparison_repr(const stats::Comparison& c) {
  return "Comparison(ratio=" + number(c.ratio) + ", ci_low=" + number(c.ci.low) +
         ", ci_high=" + number(c.ci.high) + ", t=" + number(c.t) + ", df=" + number(c.df) +
         ", p_value=" + number(c.p_value) + ", p_adjusted=" + number(c.p_adjusted) +
         ", log_scale=" + flag(c.log_scale) + ", enough_repetitions=" + flag(c.enough_repetitions) +
         ", significant=" + flag(c.significant) + ", verdict='" +
         std::string(stats::to_string(c.verdict)) +
         "', exceeds_threshold=" + flag(c.exceeds_threshold) + ")";
}

void define_summary(py::module_& m) {
  py::class_<stats::Summary>(m, "Summary",
                             "Summary of repeated measurements of one quantity (as summary.csv).")
      .def_readonly("n", &stats::Summary::n, "number of samples")
      .def_readonly("median", &stats::Summary::median)
      .def_readonly("mean", &stats::Summary::mean)
      .def_readonly("stddev", &stats::Summary::stddev, "sample standard deviation (n - 1)")
      .def_readonly("cv", &stats::Summary::cv, "coefficient of variation, stddev / mean")
      .def_readonly("min", &stats::Summary::min)
      .def_readonly("max", &stats::Summary::max)
      .def_property_readonly(
          "ci_low", [](const stats::Summary& s) { return s.ci.low; },
          "low end of the 95% bootstrap interval of the median")
      .def_property_readonly(
          "ci_high", [](const stats::Summary& s) { return s.ci.high; },
          "high end of the 95% bootstrap interval of the median")
      .def("__repr__", &summary_repr);
}

void define_welch(py::module_& m) {
  py::class_<stats::WelchT>(m, "WelchT", "Result of Welch's unequal-variance t-test.")
      .def_readonly("t", &stats::WelchT::t,
                    "(mean(candidate) - mean(base)) / its standard error; +-inf when both "
                    "sides have no spread and differ")
      .def_readonly("df", &stats::WelchT::df, "Welch-Satterthwaite degrees of freedom")
      .def_readonly("p_value", &stats::WelchT::p_value,
                    "two-sided p-value; NaN when a side has fewer than two samples")
      .def("__repr__", &welch_repr);
}

void define_mann_whitney(py::module_& m) {
  py::class_<stats::MannWhitney>(m, "MannWhitney", "Result of the Mann-Whitney U test.")
      .def_readonly("u", &stats::MannWhitney::u,
                    "U of the candidate: pairs where the candidate value is larger (ties 1/2)")
      .def_readonly("p_value", &stats::MannWhitney::p_value,
                    "two-sided p-value; NaN when a sample is empty")
      .def_readonly("exact", &stats::MannWhitney::exact,
                    "True for the exact null distribution, False for the normal approximation")
      .def("__repr__", &mann_whitney_repr);
}

void define_comparison(py::module_& m) {
  py::class_<stats::Comparison>(m, "Comparison", "A candidate run's metric against a base run's.")
      .def_readonly("ratio", &stats::Comparison::ratio, "median(candidate) / median(base)")
      .def_property_readonly(
          "ci_low", [](const stats::Comparison& c) { return c.ci.low; },
          "low end of the bootstrap interval of the ratio (confidence 1 - alpha)")
      .def_property_readonly(
          "ci_high", [](const stats::Comparison& c) { return c.ci.high; },
          "high end of the bootstrap interval of the ratio (confidence 1 - alpha)")
      .def_readonly("t", &stats::Comparison::t, "Welch's t (on logarithms when log_scale)")
      .def_readonly("df", &stats::Comparison::df, "its Welch-Satterthwaite degrees of freedom")
      .def_readonly("p_value", &stats::Comparison::p_value,
                    "two-sided p-value of Welch's t-test; NaN without enough repetitions")
      .def_readonly("p_adjusted", &stats::Comparison::p_adjusted,
                    "Benjamini-Hochberg adjusted p-value within the family (p_value alone)")
      .def_readonly("log_scale", &stats::Comparison::log_scale,
                    "True when the test ran on ln(sample) (every sample > 0)")
      .def_readonly("enough_repetitions", &stats::Comparison::enough_repetitions,
                    "at least MIN_REPETITIONS samples on each side; otherwise nothing is judged")
      .def_readonly("significant", &stats::Comparison::significant,
                    "enough repetitions, p_adjusted < alpha, and the ratio interval excludes 1 "
                    "on the side t points to")
      .def_property_readonly(
          "verdict", [](const stats::Comparison& c) { return std::string(to_string(c.verdict)); },
          "'regression', 'improvement' or 'same' (always 'same' for better='neither')")
      .def_readonly("exceeds_threshold", &stats::Comparison::exceeds_threshold,
                    "a regression whose ratio is worse than 1 -/+ threshold")
      .def("__repr__", &comparison_repr);
}

void define_functions(py::module_& m) {
  m.def(
      "median", [](const Samples& xs) { return stats::median(xs); }, py::arg("xs"),
      "Middle value; the mean of the two middle values for an even count. NaN when empty.");
  m.def(
      "mean", [](const Samples& xs) { return stats::mean(xs); }, py::arg("xs"),
      "Arithmetic mean. NaN when empty.");
  m.def(
      "stddev", [](const Samples& xs) { return stats::stddev(xs); }, py::arg("xs"),
      "Sample standard deviation (divides by n - 1). 0 for fewer than two samples.");
  m.def(
      "cv", [](const Samples& xs) { return stats::cv(xs); }, py::arg("xs"),
      "Coefficient of variation, stddev / mean; 0 when the mean is 0, NaN when empty.");
  m.def(
      "min", [](const Samples& xs) { return stats::min(xs); }, py::arg("xs"),
      "Smallest sample. NaN when empty.");
  m.def(
      "max", [](const Samples& xs) { return stats::max(xs); }, py::arg("xs"),
      "Largest sample. NaN when empty.");
  m.def(
      "quantile", [](const Samples& xs, double q) { return stats::quantile(xs, q); }, py::arg("xs"),
      py::arg("q"),
      "Quantile q in [0, 1], linear interpolation (numpy's default). ValueError outside it.");
  m.def(
      "bootstrap_median_ci",
      [](const Samples& xs, double confidence, std::size_t resamples, std::uint64_t seed) {
        return as_pair(stats::bootstrap_median_ci(xs, confidence, resamples, seed));
      },
      py::arg("xs"), py::arg("confidence") = stats::kDefaultConfidence,
      py::arg("resamples") = stats::kDefaultResamples, py::arg("seed") = stats::kDefaultSeed,
      "(low, high): percentile-bootstrap interval of the median; deterministic for a seed.");
  m.def(
      "ratio_ci",
      [](const Samples& base, const Samples& candidate, double confidence, std::size_t resamples,
         std::uint64_t seed) {
        return as_pair(stats::ratio_ci(base, candidate, confidence, resamples, seed));
      },
      py::arg("base"), py::arg("candidate"), py::arg("confidence") = stats::kDefaultConfidence,
      py::arg("resamples") = stats::kDefaultResamples, py::arg("seed") = stats::kDefaultSeed,
      "(low, high): percentile-bootstrap interval of median(candidate) / median(base).");
  m.def(
      "summarize", [](const Samples& xs) { return stats::summarize(xs); }, py::arg("xs"),
      "Summary: n, median, mean, stddev, cv, min, max and the median's 95% interval.");
  m.def(
      "regularized_incomplete_beta",
      [](double a, double b, double x) { return stats::regularized_incomplete_beta(a, b, x); },
      py::arg("a"), py::arg("b"), py::arg("x"),
      "I_x(a, b), the CDF of Beta(a, b) at x (a, b > 0, 0 <= x <= 1); NaN outside that.");
  m.def(
      "student_t_cdf", [](double t, double df) { return stats::student_t_cdf(t, df); },
      py::arg("t"), py::arg("df"),
      "P(T <= t) for Student's t with df > 0 degrees of freedom (any real df); NaN otherwise.");
  m.def(
      "welch_t_test",
      [](const Samples& base, const Samples& candidate, double min_variance) {
        return stats::welch_t_test(base, candidate, min_variance);
      },
      py::arg("base"), py::arg("candidate"), py::arg("min_variance") = 0.0,
      "Welch's t-test on the samples as given, each side's variance at least min_variance "
      "(compare() tests logarithms with MIN_LOG_VARIANCE).");
  m.def(
      "benjamini_hochberg",
      [](const Samples& p_values) { return stats::benjamini_hochberg(p_values); },
      py::arg("p_values"),
      "Benjamini-Hochberg adjusted p-values in the given order; NaNs are left out and stay NaN.");
  m.def(
      "mann_whitney_u",
      [](const Samples& base, const Samples& candidate) {
        return stats::mann_whitney_u(base, candidate);
      },
      py::arg("base"), py::arg("candidate"),
      "Two-sided Mann-Whitney U test; exact without ties up to 20 samples per side. Not "
      "used by compare().");
  m.def(
      "compare",
      [](const Samples& base, const Samples& candidate, const std::string& better, double threshold,
         double alpha) {
        return stats::compare(base, candidate, stats::better_from_string(better), threshold, alpha);
      },
      py::arg("base"), py::arg("candidate"), py::arg("better") = "higher",
      py::arg("threshold") = stats::kDefaultThreshold, py::arg("alpha") = stats::kDefaultAlpha,
      "Comparison of candidate with base, a family of one; better is 'higher', 'lower' or "
      "'neither'.");
  m.def(
      "compare_family",
      [](const std::vector<std::tuple<Samples, Samples, std::string>>& family, double threshold,
         double alpha) {
        std::vector<stats::ComparedSamples> members;
        members.reserve(family.size());
        for (const auto& [base, candidate, better] : family)
          members.push_back({base, candidate, stats::better_from_string(better)});
        return stats::compare_family(members, threshold, alpha);
      },
      py::arg("family"), py::arg("threshold") = stats::kDefaultThreshold,
      py::arg("alpha") = stats::kDefaultAlpha,
      "The significance rule over a family judged at once: family is a list of (base, "
      "candidate, better) and gets one Comparison each, in order. At least MIN_REPETITIONS a "
      "side; Welch's t-test on ln(x), variances at least MIN_LOG_VARIANCE; Benjamini-Hochberg "
      "over the family; significant when the adjusted p < alpha and the 1 - alpha interval of "
      "the ratio of medians excludes 1 on the same side.");
}

}  // namespace

PYBIND11_MODULE(_daxstats, m) {
  m.doc() = "daxbench's statistics (the C++ library the driver's summary.csv uses).";
  define_summary(m);
  define_welch(m);
  define_mann_whitney(m);
  define_comparison(m);
  define_functions(m);
  m.attr("MIN_REPETITIONS") = stats::kMinRepetitions;
  m.attr("MIN_LOG_VARIANCE") = stats::kMinLogVariance;
  m.attr("__all__") = py::list(py::make_tuple(
      "median", "mean", "stddev", "cv", "min", "max", "quantile", "bootstrap_median_ci", "ratio_ci",
      "summarize", "regularized_incomplete_beta", "student_t_cdf", "welch_t_test",
      "benjamini_hochberg", "mann_whitney_u", "compare", "compare_family", "Summary", "WelchT",
      "MannWhitney", "Comparison", "MIN_REPETITIONS", "MIN_LOG_VARIANCE"));
}
