// Running fio itself: fork/exec with an argv (no shell), its own process group, a time
// limit, Ctrl-C, and the tail of its standard error kept for the record.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace daxbench::fio {

struct RunOutcome {
  std::vector<std::string> command;  // argv as executed
  int exit_code = -1;                // fio's exit status; -1 if it did not exit by itself
  std::string stderr_tail;           // the last lines fio wrote to standard error
  std::string problem;  // empty, or why fio did not finish: cannot start, timed out, interrupted
  bool interrupted = false;  // `stop` was set while fio ran
};

// Runs `binary --output-format=json --output=<json> <job>` with `env` added to this process's
// environment, killing fio's process group after `timeout_s` or when `stop` becomes true.
RunOutcome run_fio(const std::string& binary, const std::filesystem::path& job,
                   const std::filesystem::path& json, const std::map<std::string, std::string>& env,
                   double timeout_s, const std::atomic<bool>& stop);

}  // namespace daxbench::fio
