// The unit costs cost attribution needs (docs/analysis.md, "Where the time goes"), each timed
// alone under the condition of the case it explains: a sync call after k pages were dirtied
// (fresh pages of a sparse file, so the call allocates and commits the journal, or pages
// already written and synced), one pwrite of S bytes (into a hole or over written data), and
// fsync-per-fault's trap with its sync removed (SIGSEGV, mprotect, MADV_POPULATE_WRITE).
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <string>
#include <vector>

#include "bench/base/rng.h"
#include "bench/base/syscall_error.h"
#include "bench/base/tsc.h"
#include "bench/counters/event_set.h"
#include "bench/micro/micro.h"
#include "bench/modes/mode.h"

namespace daxbench::micro {
namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kPagesPerFile = 1024;  // 4 MiB: a fresh file when its pages run out

enum class Call { kFdatasync, kFsync, kMsync, kPwrite, kTrap };

const char* call_name(Call call) {
  switch (call) {
    case Call::kFdatasync:
      return "fdatasync";
    case Call::kFsync:
      return "fsync";
    case Call::kMsync:
      return "msync";
    case Call::kPwrite:
      return "pwrite";
    case Call::kTrap:
      return "trap";
  }
  return "?";
}

std::uint64_t thread_faults() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return static_cast<std::uint64_t>(usage.ru_minflt + usage.ru_majflt);
}

// Pages to dirty: `fresh` pages were never written (a sparse file, each page used once, a new
// file when they run out); written pages were stored to and synced before timing starts. How
// the file was written decides its page cache's folios, and so what one store dirties (and the
// next sync writes back): zeroed by large writes, large folios (MiBs on ext4 since Linux 6.16);
// `small_folios`, written by one 4 KiB pwrite per page, 4 KiB folios, as a sparse file's pages
// are when its stores fill them.
class Pages {
 public:
  // `pages`: the file's size in pages (written files: the case's working set, so a sync's
  // pages lie as far apart on the device as the case's do).
  explicit Pages(bool fresh, bool small_folios = false, std::uint64_t pages = kPagesPerFile)
      : fresh_(fresh), small_folios_(small_folios), pages_(pages) {}
  ~Pages() { release(); }
  // Empty, or why not (for SkipWithError). Untimed.
  std::string renew() {
    release();
    try {
      file_ = target().create_file("micro-unit-" + std::to_string(serial_++) + ".dat",
                                   kPage * pages_, fresh_ || small_folios_ ? "sparse" : "zeroed");
    } catch (const std::exception& e) {
      return e.what();
    }
    if (const int error = map_file(file_, MAP_SHARED)) return errno_text("mmap", error);
    madvise(file_.base, file_.size, MADV_NOHUGEPAGE);
    next_ = 0;
    if (!fresh_) {
      const std::byte page[kPage]{std::byte{1}};
      for (std::uint64_t at = 0; small_folios_ && at < file_.size; at += kPage)
        if (pwrite(file_.fd, page, kPage, static_cast<off_t>(at)) != static_cast<ssize_t>(kPage))
          return errno_text("pwrite", errno);
      for (std::uint64_t at = 0; at < file_.size; at += kPage) file_.base[at] = std::byte{1};
      if (fdatasync(file_.fd) != 0) return errno_text("fdatasync", errno);
    }
    return "";
  }
  // The next k pages' first page index; renews the file when a fresh one has too few left.
  std::string take(std::uint64_t k, std::uint64_t& first) {
    if (!fresh_) {
      first = 0;  // the same pages every time: written and synced, clean again after each call
      return "";
    }
    if (next_ + k > kPagesPerFile)
      if (std::string why = renew(); !why.empty()) return why;
    first = next_;
    next_ += k;
    return "";
  }
  // k distinct pages of a written file drawn at random, as a random-update case's are.
  void scatter(std::uint64_t k, Rng& rng, std::vector<std::uint64_t>& out) const {
    out.clear();
    while (out.size() < k) {
      const std::uint64_t page = rng.below(pages_);
      if (std::find(out.begin(), out.end(), page) == out.end()) out.push_back(page);
    }
  }
  MappedFile& file() { return file_; }
  int generation() const { return serial_; }  // changes with every new file

 private:
  void release() {
    if (file_.base) munmap(file_.base, file_.size);
    file_.base = nullptr;
    if (file_.fd >= 0) target().release_file(file_);
    file_ = MappedFile{};
  }
  bool fresh_;
  bool small_folios_;
  std::uint64_t pages_;
  MappedFile file_;
  std::uint64_t next_ = 0;
  int serial_ = 0;
};

