// Power-cut tests, host side: for each cut round and each (filesystem, mode) group, boots the
// lab guest running crash-writer on a fresh pmem file, cuts its power (SIGKILL of QEMU) at a
// seeded moment, reboots on the same file running crash-check, and writes one crash.jsonl
// record per cell (docs/crash.md, "The host side").
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/config/config.h"
#include "bench/lab/host/lab.h"
#include "bench/lab/host/verdict.h"

namespace daxbench {

// Every cell `config` runs, as `crash.jsonl` names them (`cell`), in the order the boot groups
// run: what `daxbench check` lists.
std::vector<std::string> crash_cells(const CrashConfig& config);

struct CrashOutcome {
  nlohmann::ordered_json context;  // the "crash" block of context.json
  int failed_cells = 0;            // FAIL, NO-LOSS-SEEN or ERROR
  std::size_t records = 0;
  std::vector<std::string> lines;  // the per-cell summary, printed at the end of the run
};

// `labs`: the lab target of each filesystem in config.filesystems. Stops between cuts when
// `stop` is set, keeping every finished cut's records.
CrashOutcome run_crash(const CrashConfig& config, const std::map<std::string, Lab*>& labs,
                       const std::filesystem::path& results, const std::string& run_id,
                       const std::atomic<bool>& stop);

}  // namespace daxbench
