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

#include "bench/core/config.h"
#include "bench/targets/lab.h"

namespace daxbench {

// flush-only and none on a sparse or fallocated file: they must be seen to lose data.
bool crash_unsafe_control(const std::string& mode, const std::string& file_state);

// One cut of one cell: PASS | FAIL | LOSS-EXPECTED | NO-LOSS-SEEN, or ERROR (status failed) |
// UNSUPPORTED. A durable mode fails on any lost record or a tear besides the in-flight one.
std::string crash_cut_verdict(const std::string& mode, const std::string& file_state,
                              const std::string& status, std::uint64_t lost, std::uint64_t torn,
                              std::uint64_t torn_in_flight);

// A cell over all its cuts: FAIL if any cut failed; an unsafe control is LOSS-EXPECTED if any
// cut lost, NO-LOSS-SEEN if its cuts ran and none did; else PASS; ERROR or UNSUPPORTED when
// no cut ran.
std::string crash_cell_verdict(const std::vector<std::string>& cut_verdicts);

// A cell verdict that makes the run's exit status non-zero.
bool crash_verdict_is_failure(const std::string& cell_verdict);

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
CrashOutcome run_crash(const CrashConfig& config, const std::map<std::string, LabTarget*>& labs,
                       const std::filesystem::path& results, const std::string& run_id,
                       const std::atomic<bool>& stop);

}  // namespace daxbench
