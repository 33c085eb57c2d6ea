// FIEMAP: reads extents in batches until the last one.
#include "bench/io/fiemap.h"

#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

#include "bench/base/syscall_error.h"

namespace daxbench {

std::vector<Extent> read_extent_map(int fd) {
  constexpr std::uint32_t kBatch = 256;
  const std::size_t bytes = sizeof(fiemap) + kBatch * sizeof(fiemap_extent);
  std::unique_ptr<void, decltype(&std::free)> buffer(std::calloc(1, bytes), &std::free);
  auto* map = static_cast<fiemap*>(buffer.get());
  std::vector<Extent> extents;
  std::uint64_t start = 0;
  for (;;) {
    *map = fiemap{};
    map->fm_start = start;
    map->fm_length = FIEMAP_MAX_OFFSET - start;
    map->fm_flags = FIEMAP_FLAG_SYNC;
    map->fm_extent_count = kBatch;
    if (ioctl(fd, FS_IOC_FIEMAP, map) != 0) throw SyscallError("ioctl FS_IOC_FIEMAP", errno);
    if (map->fm_mapped_extents == 0) return extents;
    for (std::uint32_t i = 0; i < map->fm_mapped_extents; ++i) {
      const fiemap_extent& e = map->fm_extents[i];
      extents.push_back({e.fe_logical, e.fe_physical, e.fe_length, e.fe_flags});
      if (e.fe_flags & FIEMAP_EXTENT_LAST) return extents;
    }
    const fiemap_extent& last = map->fm_extents[map->fm_mapped_extents - 1];
    start = last.fe_logical + last.fe_length;
  }
}

}  // namespace daxbench
