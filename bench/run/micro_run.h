// `daxbench run`'s micro-benchmark step: runs daxbench-micro (the binary beside the driver) on
// the first host file:/fsdax: target, then imports its Google Benchmark JSON: micro_summary.csv
// and the harness overhead (driver ops/s over the raw loop's ops/s of the same case).
#pragma once

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/config/config.h"
#include "bench/targets/target.h"

namespace daxbench {

struct MicroOutcome {
  nlohmann::ordered_json context;  // context.json's `micro` block
  std::vector<std::string> lines;  // printed at the end of the run
  bool failed = false;             // reported; the case results stay as they are
};

// Runs the step. `facts` are the run's targets in config order; `folder` holds records.jsonl
// of the host cases already run. Kills the child when `stop` turns true.
MicroOutcome run_micro(const Config& config, const std::vector<const TargetFacts*>& facts,
                       const std::filesystem::path& folder, const std::atomic<bool>& stop);

}  // namespace daxbench
