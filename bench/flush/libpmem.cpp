// PMDK's libpmem as a primitive: pmem_memcpy_nodrain copies, pmem_flush/pmem_drain persist.
// libpmem chooses its own instructions (CLWB/CLFLUSHOPT/CLFLUSH, and non-temporal stores
// above a size threshold), so this measures the library, not one instruction.
//
// What is counted here is what libpmem was asked to do, not what it did: its line loops run
// inside the library, are not for_each_line and are not observed by any test.
#include <libpmem.h>

#include <cstdint>

#include "bench/flush/flush.h"

namespace daxbench {
namespace {

// Which path libpmem took (non-temporal or store + flush) is not visible from outside, so
// nothing is counted here rather than a guess.
CopyCounts libpmem_copy(void* dst, const void* src, std::size_t len) {
  pmem_memcpy_nodrain(dst, src, len);
  return {};
}

// The lines libpmem was asked to write back; its own loop over them is libpmem's.
std::size_t libpmem_flush(const void* addr, std::size_t len) {
  pmem_flush(addr, len);
  return lines_covered(reinterpret_cast<std::uintptr_t>(addr), len);
}

// One fence asked for; pmem_drain issues it (an SFENCE on x86-64) inside the library.
std::size_t libpmem_drain() {
  pmem_drain();
  return 1;
}

}  // namespace

extern const FlushOps kLibpmemFlush{
    .name = "libpmem",
    .summary =
        "pmem_memcpy_nodrain per store, pmem_drain at commit; libpmem chooses the instruction "
        "and whether to use non-temporal stores (its flushes are not counted)",
    .available = [] { return true; },  // libpmem needs only SSE2, which x86-64 always has
    .flush = libpmem_flush,
    .drain = libpmem_drain,
    .copy = libpmem_copy,
    .library = true,
    .fio = {.note = "pmem_memcpy + pmem_drain, as daxbench's libpmem primitive"},
};

}  // namespace daxbench
