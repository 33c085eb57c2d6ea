// The suite's own counters: what each writer thread did, counted where it does it. The table
// below gives each counter its unit and direction, next to its definition.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "bench/base/metric.h"

namespace daxbench {

struct InternalCounters {
  std::uint64_t stores = 0;           // store calls made by the workload
  std::uint64_t bytes_stored = 0;     // bytes those stores wrote
  std::uint64_t commits = 0;          // commit points reached
  std::uint64_t lines_flushed = 0;    // cache lines written back by a flush the suite issued
  std::uint64_t lines_nt_stored = 0;  // whole lines written with non-temporal stores
  std::uint64_t fences = 0;           // drains (SFENCE) issued
  std::uint64_t faults_trapped = 0;   // write faults caught by a user-space handler
  std::uint64_t sys_fdatasync = 0;
  std::uint64_t sys_fsync = 0;
  std::uint64_t sys_msync = 0;
  std::uint64_t msync_bytes = 0;  // bytes covered by msync calls
  std::uint64_t sys_pwrite = 0;
  std::uint64_t sys_mprotect = 0;
  std::uint64_t sys_madvise = 0;

  InternalCounters& operator+=(const InternalCounters& o);
  std::uint64_t syscalls() const {
    return sys_fdatasync + sys_fsync + sys_msync + sys_pwrite + sys_mprotect + sys_madvise;
  }
};

struct CounterField {
  std::string_view name;
  std::uint64_t InternalCounters::*field;
  std::string_view unit;
  std::string_view help;
};

inline constexpr std::array kCounterFields = {
    CounterField{"stores", &InternalCounters::stores, "count",
                 "store calls issued by the workload"},
    CounterField{"bytes_stored", &InternalCounters::bytes_stored, "bytes",
                 "bytes written by the workload"},
    CounterField{"commits", &InternalCounters::commits, "count",
                 "commit points (durability requests)"},
    CounterField{"lines_flushed", &InternalCounters::lines_flushed, "lines",
                 "cache lines written back by a flush instruction the suite issued (or passed "
                 "to pmem_flush); 0 for flush none; libpmem's copies flush inside the library, "
                 "uncounted"},
    CounterField{"lines_nt_stored", &InternalCounters::lines_nt_stored, "lines",
                 "whole cache lines written with non-temporal stores by flush ntstore; "
                 "libpmem's copies may also use them, which cannot be seen: uncounted"},
    CounterField{"fences", &InternalCounters::fences, "count", "SFENCE drains issued"},
    CounterField{"faults_trapped", &InternalCounters::faults_trapped, "count",
                 "write faults caught by the user-space handler"},
    CounterField{"sys_fdatasync", &InternalCounters::sys_fdatasync, "count",
                 "fdatasync calls issued by the suite"},
    CounterField{"sys_fsync", &InternalCounters::sys_fsync, "count",
                 "fsync calls issued by the suite"},
    CounterField{"sys_msync", &InternalCounters::sys_msync, "count",
                 "msync calls issued by the suite"},
    CounterField{"msync_bytes", &InternalCounters::msync_bytes, "bytes",
                 "bytes covered by msync calls"},
    CounterField{"sys_pwrite", &InternalCounters::sys_pwrite, "count",
                 "pwrite calls issued by the suite"},
    CounterField{"sys_mprotect", &InternalCounters::sys_mprotect, "count",
                 "mprotect calls issued by the suite"},
    CounterField{"sys_madvise", &InternalCounters::sys_madvise, "count",
                 "madvise calls issued by the suite (fsync-per-fault's MADV_POPULATE_WRITE)"},
};

// Adds every internal counter (and the total of syscalls) to `out`, per operation where ops > 0.
void add_counter_metrics(const InternalCounters& counters, std::uint64_t ops, Metrics& out);

}  // namespace daxbench
