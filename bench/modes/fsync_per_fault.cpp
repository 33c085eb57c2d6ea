// `fsync-per-fault`: the "sync metadata on every write fault" proposal, emulated in user
// space. The mapping starts read-only; a write traps into a SIGSEGV handler that makes the
// page writable, has the kernel fault it in for writing (allocating its block), and only then
// syncs the file. Commits flush from user space. As in the kernel, a page stays writable once
// faulted unless `reprotect: commit` re-arms the range at every commit.
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>

#include "bench/base/syscall_error.h"
#include "bench/modes/mode.h"

namespace daxbench {
namespace {

constexpr std::uintptr_t kPage = 4096;

// What the handler needs to know about a protected mapping. A fixed array read without locks,
// because a signal handler may not take one; slots are filled before the range is protected.
struct ProtectedRegion {
  std::atomic<std::uintptr_t> begin{0};
  std::uintptr_t end = 0;
  int fd = -1;
  bool sync = true;        // false: measure the trap alone
  bool use_fsync = false;  // sync_call: fsync instead of fdatasync
  std::atomic<int> sync_errno{0};
  std::atomic<int> populate_errno{0};
};
std::array<ProtectedRegion, 256> g_regions;
std::mutex g_regions_mutex;  // serialises registration, never taken by the handler
struct sigaction g_previous_action;
bool g_handler_installed = false;

// The faulting thread's own tallies; the writer on that thread moves them into its counters.
struct FaultTally {
  std::uint64_t faults = 0;
  std::uint64_t syncs = 0;
  std::uint64_t mprotects = 0;
  std::uint64_t madvises = 0;
  std::uint64_t sync_ticks = 0;
};
thread_local FaultTally t_tally;

void on_segv(int signo, siginfo_t* info, void* context) {
  const auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
  const auto* uc = static_cast<const ucontext_t*>(context);
  const bool write_to_protected =
      info->si_code == SEGV_ACCERR && (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
  for (ProtectedRegion& region : g_regions) {
    const std::uintptr_t begin = region.begin.load(std::memory_order_acquire);
    if (!write_to_protected || begin == 0 || addr < begin || addr >= region.end) continue;
    ++t_tally.faults;
    void* page = reinterpret_cast<void*>(addr & ~(kPage - 1));
    ++t_tally.mprotects;
    mprotect(page, kPage, PROT_READ | PROT_WRITE);
    if (region.sync) {
      // The sync must follow the kernel's fault, not precede it: on a sparse or fallocated
      // file that fault allocates (or converts) the page's block, and a sync made before it
      // leaves the newest page's metadata unsynced until the next trap. The power-cut tests
      // lost acknowledged records that way. MADV_POPULATE_WRITE (Linux 5.14) takes the write
      // fault here, without storing anything, so the sync below covers it.
      ++t_tally.madvises;
      if (madvise(page, kPage, MADV_POPULATE_WRITE) != 0)
        region.populate_errno.store(errno, std::memory_order_relaxed);
      const std::uint64_t start = tsc_now();
      const int rc = region.use_fsync ? fsync(region.fd) : fdatasync(region.fd);
      t_tally.sync_ticks += tsc_now() - start;
      ++t_tally.syncs;
      if (rc != 0) region.sync_errno.store(errno, std::memory_order_relaxed);
    }
    return;
  }
  // Not ours: put the previous handler back; the faulting instruction re-runs into it.
  (void)signo;
  sigaction(SIGSEGV, &g_previous_action, nullptr);
}

long max_map_count() {
  std::ifstream in("/proc/sys/vm/max_map_count");
  long value = 65530;
  in >> value;
  return value;
}

class FaultWriter final : public Writer {
 public:
  FaultWriter(MappedFile& file, const FlushOps* flush, bool reprotect_at_commit, bool use_fsync)
      : Writer(file, flush), reprotect_at_commit_(reprotect_at_commit), use_fsync_(use_fsync) {}

  std::uint64_t trapped_stores = 0;
  std::uint64_t trapped_store_ticks = 0;  // trap + sync + mprotect, as the store saw them
  std::uint64_t sync_ticks = 0;

 private:
  void do_store(std::uint64_t offset, const void* src, std::size_t len) override {
    const FaultTally before = t_tally;
    const std::uint64_t start = tsc_now();
    copy_into_mapping(offset, src, len);
    const std::uint64_t elapsed = tsc_now() - start;
    if (t_tally.faults != before.faults) {
      ++trapped_stores;
      trapped_store_ticks += elapsed;
      counters_.faults_trapped += t_tally.faults - before.faults;
      counters_.sys_mprotect += t_tally.mprotects - before.mprotects;
      counters_.sys_madvise += t_tally.madvises - before.madvises;
      (use_fsync_ ? counters_.sys_fsync : counters_.sys_fdatasync) += t_tally.syncs - before.syncs;
      sync_ticks += t_tally.sync_ticks - before.sync_ticks;
    }
  }
  void do_commit() override {
    flush_dirty_and_drain();
    if (reprotect_at_commit_) {
      // One call for the whole range: per-page calls would split the mapping into VMAs.
      ++counters_.sys_mprotect;
      if (mprotect(file_.base, file_.size, PROT_READ) != 0) throw SyscallError("mprotect", errno);
    }
  }

  bool reprotect_at_commit_;
  bool use_fsync_;
};

class FsyncPerFaultMode final : public Mode {
 public:
  FsyncPerFaultMode(const ModeSetup& setup)
      : flush_(setup.flush),
        sync_(setup.params.text("fault_sync") == "on"),
        use_fsync_(setup.params.text("sync_call") == "fsync"),
        reprotect_at_commit_(setup.params.text("reprotect") == "commit") {}

  std::optional<std::string> map(MappedFile& file) override {
    const std::uint64_t pages = file.size / kPage;
    const long limit = max_map_count();
    if (static_cast<long>(pages) + 1000 > limit)
      return "working_set of " + std::to_string(pages) +
             " pages: un-protecting pages one by one may split the mapping into more VMAs than "
             "vm.max_map_count=" +
             std::to_string(limit) + " allows; use a smaller working_set";
    if (auto error = Mode::map(file)) return error;
    std::lock_guard lock(g_regions_mutex);
    if (!g_handler_installed) {
      struct sigaction action {};
      action.sa_sigaction = on_segv;
      action.sa_flags = SA_SIGINFO | SA_NODEFER;
      sigemptyset(&action.sa_mask);
      sigaction(SIGSEGV, &action, &g_previous_action);
      g_handler_installed = true;
    }
    for (ProtectedRegion& region : g_regions) {
      if (region.begin.load() != 0) continue;
      region.end = reinterpret_cast<std::uintptr_t>(file.base) + file.size;
      region.fd = file.fd;
      region.sync = sync_;
      region.use_fsync = use_fsync_;
      region.sync_errno = 0;
      region.begin.store(reinterpret_cast<std::uintptr_t>(file.base), std::memory_order_release);
      regions_.push_back(&region);
      if (mprotect(file.base, file.size, PROT_READ) != 0) return errno_text("mprotect", errno);
      return std::nullopt;
    }
    return "more than " + std::to_string(g_regions.size()) + " protected files at once";
  }

  void unmap(MappedFile& file) override {
    const auto base = reinterpret_cast<std::uintptr_t>(file.base);
    std::lock_guard lock(g_regions_mutex);
    for (ProtectedRegion* region : regions_)
      if (region->begin.load() == base) region->begin.store(0, std::memory_order_release);
    Mode::unmap(file);
  }

  std::unique_ptr<Writer> make_writer(MappedFile& file) override {
    auto writer = std::make_unique<FaultWriter>(file, flush_, reprotect_at_commit_, use_fsync_);
    writers_.push_back(writer.get());
    return writer;
  }

  void start_timed() override {
    for (FaultWriter* w : writers_) w->trapped_stores = w->trapped_store_ticks = w->sync_ticks = 0;
  }

  void add_metrics(Metrics& out, std::uint64_t) override {
    for (ProtectedRegion* region : regions_) {
      if (const int e = region->populate_errno.load())
        throw SyscallError("madvise MADV_POPULATE_WRITE", e);
      if (const int e = region->sync_errno.load())
        throw SyscallError(use_fsync_ ? "fsync" : "fdatasync", e);
    }
    std::uint64_t trapped = 0, ticks = 0, sync_ticks = 0;
    for (const FaultWriter* w : writers_) {
      trapped += w->trapped_stores;
      ticks += w->trapped_store_ticks;
      sync_ticks += w->sync_ticks;
    }
    auto mean_ns = [&](std::uint64_t total) -> std::optional<double> {
      if (trapped == 0) return std::nullopt;
      return static_cast<double>(tsc().to_ns(total)) / static_cast<double>(trapped);
    };
    const std::string none = trapped ? "ok" : "unavailable: no store trapped in the timed phase";
    out.add({"fault_ns", mean_ns(ticks), std::nullopt, "ns", Better::kLower, none,
             "mean time of a store that trapped: signal + sync + mprotect"});
    out.add({"fault_sync_ns", sync_ ? mean_ns(sync_ticks) : std::nullopt, std::nullopt, "ns",
             Better::kLower, sync_ ? none : "unavailable: fault_sync is off",
             "mean time of the sync call made in the fault handler"});
  }

 private:
  const FlushOps* flush_;
  bool sync_;
  bool use_fsync_;
  bool reprotect_at_commit_;
  std::vector<ProtectedRegion*> regions_;
  std::vector<FaultWriter*> writers_;
};

constexpr std::string_view kSyncCalls[] = {"fdatasync", "fsync"};
constexpr std::string_view kReprotect[] = {"never", "commit"};
constexpr std::string_view kOnOff[] = {"on", "off"};
constexpr ParamSpec kParams[] = {
    {"sync_call", ParamKind::kChoice, "fdatasync", "the sync made on each write fault", kSyncCalls},
    {"reprotect", ParamKind::kChoice, "never",
     "never: a faulted page stays writable (as in the kernel); commit: re-arm all pages at each "
     "commit",
     kReprotect},
    {"fault_sync", ParamKind::kChoice, "on",
     "off: trap and un-protect without syncing (the runner measures this beside every case)",
     kOnOff},
};

}  // namespace

// fio's counterpart (docs/fio.md), per kind of target.
constexpr fio::ModeRow kFioRows[] = {
    {fio::Where::kAny, fio::Engine::kNone, fio::Sync::kNone,
     "fio has no engine that syncs the file from a write-fault handler"},
};

extern const ModeDesc kFsyncPerFaultMode{
    .name = "fsync-per-fault",
    .summary =
        "write-protected mapping; each write fault syncs the file (SIGSEGV handler), "
        "cache flush + SFENCE at commit",
    .needs = kNeedsUserFlush | kNeedsFilesystem,
    .durability = Durability::kWhenPmem,
    .params = kParams,
    .companion = {.param = "fault_sync", .metric = "fault_ns"},
    .syncs_write_back_cache = true,
    .fio = kFioRows,
    .create = [](const ModeSetup& setup) -> std::unique_ptr<Mode> {
      return std::make_unique<FsyncPerFaultMode>(setup);
    },
};

}  // namespace daxbench
