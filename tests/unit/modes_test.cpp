// Each mode issues exactly the syscalls, flushes and fences its semantics require: counted
// by the suite and compared with what the workload's operation sequence implies.
#include <gtest/gtest.h>

#include <set>

#include "bench/modes/mode.h"
#include "test_support.h"

namespace daxbench {
namespace {

using testing::config_from;
using testing::counter;
using testing::record_ops;
using testing::run_once;

constexpr std::uint64_t kOps = 400;
constexpr std::uint64_t kPage = 4096;

// random-update of 64-byte records over 1 MiB (256 pages), a fixed number of operations.
CaseSpec random_update(const std::string& mode, int commit_every, const std::string& extra = "") {
  const Config config = config_from(
      "cases:\n"
      "  - workload: random-update\n"
      "    mode: " +
      mode +
      "\n"
      "    record_size: 64\n"
      "    commit_every: " +
      std::to_string(commit_every) +
      "\n"
      "    working_set: 1M\n"
      "    ops: " +
      std::to_string(kOps) +
      "\n"
      "    warmup_s: 0\n"
      "    repetitions: 1\n" +
      extra);
  EXPECT_EQ(config.cases.size(), 1u);
  return config.cases.at(0);
}

// Pages first written in each commit window (the window resets at every commit).
std::uint64_t pages_first_written(const std::vector<testing::Event>& events, bool reset_at_commit) {
  std::set<std::uint64_t> writable;
  std::uint64_t faults = 0;
  for (const auto& e : events) {
    if (e.commit) {
      if (reset_at_commit) writable.clear();
      continue;
    }
    for (std::uint64_t page = e.offset / kPage; page <= (e.offset + e.length - 1) / kPage; ++page)
      faults += writable.insert(page).second;
  }
  return faults;
}

void expect_no_syscalls(const RepetitionResult& r) {
  for (const char* name : {"sys_fdatasync", "sys_fsync", "sys_msync", "sys_pwrite", "sys_mprotect",
                           "sys_madvise", "syscalls"})
    EXPECT_EQ(counter(r, name), 0) << name;
}

TEST(ModeSemantics, FdatasyncIssuesOneFdatasyncPerCommitAndNothingElse) {
  const RepetitionResult r = run_once(random_update("fdatasync", 4));
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  EXPECT_EQ(r.ops, kOps);
  EXPECT_EQ(r.commits, kOps / 4);
  EXPECT_EQ(counter(r, "sys_fdatasync"), kOps / 4);
  EXPECT_EQ(counter(r, "syscalls"), kOps / 4);
  EXPECT_EQ(counter(r, "lines_flushed"), 0);
  EXPECT_EQ(counter(r, "fences"), 0);
}

TEST(ModeSemantics, PwriteFdatasyncWritesEachStoreAndSyncsEachCommit) {
  const RepetitionResult r = run_once(random_update("pwrite-fdatasync", 4));
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  EXPECT_EQ(counter(r, "sys_pwrite"), kOps);
  EXPECT_EQ(counter(r, "sys_fdatasync"), kOps / 4);
  EXPECT_EQ(counter(r, "syscalls"), kOps + kOps / 4);
}

TEST(ModeSemantics, MsyncSyncsOnlyTheDirtyPageOncePerCommit) {
  // 64-byte records at 64-byte offsets never straddle a page: each commit dirties one page.
  const RepetitionResult r = run_once(random_update("msync", 1));
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  EXPECT_EQ(counter(r, "sys_msync"), kOps);
  EXPECT_EQ(counter(r, "msync_bytes"), kOps * kPage);
  EXPECT_EQ(counter(r, "syscalls"), kOps);
}

TEST(ModeSemantics, UserSpaceFlushModesFlushEveryStoredLineAndFenceOncePerCommit) {
  DISK_SCRATCH("sealed-extent checks its block map with FIEMAP, which tmpfs lacks");
  for (const char* mode : {"flush-only", "sealed-extent"}) {
    SCOPED_TRACE(mode);
    const RepetitionResult r = run_once(random_update(mode, 4));
    ASSERT_EQ(r.status, Status::kOk) << r.reason;
    expect_no_syscalls(r);
    EXPECT_EQ(counter(r, "lines_flushed"), kOps);  // one aligned 64-byte line per record
    EXPECT_EQ(counter(r, "fences"), kOps / 4);
    EXPECT_EQ(r.flush.empty(), false);
  }
}

// The `flush:` parameter reaches the writer: per aligned 64-byte record, a cache-flush
// instruction writes back its line, ntstore stores it non-temporally, libpmem's and none's
// counts show no flush the suite issued; every primitive fences once per commit.
TEST(ModeSemantics, EachFlushPrimitiveCountsItsLinesAndFencesOncePerCommit) {
  struct Expected {
    const char* flush;
    std::uint64_t lines_flushed, lines_nt_stored;
  };
  for (const Expected& e :
       {Expected{"clwb", kOps, 0}, Expected{"clflushopt", kOps, 0}, Expected{"clflush", kOps, 0},
        Expected{"ntstore", 0, kOps}, Expected{"libpmem", 0, 0}, Expected{"none", 0, 0}}) {
    SCOPED_TRACE(e.flush);
    const RepetitionResult r =
        run_once(random_update("flush-only", 1, std::string("    flush: ") + e.flush + "\n"));
    if (r.status == Status::kUnsupported) {
      EXPECT_NE(r.reason.find("the CPU lacks"), std::string::npos) << r.reason;
      continue;
    }
    ASSERT_EQ(r.status, Status::kOk) << r.reason;
    EXPECT_EQ(r.flush, e.flush);
    expect_no_syscalls(r);
    EXPECT_EQ(counter(r, "lines_flushed"), e.lines_flushed);
    EXPECT_EQ(counter(r, "lines_nt_stored"), e.lines_nt_stored);
    EXPECT_EQ(counter(r, "fences"), kOps);
  }
}

TEST(ModeSemantics, SealedExtentLeavesTheBlockMapUnchanged) {
  DISK_SCRATCH("FIEMAP extents, which tmpfs lacks");
  const RepetitionResult r = run_once(random_update("sealed-extent", 1));
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  ASSERT_TRUE(r.extent_map_unchanged.has_value());
  EXPECT_TRUE(*r.extent_map_unchanged);
}

TEST(ModeSemantics, NoneDoesNothingButStore) {
  const RepetitionResult r = run_once(random_update("none", 4));
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  expect_no_syscalls(r);
  EXPECT_EQ(counter(r, "lines_flushed"), 0);
  EXPECT_EQ(counter(r, "fences"), 0);
  EXPECT_EQ(counter(r, "bytes_stored"), kOps * 64);
}

TEST(ModeSemantics, FsyncPerFaultSyncsOncePerFirstWriteToAPage) {
  const CaseSpec spec = random_update("fsync-per-fault", 4);
  const std::uint64_t expected = pages_first_written(record_ops(spec, kOps), false);
  ASSERT_GT(expected, 100u);  // 400 random records over 256 pages touch most of them
  ASSERT_LT(expected, kOps);  // and some twice: those must not trap again
  const RepetitionResult r = run_once(spec);
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  EXPECT_EQ(counter(r, "faults_trapped"), expected);
  EXPECT_EQ(counter(r, "sys_fdatasync"), expected);
  EXPECT_EQ(counter(r, "sys_mprotect"), expected);  // the emulation's un-protect, one per fault
  // The kernel's write fault taken before the sync, so the sync covers the page's allocation.
  EXPECT_EQ(counter(r, "sys_madvise"), expected);
  EXPECT_EQ(counter(r, "sys_fsync") + counter(r, "sys_msync") + counter(r, "sys_pwrite"), 0);
  EXPECT_EQ(counter(r, "fences"), kOps / 4);
  EXPECT_EQ(counter(r, "lines_flushed"), kOps);
}

TEST(ModeSemantics, FsyncPerFaultWithReprotectTrapsOncePerPagePerCommit) {
  const CaseSpec spec =
      random_update("fsync-per-fault", 4, "    reprotect: commit\n    sync_call: fsync\n");
  const std::uint64_t expected = pages_first_written(record_ops(spec, kOps), true);
  const RepetitionResult r = run_once(spec);
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  EXPECT_EQ(counter(r, "faults_trapped"), expected);
  EXPECT_EQ(counter(r, "sys_fsync"), expected);
  EXPECT_EQ(counter(r, "sys_fdatasync"), 0);
  EXPECT_EQ(counter(r, "sys_mprotect"), expected + kOps / 4);  // + one re-arm per commit
  EXPECT_EQ(counter(r, "sys_madvise"), expected);
}

TEST(ModeSemantics, FsyncPerFaultReportsFaultAndSyncTimes) {
  const RepetitionResult r = run_once(random_update("fsync-per-fault", 1));
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  const Metric* fault = r.metrics.find("fault_ns");
  const Metric* sync = r.metrics.find("fault_sync_ns");
  ASSERT_TRUE(fault && sync);
  ASSERT_TRUE(fault->value && sync->value);
  EXPECT_EQ(fault->unit, "ns");
  // The store that trapped waited for the sync inside the handler, so it took longer.
  EXPECT_GT(*fault->value, *sync->value);
  EXPECT_GT(*sync->value, 0);
}

TEST(ModeSemantics, FsyncPerFaultWithoutSyncTrapsButNeverSyncs) {
  const RepetitionResult r = run_once(random_update("fsync-per-fault", 1, "    fault_sync: off\n"));
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  EXPECT_GT(counter(r, "faults_trapped"), 0);
  EXPECT_EQ(counter(r, "sys_fdatasync") + counter(r, "sys_fsync"), 0);
}

TEST(Runner, TimedPhaseStartsOnACommitBoundaryAfterWarmUp) {
  // With free commits (`none`) and groups of 1000, the warm-up deadline falls inside a group
  // 999 times in 1000; the timed phase must still start on a boundary and commit every 1000.
  const Config config = config_from(
      "cases:\n"
      "  - {workload: random-update, mode: none, commit_every: 1000, working_set: 1M,\n"
      "     warmup_s: 0.02, ops: 10000, repetitions: 1}\n");
  const RepetitionResult r = run_once(config.cases.at(0));
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  EXPECT_EQ(r.ops, 10000u);
  EXPECT_EQ(r.commits, 10u);
}

TEST(Runner, BackgroundMetadataLoadRunsBesideTheCaseAndIsCounted) {
  // The load is a thread of its own: on a loaded machine it may not finish one create + write
  // + fsync + unlink within a short case, whatever "short" is. So no duration is assumed to be
  // enough: the case runs again, twice as long each time, until the load has counted one.
  double seconds = 0.2, total = 0;
  for (;;) {
    const Config config = config_from(
        "cases:\n"
        "  - {workload: random-update, mode: none, working_set: 1M, duration_s: " +
        std::to_string(seconds) +
        ", warmup_s: 0,\n"
        "     repetitions: 1, background: metadata}\n");
    const RepetitionResult r = run_once(config.cases.at(0));
    ASSERT_EQ(r.status, Status::kOk) << r.reason;
    EXPECT_EQ(counter(r, "syscalls"), 0);  // none of the load's syscalls is the writers'
    const Metric* ops = r.metrics.find("background_ops");
    ASSERT_NE(ops, nullptr) << "no background_ops counter in the record";
    ASSERT_EQ(ops->status, "ok");
    if (counter(r, "background_ops") > 0) break;  // each is a create + write + fsync + unlink
    total += seconds;
    ASSERT_LT(total, 100) << "the background load counted no operation in " << total
                          << " s of cases";
    seconds *= 2;
  }
}

TEST(ModeSemantics, MapSyncIsUnsupportedWithTheErrnoOffDax) {
  if (testing::scratch_target().facts().dax) GTEST_SKIP() << "the scratch folder is on a DAX mount";
  const RepetitionResult r = run_once(random_update("map-sync", 1));
  EXPECT_EQ(r.status, Status::kUnsupported);
  EXPECT_NE(r.reason.find("EOPNOTSUPP"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("MAP_SYNC"), std::string::npos) << r.reason;
}

TEST(ModeSemantics, NothingIsDurableOnTmpfsOrForTheControls) {
  TargetFacts tmpfs;
  tmpfs.filesystem = "tmpfs";
  tmpfs.persistent = false;
  TargetFacts pmem;
  pmem.dax = true;
  for (const ModeDesc* mode : modes())
    EXPECT_FALSE(is_durable(*mode, tmpfs, nullptr)) << mode->name;
  for (const char* name : {"fdatasync", "map-sync", "sealed-extent", "fsync-per-fault", "msync"})
    EXPECT_TRUE(is_durable(*find_mode(name), pmem, nullptr)) << name;
  for (const char* name : {"flush-only", "none"})
    EXPECT_FALSE(is_durable(*find_mode(name), pmem, nullptr)) << name;
}

TEST(ModeSemantics, OnAnAsynchronousDaxRegionOnlyTheSyscallsAreDurable) {
  // virtio-pmem: DAX, but the kernel refuses MAP_SYNC; only fsync sends the device's flush.
  TargetFacts virtio;
  virtio.dax = true;
  virtio.map_sync = "refused: EOPNOTSUPP (Operation not supported)";
  for (const ModeDesc* mode : modes()) {
    std::string why;
    EXPECT_EQ(is_durable(*mode, virtio, &why), mode->durability == Durability::kBySyscall)
        << mode->name << ": " << why;
  }
  std::string why;
  EXPECT_FALSE(is_durable(*find_mode("map-sync"), virtio, &why));
  EXPECT_NE(why.find("refuses MAP_SYNC"), std::string::npos) << why;
}

TEST(ModeSemantics, DurabilityIsHonestOnAPageCacheFile) {
  DISK_SCRATCH("a page cache in front of storage: on tmpfs no sync makes anything durable");
  if (testing::scratch_target().facts().dax) GTEST_SKIP() << "the scratch folder is on a DAX mount";
  const TargetFacts& facts = testing::scratch_target().facts();
  for (const ModeDesc* mode : modes()) {
    const bool by_syscall = mode->durability == Durability::kBySyscall;
    EXPECT_EQ(is_durable(*mode, facts, nullptr), by_syscall) << mode->name;
  }
  EXPECT_TRUE(is_durable(*find_mode("fdatasync"), facts, nullptr));
  EXPECT_FALSE(is_durable(*find_mode("sealed-extent"), facts, nullptr));
}

}  // namespace
}  // namespace daxbench
