// What the daxbench-micro benchmark families share: options, the target, prefaulted memory
// regions (a file mapping or anonymous DRAM) and the user counters every benchmark reports.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bench/io/writer.h"
#include "bench/targets/target.h"

namespace daxbench::micro {

struct Options {
  std::string target_spec;                 // file:DIR or fsdax:DIR
  std::string set = "full";                // full | quick
  std::uint64_t working_set = 8ull << 20;  // of the harness-overhead raw loops
  bool quick() const { return set == "quick"; }
};

enum class Memory { kFile, kDram };
inline std::string_view memory_name(Memory m) {
  return m == Memory::kFile ? "file" : "dram";
}

// The target every file benchmark writes into; opened by main before any benchmark runs.
Target& target();

// A mapping that outlives one benchmark: a file in the target (MAP_SHARED, no huge pages,
// zeroed and fsync'ed) or anonymous memory, every page written once so no fault is timed.
struct Region {
  std::byte* base = nullptr;
  std::uint64_t size = 0;
  int fd = -1;  // the file's, -1 for DRAM
};
// Made on first use and kept to the end of the run, one per (memory, name). `written` false:
// pages are faulted in by reads only, so no line of it has ever been stored to. Throws
// TargetError or SyscallError; benchmarks turn that into SkipWithError.
Region& region(Memory memory, std::string_view name, std::uint64_t size, bool written = true);
// Unmaps and removes every region (main, at the end).
void release_regions();

// Records the per-operation user counters from totals over the whole loop: ns and TSC ticks
// per operation and per cache line, and lines flushed / fences per operation. `lines_per_op`
// is the lines each operation covers (0 where a line count means nothing).
void report(benchmark::State& state, std::uint64_t ticks, double lines_per_op,
            std::uint64_t lines_flushed, std::uint64_t fences);

// One function per benchmark family; main calls each with the options.
void register_flush_benchmarks(const Options& options);
void register_fault_benchmarks(const Options& options);
void register_syscall_benchmarks(const Options& options);
void register_raw_loop_benchmarks(const Options& options);
void register_unit_cost_benchmarks(const Options& options);

}  // namespace daxbench::micro
