// Non-temporal stores: whole lines bypass the cache (MOVNTDQ), so a commit has nothing to
// flush; partial head/tail lines are stored normally and flushed, as PMDK's
// memmove_nodrain_movnt does, because a non-temporal store of part of a line would still
// leave the line's other bytes to the cache.
#include <emmintrin.h>

#include <cstdint>
#include <cstring>

#include "bench/flush/flush.h"

namespace daxbench {
namespace {

// The partial lines go through the best cache-flush instruction the CPU has (what `auto`
// picks), resolved once: this runs on every store.
void edge_flush(const void* addr, std::size_t len) {
  static const FlushOps* const best = best_flush();
  best->flush(addr, len);
}

void store_and_flush(char* dst, const char* src, std::size_t len, CopyCounts& counts) {
  std::memcpy(dst, src, len);
  edge_flush(dst, len);
  counts.lines_flushed += lines_covered(reinterpret_cast<std::uintptr_t>(dst), len);
}

// SSE2 is part of x86-64, so MOVNTDQ needs no target attribute and no CPUID check.
CopyCounts ntstore_copy(void* dst, const void* src, std::size_t len) {
  CopyCounts counts;
  auto* d = static_cast<char*>(dst);
  const auto* s = static_cast<const char*>(src);
  const auto begin = reinterpret_cast<std::uintptr_t>(d);
  const auto end = begin + len;
  const auto body_begin = (begin + kCacheLine - 1) & ~(kCacheLine - 1);
  const auto body_end = end & ~(kCacheLine - 1);
  if (body_begin >= body_end) {  // no whole line inside: nothing can be non-temporal
    if (len) store_and_flush(d, s, len, counts);
    return counts;
  }
  if (const std::size_t head = body_begin - begin) store_and_flush(d, s, head, counts);
  for (std::uintptr_t p = body_begin; p < body_end; p += kCacheLine) {
    auto* out = reinterpret_cast<__m128i*>(p);
    const auto* in = reinterpret_cast<const __m128i*>(s + (p - begin));
    for (int i = 0; i < 4; ++i) _mm_stream_si128(out + i, _mm_loadu_si128(in + i));
    ++counts.lines_nt_stored;
  }
  if (const std::size_t tail = end - body_end)
    store_and_flush(d + (body_end - begin), s + (body_end - begin), tail, counts);
  return counts;
}

// Orders the non-temporal stores (write-combining buffers) and the edge flushes alike.
void sfence_drain() {
  _mm_sfence();
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
};

}  // namespace daxbench
