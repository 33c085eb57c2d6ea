// The YAML helpers' bodies: the suggestion for a misspelt name is the nearest valid one.
#include "bench/config/located.h"

namespace daxbench::config_detail {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t next =
          std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = row[j];
      row[j] = next;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string valid_list(const std::vector<std::string>& valid, std::string_view given) {
  std::string out = "valid: ";
  std::string suggestion;
  std::size_t best = 3;
  for (std::size_t i = 0; i < valid.size(); ++i) {
    out += (i ? ", " : "") + valid[i];
    const std::size_t d = edit_distance(valid[i], given);
    if (d < best) best = d, suggestion = valid[i];
  }
  if (!suggestion.empty()) out += " (did you mean '" + suggestion + "'?)";
  return out;
}

std::string scalar_text(const Located& at, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) at.fail(node.Mark(), key + ": expected a single value");
  return node.Scalar();
}

Values values_of(const Located& at, const YAML::Node& node, const std::string& key,
                 const YAML::Mark& key_mark) {
  Values v;
  v.key_mark = key_mark;
  if (node.IsSequence()) {
    if (node.size() == 0) at.fail(node.Mark(), key + ": empty list");
    for (const YAML::Node& item : node)
      v.items.emplace_back(scalar_text(at, item, key), item.Mark());
  } else {
    v.items.emplace_back(scalar_text(at, node, key), node.Mark());
  }
  return v;
}

}  // namespace daxbench::config_detail
