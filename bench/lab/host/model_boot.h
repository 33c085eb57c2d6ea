// How a lab boot runs the persistence model (docs/lab.md, "The persistence model"): the
// plugin this build made and the model QEMU it was built against, or why there is none.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace daxbench {

struct PersistenceModelBuild {
  std::string plugin;    // the plugin .so
  std::string qemu_dir;  // what lab/fetch-model-qemu.sh printed
  std::string problem;   // why the model cannot run; empty when it can
};

// $DAXBENCH_MODEL_PLUGIN and $DAXBENCH_MODEL_QEMU_DIR override what the build recorded.
const PersistenceModelBuild& persistence_model_build();

// launch.sh's arguments for a boot under the model writing `durable` (made from the pmem
// file when missing) and, at a clean exit, its instruction counts into `stats`; with `counts`,
// the snapshot file the guest's markers ask for (bench/lab/observed.h).
std::vector<std::string> model_launch_args(const std::filesystem::path& durable,
                                           const std::filesystem::path& stats,
                                           const std::filesystem::path& counts = {});

}  // namespace daxbench
