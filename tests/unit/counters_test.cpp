// Kernel counters (perf software events, tracepoints, hardware events) in a repetition's
// record: the kernel's own count of what the suite says it did, asserted exactly wherever the
// kernel's mechanism makes the count exact.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench/base/syscall_error.h"
#include "bench/counters/event_set.h"
#include "bench/counters/perf_event.h"
#include "bench/counters/tracepoints.h"
#include "test_support.h"

namespace daxbench {
namespace {

using testing::config_from;
using testing::counter;
using testing::run_once;

constexpr std::uint64_t kPages = 256;  // working_set 1M

#define SKIP_WITHOUT_TRACEFS()                                                              \
  do {                                                                                      \
    if (perf::tracefs().path.empty())                                                       \
      GTEST_SKIP() << "no tracefs, so no tracepoint counters: " << perf::tracefs().problem; \
  } while (false)

// Not root (or perf_event_paranoid too high): the counter is recorded unavailable, as it must
// be, and there is nothing to compare.
#define SKIP_IF_NOT_PERMITTED(metric)                          \
  do {                                                         \
    if ((metric).status.find("EACCES") != std::string::npos || \
        (metric).status.find("EPERM") != std::string::npos)    \
      GTEST_SKIP() << (metric).name << " " << (metric).status; \
  } while (false)

CaseSpec one_case(const std::string& fields) {
  const Config config = config_from("cases:\n  - {" + fields + ", repetitions: 1}\n");
  EXPECT_EQ(config.cases.size(), 1u);
  return config.cases.at(0);
}

const Metric& metric(const RepetitionResult& r, std::string_view name) {
  const Metric* m = r.metrics.find(name);
  if (!m) throw std::runtime_error("no metric " + std::string(name) + " in the record");
  return *m;
}

// The counter is in the record, ok, and equal to `expected`.
void expect_count(const RepetitionResult& r, std::string_view name, double expected) {
  const Metric& m = metric(r, name);
  EXPECT_EQ(m.status, "ok") << name;
  EXPECT_EQ(counter(r, name), expected) << name;
}

TEST(KernelCounters, FdatasyncTracepointCountsEveryCommitAndNothingFromTheWarmUp) {
  SKIP_WITHOUT_TRACEFS();
  // Two threads, so the per-thread counts are summed; a warm-up that also syncs, which must
  // not be counted (the counters are enabled after the barrier).
  const RepetitionResult r =
      run_once(one_case("workload: random-update, mode: fdatasync, record_size: 64, "
                        "commit_every: 1, working_set: 1M, ops: 150, warmup_s: 0.05, threads: 2"));
  ASSERT_EQ(r.status, "ok") << r.reason;
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
  ASSERT_EQ(r.status, "ok") << r.reason;
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
  ASSERT_EQ(r.status, "ok") << r.reason;
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
  ASSERT_EQ(r.status, "ok") << r.reason;
  SKIP_IF_NOT_PERMITTED(metric(r, "syscalls:sys_enter_msync"));
  expect_count(r, "sys_msync", 100);
  expect_count(r, "syscalls:sys_enter_msync", 100);
}

// Every page fault of this thread and of the threads it starts from now on, each with its
// address and thread, and every data mapping made meanwhile (PERF_RECORD_MMAP2): the kernel's
// own account of where each fault was. One inherited sampling page-faults event per CPU (the
// kernel refuses to map the buffer of an inherited per-task event counting on any CPU);
// inherited events write into their parent's buffer, so the writer threads' faults are here.
class FaultLog {
 public:
  struct Count {
    std::uint64_t writers = 0;  // faults of the threads started meanwhile (the writers)
    std::uint64_t in_file = 0;  // of those, faults at an address mapped from a file in `dir`
  };

