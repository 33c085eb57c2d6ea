// The crash images a checker boots on after a cut under ADR (docs/crash.md, "Crash images"):
// besides the strict image (what the persistence model says was guaranteed) and the live
// file (every store that executed), seeded mixes of the two, which stand for caches that
// happened to evict some dirty lines before the power went.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace daxbench {

struct MixedImage {
  std::uint64_t lines_differing = 0;  // 64-byte lines where strict and live differ
  std::uint64_t lines_from_live = 0;  // of those, taken from live
  std::string problem;                // empty when the image was written
};

// Writes `out` (which must not exist): `strict` with each line that differs from `live`
// taken from `live` when a coin from Rng(seed, 0) says so, probability 1/2. The files are
// sparse pmem images: only their data extents are read, and all-zero chunks stay holes.
MixedImage make_mixed_image(const std::filesystem::path& strict, const std::filesystem::path& live,
                            const std::filesystem::path& out, std::uint64_t seed);

}  // namespace daxbench
