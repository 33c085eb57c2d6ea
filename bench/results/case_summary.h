// One case's repetitions summarised once, for both summary.csv and the end-of-run table.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/stats/stats.h"

namespace daxbench {

struct CaseSummary {
  std::string id;
  const nlohmann::ordered_json* first;  // a representative record (an ok one if there is any)
  std::string status;                   // ok if any repetition was
  std::size_t repetitions;              // ok ones
  std::optional<stats::Summary> throughput;
  // Medians over repetitions of each repetition's value (NaN when not measured).
  double op_p50, op_p99, op_p999, commit_p50, commit_p99;
  double syscalls, lines_flushed, fences, faults_trapped;  // per operation
};

// `records` must not be empty; the summary points into it.
CaseSummary summarize_case(const std::string& id,
                           const std::vector<nlohmann::ordered_json>& records);

// A string field of a record, empty when null.
inline std::string text_of(const nlohmann::ordered_json& value) {
  return value.is_null() ? "" : value.get<std::string>();
}

}  // namespace daxbench
