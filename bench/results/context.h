// The environment of a run (context.json): host, kernel, CPU, TSC, THP, build, targets.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/config/config.h"
#include "bench/targets/target.h"

namespace daxbench {

extern const char* const kSuiteVersion;  // git describe, generated at build time
inline constexpr int kSchemaVersion = 1;

std::string host_name();

nlohmann::ordered_json describe_context(const Config& config,
                                        const std::vector<const TargetFacts*>& targets,
                                        const std::string& run_id, const std::string& command_line);

nlohmann::ordered_json to_json(const TargetFacts& facts);

}  // namespace daxbench
