// A `lab:ext4|xfs|devdax` target on the host: the emulated persistent-memory VM (lab/). Not a
// Target: no files live here; it boots guests, which run the target's cases (lab_run.h) or
// its power cuts (crash_run.h). Inside the guest the spec opens bench/targets/lab.h's target.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/base/child_process.h"
#include "bench/config/config.h"
#include "bench/results/repetition_result.h"
#include "bench/targets/target.h"

namespace daxbench {

class Lab {
 public:
  // Finds QEMU and the lab's scripts and builds (or reuses) the guest image of `kernel` (null:
  // the lab's default kernel), once per run for every kind that boots it. A lab that cannot
  // run or is broken still opens: problem() says which and why. Throws TargetError for an
  // unknown kind.
  explicit Lab(std::string_view kind, const LabKernel* kernel = nullptr);
  ~Lab();
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  // The target's facts as context.json reports them; the guest reports its own.
  const TargetFacts& facts() const { return facts_; }

  const std::string& kind() const { return kind_; }
  // The config's name of the kernel its guests boot; empty for the default kernel.
  const std::string& kernel_name() const { return kernel_name_; }
  // What the image was built from, as records and context.json carry it (results-schema.md,
  // `kernel`): name, release, source (package NAME VERSION, build DIR or files FILE) and the
  // kernel's and its config's sha256. Null when no image was built.
  const nlohmann::ordered_json& kernel_facts() const { return kernel_facts_; }
  // Why no guest can boot, or empty when one can. `unsupported` is only for a platform that
  // cannot run the lab (no QEMU, no TCG accelerator); a lab of ours that is broken (its
  // scripts missing, the image build failed) is `failed`, so a regression there never
  // passes for a machine's limitation.
  struct Problem {
    Status status = Status::kFailed;  // unsupported or failed
    std::string reason;
    // The kernel the config named cannot be used (build-image.sh exit 3: a missing file, a
    // .config without what the lab needs): the config's fault, so the run stops before any case.
    bool kernel_refused = false;
    bool empty() const { return reason.empty(); }
  };
  const Problem& problem() const { return problem_; }
  // A folder for one guest's pmem file, inside the image cache (never two guests per file).
  std::filesystem::path make_pmem_folder() const;
  // Boots a guest that runs `job_dir`/job.sh, in its own process group so a terminal's
  // Ctrl-C reaches the driver, which then stops the guest itself. The guest is QEMU (launch.sh
  // execs it; its kill() is a power cut), its output the serial console, logged whole to
  // `console_log`. `extra_args` go to launch.sh (e.g. --journal long). Throws TargetError.
  std::unique_ptr<ChildProcess> launch(const std::filesystem::path& job_dir,
                                       const std::filesystem::path& pmem_file,
                                       const std::filesystem::path& console_log,
                                       const std::vector<std::string>& extra_args = {}) const;

 private:
  std::string kind_;
  std::string kernel_name_;
  nlohmann::ordered_json kernel_facts_;
  std::filesystem::path lab_dir_;    // the scripts: build-image.sh, launch.sh
  std::filesystem::path image_dir_;  // what build-image.sh made
  Problem problem_;
  TargetFacts facts_;
};

// `text` as one word for /bin/sh, whatever it holds.
std::string shell_quote(const std::string& text);

// The lab's scripts: $DAXBENCH_LAB_DIR, else lab/ in the source tree this was built from.
std::filesystem::path lab_scripts_dir();

}  // namespace daxbench
