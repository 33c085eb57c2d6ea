// The crash manifest: the cells one power cut covers, written by the host and read by both
// crash-writer and crash-check, so both agree on every file, seed and nonce.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/crash/crash_workload.h"
#include "bench/modes/mode.h"

namespace daxbench::crash {

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
};

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
