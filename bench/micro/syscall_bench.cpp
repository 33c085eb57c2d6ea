// Sync syscall costs on the target: fdatasync, fsync and msync(MS_SYNC) after dirtying one
// page, after dirtying 16, and on a clean file (the floor: the call with nothing to write).
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "bench/base/syscall_error.h"
#include "bench/base/tsc.h"
#include "bench/micro/micro.h"

namespace daxbench::micro {
namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kPages = 16;

enum class Call { kFdatasync, kFsync, kMsync };

const char* call_name(Call call) {
  return call == Call::kFdatasync ? "fdatasync" : call == Call::kFsync ? "fsync" : "msync";
}

void sync_cost(benchmark::State& state, Call call, std::uint64_t dirty_pages) {
  Region* r;
  try {
    r = &region(Memory::kFile,
                "sync-" + std::string(call_name(call)) + "-" + std::to_string(dirty_pages),
                kPage * kPages);
  } catch (const std::exception& e) {
    return state.SkipWithError(e.what());
  }
  if (fsync(r->fd) != 0) return state.SkipWithError(errno_text("fsync", errno).c_str());
  state.SetLabel(std::string(call_name(call)) + " file");
  const std::uint64_t range = kPage * (dirty_pages ? dirty_pages : 1);
  std::uint64_t stamp = 0;
  const std::uint64_t begin = tsc_now();
  for (auto _ : state) {
    for (std::uint64_t i = 0; i < dirty_pages; ++i)
      *reinterpret_cast<volatile std::uint64_t*>(r->base + i * kPage) = ++stamp;
    const int rc = call == Call::kFdatasync ? fdatasync(r->fd)
                   : call == Call::kFsync   ? fsync(r->fd)
                                            : msync(r->base, range, MS_SYNC);
    if (rc != 0) {
      state.SkipWithError(errno_text(call_name(call), errno).c_str());
      break;
    }
  }
  report(state, tsc_now() - begin, 0, 0, 0);
  state.counters["dirty_pages"] = static_cast<double>(dirty_pages);
}

}  // namespace

void register_syscall_benchmarks(const Options&) {
  // The same few in both sets: each call is 0.1-0.4 ms here, so min_time bounds them.
  for (Call call : {Call::kFdatasync, Call::kFsync, Call::kMsync})
    for (std::uint64_t pages : {std::uint64_t{1}, kPages, std::uint64_t{0}})
      benchmark::RegisterBenchmark(
          ("syscall/" + std::string(call_name(call)) + "/" +
           (pages ? "dirty_pages:" + std::to_string(pages) : std::string("clean")))
              .c_str(),
          sync_cost, call, pages);
}

}  // namespace daxbench::micro
