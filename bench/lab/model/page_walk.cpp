// 4-level paging: PML4 → PDPT (PS: 1 GiB page) → PD (PS: 2 MiB page) → PT (4 KiB page).
#include "bench/lab/model/page_walk.h"

namespace daxbench::model {
namespace {

constexpr std::uint64_t kPresent = 1;
constexpr std::uint64_t kPageSize = 1u << 7;  // PS: the entry maps a page, not a table
// Bits 51:12 of an entry (and of CR3) hold a frame; the low bits of CR3 are the PCID.
constexpr std::uint64_t kFrameMask = 0x000F'FFFF'FFFF'F000ull;

}  // namespace

std::optional<std::uint64_t> translate(std::uint64_t cr3, std::uint64_t linear,
                                       const ReadPhysical64& read) {
  std::uint64_t table = cr3 & kFrameMask;
  for (int level = 4; level >= 1; --level) {
    const int shift = 12 + 9 * (level - 1);
    const std::uint64_t index = (linear >> shift) & 0x1FF;
    const std::optional<std::uint64_t> entry = read(table + index * 8);
    if (!entry || !(*entry & kPresent)) return std::nullopt;
    if (level == 1 || ((level == 2 || level == 3) && (*entry & kPageSize))) {
      const std::uint64_t page_mask = (std::uint64_t{1} << shift) - 1;
      return ((*entry & kFrameMask) & ~page_mask) | (linear & page_mask);
    }
    table = *entry & kFrameMask;
  }
  return std::nullopt;
}

}  // namespace daxbench::model
