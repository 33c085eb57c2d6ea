// `fsdax:DIR`: like file:, but only where files are DAX (real pmem, memmap= pmem, the lab),
// so a sweep meant for persistent memory cannot quietly measure the page cache instead.
#include "bench/targets/scratch_folder.h"

namespace daxbench {

extern const TargetDesc kFsdaxTarget{
    .name = "fsdax",
    .syntax = "fsdax:DIR",
    .summary = "files in a scratch folder under DIR on a DAX filesystem; refused if not DAX",
    .open = [](std::string_view argument) -> std::unique_ptr<Target> {
      if (argument.empty()) throw TargetError("fsdax target: needs a folder: fsdax:/mnt/pmem");
      return std::make_unique<ScratchFolderTarget>("fsdax", argument, /*require_dax=*/true);
    },
};

}  // namespace daxbench
