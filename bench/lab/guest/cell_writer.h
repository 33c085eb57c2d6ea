// One cell of crash-writer, run in its own process: prepares the file, maps it through the
// mode, writes records and publishes the acknowledged seq after each commit.
#pragma once

#include <functional>

#include "bench/lab/guest/manifest.h"

namespace daxbench::crash {

enum class CellOutcome {
  kStarted,      // first commit made: the cell is writing
  kUnsupported,  // the mode cannot run on this target; the reason is in the status file
  kFailed,       // setup or a write threw; the reason is in the status file
};

// Runs the cell to its end (time or full file). `report` is called exactly once: at the first
// acknowledged commit, or with why the cell did not start. Returns the process exit status.
int run_cell(const CrashCell& cell, std::uint64_t nonce,
             const std::function<void(CellOutcome)>& report);

}  // namespace daxbench::crash
