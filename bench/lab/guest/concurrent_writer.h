// The second process of a concurrency cell: writes its own records into the cell's file,
// never syncing, while the cell's writer works through its mode (docs/crash.md) — with
// write(), or (placement `mapped`) through a plain MAP_SHARED mapping, as a DAX-unaware
// program would.
#pragma once

#include <sys/types.h>

#include <chrono>

#include "bench/lab/guest/manifest.h"

namespace daxbench::crash {

// Forks the concurrent writer for `cell` (which must have one) once the cell's file exists.
// It opens the file by path, as an unrelated process would, writes record seq n at slot n-1
// of its region every kConcurrentPause — with pwrite(), or for `mapped` with ordinary stores
// into a MAP_SHARED (not MAP_SYNC) mapping, never flushed, never msync()ed — and publishes
// each written seq to `concurrent_write.written`, until `deadline` or its region is full. It
// dies with its parent.
pid_t start_concurrent_writer(const CrashCell& cell, std::uint64_t nonce,
                              std::chrono::steady_clock::time_point deadline);

// Paced, so that a cut 0.5–3 s in finds it part-way through its 8192 records (1 MiB file) and
// it takes a small share of the guest's two CPUs from the writer under test.
inline constexpr std::chrono::microseconds kConcurrentPause{1000};

}  // namespace daxbench::crash
