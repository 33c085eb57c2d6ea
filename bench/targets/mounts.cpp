// Parses /proc/self/mountinfo (proc(5)) to find the mount of a path; reads a pmem region's
// persistence domain from sysfs.
#include "bench/targets/mounts.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace daxbench {

namespace fs = std::filesystem;

namespace {

// mountinfo escapes spaces and friends as \ooo octal.
std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool has_option(const std::string& options, const std::string& wanted) {
  std::stringstream in(options);
  std::string option;
  while (std::getline(in, option, ','))
    if (option == wanted) return true;
  return false;
}

}  // namespace

MountInfo mount_of(const std::string& path) {
  std::error_code ec;
  const std::string real = std::filesystem::weakly_canonical(path, ec).string();
  std::ifstream in("/proc/self/mountinfo");
  MountInfo best;
  std::string line;
  while (std::getline(in, line)) {
    // id parent major:minor root mount_point mount_options [optional...] - fstype source
    // super_options
    std::istringstream fields(line);
    std::string id, parent, device, root, mount_point, mount_options, word;
    fields >> id >> parent >> device >> root >> mount_point >> mount_options;
    while (fields >> word && word != "-") {
    }
    std::string fstype, source, super_options;
    fields >> fstype >> source >> super_options;
    mount_point = unescape(mount_point);
    const bool prefixes =
        real == mount_point || mount_point == "/" || real.starts_with(mount_point + "/");
    if (prefixes && mount_point.size() >= best.mount_point.size())
      best = {mount_point, fstype, unescape(source), mount_options + "," + super_options};
  }
  return best;
}

bool mount_is_dax(const MountInfo& mount) {
  return has_option(mount.options, "dax=always") || has_option(mount.options, "dax");
}

std::optional<std::string> region_persistence_domain(const std::string& device) {
  struct stat st {};
  if (stat(device.c_str(), &st) != 0 || !(S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode)))
    return std::nullopt;
  // /sys/dev/{block,char}/M:m is the device's node; its region (regionN, which holds the file)
  // is an ancestor: region0/namespace0.0/block/pmem0 or region0/dax0.0/dax/dax0.0.
  const std::string node = std::string("/sys/dev/") + (S_ISBLK(st.st_mode) ? "block/" : "char/") +
                           std::to_string(major(st.st_rdev)) + ":" +
                           std::to_string(minor(st.st_rdev));
  std::error_code error;
  fs::path dir = fs::canonical(node, error);
  if (error) return std::nullopt;
  for (; dir.has_relative_path() && dir != "/sys/devices"; dir = dir.parent_path()) {
    std::ifstream in(dir / "persistence_domain");
    if (!in) {
      // The region itself without the file: the kernel shows it only when the platform
      // claims a domain (ND_REGION_PERSIST_CACHE or _MEMCTRL); virtio-pmem claims none.
      if (dir.filename().string().starts_with("region") && fs::exists(dir / "nstype"))
        return std::string();
      continue;
    }
    std::string domain;
    std::getline(in, domain);
    return domain;
  }
  return std::nullopt;
}

std::string describe_persistence_domain(const std::string& device, const std::string& otherwise) {
  const std::optional<std::string> domain = region_persistence_domain(device);
  if (!domain) return otherwise;
  if (*domain == "memory_controller")
    return "memory_controller (the kernel's word for the region: ADR, flush the cache to persist)";
  if (*domain == "cpu_cache")
    return "cpu_cache (the kernel's word for the region: eADR, the CPU cache is persistent)";
  if (domain->empty())
    return "none (the kernel reports no persistence domain for the region: neither ADR nor eADR; "
           "e.g. virtio-pmem, where writes are durable only once fsync/msync has sent the "
           "device's flush)";
  return "'" + *domain + "' (the kernel reports neither ADR nor eADR for the region)";
}

}  // namespace daxbench
