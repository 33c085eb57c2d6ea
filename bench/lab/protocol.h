// What the lab's host and guest sides say to each other over the guest's console and its
// environment: the markers both print or look for, named once so neither side can drift.
// lab/init and lab/launch.sh print the DAXBENCH-LAB ones too (shell: keep them in step).
#pragma once

#include <string_view>

namespace daxbench::lab {

// `DAXBENCH-LAB WORD rest`: the guest's boot and job progress (lab/init, lab/launch.sh), and
// the host's own line when launch.sh cannot be run. WORD is READY, ACCEL, FAILED, EXIT, ...
inline constexpr std::string_view kLabMarker = "DAXBENCH-LAB";

// Power cuts (docs/crash.md). crash-writer prints, once every cell's writer runs:
inline constexpr std::string_view kWritersStarted = "DAXBENCH-CRASH WRITERS-STARTED";
// ... and before it, for each cell that cannot run: `<marker> <cell id> <outcome> ...`.
inline constexpr std::string_view kCellNotStarted = "DAXBENCH-CRASH CELL-NOT-STARTED";
// The host's job.sh prints `<marker> <exit status>` when crash-writer returns (it must not,
// before the cut).
inline constexpr std::string_view kWriterExit = "DAXBENCH-CRASH WRITER-EXIT";

// Set by lab/init for the driver in the guest: the lab kind this guest is, the local target
// that stands for it (fsdax:/mnt/pmem, devdax:/dev/dax0.0), and the accelerator (tcg, kvm).
inline constexpr const char* kEnvKind = "DAXBENCH_LAB_KIND";
inline constexpr const char* kEnvTarget = "DAXBENCH_LAB_TARGET";
inline constexpr const char* kEnvEmulated = "DAXBENCH_EMULATED";

}  // namespace daxbench::lab
