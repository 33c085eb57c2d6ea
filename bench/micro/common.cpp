// The shared pieces of daxbench-micro: the target, long-lived regions, the user counters.
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <utility>

#include "bench/base/syscall_error.h"
#include "bench/base/tsc.h"
#include "bench/micro/micro.h"
#include "bench/modes/mode.h"

namespace daxbench::micro {
namespace {

struct Owned {
  Region region;
  MappedFile file;  // fd -1 for DRAM
};

std::map<std::pair<Memory, std::string>, Owned>& regions() {
  static std::map<std::pair<Memory, std::string>, Owned> all;
  return all;
}

}  // namespace

Region& region(Memory memory, std::string_view name, std::uint64_t size, bool written) {
  const auto key = std::make_pair(memory, std::string(name));
  if (auto it = regions().find(key); it != regions().end()) return it->second.region;
  Owned owned;
  if (memory == Memory::kFile) {
    owned.file = target().create_file("micro-" + std::string(name) + ".dat", size, "zeroed");
    if (const int error = map_file(owned.file, MAP_SHARED)) {
      target().release_file(owned.file);
      throw SyscallError("mmap", error);
    }
    owned.region.base = owned.file.base;
    owned.region.fd = owned.file.fd;
  } else {
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw SyscallError("mmap", errno);
    madvise(p, size, MADV_NOHUGEPAGE);  // the same 4 KiB pages as the file mapping
    owned.region.base = static_cast<std::byte*>(p);
  }
  owned.region.size = size;
  // Every page faulted in once: the benchmarks time flushes, not first-touch faults.
  if (written) {
    std::memset(owned.region.base, 0x5a, size);
  } else {
    for (std::uint64_t at = 0; at < size; at += 4096)
      static_cast<void>(*reinterpret_cast<volatile const char*>(owned.region.base + at));
  }
  return regions().emplace(key, std::move(owned)).first->second.region;
}

void release_regions() {
  for (auto& [key, owned] : regions()) {
    munmap(owned.region.base, owned.region.size);
    if (key.first == Memory::kFile) {
      owned.file.base = nullptr;
      target().release_file(owned.file);
    }
  }
  regions().clear();
}

void report(benchmark::State& state, std::uint64_t ticks, double lines_per_op,
            std::uint64_t lines_flushed, std::uint64_t fences) {
  using benchmark::Counter;
  const double t = static_cast<double>(ticks);
  const double ns = t / tsc().ticks_per_ns;
  state.counters["ns_per_op"] = Counter(ns, Counter::kAvgIterations);
  state.counters["tsc_per_op"] = Counter(t, Counter::kAvgIterations);
  if (lines_per_op > 0) {
    state.counters["ns_per_line"] = Counter(ns / lines_per_op, Counter::kAvgIterations);
    state.counters["tsc_per_line"] = Counter(t / lines_per_op, Counter::kAvgIterations);
  }
  state.counters["lines_flushed"] =
      Counter(static_cast<double>(lines_flushed), Counter::kAvgIterations);
  state.counters["fences"] = Counter(static_cast<double>(fences), Counter::kAvgIterations);
  state.SetItemsProcessed(state.iterations());
}

}  // namespace daxbench::micro
