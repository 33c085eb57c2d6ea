// The default counter table, and opening, enabling, reading and summing a set of counters
// over the writer threads (or the CPUs) of one repetition.
#include "bench/counters/event_set.h"

#include <linux/perf_event.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "bench/base/syscall_error.h"
#include "bench/counters/pfm.h"
#include "bench/counters/tracepoints.h"

namespace daxbench::perf {
namespace {

constexpr Scope kThreads = Scope::kWriterThreads;
constexpr Scope kSystem = Scope::kSystemWide;

// Syscall and filesystem tracepoints fire in the context of the task that made the call, so
// they are counted in the writer threads. Journal commits (jbd2) and XFS log forces also run
// in kernel threads and workqueues: counted system-wide, they include everyone's.
constexpr CounterDef kDefaultCounters[] = {
    {"task_clock", software(PERF_COUNT_SW_TASK_CLOCK), kThreads, "ns", Better::kLower,
     "CPU time of the writer threads, user and kernel (perf task-clock)"},
    {"page_faults", software(PERF_COUNT_SW_PAGE_FAULTS), kThreads, "count", Better::kLower,
     "page faults of the writer threads, including those that raised a signal "
     "(fsync-per-fault's traps)"},
    {"page_faults_minor", software(PERF_COUNT_SW_PAGE_FAULTS_MIN), kThreads, "count",
     Better::kLower, "page faults of the writer threads completed without I/O"},
    {"page_faults_major", software(PERF_COUNT_SW_PAGE_FAULTS_MAJ), kThreads, "count",
     Better::kLower, "page faults of the writer threads that needed I/O or a retry"},
    {"context_switches", software(PERF_COUNT_SW_CONTEXT_SWITCHES), kThreads, "count",
     Better::kLower, "context switches of the writer threads (blocking in a sync, or preempted)"},
    {"cpu_migrations", software(PERF_COUNT_SW_CPU_MIGRATIONS), kThreads, "count", Better::kLower,
     "moves of a writer thread to another CPU"},
    // Page-cache write amplification: the kernel accounts write_bytes when a folio is dirtied,
    // whole, so one 64 B store into a 2 MiB folio counts 2 MiB — what the next sync writes back.
    {"dirtied_bytes", task_io("write_bytes"), kThreads, "bytes", Better::kLower,
     "page cache the writer threads dirtied, by whole folios (/proc/thread-self/io "
     "write_bytes): what their syncs then write back; 0 on DAX, which has no page cache"},
    {"cycles", hardware(PERF_COUNT_HW_CPU_CYCLES), kThreads, "count", Better::kLower,
     "CPU cycles of the writer threads, user and kernel (hardware PMU)"},
    {"syscalls:sys_enter_fsync", tracepoint("syscalls:sys_enter_fsync"), kThreads, "count",
     Better::kLower, "fsync calls the kernel received from the writer threads"},
    {"syscalls:sys_enter_fdatasync", tracepoint("syscalls:sys_enter_fdatasync"), kThreads, "count",
     Better::kLower, "fdatasync calls the kernel received from the writer threads"},
    {"syscalls:sys_enter_msync", tracepoint("syscalls:sys_enter_msync"), kThreads, "count",
     Better::kLower, "msync calls the kernel received from the writer threads"},
    {"syscalls:sys_enter_mprotect", tracepoint("syscalls:sys_enter_mprotect"), kThreads, "count",
     Better::kLower, "mprotect calls the kernel received from the writer threads"},
    {"fs_dax:dax_pte_fault", tracepoint("fs_dax:dax_pte_fault"), kThreads, "count", Better::kLower,
     "4 KiB DAX faults of the writer threads (DAX mounts only)"},
    {"fs_dax:dax_pmd_fault", tracepoint("fs_dax:dax_pmd_fault"), kThreads, "count", Better::kLower,
     "2 MiB DAX faults of the writer threads (DAX mounts only)"},
    {"fs_dax:dax_writeback_one", tracepoint("fs_dax:dax_writeback_one"), kThreads, "count",
     Better::kLower, "DAX entries written back by the writer threads' syncs (DAX mounts only)"},
    {"ext4:ext4_sync_file_enter", tracepoint("ext4:ext4_sync_file_enter"), kThreads, "count",
     Better::kLower, "ext4 file syncs entered by the writer threads (fsync, fdatasync, msync)"},
    {"ext4:ext4_allocate_blocks", tracepoint("ext4:ext4_allocate_blocks"), kThreads, "count",
     Better::kLower,
     "ext4 block allocations in the writer threads: delayed allocation happens at writeback, "
     "so a sync of never-written pages of a sparse file allocates here, in the syncing thread"},
    {"jbd2:jbd2_end_commit", tracepoint("jbd2:jbd2_end_commit"), kSystem, "count", Better::kLower,
     "system-wide: ext4 journal commits finished by jbd2 threads on every CPU during the timed "
     "phase, whoever caused them"},
    {"xfs:xfs_log_force", tracepoint("xfs:xfs_log_force"), kSystem, "count", Better::kLower,
     "system-wide: XFS log forces on every CPU during the timed phase (fsync, log worker, AIL), "
     "whoever caused them"},
};

struct Resolved {
  EventCode code;
  std::string unavailable;
};

Resolved resolve(const CounterSource& source) {
  switch (source.kind) {
    case SourceKind::kSoftware:
      return {{PERF_TYPE_SOFTWARE, source.config}, {}};
    case SourceKind::kHardware:
      return {{PERF_TYPE_HARDWARE, source.config}, {}};
    case SourceKind::kTracepoint: {
      TracepointId id = tracepoint_id(source.event);
      if (!id.id) return {{}, std::move(id.unavailable)};
      return {{PERF_TYPE_TRACEPOINT, *id.id}, {}};
    }
    case SourceKind::kPfm: {
      // A config never gets here with an unknown event (the loader rejects it); a table in code
      // might.
      PfmEncoding encoding = pfm_encode(source.event);
      if (!encoding.ok) return {{}, "EINVAL (libpfm4: " + encoding.error + ")"};
      return {encoding.code, {}};
    }
    case SourceKind::kTaskIo:
      if (!task_io_field(source.event))
        return {{},
                "ENOENT (no " + std::string(source.event) +
                    " in /proc/thread-self/io: a kernel without CONFIG_TASK_IO_ACCOUNTING)"};
      return {{}, {}};
  }
  return {{}, "EINVAL (unknown counter source)"};
}

std::string step_error(const char* step, int error) {
  return errno_name(error) + " (" + step + " failed: " + std::strerror(error) + ")";
}

}  // namespace

std::optional<std::uint64_t> task_io_field(std::string_view field) {
  std::ifstream in("/proc/thread-self/io");
  std::string name;
  std::uint64_t value = 0;
  while (in >> name >> value)
    if (name.size() == field.size() + 1 && name.starts_with(field) && name.back() == ':')
      return value;
  return std::nullopt;
}

std::span<const CounterDef> default_counter_set() {
  return kDefaultCounters;
}

std::vector<int> online_cpus() {
  std::vector<int> cpus;
  std::ifstream in("/sys/devices/system/cpu/online");
  std::string list;
  if (in >> list) {
    std::istringstream ranges(list);
    std::string range;
    while (std::getline(ranges, range, ',')) {
      const std::size_t dash = range.find('-');
      try {
        const int first = std::stoi(range.substr(0, dash));
        const int last = dash == std::string::npos ? first : std::stoi(range.substr(dash + 1));
        for (int cpu = first; cpu <= last; ++cpu) cpus.push_back(cpu);
      } catch (const std::exception&) {
        cpus.clear();
        break;
      }
    }
  }
  if (cpus.empty())
    for (long cpu = 0; cpu < sysconf(_SC_NPROCESSORS_ONLN); ++cpu)
      cpus.push_back(static_cast<int>(cpu));
  return cpus;
}

CounterSet::CounterSet(std::span<const CounterDef> defs, unsigned threads) : threads_(threads) {
  const std::vector<int> cpus = online_cpus();
  slots_.reserve(defs.size());
  for (const CounterDef& def : defs) {
    Resolved resolved = resolve(def.source);
    Slot slot{&def, resolved.code, std::move(resolved.unavailable), {}, {}, {}};
    if (slot.unavailable.empty() && def.scope == Scope::kSystemWide) {
      for (int cpu : cpus) {
        PerfEvent event = PerfEvent::open(slot.code, -1, cpu);
        if (!event.is_open()) {
          // A count that misses some CPUs would look complete and be wrong: all or nothing.
          slot.unavailable = explain_open_error(slot.code, -1, event.error());
          slot.cpus.clear();
          break;
        }
        slot.cpus.push_back(std::move(event));
      }
    }
    slots_.push_back(std::move(slot));
  }
  for (Thread& thread : threads_) {
    thread.events.resize(slots_.size());
    thread.readings.resize(slots_.size());
    thread.errors.resize(slots_.size());
    thread.io_at_start.resize(slots_.size());
  }
}

bool CounterSet::task_io(const Slot& slot) {
  return slot.def->source.kind == SourceKind::kTaskIo && slot.unavailable.empty();
}

bool CounterSet::per_thread(const Slot& slot) const {
  return slot.def->scope != Scope::kSystemWide;
}

// Hardware and libpfm4 events of one thread share the PMU's few counters: as a group they are
// scheduled together, so their ratios (instructions per cycle) come from the same intervals.
// Fixed software events and tracepoints are never multiplexed and stay on their own fds.
bool CounterSet::groupable(const Slot& slot) const {
  const SourceKind kind = slot.def->source.kind;
  return per_thread(slot) && slot.unavailable.empty() &&
         (kind == SourceKind::kHardware || kind == SourceKind::kPfm);
}

bool CounterSet::Thread::grouped(std::size_t slot) const {
  return std::find(group.begin(), group.end(), slot) != group.end();
}

void CounterSet::open_thread(unsigned t) {
  Thread& thread = threads_.at(t);
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < slots_.size(); ++i)
    if (groupable(slots_[i])) candidates.push_back(i);
  if (candidates.size() < 2) candidates.clear();  // a group of one is just an fd
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const Slot& slot = slots_[i];
    if (!per_thread(slot) || !slot.unavailable.empty() || task_io(slot)) continue;
    if (std::find(candidates.begin(), candidates.end(), i) != candidates.end()) continue;
    thread.events[i] = PerfEvent::open(slot.code, 0, -1);
    if (!thread.events[i].is_open())
      thread.errors[i] = explain_open_error(slot.code, 0, thread.events[i].error());
  }
  // The first event that opens leads; one the kernel refuses (no PMU) leaves the next to lead.
  for (std::size_t i : candidates) {
    const Slot& slot = slots_[i];
    thread.events[i] = thread.group.empty()
                           ? PerfEvent::open_leader(slot.code, 0, -1)
                           : PerfEvent::open_member(slot.code, thread.events[thread.group[0]]);
    if (thread.events[i].is_open())
      thread.group.push_back(i);
    else
      thread.errors[i] = explain_open_error(slot.code, 0, thread.events[i].error());
  }
}