  FaultLog() {
    const long page = sysconf(_SC_PAGESIZE);
    size_ = static_cast<std::size_t>(page) * (1 + kDataPages);
    for (int cpu : perf::online_cpus()) {
      perf_event_attr attr{};
      attr.size = sizeof attr;
      attr.type = PERF_TYPE_SOFTWARE;
      attr.config = PERF_COUNT_SW_PAGE_FAULTS;  // as the suite's page_faults: no exclude_*
      attr.sample_period = 1;
      attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_ADDR;
      attr.inherit = 1;
      attr.mmap_data = 1;
      attr.mmap2 = 1;
      attr.disabled = 1;
      const int fd =
          static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, cpu, -1, PERF_FLAG_FD_CLOEXEC));
      if (fd < 0) {
        unavailable_ = errno_text("perf_event_open (sampled page-faults)", errno);
        return;
      }
      void* ring = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (ring == MAP_FAILED) {
        unavailable_ = errno_text("mmap of the sample buffer", errno);
        close(fd);
        return;
      }
      rings_.push_back({fd, static_cast<std::byte*>(ring)});
    }
    for (const Ring& r : rings_) ioctl(r.fd, PERF_EVENT_IOC_ENABLE, 0);
  }
  ~FaultLog() {
    for (const Ring& r : rings_) {
      munmap(r.base, size_);
      close(r.fd);
    }
  }
  FaultLog(const FaultLog&) = delete;
  FaultLog& operator=(const FaultLog&) = delete;

  // Why nothing is logged (perf sampling not permitted here), else "".
  const std::string& unavailable() const { return unavailable_; }
  // Why the log is incomplete (a bug of this test if it ever happens), else "".
  const std::string& problem() const { return problem_; }

  // Stops logging and counts the faults of every thread but this one.
  Count count(const std::filesystem::path& dir) {
    for (const Ring& r : rings_) ioctl(r.fd, PERF_EVENT_IOC_DISABLE, 0);
    struct Fault {
      std::uint32_t tid;
      std::uint64_t address;
    };
    struct Range {
      std::uint64_t begin, end;
    };
    std::vector<Fault> faults;
    std::vector<Range> file_ranges;
    const std::string prefix = std::filesystem::canonical(dir).string() + "/";  // as d_path
    for (const Ring& r : rings_) {
      auto* meta = reinterpret_cast<perf_event_mmap_page*>(r.base);
      const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
      const std::byte* data = r.base + (meta->data_offset ? meta->data_offset : page);
      const std::uint64_t data_size = meta->data_size ? meta->data_size : size_ - page;
      const std::uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
      if (head > data_size) problem_ = "the sample buffer wrapped: " + std::to_string(head) + " B";
      std::vector<std::byte> record;
      for (std::uint64_t at = meta->data_tail; at < head;) {
        perf_event_header header;
        copy_out(data, data_size, at, &header, sizeof header);
        if (header.size < sizeof header) break;
        record.resize(header.size);
        copy_out(data, data_size, at, record.data(), header.size);
        at += header.size;
        const std::byte* body = record.data() + sizeof header;
        if (header.type == PERF_RECORD_SAMPLE) {
          Fault f;  // u32 pid, u32 tid, u64 addr
          std::memcpy(&f.tid, body + 4, 4);
          std::memcpy(&f.address, body + 8, 8);
          faults.push_back(f);
        } else if (header.type == PERF_RECORD_MMAP2) {
          // u32 pid, tid; u64 addr, len, pgoff; 24 bytes of device/inode or build id; u32 prot,
          // flags; then the file name.
          std::uint64_t address, length;
          std::memcpy(&address, body + 8, 8);
          std::memcpy(&length, body + 16, 8);
          const char* name = reinterpret_cast<const char*>(body + 64);
          if (std::string(name, strnlen(name, record.size() - sizeof header - 64))
                  .rfind(prefix, 0) == 0)
            file_ranges.push_back({address, address + length});
        } else if (header.type == PERF_RECORD_LOST) {
          problem_ = "the kernel lost fault samples (PERF_RECORD_LOST)";
        } else if (header.type == PERF_RECORD_THROTTLE) {
          problem_ = "the kernel throttled the fault samples (perf_event_max_sample_rate)";
        }
      }
    }
    Count count;
    const auto me = static_cast<std::uint32_t>(syscall(SYS_gettid));
    for (const Fault& f : faults) {
      if (f.tid == me) continue;
      ++count.writers;
      for (const Range& range : file_ranges) {
        if (f.address >= range.begin && f.address < range.end) {
          ++count.in_file;
          break;
        }
      }
    }
    return count;
  }

