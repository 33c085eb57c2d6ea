// One fio repetition of a daxbench case: a freshly prepared file in the target's scratch
// folder (as daxbench's own), the job, fio, and the record.
#pragma once

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/config/config.h"
#include "bench/targets/target.h"

namespace daxbench::fio {

// The job's engine, or "cannot express (why)", for `daxbench check`.
std::string describe(const CaseSpec& spec, std::string_view target_spec);

struct CaseOutcome {
  nlohmann::ordered_json record;  // null when interrupted: an unfinished run is no result
  bool unsupported = false;       // the same on every repetition: recorded once
};

// Runs fio once for `spec` on `target`. The job and fio's JSON are kept in
// `<results>/fio/` (named after `serial` and the repetition) for re-running by hand.
CaseOutcome run_case(const CaseSpec& spec, Target& target, const FioConfig& config,
                     const std::filesystem::path& results, std::size_t serial,
                     const std::string& run_id, int repetition, const std::atomic<bool>& stop);

}  // namespace daxbench::fio