// One msync(MS_SYNC) over the page span of the dirtied pages, as the msync mode makes at a
// commit (bench/modes/msync.cpp).
int msync_pages(const MappedFile& f, const std::vector<std::uint64_t>& dirty) {
  const auto [low, high] = std::minmax_element(dirty.begin(), dirty.end());
  return msync(f.base + *low * kPage, (*high - *low + 1) * kPage, MS_SYNC);
}

// One iteration: k pages dirtied by stores through the mapping (outside the manual time; their
// faults counted and timed apart, as `ns_per_fault`: on written pages these are the faults of
// pages the previous call wrote back and write-protected), then the call on its own, timed.
// `dirtied_bytes` per iteration is what the stores dirtied (/proc/thread-self/io write_bytes,
// by whole folios), which attribution matches against a case's own dirtied_bytes per sync.
// Written pages are k distinct pages at random over a file of the working set (`file_pages`);
// fresh ones the next k of a sparse file, in order.
void sync_after_dirtying(benchmark::State& state, Call call, bool fresh, bool small_folios,
                         std::uint64_t k, std::uint64_t file_pages) {
  Pages pages(fresh, small_folios, fresh ? kPagesPerFile : file_pages);
  Rng rng(1, k);
  std::vector<std::uint64_t> dirty(k);
  if (std::string why = pages.renew(); !why.empty()) return state.SkipWithError(why.c_str());
  state.SetLabel(std::string(call_name(call)) + (fresh          ? " fresh sparse pages"
                                                 : small_folios ? " written pages, 4 KiB folios"
                                                                : " written pages"));
  std::uint64_t ticks = 0, faults = 0, stamp = 0, dirty_ticks = 0, dirtied = 0;
  for (auto _ : state) {
    std::uint64_t first = 0;
    if (std::string why = pages.take(k, first); !why.empty()) {
      state.SkipWithError(why.c_str());
      break;
    }
    MappedFile& f = pages.file();
    if (fresh)
      for (std::uint64_t i = 0; i < k; ++i) dirty[i] = first + i;
    else
      pages.scatter(k, rng, dirty);
    const std::uint64_t before = thread_faults();
    const std::uint64_t io_before = perf::task_io_field("write_bytes").value_or(0);
    const std::uint64_t d0 = tsc_now();
    for (std::uint64_t i = 0; i < k; ++i)
      *reinterpret_cast<volatile std::uint64_t*>(f.base + dirty[i] * kPage) = ++stamp;
    dirty_ticks += tsc_now() - d0;
    faults += thread_faults() - before;
    dirtied += perf::task_io_field("write_bytes").value_or(0) - io_before;
    const std::uint64_t t0 = tsc_now();
    const int rc = call == Call::kFdatasync ? fdatasync(f.fd)
                   : call == Call::kFsync   ? fsync(f.fd)
                                            : msync_pages(f, dirty);
    const std::uint64_t t1 = tsc_now();
    if (rc != 0) {
      state.SkipWithError(errno_text(call_name(call), errno).c_str());
      break;
    }
    ticks += t1 - t0;
    state.SetIterationTime(static_cast<double>(t1 - t0) / tsc().ticks_per_ns * 1e-9);
  }
  report(state, ticks, 0, 0, 0);
  state.counters["dirty_pages"] = static_cast<double>(k);
  state.counters["dirtied_bytes"] =
      benchmark::Counter(static_cast<double>(dirtied), benchmark::Counter::kAvgIterations);
  state.counters["page_faults"] =
      benchmark::Counter(static_cast<double>(faults), benchmark::Counter::kAvgIterations);
  if (faults)
    state.counters["ns_per_fault"] =
        static_cast<double>(dirty_ticks) / tsc().ticks_per_ns / static_cast<double>(faults);
}

// One pwrite of `size` bytes at the start of a page: into a hole (fresh) or over written data.
void pwrite_cost(benchmark::State& state, bool fresh, std::uint64_t size) {
  Pages pages(fresh);
  if (std::string why = pages.renew(); !why.empty()) return state.SkipWithError(why.c_str());
  state.SetLabel(std::string("pwrite ") + (fresh ? "into holes" : "over written pages"));
  std::array<std::byte, kPage> buffer{};
  std::uint64_t ticks = 0, page = 0;
  for (auto _ : state) {
    std::uint64_t first = 0;
    if (std::string why = pages.take(1, first); !why.empty()) {
      state.SkipWithError(why.c_str());
      break;
    }
    // Written pages: walk the file, so a write is not always to one cached page.
    const std::uint64_t at = (fresh ? first : page++ % kPagesPerFile) * kPage;
    const std::uint64_t t0 = tsc_now();
    const ssize_t n = pwrite(pages.file().fd, buffer.data(), size, static_cast<off_t>(at));
    const std::uint64_t t1 = tsc_now();
    if (n != static_cast<ssize_t>(size)) {
      state.SkipWithError(errno_text("pwrite", errno).c_str());
      break;
    }
    ticks += t1 - t0;
    state.SetIterationTime(static_cast<double>(t1 - t0) / tsc().ticks_per_ns * 1e-9);
  }
  report(state, ticks, 0, 0, 0);
}

