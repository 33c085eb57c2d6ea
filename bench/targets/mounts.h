// Which mount a path lives on, from /proc/self/mountinfo, whether it is DAX, and what the
// kernel says of the pmem region under a device.
#pragma once

#include <optional>
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

// The `persistence_domain` the kernel reports for the NVDIMM region under a block or character
// device (`/dev/pmem0`, `/dev/dax0.0`): "memory_controller" (ADR), "cpu_cache" (eADR), or ""
// where it reports neither (a region without the file, as virtio-pmem's: the kernel hides it
// when the platform claims no domain). nullopt if the device is not in a pmem region (no
// regionN folder on the way up from its sysfs node).
std::optional<std::string> region_persistence_domain(const std::string& device);

// A target's `persistence_domain` fact from that: the kernel's word and what it means, or
// `otherwise` if the device is in no region.
std::string describe_persistence_domain(const std::string& device, const std::string& otherwise);

}  // namespace daxbench
