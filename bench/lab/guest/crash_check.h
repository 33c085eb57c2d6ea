// `daxbench crash-check`: what each cell's file holds of what its writer acknowledged. Reads
// only; never changes a data file.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "bench/lab/guest/manifest.h"

namespace daxbench::crash {

struct CellCheck {
  CheckCounts counts;
  bool file_missing = false;
  std::uint64_t file_bytes = 0;  // the data file's size as found (0 when missing)
  // What the concurrent writer's region holds of what it wrote, counted as a log-append cell:
  // `acknowledged` is what it had written (write() returned), never a durability promise.
  std::optional<CheckCounts> concurrent;
};

// The acknowledged seq in `ack`: 0 when the file is missing or shorter than 8 bytes.
std::uint64_t read_acked(const std::filesystem::path& ack);

CellCheck check_cell(const CrashCell& cell, std::uint64_t nonce);

// One line of crash-check's output.
nlohmann::json check_record(const CrashCell& cell, const CellCheck& check);

// Checks every cell and writes one JSON object per line to `out`.
void run_crash_check(const CrashManifest& manifest, const std::filesystem::path& out);

}  // namespace daxbench::crash