void CounterSet::start_thread(unsigned t) {
  Thread& thread = threads_.at(t);
  for (std::size_t i = 0; i < slots_.size(); ++i)
    if (task_io(slots_[i]))
      thread.io_at_start[i] = task_io_field(slots_[i].def->source.event).value_or(0);
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (!thread.events[i].is_open() || thread.grouped(i)) continue;
    if (const int error = thread.events[i].enable())
      thread.errors[i] = step_error("PERF_EVENT_IOC_ENABLE", error);
  }
  if (!thread.group.empty())
    if (const int error = thread.events[thread.group[0]].enable_group())
      for (std::size_t i : thread.group)
        thread.errors[i] = step_error("PERF_EVENT_IOC_ENABLE", error);
}

void CounterSet::stop_thread(unsigned t) {
  Thread& thread = threads_.at(t);
  // Disable everything first, then read: the reads must not count each other.
  if (!thread.group.empty())
    if (const int error = thread.events[thread.group[0]].disable_group())
      for (std::size_t i : thread.group)
        thread.errors[i] = step_error("PERF_EVENT_IOC_DISABLE", error);
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (!thread.events[i].is_open() || thread.grouped(i)) continue;
    if (const int error = thread.events[i].disable())
      thread.errors[i] = step_error("PERF_EVENT_IOC_DISABLE", error);
  }
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (!task_io(slots_[i])) continue;
    const std::optional<std::uint64_t> now = task_io_field(slots_[i].def->source.event);
    if (!now)
      thread.errors[i] = "EIO (/proc/thread-self/io unreadable at the end of the timed phase)";
    else  // never scheduled out: enabled = running
      thread.readings[i] = Reading{*now - std::min(*now, thread.io_at_start[i]), 1, 1};
  }
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (!thread.events[i].is_open() || thread.grouped(i) || !thread.errors[i].empty()) continue;
    if (const int error = thread.events[i].read(thread.readings[i]))
      thread.errors[i] = step_error("read", error);
  }
  if (!thread.group.empty() && thread.errors[thread.group[0]].empty()) {
    std::vector<Reading> readings(thread.group.size());
    const int error = thread.events[thread.group[0]].read_group(readings);
    for (std::size_t k = 0; k < thread.group.size(); ++k) {
      if (error)
        thread.errors[thread.group[k]] = step_error("read", error);
      else
        thread.readings[thread.group[k]] = readings[k];
    }
  }
  thread.stopped = true;
}

