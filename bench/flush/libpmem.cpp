// PMDK's libpmem as a primitive: pmem_memcpy_nodrain copies, pmem_flush/pmem_drain persist.
// libpmem chooses its own instructions (CLWB/CLFLUSHOPT/CLFLUSH, and non-temporal stores
// above a size threshold), so this measures the library, not one instruction.
#include <libpmem.h>

#include "bench/flush/flush.h"

namespace daxbench {
namespace {

// Which path libpmem took (non-temporal or store + flush) is not visible from outside, so
// nothing is counted here rather than a guess.
CopyCounts libpmem_copy(void* dst, const void* src, std::size_t len) {
  pmem_memcpy_nodrain(dst, src, len);
  return {};
}

void libpmem_flush(const void* addr, std::size_t len) {
  pmem_flush(addr, len);
}

}  // namespace

extern const FlushOps kLibpmemFlush{
    .name = "libpmem",
    .summary =
        "pmem_memcpy_nodrain per store, pmem_drain at commit; libpmem chooses the instruction "
        "and whether to use non-temporal stores (its flushes are not counted)",
    .available = [] { return true; },  // libpmem needs only SSE2, which x86-64 always has
    .flush = libpmem_flush,
    .drain = pmem_drain,
    .copy = libpmem_copy,
};

}  // namespace daxbench
