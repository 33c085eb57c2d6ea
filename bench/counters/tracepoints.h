// Where tracefs is (mounting it if root and nobody has, and unmounting what we mounted when we
// are done) and the ids of tracepoints in it, so they can be opened with
// perf_event_open(PERF_TYPE_TRACEPOINT, id).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace daxbench::perf {

struct Tracefs {
  std::string path;            // e.g. /sys/kernel/tracing; empty when none could be had
  bool mounted_by_us = false;  // this process mounted it (and unmounts it: release_tracefs)
  int error = 0;               // errno, when path is empty
  std::string problem;         // why path is empty, in words
};

// Mount points of every filesystem of `type` ("tracefs", "debugfs") in this process's mount
// namespace, in mount order, from /proc/self/mounts.
std::vector<std::string> mount_points_of(std::string_view type);

// Found once per process: /sys/kernel/tracing, then /sys/kernel/debug/tracing, then any
// tracefs in /proc/self/mounts; if none and we are root, tracefs is mounted at
// /sys/kernel/tracing. Found again if it has gone since (another daxbench process that had
// mounted it unmounted it at its end). Thread-safe; a copy, as the answer may change.
Tracefs tracefs();

// Unmounts tracefs if this process mounted it; a perf event already opened by id keeps
// counting (it does not depend on the mount). Says what was done, for context.json: nullopt
// when we mounted nothing, else "mounted by daxbench at PATH and unmounted" or "... and left
// mounted: umount failed: EBUSY (...)" (someone has a file in it open). Idempotent; also run
// at exit, by the process that mounted it only.
std::optional<std::string> release_tracefs();

struct TracepointId {
  std::optional<std::uint64_t> id;
  std::string unavailable;  // "ENOENT (no tracepoint fs_dax:dax_pte_fault on this kernel)"
};

// The id of "sys:event" from tracefs/events/sys/event/id.
TracepointId tracepoint_id(std::string_view sys_event);

}  // namespace daxbench::perf
