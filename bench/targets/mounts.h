// Which mount a path lives on, from /proc/self/mountinfo, and whether it is DAX.
#pragma once

#include <string>

namespace daxbench {

struct MountInfo {
  std::string mount_point;
  std::string filesystem;
  std::string source;
  std::string options;  // per-mount and per-superblock options, comma-separated
};

// The mount holding `path` (the longest mount point that prefixes its real path).
MountInfo mount_of(const std::string& path);

// dax=always, or the old bare `dax` option. (dax=inode with per-file flags is reported as not
// DAX here: the suite does not set the per-inode flag.)
bool mount_is_dax(const MountInfo& mount);

}  // namespace daxbench
