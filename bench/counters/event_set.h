// Kernel counters described as data — name, source, scope, unit, direction, help — and the
// per-repetition set that opens them: per writer thread, or system-wide on every online CPU.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bench/base/metric.h"
#include "bench/counters/perf_event.h"

namespace daxbench::perf {

// Where a counter's perf_event_attr comes from, resolved in one place (resolve() in
// event_set.cpp): a fixed perf type and config, a tracepoint id from tracefs, or a libpfm4
// event string ("INST_RETIRED:ANY_P", "perf::page-faults") encoded by libpfm4; or a field of
// the thread's /proc/thread-self/io, read at start and stop (no perf event counts it).
enum class SourceKind { kSoftware, kHardware, kTracepoint, kPfm, kTaskIo };

struct CounterSource {
  SourceKind kind = SourceKind::kSoftware;
  std::uint64_t config = 0;  // PERF_COUNT_SW_* / PERF_COUNT_HW_*
  std::string_view event;    // tracepoint "sys:event", or the libpfm4 event string
};

constexpr CounterSource software(std::uint64_t config) {
  return {SourceKind::kSoftware, config, {}};
}
constexpr CounterSource hardware(std::uint64_t config) {
  return {SourceKind::kHardware, config, {}};
}
constexpr CounterSource tracepoint(std::string_view sys_event) {
  return {SourceKind::kTracepoint, 0, sys_event};
}
constexpr CounterSource pfm(std::string_view event) {
  return {SourceKind::kPfm, 0, event};
}
constexpr CounterSource task_io(std::string_view field) {
  return {SourceKind::kTaskIo, 0, field};
}

// One counter, as a row of a table. The views must outlive the set that opens it: the default
// table is static; a set read from YAML keeps its strings beside its rows (CounterTable).
struct CounterDef {
  std::string_view name;  // as written in records: "page_faults_minor", "fs_dax:dax_pte_fault"
  CounterSource source;
  Scope scope;  // kWriterThreads (pid 0, in each writer) or kSystemWide (pid -1, every CPU)
  std::string_view unit;
  Better better;
  std::string_view help;
};

// The counters every repetition records: software events, one hardware event, tracepoints.
std::span<const CounterDef> default_counter_set();

// The counters of one repetition. Thread t's calls come from writer thread t only (each thread
// owns its row, so no locks); the system-wide calls come from one thread at a time.
class CounterSet {
 public:
  // Resolves every source (tracepoint ids) and opens the system-wide counters, disabled.
  CounterSet(std::span<const CounterDef> defs, unsigned threads);

  void open_thread(unsigned t);   // on writer thread t, before warm-up: disabled
  void start_thread(unsigned t);  // right after the warm-up barrier
  void stop_thread(unsigned t);   // at the end of t's timed phase: disable and read
  void start_system();            // where the timed phase starts (the barrier's completion)
  void stop_system();             // once every writer has finished; idempotent

  // One metric per counter, in table order: summed over threads (or CPUs), scaled when
  // multiplexed, per_op = value / ops; or null with `unavailable: <ERRNO> (<why>)`.
  void add_metrics(std::uint64_t ops, Metrics& out) const;

 private:
  struct Slot {
    const CounterDef* def;
    EventCode code;
    std::string unavailable;      // set when the counter cannot be had at all (before any open)
    std::vector<PerfEvent> cpus;  // system-wide: one per online CPU
    std::vector<Reading> cpu_readings;
    std::string system_error;  // an enable/disable/read failure on one of the CPUs
  };
  struct Thread {
    std::vector<PerfEvent> events;  // per slot; unopened for system-wide or unavailable slots
    std::vector<Reading> readings;
    std::vector<std::string> errors;         // per slot: why the counter failed in this thread
    std::vector<std::size_t> group;          // slots opened as one group, the leader first
    std::vector<std::uint64_t> io_at_start;  // per kTaskIo slot: the field at start_thread
    bool stopped = false;
    bool grouped(std::size_t slot) const;
  };
  bool per_thread(const Slot& slot) const;
  static bool task_io(const Slot& slot);  // a /proc/thread-self/io field, not a perf event
  bool groupable(const Slot& slot) const;
  Metric metric_of(const Slot& slot, std::size_t index, std::uint64_t ops) const;

  std::vector<Slot> slots_;
  std::vector<Thread> threads_;
  bool system_started_ = false;
  bool system_stopped_ = false;
};

// A field of the calling thread's /proc/thread-self/io ("write_bytes"), or nullopt.
std::optional<std::uint64_t> task_io_field(std::string_view field);

// The CPUs in /sys/devices/system/cpu/online ("0-3,6").
std::vector<int> online_cpus();

}  // namespace daxbench::perf
