// pybind11 module `_daxstats`: the driver's own statistics (analysis/stats) for the Python
// analysis, so a report and summary.csv agree to the last digit. Import it through
// daxbench_analysis.stats.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstddef>
#include <cstdint>
#include <string>
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

std::string mann_whitney_repr(const stats::MannWhitney& m) {
  return "MannWhitney(u=" + number(m.u) + ", p_value=" + number(m.p_value) +
         ", exact=" + flag(m.exact) + ")";
}

std::string comparison_repr(const stats::Comparison& c) {
  return "Comparison(ratio=" + number(c.ratio) + ", ci_low=" + number(c.ci.low) +
         ", ci_high=" + number(c.ci.high) + ", p_value=" + number(c.p_value) +
         ", significant=" + flag(c.significant) + ", verdict='" +
         std::string(stats::to_string(c.verdict)) +
         "', exceeds_threshold=" + flag(c.exceeds_threshold) +
         ", few_repetitions=" + flag(c.few_repetitions) + ")";
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
      .def_readonly("p_value", &stats::Comparison::p_value, "two-sided Mann-Whitney p-value")
      .def_readonly("significant", &stats::Comparison::significant,
                    "p_value < alpha and the ratio interval excludes 1")
      .def_property_readonly(
          "verdict", [](const stats::Comparison& c) { return std::string(to_string(c.verdict)); },
          "'regression', 'improvement' or 'same' (always 'same' for better='neither')")
      .def_readonly("exceeds_threshold", &stats::Comparison::exceeds_threshold,
                    "a regression whose ratio is worse than 1 -/+ threshold")
      .def_readonly("few_repetitions", &stats::Comparison::few_repetitions,
                    "fewer than 9 samples on a side: the U test has little power")
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
      "mann_whitney_u",
      [](const Samples& base, const Samples& candidate) {
        return stats::mann_whitney_u(base, candidate);
      },
      py::arg("base"), py::arg("candidate"),
      "Two-sided Mann-Whitney U test; exact without ties up to 20 samples per side.");
  m.def(
      "compare",
      [](const Samples& base, const Samples& candidate, const std::string& better, double threshold,
         double alpha) {
        return stats::compare(base, candidate, stats::better_from_string(better), threshold, alpha);
      },
      py::arg("base"), py::arg("candidate"), py::arg("better") = "higher",
      py::arg("threshold") = stats::kDefaultThreshold, py::arg("alpha") = stats::kDefaultAlpha,
      "Comparison of candidate with base; better is 'higher', 'lower' or 'neither'.");
}

}  // namespace

PYBIND11_MODULE(_daxstats, m) {
  m.doc() = "daxbench's statistics (the C++ library the driver's summary.csv uses).";
  define_summary(m);
  define_mann_whitney(m);
  define_comparison(m);
  define_functions(m);
  m.attr("__all__") = py::list(py::make_tuple(
      "median", "mean", "stddev", "cv", "min", "max", "quantile", "bootstrap_median_ci", "ratio_ci",
      "summarize", "mann_whitney_u", "compare", "Summary", "MannWhitney", "Comparison"));
}
