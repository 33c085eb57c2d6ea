// `file:DIR`: files in a scratch folder under DIR on any filesystem, DAX or not. Durability
// there needs syscalls unless the target reports dax.
#include "bench/targets/scratch_folder.h"

namespace daxbench {

extern const TargetDesc kFileTarget{
    .name = "file",
    .syntax = "file:DIR",
    .summary = "files in a scratch folder under DIR (any filesystem; DAX if it is mounted so)",
    .open = [](std::string_view argument) -> std::unique_ptr<Target> {
      return std::make_unique<ScratchFolderTarget>("file", argument, /*require_dax=*/false);
    },
};

}  // namespace daxbench
