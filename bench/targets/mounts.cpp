// Parses /proc/self/mountinfo (proc(5)) to find the mount of a path.
#include "bench/targets/mounts.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace daxbench {
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

}  // namespace daxbench
