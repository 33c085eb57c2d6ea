// `daxbench crash-writer`: one child process per manifest cell writes its workload through
// its mode and publishes each acknowledged seq, until the power is cut or time runs out.
#pragma once

#include <ostream>

#include "bench/lab/guest/manifest.h"

namespace daxbench::crash {

// Runs every cell, prints `DAXBENCH-CRASH WRITERS-STARTED <n>` to `out` once each running
// cell made its first commit, and waits. Returns the exit status: 0 unless a cell failed.
// Throws ManifestError when a cell's file already exists (it belongs to an earlier cut).
int run_crash_writer(const CrashManifest& manifest, std::ostream& out);

}  // namespace daxbench::crash
