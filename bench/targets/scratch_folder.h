// The target behind `file:DIR` and `fsdax:DIR`: a scratch folder made under DIR, its facts
// found by looking (mountinfo, a MAP_SYNC probe, statx's DAX attribute on a probe file).
#pragma once

#include <filesystem>
#include <string_view>

#include "bench/targets/target.h"

namespace daxbench {

class ScratchFolderTarget final : public Target {
 public:
  // `kind` is the registered name ("file", "fsdax"). With `require_dax`, a folder whose files
  // are not DAX is refused with the reason, before anything runs there.
  ScratchFolderTarget(std::string_view kind, std::string_view directory, bool require_dax);
  ~ScratchFolderTarget() override { remove_scratch(); }

  const TargetFacts& facts() const override { return facts_; }
  std::filesystem::path scratch_file(std::string_view name) const override {
    return scratch_ / name;
  }
  void remove_scratch() override;

 private:
  std::filesystem::path scratch_;
  TargetFacts facts_;
};

}  // namespace daxbench
