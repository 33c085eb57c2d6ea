// Typed parameters: each plug-in declares its own ParamSpec table (name, kind, default, help,
// choices); a ParamSet holds the parsed values of one case.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace daxbench {

enum class ParamKind {
  kInteger,  // a whole number within [min, max]
  kSize,     // bytes, with an optional K/M/G suffix (powers of 1024)
  kReal,     // a decimal number within [min, max]
  kChoice,   // one of `choices`
  kText,     // free text, e.g. a path
};

struct ParamSpec {
  std::string_view name;
  ParamKind kind;
  std::string_view default_value;  // parsed exactly like a YAML value; "" = required
  std::string_view help;
  std::span<const std::string_view> choices = {};
  double min = 0;
  double max = 1e18;
  // Run-control parameters (duration, repetitions, ...) do not change what a case measures,
  // so they are left out of the case id; shape parameters are in it when not at default.
  bool shapes_case = true;
};

struct ParamValue {
  std::string text;  // canonical text, as written into records and case ids
  std::int64_t integer = 0;
  double real = 0;
};

// Parses `raw` for `spec`; returns the error message (without location) on failure.
std::optional<std::string> parse_param(const ParamSpec& spec, std::string_view raw,
                                       ParamValue& out);

// Valid values of a spec, for error messages: "one of a, b, c" or "a size such as 64, 4K, 1M".
std::string describe_valid(const ParamSpec& spec);

// Parsed values of one case, keyed by name. Accessors abort on a missing name: every lookup
// is of a parameter the plug-in declared, which the config loader has filled in.
class ParamSet {
 public:
  void set(std::string_view name, ParamValue value) {
    values_[std::string(name)] = std::move(value);
  }
  bool has(std::string_view name) const { return values_.contains(std::string(name)); }
  std::int64_t integer(std::string_view name) const { return get(name).integer; }
  std::uint64_t size(std::string_view name) const {
    return static_cast<std::uint64_t>(get(name).integer);
  }
  double real(std::string_view name) const { return get(name).real; }
  const std::string& text(std::string_view name) const { return get(name).text; }
  const std::map<std::string, ParamValue>& values() const { return values_; }

 private:
  const ParamValue& get(std::string_view name) const;
  std::map<std::string, ParamValue> values_;
};

}  // namespace daxbench