 private:
  static constexpr std::size_t kDataPages = 128;  // 512 KiB: perf_event_mlock_kb's default
  struct Ring {
    int fd;
    std::byte* base;
  };
  static void copy_out(const std::byte* data, std::uint64_t size, std::uint64_t at, void* out,
                       std::size_t n) {
    auto* to = static_cast<std::byte*>(out);
    for (std::size_t i = 0; i < n; ++i) to[i] = data[(at + i) % size];
  }
  std::size_t size_ = 0;
  std::vector<Ring> rings_;
  std::string unavailable_, problem_;
};

// What is exact about page faults, and why:
// - Every fault is counted once in page_faults when it enters the handler; one that completes
//   is then counted once as minor or major (a retried fault as major); one that ends in a
//   signal is not. So page_faults = minor + major + faults trapped by fsync-per-fault, always.
// - The writer threads also fault on memory that is not the file: a stack page a signal frame
//   reaches for the first time, under ASan the shadow of the mapping (one shadow page per 8
//   pages), and whatever a loaded machine's reclaim, compaction or migration takes away from
//   them meanwhile. Those faults are real, are counted, and are not the file's: so the faults on
//   the file are told apart by their addresses (FaultLog), not bounded by a guess of how many
//   others there may be. The record's page_faults holds every fault on the file and nothing
//   the writers did not do.
// - fsync-per-fault protects the whole mapping and un-protects one page per trap, so on a
//   fresh file every page traps once (exactly `pages` traps) and then faults once more to be
//   mapped, its VMA being that one page: exactly `pages` completed faults on the file,
//   whatever the page cache holds.
// - Without protection, the count depends on the page cache. A kernel with large folios maps
//   every page of the folio that one write fault lands in: on the 6.18 host, first-touch on a
//   zeroed 8 MiB file took 8 faults for 2048 pages, and on a sparse file of a fresh ext4 or xfs
//   736 for 1024. Only 1 <= faults on the file <= pages holds for every kernel and filesystem.
TEST(KernelCounters, FirstTouchPageFaultsAreExactWhereTheMechanismMakesThemExact) {
  DISK_SCRATCH("the fault path of a disk-backed page cache; shmem's differs");
  const std::filesystem::path scratch = testing::scratch_target().scratch_file("x").parent_path();
  for (const char* state : {"sparse", "zeroed"}) {
    for (const char* mode : {"none", "fsync-per-fault"}) {
      SCOPED_TRACE(std::string(mode) + " on a " + state + " file");
      FaultLog log;
      if (!log.unavailable().empty())
        GTEST_SKIP() << "faults cannot be sampled here: " << log.unavailable();
      const RepetitionResult r =
          // duration_s only bounds the run: a loaded machine must not cut it short of every page.
          run_once(one_case(std::string("workload: first-touch, working_set: 1M, duration_s: 120, "
                                        "mode: ") +
                            mode + ", file_state: " + state));
      const FaultLog::Count faults = log.count(scratch);
      ASSERT_EQ(r.status, "ok") << r.reason;
      ASSERT_EQ(r.ops, kPages);
      const Metric& all = metric(r, "page_faults");
      SKIP_IF_NOT_PERMITTED(all);
      ASSERT_EQ(all.status, "ok");
      const double completed = counter(r, "page_faults_minor") + counter(r, "page_faults_major");
      const double trapped = counter(r, "faults_trapped");
      EXPECT_EQ(*all.value, completed + trapped);
      if (std::string(mode) == "fsync-per-fault") {
        EXPECT_EQ(trapped, kPages);
        EXPECT_GE(completed, kPages);
      } else {
        EXPECT_GE(completed, 1);
      }
      ::testing::Test::RecordProperty(std::string(mode) + "_" + state + "_faults",
                                      std::to_string(completed));
      ASSERT_TRUE(log.problem().empty())
          << "the faults on the file could not be told apart: " << log.problem();
      // A trapped fault is a fault on the file too (it enters the handler, then the signal).
      ASSERT_GE(faults.in_file, trapped);
      const double file_completed = static_cast<double>(faults.in_file) - trapped;
      if (std::string(mode) == "fsync-per-fault") {
        EXPECT_EQ(file_completed, kPages);
      } else {
        EXPECT_GE(file_completed, 1);
        EXPECT_LE(file_completed, kPages);
      }
      EXPECT_GE(*all.value, static_cast<double>(faults.in_file));  // every fault on the file
      EXPECT_LE(*all.value, static_cast<double>(faults.writers));  // only the writers' faults
      ::testing::Test::RecordProperty(std::string(mode) + "_" + state + "_faults_elsewhere",
                                      std::to_string(completed - file_completed));
    }
  }
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
  ASSERT_EQ(r.status, "ok") << r.reason;
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
  ASSERT_EQ(r.status, "ok") << r.reason;
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
  ASSERT_EQ(r.status, "ok") << r.reason;
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

// The child's half of the test below, in a mount namespace of its own: "" if all held, "skip: "
// and why if it cannot be tried here, else what went wrong.
std::string tracefs_round_trip() {
  if (unshare(CLONE_NEWNS) != 0) return "skip: " + errno_text("unshare(CLONE_NEWNS)", errno);
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return "skip: " + errno_text("mount --make-rprivate /", errno);
  // As if nobody had mounted tracefs (nor debugfs, whose tracing/ would mount it on a look).
  for (const char* type : {"tracefs", "debugfs"}) {
    std::vector<std::string> points = perf::mount_points_of(type);
    for (auto it = points.rbegin(); it != points.rend(); ++it) umount2(it->c_str(), MNT_DETACH);
  }
  if (!perf::mount_points_of("tracefs").empty()) return "skip: tracefs could not be unmounted here";

  const perf::Tracefs fs = perf::tracefs();
  if (fs.path.empty()) return "skip: no tracefs: " + fs.problem;
  if (!fs.mounted_by_us || fs.path != "/sys/kernel/tracing")
    return "tracefs() found " + fs.path + " without mounting it";
  const perf::TracepointId id = perf::tracepoint_id("syscalls:sys_enter_fsync");
  if (!id.id) return "skip: " + id.unavailable;
  perf_event_attr attr{};
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_TRACEPOINT;
  attr.config = *id.id;
  attr.disabled = 1;
  const int counter = static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
  if (counter < 0) return "skip: " + errno_text("perf_event_open (tracepoint)", errno);
  ioctl(counter, PERF_EVENT_IOC_ENABLE, 0);

  const std::optional<std::string> released = perf::release_tracefs();
  const std::string expected = "mounted by daxbench at /sys/kernel/tracing and unmounted";
  if (released != expected) return "release_tracefs() said " + released.value_or("nothing");
  if (!perf::mount_points_of("tracefs").empty())
    return "tracefs is still mounted after release_tracefs()";
  if (perf::release_tracefs() != expected) return "a second release_tracefs() said otherwise";

  // The counter opened by id does not need the mount.
  const std::string path =
      (std::filesystem::temp_directory_path() / ("daxbench-tracefs-" + std::to_string(getpid())))
          .string();
  const int fd = open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno_text("open " + path, errno);
  unlink(path.c_str());
  for (int i = 0; i < 3; ++i) fsync(fd);
  close(fd);
  std::uint64_t count = 0;
  if (read(counter, &count, sizeof count) != static_cast<ssize_t>(sizeof count))
    return errno_text("read (tracepoint counter)", errno);
  close(counter);
  if (count != 3) return "after the unmount the fsync counter saw " + std::to_string(count);
  return "";
}

// What the suite mounted it unmounts when done, and only that; counters keep counting. Tried
// in a forked child with a mount namespace of its own, so this machine's tracefs and whoever
// uses it see none of it.
TEST(Tracefs, WhatTheSuiteMountedItUnmountsAndOpenCountersKeepCounting) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0) << errno_text("pipe", errno);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0) << errno_text("fork", errno);
  if (pid == 0) {
    close(pipe_fds[0]);
    const std::string problem = tracefs_round_trip();
    if (!problem.empty() && write(pipe_fds[1], problem.data(), problem.size()) < 0) _exit(2);
    _exit(problem.empty() ? 0 : problem.rfind("skip: ", 0) == 0 ? 77 : 1);
  }
  close(pipe_fds[1]);
  std::string said;
  char buffer[512];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) said.append(buffer, n);
  close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died: " << status;
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << said;
  EXPECT_EQ(WEXITSTATUS(status), 0) << said;
}

}  // namespace
}  // namespace daxbench
