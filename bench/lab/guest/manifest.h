// The crash manifest: the cells one power cut covers, written by the host and read by both
// crash-writer and crash-check, so both agree on every file, seed and nonce.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/lab/guest/crash_workload.h"
#include "bench/modes/mode.h"

namespace daxbench::crash {

// The seed thread's concurrency question: while the cell's writer works through its mode, a
// second process writes records of its own into the same file and never syncs. `inside`: it
// write()s the file's second half (the cell's workload keeps the first); `append`: it write()s
// past the end, growing the file (the workload keeps the whole prepared size); `mapped`
// (Lutomirski's question): a DAX-unaware process maps the file with plain MAP_SHARED, no
// MAP_SYNC, and stores into its second half, never flushing or msync()ing. Each way it takes
// size/2 bytes and never touches the workload's records.
struct ConcurrentWrite {
  std::string placement;          // "inside", "append" or "mapped"
  std::filesystem::path written;  // its last written seq, like `ack` (written, never synced)
};

struct CrashCell {
  std::string id;
  const CrashWorkloadDesc* workload = nullptr;
  const ModeDesc* mode = nullptr;
  std::string file_state;  // sparse, fallocated or zeroed
  std::string flush;       // "auto" or a registered primitive; used by flushing modes only
  std::filesystem::path file;
  std::filesystem::path ack;  // acknowledged seq: 8 bytes little-endian at offset 0
  std::uint64_t size = 0;
  std::uint64_t seed = 0;
  double max_seconds = 0;
  std::optional<ConcurrentWrite> concurrent_write;
};

inline constexpr std::string_view kPlacements[] = {"inside", "append", "mapped"};

// The placement whose writer stores through a mapping instead of calling write().
inline constexpr std::string_view kMappedPlacement = "mapped";

// Where the cell's workload and its concurrent writer keep their records.
struct CellLayout {
  std::uint64_t workload_bytes;                       // from offset 0
  std::uint64_t writer_offset = 0, writer_bytes = 0;  // 0 bytes: no concurrent writer
  std::uint64_t end() const { return std::max(workload_bytes, writer_offset + writer_bytes); }
};
CellLayout cell_layout(const CrashCell& cell);

// The concurrent writer's records carry their own nonce, so neither side's checker ever takes
// the other's records for its own.
std::uint64_t concurrent_nonce(std::uint64_t nonce);

struct CrashManifest {
  std::uint64_t nonce = 0;
  std::vector<CrashCell> cells;
};

// The message names the field: "cells[1].mode: unknown mode 'x' (registered: ...)".
struct ManifestError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

CrashManifest parse_manifest(const std::string& text);
CrashManifest load_manifest(const std::filesystem::path& path);

// Where a cell's writer reports how it went (started/finished/unsupported/failed).
std::filesystem::path status_path(const CrashCell& cell);

}  // namespace daxbench::crash
