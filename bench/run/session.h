// A whole run: opens the targets, runs every case × repetition interleaved, writes the
// results folder as it goes, and survives Ctrl-C with every finished case kept.
#pragma once

#include <filesystem>
#include <string>

#include "bench/config/config.h"

namespace daxbench {

struct RunOptions {
  std::filesystem::path results_root = "results";  // the folder goes in here ...
  std::filesystem::path out;                       // ... unless this names it
  std::string command_line;
  std::string run_id;  // empty: made up here (the lab's guest is given its host's)
  // The lab's host gives its guest one round of one kernel's cases (lab_run.cpp): only this
  // repetition (0-based, recorded as such) when >= 0. The cases are chosen by --cases.
  int only_repetition = -1;
};

// Returns the process exit code: 0 done, 1 a case failed, 2 bad target, 130 interrupted.
// The results folder's path is the last line on standard output.
int run_session(const Config& config, const RunOptions& options);

}  // namespace daxbench
