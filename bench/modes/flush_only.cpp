// `flush-only`, the unsafe control: user-space flush + fence on a plain MAP_SHARED mapping.
// What a DAX-unaware library does; durable only if the block map happens to be stable.
#include "bench/modes/user_flush.h"

namespace daxbench {

// fio's counterpart (docs/fio.md), per kind of target.
constexpr fio::ModeRow kFioRows[] = {
    {fio::Where::kDax, fio::Engine::kLibpmem, fio::Sync::kDrain,
     "libpmem maps with MAP_SYNC where the kernel accepts it: on DAX this is map-sync's mapping, "
     "not flush-only's plain MAP_SHARED; flush per write, drain at each commit"},
    {fio::Where::kPageCache, fio::Engine::kLibpmem, fio::Sync::kDrain,
     "page cache: PMEM_IS_PMEM_FORCE=1 makes libpmem flush the CPU cache as if this were pmem, "
     "a cost comparison only, not durable (as daxbench's flush-only here)"},
    kFioDevDaxRow,
};

extern const ModeDesc kFlushOnlyMode{
    .name = "flush-only",
    .summary =
        "unsafe control: cache flush + SFENCE on a plain MAP_SHARED mapping, no metadata sync",
    .needs = kNeedsUserFlush,
    .durability = Durability::kNever,
    .fio = kFioRows,
    .create = [](const ModeSetup& setup) -> std::unique_ptr<Mode> {
      return std::make_unique<UserFlushMode>(setup.flush);
    },
};

}  // namespace daxbench
