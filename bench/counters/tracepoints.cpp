// Locating (or mounting, and at the end unmounting) tracefs and reading tracepoint ids from it.
// libpfm4 only looks under debugfs, which modern systems do not mount, so the ids are read here
// directly.
#include "bench/counters/tracepoints.h"

#include <sys/mount.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

#include "bench/base/syscall_error.h"

namespace daxbench::perf {
namespace {

constexpr const char* kTracefsPath = "/sys/kernel/tracing";
constexpr const char* kDebugfsTracingPath = "/sys/kernel/debug/tracing";

// An unmounted /sys/kernel/tracing is an empty directory: a mounted one has events/. Returns 0,
// or the errno that stopped us seeing events/ (EACCES: mounted, but root-only).
int events_error(const std::string& dir) {
  std::error_code error;
  if (std::filesystem::is_directory(dir + "/events", error)) return 0;
  return error ? error.value() : ENOENT;
}

// Subsystem and event names are identifiers; anything else (a '/', "..") is refused before it
// becomes part of a path.
bool is_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  return true;
}

Tracefs locate_tracefs() {
  Tracefs found;
  std::vector<std::string> candidates = {kTracefsPath, kDebugfsTracingPath};
  for (std::string& mount_point : mount_points_of("tracefs"))
    candidates.push_back(std::move(mount_point));
  for (const std::string& candidate : candidates) {
    const int error = events_error(candidate);
    if (error == 0) {
      found.path = candidate;
      return found;
    }
    if (error == EACCES || error == EPERM) {
      found.error = error;
      found.problem = "tracefs at " + candidate + " is readable by root only";
      return found;
    }
  }
  if (geteuid() != 0) {
    found.error = EPERM;
    found.problem = "tracefs is not mounted and mounting it needs root";
    return found;
  }
  // What libtracefs does when tracefs is missing: mount it where the kernel expects it.
  if (mount("nodev", kTracefsPath, "tracefs", 0, nullptr) != 0) {
    found.error = errno;
    found.problem = "tracefs is not mounted and mount at " + std::string(kTracefsPath) +
                    " failed: " + errno_name(found.error);
    return found;
  }
  found.path = kTracefsPath;
  found.mounted_by_us = true;
  return found;
}

// The process's view of tracefs, behind one mutex: counters are opened from every writer
// thread, and the answer changes when another process unmounts it or we release it.
struct State {
  std::mutex mutex;
  bool located = false;
  Tracefs found;
  pid_t mounted_by = 0;  // the pid that mounted it: a forked child never unmounts it
  std::optional<std::string> released;
};

State& state() {
  static State s;
  return s;
}

void release_at_exit() {
  release_tracefs();
}

// With the mutex held. A path whose events/ has gone is looked for again.
const Tracefs& current(State& s) {
  if (s.located && (s.found.path.empty() || events_error(s.found.path) == 0)) return s.found;
  s.found = locate_tracefs();
  s.located = true;
  if (s.found.mounted_by_us) {
    static std::once_flag registered;
    std::call_once(registered, [] { std::atexit(release_at_exit); });
    s.mounted_by = getpid();
    s.released.reset();
  }
  return s.found;
}

}  // namespace

std::vector<std::string> mount_points_of(std::string_view type) {
  std::vector<std::string> found;
  std::ifstream mounts("/proc/self/mounts");
  std::string line;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string source, target, kind;
    fields >> source >> target >> kind;
    if (kind == type) found.push_back(target);
  }
  return found;
}

Tracefs tracefs() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  return current(s);
}

std::optional<std::string> release_tracefs() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (!s.found.mounted_by_us || s.mounted_by != getpid()) return s.released;
  const std::string what = "mounted by daxbench at " + s.found.path;
  if (umount2(s.found.path.c_str(), UMOUNT_NOFOLLOW) != 0) {
    // Left as it is (and ours no more: a later release does not try again).
    const int error = errno;
    s.released = what + " and left mounted: umount failed: " + errno_name(error) +
                 (error == EBUSY ? " (a file in it is open)" : "");
  } else {
    s.released = what + " and unmounted";
    s.located = false;  // found (or mounted) again if anything asks for it later
  }
  s.found.mounted_by_us = false;
  return s.released;
}

TracepointId tracepoint_id(std::string_view sys_event) {
  TracepointId result;
  const std::size_t colon = sys_event.find(':');
  if (colon == std::string_view::npos || !is_name(sys_event.substr(0, colon)) ||
      !is_name(sys_event.substr(colon + 1))) {
    result.unavailable = "EINVAL (not a tracepoint name of the form sys:event)";
    return result;
  }
  Tracefs fs = tracefs();
  if (fs.path.empty()) {
    result.unavailable = errno_name(fs.error) + " (" + fs.problem + ")";
    return result;
  }
  const std::string relative = "/events/" + std::string(sys_event.substr(0, colon)) + "/" +
                               std::string(sys_event.substr(colon + 1)) + "/id";
  std::string path = fs.path + relative;
  errno = 0;
  std::ifstream in(path);
  if (!in && events_error(fs.path) != 0) {
    // Tracefs went away under us (another process unmounted the one it had mounted): once
    // more, wherever it is now.
    fs = tracefs();
    if (fs.path.empty()) {
      result.unavailable = errno_name(fs.error) + " (" + fs.problem + ")";
      return result;
    }
    path = fs.path + relative;
    errno = 0;
    in.clear();
    in.open(path);
  }
  if (!in) {
    const int error = errno ? errno : ENOENT;
    if (error == ENOENT)
      result.unavailable = "ENOENT (no tracepoint " + std::string(sys_event) + " on this kernel)";
    else if (error == EACCES || error == EPERM)
      result.unavailable = errno_name(error) + " (cannot read " + path + "; run as root)";
    else
      result.unavailable = errno_text(path, error);
    return result;
  }
  std::string text;
  in >> text;
  std::uint64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    result.unavailable = "EINVAL (" + path + " does not hold a number)";
    return result;
  }
  result.id = id;
  return result;
}

}  // namespace daxbench::perf
