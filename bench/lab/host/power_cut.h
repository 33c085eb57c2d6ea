// One power cut of one boot group, host side: boot the guest running crash-writer, cut its
// power (SIGKILL of QEMU) `delay_s` after WRITERS-STARTED, reboot it on the same pmem file
// running crash-check, and collect what the checker reported per cell (docs/crash.md).
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/lab/host/lab.h"

namespace daxbench {

// What one cut of one group saw, before it becomes records.
struct CutRun {
  std::string problem;  // a harness failure: boot, timeout, no check output
  std::string journal;  // the writer boot's READY journal=... text
  std::string accel;    // tcg | kvm, from the launcher's ACCEL marker
  std::map<std::string, std::string> unsupported;         // manifest id -> reason
  std::map<std::string, nlohmann::ordered_json> checked;  // manifest id -> crash-check's object
  bool interrupted = false;
};

// `job` is the cut's folder (its job.sh, consoles, manifest); `manifest` the cells' manifest.
CutRun run_cut(Lab& lab, const std::filesystem::path& job, const nlohmann::ordered_json& manifest,
               double delay_s, const std::atomic<bool>& stop);

}  // namespace daxbench
