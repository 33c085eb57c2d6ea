// Parsing and validation of typed parameter values, and the table of common parameters.
#include "bench/core/params.h"

#include "bench/flush/flush.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <utility>

namespace daxbench {
namespace {

std::optional<std::string> check_range(const ParamSpec& spec, double value) {
  if (value < spec.min || value > spec.max) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "out of range [%g, %g]", spec.min, spec.max);
    return std::string(buf);
  }
  return std::nullopt;
}

// The shortest exact spelling, so case ids read "working_set=8M", not "8388608".
std::string size_text(std::int64_t bytes) {
  constexpr std::pair<std::int64_t, char> kUnits[] = {
      {1 << 30, 'G'}, {1 << 20, 'M'}, {1 << 10, 'K'}};
  for (const auto& [unit, suffix] : kUnits)
    if (bytes >= unit && bytes % unit == 0) return std::to_string(bytes / unit) + suffix;
  return std::to_string(bytes);
}

bool parse_integer(std::string_view raw, std::int64_t& out) {
  const char* end = raw.data() + raw.size();
  auto [ptr, ec] = std::from_chars(raw.data(), end, out);
  return ec == std::errc() && ptr == end;
}

}  // namespace

std::string describe_valid(const ParamSpec& spec) {
  switch (spec.kind) {
    case ParamKind::kInteger:
      return "a whole number";
    case ParamKind::kSize:
      return "a size in bytes such as 64, 4K, 256M or 1G";
    case ParamKind::kReal:
      return "a number";
    case ParamKind::kText:
      return "text";
    case ParamKind::kChoice: {
      std::string s = "one of ";
      for (std::size_t i = 0; i < spec.choices.size(); ++i) {
        s += (i ? ", " : "");
        s += spec.choices[i];
      }
      return s;
    }
  }
  return "";
}

std::optional<std::string> parse_param(const ParamSpec& spec, std::string_view raw,
                                       ParamValue& out) {
  const std::string invalid =
      "expected " + describe_valid(spec) + ", got '" + std::string(raw) + "'";
  out = ParamValue{};
  switch (spec.kind) {
    case ParamKind::kInteger: {
      if (!parse_integer(raw, out.integer)) return invalid;
      out.real = static_cast<double>(out.integer);
      out.text = std::to_string(out.integer);
      return check_range(spec, out.real);
    }
    case ParamKind::kSize: {
      std::string_view digits = raw;
      std::int64_t scale = 1;
      if (!digits.empty()) {
        switch (digits.back()) {
          case 'K':
          case 'k':
            scale = std::int64_t{1} << 10;
            break;
          case 'M':
          case 'm':
            scale = std::int64_t{1} << 20;
            break;
          case 'G':
          case 'g':
            scale = std::int64_t{1} << 30;
            break;
          default:
            break;
        }
        if (scale != 1) digits.remove_suffix(1);
      }
      std::int64_t n = 0;
      if (!parse_integer(digits, n) || n < 0 || n > (std::int64_t{1} << 50) / scale) return invalid;
      out.integer = n * scale;
      out.real = static_cast<double>(out.integer);
      out.text = size_text(out.integer);
      return check_range(spec, out.real);
    }
    case ParamKind::kReal: {
      std::string copy(raw);
      char* end = nullptr;
      out.real = std::strtod(copy.c_str(), &end);
      if (copy.empty() || end != copy.c_str() + copy.size() || !std::isfinite(out.real))
        return invalid;
      out.text = copy;
      return check_range(spec, out.real);
    }
    case ParamKind::kChoice:
      for (std::string_view choice : spec.choices) {
        if (choice == raw) {
          out.text = std::string(raw);
          return std::nullopt;
        }
      }
      return invalid;
    case ParamKind::kText:
      if (raw.empty()) return invalid;
      out.text = std::string(raw);
      return std::nullopt;
  }
  return invalid;
}

const ParamValue& ParamSet::get(std::string_view name) const {
  auto it = values_.find(std::string(name));
  if (it == values_.end()) throw std::logic_error("parameter not declared: " + std::string(name));
  return it->second;
}

namespace {
constexpr std::string_view kFiles[] = {"per-thread", "shared"};
constexpr std::string_view kFileStates[] = {"sparse", "fallocated", "zeroed"};
constexpr std::string_view kBackground[] = {"none", "metadata"};

// `flush` choices come from flush.def, so adding a primitive needs no edit here.
std::span<const std::string_view> flush_choices() {
  static const std::vector<std::string_view> choices = [] {
    std::vector<std::string_view> names{"auto"};
    for (const FlushOps* ops : flush_primitives()) names.push_back(ops->name);
    return names;
  }();
  return choices;
}

const ParamSpec kCommon[] = {
    {"duration_s",
     ParamKind::kReal,
     "1",
     "timed phase length per repetition, seconds",
     {},
     0.001,
     3600,
     false},
    {"ops",
     ParamKind::kInteger,
     "0",
     "operations per thread instead of a duration (0 = use duration_s)",
     {},
     0,
     1e12,
     false},
    {"warmup_s",
     ParamKind::kReal,
     "0.2",
     "untimed warm-up before each repetition, seconds",
     {},
     0,
     600,
     false},
    {"latency_sample_every",
     ParamKind::kInteger,
     "0",
     "time a random 1 in N operations (and commits) for the latency histograms; throughput "
     "counts all. 0 = auto: all when an operation is slow, else as few as keep timing under "
     "1% of the mean operation",
     {},
     0,
     1e6,
     false},
    {"repetitions",
     ParamKind::kInteger,
     "5",
     "repetitions, interleaved across the cases of a run",
     {},
     1,
     1000,
     false},
    {"seed",
     ParamKind::kInteger,
     "1",
     "seed of the operation sequence (each thread derives its own)",
     {},
     0,
     9.2e18},
    {"threads", ParamKind::kInteger, "1", "writer threads", {}, 1, 256},
    {"files", ParamKind::kChoice, "per-thread",
     "one file per thread, or one file shared by all threads", kFiles},
    {"file_state", ParamKind::kChoice, "sparse",
     "state of each file before the run (all are fsync'ed)", kFileStates},
    {"working_set",
     ParamKind::kSize,
     "64M",
     "size of each file; workloads stay inside it",
     {},
     4096,
     1e15},
    {"background", ParamKind::kChoice, "none",
     "concurrent load: metadata = create/write/fsync/unlink loop", kBackground},
    {"flush", ParamKind::kChoice, "auto", "cache-flush instruction for user-space flushing modes",
     flush_choices()},
};
}  // namespace

std::span<const ParamSpec> common_params() {
  return kCommon;
}

}  // namespace daxbench
