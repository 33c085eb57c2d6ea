// Kernel counters (perf software events, tracepoints, hardware events) in a repetition's
// record: the kernel's own count of what the suite says it did, asserted exactly wherever the
// kernel's mechanism makes the count exact.
#include "counter_test_support.h"

namespace daxbench {
namespace {

using namespace counter_testing;

TEST(KernelCounters, FdatasyncTracepointCountsEveryCommitAndNothingFromTheWarmUp) {
  SKIP_WITHOUT_TRACEFS();
  // Two threads, so the per-thread counts are summed; a warm-up that also syncs, which must
  // not be counted (the counters are enabled after the barrier).
  const RepetitionResult r =
      run_once(one_case("workload: random-update, mode: fdatasync, record_size: 64, "
                        "commit_every: 1, working_set: 1M, ops: 150, warmup_s: 0.05, threads: 2"));
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  const Metric& fdatasync = metric(r, "syscalls:sys_enter_fdatasync");
  SKIP_IF_NOT_PERMITTED(fdatasync);
  ASSERT_EQ(r.ops, 300u);
  expect_count(r, "sys_fdatasync", 300);
  expect_count(r, "syscalls:sys_enter_fdatasync", 300);
  EXPECT_EQ(fdatasync.per_op, 1.0);
  EXPECT_EQ(fdatasync.scope, Scope::kWriterThreads);
  EXPECT_EQ(fdatasync.running_fraction, 1.0);  // tracepoints are never multiplexed
  expect_count(r, "syscalls:sys_enter_fsync", 0);
  expect_count(r, "syscalls:sys_enter_msync", 0);
  if (testing::scratch_target().facts().filesystem == "ext4")
    expect_count(r, "ext4:ext4_sync_file_enter", 300);
}

TEST(KernelCounters, FsyncPerFaultMprotectAndSyncTracepointsMatchTheSuitesOwnCounts) {
  SKIP_WITHOUT_TRACEFS();
  const RepetitionResult r =
      run_once(one_case("workload: random-update, mode: fsync-per-fault, record_size: 64, "
                        "commit_every: 4, working_set: 1M, ops: 400, warmup_s: 0"));
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  SKIP_IF_NOT_PERMITTED(metric(r, "syscalls:sys_enter_mprotect"));
  const double faults = counter(r, "faults_trapped");
  ASSERT_GT(faults, 100);
  expect_count(r, "sys_mprotect", faults);
  expect_count(r, "syscalls:sys_enter_mprotect", faults);
  expect_count(r, "syscalls:sys_enter_fdatasync", faults);
  expect_count(r, "sys_fdatasync", faults);
}

TEST(KernelCounters, FsyncPerFaultReprotectCountsTheRearmingMprotectAndFsync) {
  SKIP_WITHOUT_TRACEFS();
  const RepetitionResult r = run_once(
      one_case("workload: random-update, mode: fsync-per-fault, record_size: 64, "
               "commit_every: 4, working_set: 1M, ops: 400, warmup_s: 0, reprotect: commit, "
               "sync_call: fsync"));
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  SKIP_IF_NOT_PERMITTED(metric(r, "syscalls:sys_enter_mprotect"));
  const double faults = counter(r, "faults_trapped");
  expect_count(r, "syscalls:sys_enter_mprotect", faults + 100);  // + one re-arm per commit
  expect_count(r, "sys_mprotect", faults + 100);
  expect_count(r, "syscalls:sys_enter_fsync", faults);
  expect_count(r, "syscalls:sys_enter_fdatasync", 0);
}

TEST(KernelCounters, MsyncTracepointEqualsMsyncCalls) {
  SKIP_WITHOUT_TRACEFS();
  const RepetitionResult r =
      run_once(one_case("workload: random-update, mode: msync, record_size: 64, "
                        "commit_every: 2, working_set: 1M, ops: 200, warmup_s: 0"));
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  SKIP_IF_NOT_PERMITTED(metric(r, "syscalls:sys_enter_msync"));
  expect_count(r, "sys_msync", 100);
  expect_count(r, "syscalls:sys_enter_msync", 100);
}

TEST(KernelCounters, CyclesIsOkWithAPmuOrUnavailableWithTheRealErrno) {
  // Ask the kernel directly, the way the suite must not assume: a PMU or not.
  perf_event_attr attr{};
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_HARDWARE;
  attr.config = PERF_COUNT_HW_CPU_CYCLES;
  attr.disabled = 1;
  const int fd = static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
  const int error = fd < 0 ? errno : 0;
  if (fd >= 0) close(fd);

  const RepetitionResult r = run_once(
      one_case("workload: random-update, mode: none, working_set: 1M, ops: 100000, warmup_s: 0"));
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  const Metric& cycles = metric(r, "cycles");
  EXPECT_EQ(cycles.unit, "count");
  if (error == 0) {
    EXPECT_EQ(cycles.status, "ok");
    ASSERT_TRUE(cycles.value.has_value());
    EXPECT_GT(*cycles.value, 0);
    ASSERT_TRUE(cycles.running_fraction.has_value());
    EXPECT_GT(*cycles.running_fraction, 0);
  } else {
    EXPECT_FALSE(cycles.value.has_value());
    EXPECT_FALSE(cycles.per_op.has_value());
    EXPECT_EQ(cycles.status.rfind("unavailable: " + errno_name(error) + " (", 0), 0u)
        << cycles.status;
    if (error == ENOENT && !perf::has_hardware_pmu()) {
      EXPECT_EQ(cycles.status, "unavailable: ENOENT (no hardware PMU)");
    }
  }
}

TEST(KernelCounters, EveryDefaultCounterIsInTheRecordInTableOrderWithItsScope) {
  const RepetitionResult r = run_once(
      one_case("workload: random-update, mode: none, working_set: 1M, ops: 100000, warmup_s: 0"));
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  std::size_t previous = 0;
  for (const perf::CounterDef& def : perf::default_counter_set()) {
    SCOPED_TRACE(def.name);
    const auto& items = r.metrics.items();
    const auto it = std::find_if(items.begin(), items.end(),
                                 [&](const Metric& m) { return m.name == def.name; });
    ASSERT_NE(it, items.end());
    const auto index = static_cast<std::size_t>(it - items.begin());
    EXPECT_GT(index, previous);
    previous = index;
    EXPECT_EQ(it->scope, def.scope);
    EXPECT_EQ(it->unit, def.unit);
    if (def.scope == Scope::kSystemWide) {
      EXPECT_NE(it->help.find("system-wide"), std::string::npos) << it->help;
    }
    if (it->status == "ok") {
      EXPECT_TRUE(it->value && it->per_op && it->running_fraction);
    } else {
      EXPECT_EQ(it->status.rfind("unavailable: E", 0), 0u) << it->status;  // an errno by name
      EXPECT_FALSE(it->value.has_value());
    }
  }
  // Software events exist on every kernel with perf: their absence is a bug, not a machine fact.
  const Metric& clock = metric(r, "task_clock");
  SKIP_IF_NOT_PERMITTED(clock);
  EXPECT_EQ(clock.status, "ok");
  EXPECT_EQ(clock.unit, "ns");
  EXPECT_GT(*clock.value, 0);
  EXPECT_EQ(metric(r, "page_faults").status, "ok");
  EXPECT_EQ(metric(r, "context_switches").status, "ok");
}

TEST(KernelCounters, SystemWideCountsOtherThreadsAndPerThreadOnlyItsOwn) {
  SKIP_WITHOUT_TRACEFS();
  static constexpr perf::CounterDef kDefs[] = {
      {"fsync_mine", perf::tracepoint("syscalls:sys_enter_fsync"), Scope::kWriterThreads, "count",
       Better::kLower, "fsync calls of the writer thread"},
      {"fsync_all", perf::tracepoint("syscalls:sys_enter_fsync"), Scope::kSystemWide, "count",
       Better::kLower, "system-wide: fsync calls of every task"},
  };
  const std::string path =
      (std::filesystem::temp_directory_path() / ("daxbench-counters-" + std::to_string(getpid())))
          .string();
  const int fd = open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << errno_text("open", errno);
  unlink(path.c_str());

  perf::CounterSet set(kDefs, 1);
  set.open_thread(0);
  set.start_system();
  set.start_thread(0);
  constexpr int kOthers = 5;
  std::thread other([fd] {
    for (int i = 0; i < kOthers; ++i) fsync(fd);
  });
  other.join();
  fsync(fd);
  set.stop_thread(0);
  set.stop_system();
  close(fd);

  Metrics out;
  set.add_metrics(6, out);
  const Metric& mine = *out.find("fsync_mine");
  const Metric& all = *out.find("fsync_all");
  SKIP_IF_NOT_PERMITTED(all);
  ASSERT_EQ(mine.status, "ok");
  ASSERT_EQ(all.status, "ok");
  EXPECT_EQ(*mine.value, 1);           // this thread's one fsync, not the other thread's
  EXPECT_GE(*all.value, kOthers + 1);  // ≥: other processes may fsync meanwhile
  EXPECT_EQ(all.scope, Scope::kSystemWide);
  EXPECT_EQ(*mine.per_op, 1.0 / 6);
}

TEST(KernelCounters, DirtiedBytesCountsThePageCacheThisThreadDirtiedInTheTimedPhaseOnly) {
  DISK_SCRATCH("page-cache dirtying of a disk filesystem (tmpfs accounts no writeback)");
  static constexpr perf::CounterDef kDefs[] = {
      {"dirtied_bytes", perf::task_io("write_bytes"), Scope::kWriterThreads, "bytes",
       Better::kLower, "page cache the writer thread dirtied"},
  };
  const std::string path =
      testing::disk_scratch().dir + "/daxbench-dirtied-" + std::to_string(getpid());
  const int fd = open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << errno_text("open", errno);
  unlink(path.c_str());
  const std::vector<char> page(4096, 'x');
  auto write_pages = [&](int first, int count) {
    for (int i = first; i < first + count; ++i)
      ASSERT_EQ(pwrite(fd, page.data(), page.size(), static_cast<off_t>(i) * 4096), 4096);
  };
  perf::CounterSet set(kDefs, 1);
  set.open_thread(0);
  write_pages(0, 8);  // before the timed phase: not counted
  set.start_thread(0);
  write_pages(0, 8);   // already dirty: dirtying them again adds nothing
  write_pages(8, 16);  // 16 new 4 KiB folios (one 4 KiB write each makes a 4 KiB folio)
  set.stop_thread(0);
  write_pages(24, 8);  // after: not counted
  close(fd);
  Metrics out;
  set.add_metrics(16, out);
  const Metric& dirtied = *out.find("dirtied_bytes");
  ASSERT_EQ(dirtied.status, "ok");
  EXPECT_EQ(*dirtied.value, 16 * 4096);
  EXPECT_EQ(*dirtied.per_op, 4096);
  EXPECT_EQ(dirtied.running_fraction, 1.0);
}

// Whether ext4 on `device` (/dev/loop0) has a journal: jbd2 lists it as /proc/fs/jbd2/loop0-8.
bool has_jbd2_journal(const std::string& device) {
  const std::string name = std::filesystem::path(device).filename().string() + "-";
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/fs/jbd2", error))
    if (entry.path().filename().string().rfind(name, 0) == 0) return true;
  return false;
}

TEST(KernelCounters, JournalWorkOfTheScratchFilesystemIsCountedSystemWide) {
  DISK_SCRATCH("journal commits of ext4 or xfs");
  SKIP_WITHOUT_TRACEFS();
  const TargetFacts& facts = testing::scratch_target().facts();
  std::string name;
  if (facts.filesystem == "xfs")
    name = "xfs:xfs_log_force";
  else if (facts.filesystem == "ext4" && has_jbd2_journal(facts.mount_source))
    name = "jbd2:jbd2_end_commit";
  else
    GTEST_SKIP()
        << "the scratch folder's filesystem (" << facts.filesystem << " on " << facts.mount_source
        << ") has no journal; set DAXBENCH_TEST_SCRATCH to a folder on ext4 or xfs with one";
  // Each first write to a sparse page allocates a block, and fdatasync must commit that.
  const RepetitionResult r = run_once(
      one_case("workload: first-touch, mode: fdatasync, working_set: 1M, file_state: sparse"));
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  const Metric& journal = metric(r, name);
  SKIP_IF_NOT_PERMITTED(journal);
  ASSERT_EQ(journal.status, "ok");
  EXPECT_GE(*journal.value, 1);  // a kernel thread's (jbd2) or a workqueue's work, seen anyway
  EXPECT_EQ(journal.scope, Scope::kSystemWide);
}

TEST(KernelCounters, AMissingTracepointIsUnavailableWithENOENTAndTheRunGoesOn) {
  SKIP_WITHOUT_TRACEFS();
  static constexpr perf::CounterDef kDefs[] = {
      {"missing", perf::tracepoint("daxbench_none:no_such_event"), Scope::kWriterThreads, "count",
       Better::kLower, "a tracepoint no kernel has"},
      {"missing_everywhere", perf::tracepoint("daxbench_none:no_such_event"), Scope::kSystemWide,
       "count", Better::kLower, "system-wide: the same"},
      {"not_a_name", perf::tracepoint("../events"), Scope::kWriterThreads, "count", Better::kLower,
       "a path, refused before it reaches the filesystem"},
  };
  perf::CounterSet set(kDefs, 1);
  set.open_thread(0);
  set.start_system();
  set.start_thread(0);
  set.stop_thread(0);
  set.stop_system();
  Metrics out;
  set.add_metrics(1, out);
  for (const char* name : {"missing", "missing_everywhere"}) {
    EXPECT_EQ(out.find(name)->status,
              "unavailable: ENOENT (no tracepoint daxbench_none:no_such_event on this kernel)");
    EXPECT_FALSE(out.find(name)->value.has_value());
  }
  EXPECT_EQ(out.find("not_a_name")->status.rfind("unavailable: EINVAL", 0), 0u);
}

TEST(KernelCounters, AMultiplexedReadingIsScaledToItsEnabledTime) {
  auto value = [](std::uint64_t raw, std::uint64_t enabled, std::uint64_t running) {
    return perf::Reading{raw, enabled, running}.value();
  };
  EXPECT_EQ(value(100, 200, 200), 100.0);
  EXPECT_EQ(value(100, 200, 50), 400.0);       // counted a quarter of the time
  EXPECT_EQ(value(7, 0, 0), 7.0);              // never enabled: what it has
  EXPECT_FALSE(value(0, 200, 0).has_value());  // enabled but never counted: no estimate
}

}  // namespace
}  // namespace daxbench
