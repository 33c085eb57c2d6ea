// Cache-flush primitives: flush (write lines back) and drain (order them) are separate steps,
// as in libpmem2, so a commit of many ranges flushes each and pays one fence.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace daxbench {

inline constexpr std::size_t kCacheLine = 64;

struct FlushOps {
  std::string_view name;
  std::string_view summary;
  bool (*available)();  // CPUID says the instruction exists: never execute it otherwise
  // Writes back every cache line that overlaps [addr, addr + len).
  void (*flush)(const void* addr, std::size_t len);
  void (*drain)();  // makes the flushes above globally visible in order (SFENCE)
};

// Registered primitives, in preference order (flush.def); `auto` is the first available.
std::span<const FlushOps* const> flush_primitives();
const FlushOps* find_flush(std::string_view name);  // nullptr if unknown
const FlushOps* best_flush();                       // first available primitive

// Number of cache lines that [offset, offset + len) overlaps.
inline std::size_t lines_covered(std::size_t offset, std::size_t len) {
  if (len == 0) return 0;
  return (offset + len - 1) / kCacheLine - offset / kCacheLine + 1;
}

}  // namespace daxbench
