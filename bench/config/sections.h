// The config's sections that are not cases: `micro:`, `crash:`, `fio:` (top level and the
// per-case switch), `lab:` and `counters:`, each checked whole here, before any case runs.
#pragma once

#include <yaml-cpp/yaml.h>

#include <memory>
#include <string>
#include <vector>

#include "bench/config/config.h"
#include "bench/config/located.h"

namespace daxbench::config_detail {

// `micro: {set: full|quick, min_time: 0.05}`
MicroConfig parse_micro(const Located& at, const YAML::Node& node);

// `crash: {filesystems: [ext4, xfs], modes: all, file_states: all, workloads: [...], cuts: 6,
//          cut_after_s: [0.5, 3], seed: 1, file_size: 1M, concurrent_write: ...}`
CrashConfig parse_crash(const Located& at, const YAML::Node& given);

// `fio:` in a case or in `defaults:`: true, false, or the targets to run fio on (a spec such
// as lab:ext4, or a kind such as file for every file:DIR).
struct FioChoice {
  bool on = false;
  std::vector<std::string> targets;  // empty: every target of the case

  bool covers(const std::string& spec) const;
};
FioChoice parse_fio_switch(const Located& at, const YAML::Node& node);

// `fio: {binary: /usr/bin/fio}` at the top level.
FioConfig parse_fio(const Located& at, const YAML::Node& node);

// `lab: {model: false, persistence: adr, kernels: [linux-image-amd64, {name: mine, build: DIR}]}`;
// relative paths resolve in `config_dir`.
LabConfig parse_lab(const Located& at, const YAML::Node& node, const std::string& config_dir);

// `counters: {set: default, add: [instructions, "jbd2:jbd2_start_commit@system"]}`
std::shared_ptr<const perf::CounterTable> parse_counters(const Located& at, const YAML::Node& node);

}  // namespace daxbench::config_detail
