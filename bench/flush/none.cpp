// `none`: the eADR assumption, where the CPU caches are inside the persistence domain, so no
// line needs writing back; the SFENCE stays because commits still need their stores ordered.
#include <immintrin.h>

#include "bench/flush/flush.h"

namespace daxbench {
namespace {

std::size_t no_flush(const void*, std::size_t) {
  return 0;  // no instruction issued on any line
}

std::size_t sfence_drain() {
  _mm_sfence();
  return 1;
}

}  // namespace

extern const FlushOps kNoneFlush{
    .name = "none",
    .summary = "no cache-line flush (eADR assumption: caches are persistent), SFENCE to drain",
    .available = [] { return true; },
    .flush = no_flush,
    .drain = sfence_drain,
    .writes_back = false,
    .fio = {.env = {"PMEM_NO_FLUSH"},
            .note =
                "PMEM_NO_FLUSH=1: libpmem skips the flush and keeps the SFENCE, as flush: none"},
};

}  // namespace daxbench
