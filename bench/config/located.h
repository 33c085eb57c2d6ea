// Reading a config's YAML with its location: errors name file:line:column and, for a name,
// the valid choices with a suggestion. Shared by the loader (config.cpp) and its sections.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/config/config.h"

namespace daxbench::config_detail {

class Located {
 public:
  explicit Located(std::string path) : path_(std::move(path)) {}
  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& message) const {
    throw ConfigError(where(mark) + ": " + message);
  }
  // "file:line:column", as errors begin.
  std::string where(const YAML::Mark& mark) const {
    std::ostringstream out;
    out << path_;
    if (!mark.is_null()) out << ':' << mark.line + 1 << ':' << mark.column + 1;
    return out.str();
  }

 private:
  std::string path_;
};

// "valid: a, b, c (did you mean 'b'?)"
std::string valid_list(const std::vector<std::string>& valid, std::string_view given);

std::string scalar_text(const Located& at, const YAML::Node& node, const std::string& key);

// A key's values: one scalar, or a list of them (a sweep axis).
struct Values {
  std::vector<std::pair<std::string, YAML::Mark>> items;
  YAML::Mark key_mark;
};

Values values_of(const Located& at, const YAML::Node& node, const std::string& key,
                 const YAML::Mark& key_mark);

// The descriptors `values` name (or all of them for `all`), in the order given, once each.
template <typename Desc>
std::vector<const Desc*> pick(const Located& at, const Values& values,
                              std::span<const Desc* const> all, const char* what) {
  std::vector<const Desc*> out;
  std::vector<std::string> names;
  for (const Desc* d : all) names.emplace_back(d->name);
  names.emplace_back("all");
  for (const auto& [name, mark] : values.items) {
    if (name == "all") {
      out.assign(all.begin(), all.end());
      continue;
    }
    auto it = std::find_if(all.begin(), all.end(), [&](const Desc* d) { return d->name == name; });
    if (it == all.end())
      at.fail(mark, std::string("unknown ") + what + " '" + name + "'; " + valid_list(names, name));
    if (std::find(out.begin(), out.end(), *it) == out.end()) out.push_back(*it);
  }
  return out;
}

}  // namespace daxbench::config_detail
