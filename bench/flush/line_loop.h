// The one loop over cache lines that every primitive's flush and ntstore's copy are built
// from, so which lines get an instruction is decided here, once, and a unit test can drive
// exactly this code with an instruction that records each line instead of flushing it.
// Templates with the instruction as a compile-time functor: the primitives inline it, and
// no line pays for a virtual call or a std::function.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bench/flush/flush.h"

namespace daxbench {

inline constexpr std::uintptr_t line_of(std::uintptr_t address) {
  return address & ~std::uintptr_t{kCacheLine - 1};
}

// Calls `instruction(line)` once for the start address of every cache line that overlaps
// [addr, addr + len), in ascending order, and returns how many it called: nothing for
// len = 0 (even at an unaligned address), a partial first and last line included.
template <typename Instruction>
[[gnu::always_inline]] inline std::size_t for_each_line(const void* addr, std::size_t len,
                                                        Instruction&& instruction) {
  if (len == 0) return 0;
  const auto begin = reinterpret_cast<std::uintptr_t>(addr);
  const std::uintptr_t end = begin + len;
  std::size_t lines = 0;
  for (std::uintptr_t line = line_of(begin); line < end; line += kCacheLine, ++lines)
    instruction(line);
  return lines;
}

// A copy that keeps no byte in the cache, as PMDK's memmove_nodrain_movnt does: every line
// [dst, dst + len) covers whole is written by `store_line(dst_line, src)` (64 bytes from
// `src`: non-temporal stores in ntstore); a line it covers in part (the head and the tail;
// a non-temporal store of part of a line would leave the line's other bytes to the cache)
// goes to `store_edge(dst, src, n)`, which stores those n bytes normally, writes their
// lines back and returns how many it wrote back. The whole lines are visited by
// for_each_line too, so the split is the same code the flushes use.
template <typename StoreLine, typename StoreEdge>
[[gnu::always_inline]] inline CopyCounts copy_lines_nt(void* dst, const void* src, std::size_t len,
                                                       StoreLine&& store_line,
                                                       StoreEdge&& store_edge) {
  CopyCounts counts;
  auto* d = static_cast<char*>(dst);
  const auto* s = static_cast<const char*>(src);
  const auto begin = reinterpret_cast<std::uintptr_t>(d);
  const std::uintptr_t end = begin + len;
  const std::uintptr_t body_begin = line_of(begin + kCacheLine - 1);
  const std::uintptr_t body_end = line_of(end);
  if (body_begin >= body_end) {  // no whole line inside: nothing can be non-temporal
    if (len) counts.lines_flushed += store_edge(d, s, len);
    return counts;
  }
  if (const std::size_t head = body_begin - begin) counts.lines_flushed += store_edge(d, s, head);
  counts.lines_nt_stored +=
      for_each_line(reinterpret_cast<const void*>(body_begin), body_end - body_begin,
                    [&](std::uintptr_t line) { store_line(line, s + (line - begin)); });
  if (const std::size_t tail = end - body_end)
    counts.lines_flushed += store_edge(d + (body_end - begin), s + (body_end - begin), tail);
  return counts;
}

}  // namespace daxbench
