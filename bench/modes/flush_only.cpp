// `flush-only`, the unsafe control: user-space flush + fence on a plain MAP_SHARED mapping.
// What a DAX-unaware library does; durable only if the block map happens to be stable.
#include "bench/modes/user_flush.h"

namespace daxbench {

extern const ModeDesc kFlushOnlyMode{
    .name = "flush-only",
    .summary =
        "unsafe control: cache flush + SFENCE on a plain MAP_SHARED mapping, no metadata sync",
    .needs = kNeedsUserFlush,
    .durability = Durability::kNever,
    .create = [](const ModeSetup& setup) -> std::unique_ptr<Mode> {
      return std::make_unique<UserFlushMode>(setup.flush);
    },
};

}  // namespace daxbench
