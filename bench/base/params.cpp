// Parsing and validation of typed parameter values.
#include "bench/base/params.h"

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

}  // namespace daxbench
