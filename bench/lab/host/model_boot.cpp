// Where the persistence model's plugin and QEMU are: recorded by the build (CMake defines
// them when it built the plugin), checked once per run.
#include "bench/lab/host/model_boot.h"

#include <unistd.h>

#include <cstdlib>

#ifndef DAXBENCH_MODEL_PLUGIN
#define DAXBENCH_MODEL_PLUGIN ""
#endif
#ifndef DAXBENCH_MODEL_QEMU_DIR
#define DAXBENCH_MODEL_QEMU_DIR ""
#endif

namespace daxbench {

namespace fs = std::filesystem;

const PersistenceModelBuild& persistence_model_build() {
  static const PersistenceModelBuild build = [] {
    PersistenceModelBuild b;
    const auto env = [](const char* name) {
      const char* value = std::getenv(name);
      return std::string(value ? value : "");
    };
    const std::string plugin = env("DAXBENCH_MODEL_PLUGIN");
    const std::string qemu = env("DAXBENCH_MODEL_QEMU_DIR");
    b.plugin = plugin.empty() ? DAXBENCH_MODEL_PLUGIN : plugin;
    b.qemu_dir = qemu.empty() ? DAXBENCH_MODEL_QEMU_DIR : qemu;
    if (b.plugin.empty() || b.qemu_dir.empty())
      b.problem =
          "the persistence model was not built (configure with "
          "-DDAXBENCH_MODEL_QEMU_DIR=$(lab/fetch-model-qemu.sh), as run.sh does)";
    else if (access(b.plugin.c_str(), R_OK) != 0)
      b.problem = "the persistence model's plugin " + b.plugin + " is missing (build it)";
    else if (!fs::exists(fs::path(b.qemu_dir) / "complete"))
      b.problem = "the model QEMU folder " + b.qemu_dir + " is gone (run lab/fetch-model-qemu.sh)";
    return b;
  }();
  return build;
}

std::vector<std::string> model_launch_args(const fs::path& durable, const fs::path& stats,
                                           const fs::path& counts) {
  const PersistenceModelBuild& build = persistence_model_build();
  std::vector<std::string> args = {"--model",   build.plugin,     "--model-qemu",  build.qemu_dir,
                                   "--durable", durable.string(), "--model-stats", stats.string()};
  if (!counts.empty()) {
    args.emplace_back("--model-counts");
    args.push_back(counts.string());
  }
  return args;
}

}  // namespace daxbench
