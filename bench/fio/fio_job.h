// The fio job that mirrors a daxbench case, or why fio cannot express it (docs/fio.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bench/config/config.h"
#include "bench/targets/target.h"

namespace daxbench::fio {

// What the mapping needs to know about where the files live.
struct TargetView {
  bool dax = false;         // stores through a mapping reach persistent memory
  bool device = false;      // device-DAX: no filesystem, the "file" is the device
  bool persistent = true;   // false on tmpfs/ramfs
  std::string device_path;  // the device, when `device`
};

TargetView target_view(const TargetFacts& facts);
// For `daxbench check`, which opens no target: what the spec's kind implies (a `file:` folder
// is taken to be page cache; at run time the target's own facts decide).
TargetView presumed_target_view(std::string_view spec);

struct Job {
  bool supported = false;
  std::string reason;  // when not supported: "fio cannot express ...: why"
  std::string engine;  // ioengine=
  // Engine and sync options in job order (after the common ones); env for fio's process.
  std::vector<std::pair<std::string, std::string>> options;
  std::map<std::string, std::string> env;
  std::string mapping;  // one line: how the case maps and what differs
  bool durable = false;
  std::string durable_reason;
  // The libpmem engine writes the whole file with write(2) before the job starts.
  bool prepopulates = false;
  std::string text;  // the whole job file, once files are known (job_text)
};

// The job for `spec` on `target`. `flush` is the resolved primitive ("clwb", ...) for modes
// that flush from user space, empty otherwise. Never throws for a case fio cannot express:
// `supported` is false and `reason` says why.
Job plan_job(const CaseSpec& spec, const TargetView& target, std::string_view flush);

// Fills `job.text`: one [global] section and one section per writer thread. `files` are the
// prepared files (one, or one per thread with `files: per-thread`), as fio should open them.
void write_job_text(const CaseSpec& spec, const std::vector<std::string>& files, Job& job);

// Seconds fio is expected to take: ramp + runtime (+ the libpmem engine's prepopulation).
double expected_seconds(const CaseSpec& spec, const Job& job);

}  // namespace daxbench::fio
