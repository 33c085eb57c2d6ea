// One power cut of one boot group, host side: boot the guest running crash-writer (under
// ADR with the persistence model), cut its power (SIGKILL of QEMU) `delay_s` after
// WRITERS-STARTED, reboot on each crash image running crash-check, and collect what the
// checker reported per image and cell (docs/crash.md).
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/lab/host/lab.h"
#include "bench/lab/host/verdict.h"

namespace daxbench {

struct CutOptions {
  std::string persistence = "adr";  // adr: the model's strict image, mixes, live; eadr: live
  int mixes = 0;                    // seeded mixed images (ADR)
  std::uint64_t seed = 0;           // the cut's seed: each mix's coin comes from it
};

// What one cut of one group saw, before it becomes records.
struct CutRun {
  std::string problem;  // a harness failure: boot, timeout, no check output
  std::string journal;  // the writer boot's READY journal=... text
  std::string accel;    // tcg | kvm, from the launcher's ACCEL marker
  std::map<std::string, std::string> unsupported;  // manifest id -> reason
  std::string persistence;          // the writer boot's READY persistence= (persistence_domain)
  std::vector<std::string> images;  // the images checked, in order: strict, mix-1.., live
  nlohmann::ordered_json image_info = nlohmann::ordered_json::object();  // per image: its file's
                                                                         // lines from live
  // image -> manifest id -> crash-check's object
  std::map<std::string, std::map<std::string, nlohmann::ordered_json>> checked;
  bool interrupted = false;
  bool model_missing = false;  // ADR without the persistence model: the cells are unsupported
};

// `job` is the cut's folder (its job.sh, consoles, manifest); `manifest` the cells' manifest.
CutRun run_cut(Lab& lab, const std::filesystem::path& job, const nlohmann::ordered_json& manifest,
               double delay_s, const CutOptions& options, const std::atomic<bool>& stop);

}  // namespace daxbench
