// Runs a lab target's cases in one guest: writes the job, boots the guest, relays its
// progress, watches for a panic, hang or silence, and imports the records it wrote.
#pragma once

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "bench/config/config.h"
#include "bench/lab/host/lab.h"
#include "bench/results/results_folder.h"

namespace daxbench {

struct LabRunLimits {
  double boot_s = 180;     // QEMU start to READY (the first boot also makes the pmem template)
  double silence_s = 120;  // after READY, no console output for this long is a hang
};

struct LabRunReport {
  std::string status;       // ok | failed: why | interrupted | unsupported: why
  int repetition = -1;      // the round this boot ran (0-based); -1: every repetition
  std::string accel;        // tcg | kvm, as the launcher chose
  bool model = false;       // booted under the persistence model (lab: {model: true}): slower
  std::string persistence;  // lab: {persistence: adr|eadr}, the NVDIMM's domain it booted with
  double boot_s = -1;       // QEMU start to READY, as seen from here
  double wall_s = 0;
  int guest_exit = -1;  // job.sh's exit code, as the guest reported it
  std::size_t records = 0;
  std::size_t failed_cases = 0;          // cases the guest left without a record
  std::vector<std::string> unsupported;  // cases the guest recorded unsupported: no next round
  nlohmann::ordered_json kernel;         // Lab::kernel_facts() of the kernel it booted
  nlohmann::ordered_json guest_context;  // the guest's own context.json
  std::string job_dir;                   // relative to the results folder
};

// One boot of `lab`'s guest running `cases` (all of one kernel's): every repetition, or only
// `repetition` (0-based) when >= 0, as a config with kernels interleaves them.
LabRunReport run_in_lab(Lab& lab, const Config& config, const std::vector<const CaseSpec*>& cases,
                        ResultsFolder& results, const std::string& run_id,
                        const std::atomic<bool>& stop, const LabRunLimits& limits,
                        int repetition = -1);

// context.json's `lab.<key>` of a target's guests on one kernel: `lab:ext4`, or with a kernels
// axis `lab:ext4 kernel=NAME` (results-schema.md).
std::string lab_context_key(const std::string& spec, const std::string& kernel);

// The `lab.<key>` block of one target and kernel over its boots (one, or one per round): the
// first boot's fields, sums where they add up, and `rounds` with each boot.
nlohmann::ordered_json to_json(const std::vector<LabRunReport>& boots);

// `DAXBENCH-LAB WORD rest` (the markers lab/init prints) → {WORD, rest}; {"", ""} otherwise.
std::pair<std::string, std::string> lab_marker(const std::string& line);

// The path of this daxbench binary, for a guest to run (the host's root is the guest's).
// A rebuild during the run unlinks the running file: the guest then runs the new one at the
// same path, never the "(deleted)" name the kernel reports.
std::string driver_binary();

}  // namespace daxbench
