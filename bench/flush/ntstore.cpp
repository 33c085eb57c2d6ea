// Non-temporal stores: whole lines bypass the cache (MOVNTDQ), so a commit has nothing to
// flush; partial head/tail lines are stored normally and flushed, as PMDK's
// memmove_nodrain_movnt does, because a non-temporal store of part of a line would still
// leave the line's other bytes to the cache. The split into whole and edge lines is
// copy_lines_nt (line_loop.h), the same loop the flushes use.
#include <emmintrin.h>

#include <cstdint>
#include <cstring>

#include "bench/flush/flush.h"
#include "bench/flush/line_loop.h"

namespace daxbench {
namespace {

// The partial lines go through the best cache-flush instruction the CPU has (what `auto`
// picks), resolved once: this runs on every store. At most two calls per copy, never one
// per line, so the pointer call costs nothing a line would notice.
std::size_t edge_flush(const void* addr, std::size_t len) {
  static const FlushOps* const best = best_flush();
  return best->flush(addr, len);
}

// SSE2 is part of x86-64, so MOVNTDQ needs no target attribute and no CPUID check.
struct NtStoreLine {
  void operator()(std::uintptr_t line, const char* src) const {
    auto* out = reinterpret_cast<__m128i*>(line);
    const auto* in = reinterpret_cast<const __m128i*>(src);
    for (int i = 0; i < 4; ++i) _mm_stream_si128(out + i, _mm_loadu_si128(in + i));
  }
};

CopyCounts ntstore_copy(void* dst, const void* src, std::size_t len) {
  return copy_lines_nt(dst, src, len, NtStoreLine{},
                       [](char* d, const char* s, std::size_t n) -> std::size_t {
                         std::memcpy(d, s, n);
                         return edge_flush(d, n);
                       });
}

// Orders the non-temporal stores (write-combining buffers) and the edge flushes alike.
std::size_t sfence_drain() {
  _mm_sfence();
  return 1;
}

}  // namespace

extern const FlushOps kNtstoreFlush{
    .name = "ntstore",
    .summary =
        "non-temporal stores (MOVNTDQ) for whole lines, partial edge lines stored normally and "
        "flushed with the best flush instruction; SFENCE to drain",
    .available = [] { return best_flush() != nullptr; },  // the edges need a flush instruction
    .flush = edge_flush,
    .drain = sfence_drain,
    .copy = ntstore_copy,
    .fio = {.option = "direct=1",
            .on_device = false,
            .note =
                "direct=1: pmem_memcpy with PMEM_F_MEM_NONTEMPORAL (libpmem's own edge handling)"},
};

}  // namespace daxbench
