// One perf_event_open counter as an RAII handle: opened disabled, enabled and disabled with
// ioctl, read with its enabled/running times so a multiplexed count can be scaled honestly.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace daxbench::perf {

// What the kernel is asked to count: perf_event_attr.type, .config and, for libpfm4 encodings,
// .config1/.config2 and the privilege levels libpfm4 chose.
struct EventCode {
  std::uint32_t type = 0;
  std::uint64_t config = 0;
  std::uint64_t config1 = 0;
  std::uint64_t config2 = 0;
  bool exclude_user = false;
  bool exclude_kernel = false;
  bool exclude_hv = false;
};

// One read (PERF_FORMAT_TOTAL_TIME_ENABLED|TOTAL_TIME_RUNNING). Readings of several fds (threads,
// CPUs) add up field by field; scale each before adding when they may be multiplexed alike.
struct Reading {
  std::uint64_t raw = 0;
  std::uint64_t time_enabled = 0;  // ns the counter was enabled
  std::uint64_t time_running = 0;  // ns it was actually on the PMU (less when multiplexed)

  // raw × enabled / running when multiplexed; raw otherwise. Null if it was enabled but never
  // ran: nothing was counted, so no estimate exists.
  std::optional<double> value() const;
  bool multiplexed() const { return time_running < time_enabled; }
};

class PerfEvent {
 public:
  PerfEvent() = default;
  // Opens a disabled counter. pid 0, cpu -1: the calling thread on any CPU; pid -1, cpu N:
  // every task on CPU N (system-wide needs root or CAP_PERFMON). Never throws: a failed open
  // gives a handle whose error() is the errno.
  static PerfEvent open(EventCode code, pid_t pid, int cpu);
  // A group: the leader reads every member at once (PERF_FORMAT_GROUP), so they share one
  // enabled/running time and are multiplexed together. Members join with the leader's handle.
  static PerfEvent open_leader(EventCode code, pid_t pid, int cpu);
  static PerfEvent open_member(EventCode code, const PerfEvent& leader);

  PerfEvent(PerfEvent&& other) noexcept;
  PerfEvent& operator=(PerfEvent&& other) noexcept;
  PerfEvent(const PerfEvent&) = delete;
  PerfEvent& operator=(const PerfEvent&) = delete;
  ~PerfEvent();

  bool is_open() const { return fd_ >= 0; }
  int error() const { return error_; }  // errno of the failed open; 0 when open
  int enable();                         // 0 or errno
  int disable();                        // 0 or errno
  int read(Reading& out) const;         // 0 or errno
  // On a leader: the whole group at once (PERF_IOC_FLAG_GROUP); out[i] is the i-th member opened,
  // the leader first.
  int enable_group();
  int disable_group();
  int read_group(std::span<Reading> out) const;

 private:
  static PerfEvent open_with(EventCode code, pid_t pid, int cpu, int group_fd, bool leader);
  int fd_ = -1;
  int error_ = 0;
};

// "ENOENT (no hardware PMU)": the errno by name and why, in words, for a record's status.
std::string explain_open_error(EventCode code, pid_t pid, int error);

// /proc/sys/kernel/perf_event_paranoid, or null where the file cannot be read.
std::optional<int> perf_event_paranoid();

// Whether a core (CPU) PMU is registered: hardware events cannot open without one.
bool has_hardware_pmu();

}  // namespace daxbench::perf