// fsync-per-fault's trap without its sync (bench/modes/fsync_per_fault.cpp): the store to a
// read-only page raises SIGSEGV; the handler makes the page writable and has the kernel take
// the write fault (MADV_POPULATE_WRITE). The benchmark's own handler, for its own mapping.
std::atomic<std::uintptr_t> g_trap_begin{0}, g_trap_end{0};
std::atomic<int> g_trap_errno{0};
void on_trap(int, siginfo_t* info, void*) {
  const auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
  if (addr < g_trap_begin.load() || addr >= g_trap_end.load()) {
    signal(SIGSEGV, SIG_DFL);  // not ours: the store re-runs into the default action
    return;
  }
  void* page = reinterpret_cast<void*>(addr & ~(kPage - 1));
  if (mprotect(page, kPage, PROT_READ | PROT_WRITE) != 0) g_trap_errno.store(errno);
  if (madvise(page, kPage, MADV_POPULATE_WRITE) != 0) g_trap_errno.store(errno);
}

void trap_cost(benchmark::State& state, bool fresh) {
  Pages pages(fresh);
  if (std::string why = pages.renew(); !why.empty()) return state.SkipWithError(why.c_str());
  struct sigaction action {
  }, previous{};
  action.sa_sigaction = on_trap;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  sigaction(SIGSEGV, &action, &previous);
  state.SetLabel(std::string("trap ") + (fresh ? "fresh sparse pages" : "written pages"));
  std::uint64_t ticks = 0, stamp = 0;
  int armed = -1;  // the file generation whose pages are protected
  for (auto _ : state) {
    std::uint64_t first = 0;
    if (std::string why = pages.take(1, first); !why.empty()) {
      state.SkipWithError(why.c_str());
      break;
    }
    MappedFile& f = pages.file();
    if (armed != pages.generation() || !fresh) {  // written: re-arm the same page every time
      if (mprotect(f.base, f.size, PROT_READ) != 0) {
        state.SkipWithError(errno_text("mprotect", errno).c_str());
        break;
      }
      g_trap_begin = reinterpret_cast<std::uintptr_t>(f.base);
      g_trap_end = reinterpret_cast<std::uintptr_t>(f.base) + f.size;
      armed = pages.generation();
    }
    auto* p = reinterpret_cast<volatile std::uint64_t*>(f.base + first * kPage);
    const std::uint64_t t0 = tsc_now();
    *p = ++stamp;
    const std::uint64_t t1 = tsc_now();
    ticks += t1 - t0;
    state.SetIterationTime(static_cast<double>(t1 - t0) / tsc().ticks_per_ns * 1e-9);
  }
  g_trap_begin = 0;
  g_trap_end = 0;
  sigaction(SIGSEGV, &previous, nullptr);
  if (const int error = g_trap_errno.exchange(0))
    state.SkipWithError(errno_text("mprotect/madvise in the handler", error).c_str());
  report(state, ticks, 0, 0, 0);
}

}  // namespace

void register_unit_cost_benchmarks(const Options& options) {
  // Fixed counts: each fresh page is used once, and a fresh file is slow to make.
  const int syncs = options.quick() ? 256 : 1024;
  const std::uint64_t file_pages = std::max<std::uint64_t>(options.working_set / kPage, 16);
  for (bool fresh : {true, false}) {
    const std::string state = fresh ? "fresh" : "written";
    for (bool small_folios : {false, true}) {
      if (fresh && small_folios) continue;  // a fresh page's folio is made by its own store
      for (Call call : {Call::kFdatasync, Call::kFsync, Call::kMsync})
        for (std::uint64_t k : {std::uint64_t{1}, std::uint64_t{16}})
          benchmark::RegisterBenchmark(
              ("unit/" + std::string(call_name(call)) + "/" + state +
               (small_folios ? "_4k_folios" : "") + "/dirty_pages:" + std::to_string(k))
                  .c_str(),
              sync_after_dirtying, call, fresh, small_folios, k, file_pages)
              ->UseManualTime()
              ->Iterations(syncs);
    }
    for (std::uint64_t size : {std::uint64_t{64}, kPage})
      benchmark::RegisterBenchmark(
          ("unit/pwrite/" + state + "/size:" + std::to_string(size)).c_str(), pwrite_cost, fresh,
          size)
          ->UseManualTime()
          ->Iterations(syncs * 4);
    benchmark::RegisterBenchmark(("unit/trap/" + state).c_str(), trap_cost, fresh)
        ->UseManualTime()
        ->Iterations(syncs * 4);
  }
}

}  // namespace daxbench::micro
