// The fault path: what the first store to a page of a fresh mapping costs, per file state
// (sparse, fallocated, zeroed), with and without MAP_SYNC, 4 KiB pages (MADV_NOHUGEPAGE);
// anonymous memory as the reference. One iteration is one first-touch fault.
#include <sys/mman.h>
#include <sys/resource.h>

#include <cerrno>
#include <string>

#include "bench/base/syscall_error.h"
#include "bench/base/tsc.h"
#include "bench/micro/micro.h"
#include "bench/modes/mode.h"

namespace daxbench::micro {
namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kPagesPerFile = 256;  // a fresh 1 MiB file every 256 faults

// Page faults this thread has taken so far. A first touch need not fault: where the page
// cache holds a large folio, one fault can map all of its pages, and the mean time per touch
// then says little without the count beside it.
std::uint64_t thread_faults() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return static_cast<std::uint64_t>(usage.ru_minflt + usage.ru_majflt);
}

struct FaultCase {
  std::string file_state;  // empty for DRAM
  bool map_sync;
  Memory memory;
};

// A fresh mapping whose pages have never been touched; untimed.
class FreshMapping {
 public:
  explicit FreshMapping(const FaultCase& c) : case_(c) {}
  ~FreshMapping() { release(); }
  // Empty, or why no mapping could be made (for SkipWithError).
  std::string renew() {
    release();
    const std::uint64_t size = kPage * kPagesPerFile;
    if (case_.memory == Memory::kDram) {
      void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) return errno_text("mmap", errno);
      madvise(p, size, MADV_NOHUGEPAGE);
      base_ = static_cast<std::byte*>(p);
      return "";
    }
    try {
      file_ = target().create_file("micro-fault-" + std::to_string(serial_++) + ".dat", size,
                                   case_.file_state);
    } catch (const std::exception& e) {
      return e.what();
    }
    // MAP_SHARED_VALIDATE: the legacy MAP_SHARED|MAP_SYNC is silently ignored where unsupported.
    const int flags = case_.map_sync ? MAP_SHARED_VALIDATE | MAP_SYNC : MAP_SHARED;
    if (const int error = map_file(file_, flags))
      return "unsupported: " + errno_text(case_.map_sync ? "mmap MAP_SYNC" : "mmap", error);
    base_ = file_.base;
    return "";
  }
  std::byte* base() const { return base_; }

 private:
  void release() {
    if (base_) munmap(base_, kPage * kPagesPerFile);
    base_ = nullptr;
    file_.base = nullptr;
    if (file_.fd >= 0) target().release_file(file_);
    file_ = MappedFile{};
  }
  FaultCase case_;
  MappedFile file_;
  std::byte* base_ = nullptr;
  int serial_ = 0;
};

void first_touch(benchmark::State& state, FaultCase c) {
  FreshMapping mapping(c);
  if (const std::string why = mapping.renew(); !why.empty())
    return state.SkipWithError(why.c_str());
  state.SetLabel(c.memory == Memory::kDram
                     ? std::string("anonymous dram")
                     : c.file_state + (c.map_sync ? " MAP_SYNC" : " MAP_SHARED") + " file");
  std::uint64_t page = 0, ticks = 0, faults = 0;
  for (auto _ : state) {
    if (page == kPagesPerFile) {
      if (const std::string why = mapping.renew(); !why.empty()) {
        state.SkipWithError(why.c_str());
        break;
      }
      page = 0;
    }
    auto* p = reinterpret_cast<volatile std::uint64_t*>(mapping.base() + page * kPage);
    const std::uint64_t faults_before = thread_faults();
    const std::uint64_t t0 = tsc_now();
    *p = page;
    const std::uint64_t t1 = tsc_now();
    faults += thread_faults() - faults_before;
    ++page;
    ticks += t1 - t0;
    // Manual time: only the faulting store counts, not making the next file.
    state.SetIterationTime(static_cast<double>(t1 - t0) / tsc().ticks_per_ns * 1e-9);
  }
  report(state, ticks, 0, 0, 0);
  state.counters["page_faults"] =
      benchmark::Counter(static_cast<double>(faults), benchmark::Counter::kAvgIterations);
}

}  // namespace

void register_fault_benchmarks(const Options& options) {
  // Fixed counts: each fault needs a fresh page, and fresh files are slow to make.
  const int faults = options.quick() ? 512 : 4096;
  for (const char* file_state : {"sparse", "fallocated", "zeroed"})
    for (bool map_sync : {false, true})
      benchmark::RegisterBenchmark(("fault/" + std::string(file_state) + "/" +
                                    (map_sync ? "map_sync" : "map_shared") + "/memory:file")
                                       .c_str(),
                                   first_touch, FaultCase{file_state, map_sync, Memory::kFile})
          ->UseManualTime()
          ->Iterations(faults);
  benchmark::RegisterBenchmark("fault/anonymous/memory:dram", first_touch,
                               FaultCase{"", false, Memory::kDram})
      ->UseManualTime()
      ->Iterations(faults);
}

}  // namespace daxbench::micro
