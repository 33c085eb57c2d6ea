// The block map of a file (FIEMAP ioctl), to prove that a run did not change it.
#pragma once

#include <cstdint>
#include <vector>

namespace daxbench {

struct Extent {
  std::uint64_t logical;
  std::uint64_t physical;
  std::uint64_t length;
  std::uint32_t flags;  // FIEMAP_EXTENT_*
  bool operator==(const Extent&) const = default;
};

// All extents of `fd`, written back first (FIEMAP_FLAG_SYNC) so delayed allocation cannot
// hide behind "unknown" extents. Throws SyscallError.
std::vector<Extent> read_extent_map(int fd);

}  // namespace daxbench
