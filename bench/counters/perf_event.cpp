// perf_event_open, ioctl and read for one counter, and the words that explain a failed open.
#include "bench/counters/perf_event.h"

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "bench/base/syscall_error.h"

namespace daxbench::perf {
namespace {

// perf_event_open(2) has no glibc wrapper.
int sys_perf_event_open(perf_event_attr* attr, pid_t pid, int cpu, int group_fd) {
  return static_cast<int>(
      syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, PERF_FLAG_FD_CLOEXEC));
}

// Many threads × many events can pass the default soft limit of 1024 fds; as perf(1) does,
// raise the soft limit to the hard one once and retry, rather than lose the counter.
bool raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return false;
  limit.rlim_cur = limit.rlim_max;
  return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

// Dynamic PMU types (>= PERF_TYPE_MAX) are what libpfm4 gives for hybrid cores and uncore units.
bool is_hardware(EventCode code) {
  return code.type == PERF_TYPE_HARDWARE || code.type == PERF_TYPE_HW_CACHE ||
         code.type == PERF_TYPE_RAW || code.type >= PERF_TYPE_MAX;
}

}  // namespace

std::optional<double> Reading::value() const {
  if (!multiplexed()) return static_cast<double>(raw);
  if (time_running == 0) return std::nullopt;
  return static_cast<double>(raw) * static_cast<double>(time_enabled) /
         static_cast<double>(time_running);
}

PerfEvent PerfEvent::open(EventCode code, pid_t pid, int cpu) {
  return open_with(code, pid, cpu, -1, false);
}

PerfEvent PerfEvent::open_leader(EventCode code, pid_t pid, int cpu) {
  return open_with(code, pid, cpu, -1, true);
}

PerfEvent PerfEvent::open_member(EventCode code, const PerfEvent& leader) {
  // A member follows its leader's pid and cpu; the kernel checks they match.
  return open_with(code, 0, -1, leader.fd_, false);
}

PerfEvent PerfEvent::open_with(EventCode code, pid_t pid, int cpu, int group_fd, bool leader) {
  perf_event_attr attr{};
  attr.size = sizeof attr;
  attr.type = code.type;
  attr.config = code.config;
  attr.config1 = code.config1;
  attr.config2 = code.config2;
  // No exclude_kernel by default: the syncs, faults and journal work measured here happen in the
  // kernel. libpfm4 strings may ask for it (":u").
  attr.exclude_user = code.exclude_user;
  attr.exclude_kernel = code.exclude_kernel;
  attr.exclude_hv = code.exclude_hv;
  // Enabled by the runner exactly when the timed phase starts; a member stays enabled and counts
  // whenever its leader does.
  if (group_fd < 0) attr.disabled = 1;
  attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
  if (leader) attr.read_format |= PERF_FORMAT_GROUP;
  PerfEvent event;
  event.fd_ = sys_perf_event_open(&attr, pid, cpu, group_fd);
  if (event.fd_ < 0 && errno == EMFILE && raise_fd_limit())
    event.fd_ = sys_perf_event_open(&attr, pid, cpu, group_fd);
  if (event.fd_ < 0) event.error_ = errno;
  return event;
}

PerfEvent::PerfEvent(PerfEvent&& other) noexcept : fd_(other.fd_), error_(other.error_) {
  other.fd_ = -1;
}

PerfEvent& PerfEvent::operator=(PerfEvent&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    error_ = other.error_;
    other.fd_ = -1;
  }
  return *this;
}

PerfEvent::~PerfEvent() {
  if (fd_ >= 0) close(fd_);
}

int PerfEvent::enable() {
  if (fd_ < 0) return error_ ? error_ : EBADF;
  return ioctl(fd_, PERF_EVENT_IOC_ENABLE, 0) == 0 ? 0 : errno;
}

int PerfEvent::disable() {
  if (fd_ < 0) return error_ ? error_ : EBADF;
  return ioctl(fd_, PERF_EVENT_IOC_DISABLE, 0) == 0 ? 0 : errno;
}

int PerfEvent::read(Reading& out) const {
  if (fd_ < 0) return error_ ? error_ : EBADF;
  std::uint64_t data[3] = {};  // value, time_enabled, time_running: the read_format above
  const ssize_t n = ::read(fd_, data, sizeof data);
  if (n < 0) return errno;
  if (n != static_cast<ssize_t>(sizeof data)) return EIO;
  out = {data[0], data[1], data[2]};
  return 0;
}

int PerfEvent::enable_group() {
  if (fd_ < 0) return error_ ? error_ : EBADF;
  return ioctl(fd_, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP) == 0 ? 0 : errno;
}

int PerfEvent::disable_group() {
  if (fd_ < 0) return error_ ? error_ : EBADF;
  return ioctl(fd_, PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP) == 0 ? 0 : errno;
}

int PerfEvent::read_group(std::span<Reading> out) const {
  if (fd_ < 0) return error_ ? error_ : EBADF;
  // nr, time_enabled, time_running, then one value per member: PERF_FORMAT_GROUP's layout.
  std::vector<std::uint64_t> data(3 + out.size());
  const ssize_t n = ::read(fd_, data.data(), data.size() * sizeof(std::uint64_t));
  if (n < 0) return errno;
  if (n != static_cast<ssize_t>(data.size() * sizeof(std::uint64_t)) || data[0] != out.size())
    return EIO;
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = {data[3 + i], data[1], data[2]};
  return 0;
}

std::optional<int> perf_event_paranoid() {
  std::ifstream in("/proc/sys/kernel/perf_event_paranoid");
  int value = 0;
  if (!(in >> value)) return std::nullopt;
  return value;
}

bool has_hardware_pmu() {
  namespace fs = std::filesystem;
  const fs::path devices = "/sys/bus/event_source/devices";
  // x86 names its core PMU "cpu" (hybrid parts: cpu_core, cpu_atom); Arm core PMUs list the
  // CPUs they cover in a "cpus" file. Uncore and software PMUs have neither.
  for (const char* name : {"cpu", "cpu_core", "cpu_atom"})
    if (fs::exists(devices / name)) return true;
  std::error_code error;
  for (const fs::directory_entry& pmu : fs::directory_iterator(devices, error))
    if (fs::exists(pmu.path() / "cpus", error)) return true;
  return false;
}

std::string explain_open_error(EventCode code, pid_t pid, int error) {
  std::string why;
  switch (error) {
    case ENOENT:
      if (is_hardware(code))
        why = has_hardware_pmu() ? "the CPU's PMU does not support this event" : "no hardware PMU";
      else if (code.type == PERF_TYPE_TRACEPOINT)
        why = "no tracepoint with id " + std::to_string(code.config);
      else
        why = "event not supported by this kernel";
      break;
    case ENODEV:
      why = "event not supported on this CPU";
      break;
    case EACCES:
    case EPERM: {
      const std::optional<int> paranoid = perf_event_paranoid();
      why = "perf_event_paranoid=" + (paranoid ? std::to_string(*paranoid) : std::string("?")) +
            (pid == -1 ? "; system-wide counting needs root" : "; run as root");
      break;
    }
    case EMFILE:
    case ENFILE:
      why = "too many open files";
      break;
    case EOPNOTSUPP:
      why = "the PMU cannot count this event in this mode";
      break;
    case EINVAL:
      why = "the kernel rejected the event's attributes";
      break;
    default:
      why = std::strerror(error);
  }
  return errno_name(error) + " (" + why + ")";
}

}  // namespace daxbench::perf