void CounterSet::start_system() {
  if (system_started_) return;
  system_started_ = true;
  for (Slot& slot : slots_)
    for (PerfEvent& event : slot.cpus)
      if (const int error = event.enable(); error && slot.system_error.empty())
        slot.system_error = step_error("PERF_EVENT_IOC_ENABLE", error);
}

void CounterSet::stop_system() {
  if (!system_started_ || system_stopped_) return;
  system_stopped_ = true;
  for (Slot& slot : slots_)
    for (PerfEvent& event : slot.cpus)
      if (const int error = event.disable(); error && slot.system_error.empty())
        slot.system_error = step_error("PERF_EVENT_IOC_DISABLE", error);
  for (Slot& slot : slots_) {
    slot.cpu_readings.assign(slot.cpus.size(), {});
    for (std::size_t c = 0; c < slot.cpus.size(); ++c)
      if (const int error = slot.cpus[c].read(slot.cpu_readings[c]);
          error && slot.system_error.empty())
        slot.system_error = step_error("read", error);
  }
}

Metric CounterSet::metric_of(const Slot& slot, std::size_t index, std::uint64_t ops) const {
  const CounterDef& def = *slot.def;
  Metric m{std::string(def.name), std::nullopt, std::nullopt,
           std::string(def.unit), def.better,   "ok",
           std::string(def.help), def.scope};
  auto unavailable = [&](const std::string& why) {
    m.status = "unavailable: " + why;
    return m;
  };
  if (!slot.unavailable.empty()) return unavailable(slot.unavailable);

  std::vector<const Reading*> readings;
  if (per_thread(slot)) {
    for (const Thread& thread : threads_) {
      if (!thread.errors[index].empty()) return unavailable(thread.errors[index]);
      if (!thread.stopped) return unavailable("ECANCELED (a writer thread did not finish)");
      readings.push_back(&thread.readings[index]);
    }
  } else {
    if (!slot.system_error.empty()) return unavailable(slot.system_error);
    if (!system_stopped_) return unavailable("ECANCELED (the timed phase did not run)");
    for (const Reading& r : slot.cpu_readings) readings.push_back(&r);
  }

  // Each fd is scaled by its own times before summing: threads and CPUs multiplex separately.
  double value = 0;
  std::uint64_t enabled = 0, running = 0;
  for (const Reading* r : readings) {
    const std::optional<double> v = r->value();
    if (!v) return unavailable("ENODATA (enabled but never scheduled on the PMU: multiplexed out)");
    value += *v;
    enabled += r->time_enabled;
    running += r->time_running;
  }
  m.value = value;
  if (ops > 0) m.per_op = value / static_cast<double>(ops);
  m.running_fraction =
      enabled > 0 ? static_cast<double>(running) / static_cast<double>(enabled) : 1.0;
  return m;
}

void CounterSet::add_metrics(std::uint64_t ops, Metrics& out) const {
  for (std::size_t i = 0; i < slots_.size(); ++i) out.add(metric_of(slots_[i], i, ops));
}

}  // namespace daxbench::perf
