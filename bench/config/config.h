// A sweep config (YAML) turned into the list of cases it means. Every check that can fail
// happens here, before any case runs; errors name file:line:column, the key and the choices.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "bench/base/params.h"

namespace daxbench {

struct ModeDesc;
struct WorkloadDesc;
namespace perf {
struct CounterTable;
}

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CaseSpec {
  std::string id;  // workload/mode/target/shape-params-not-at-default
  const WorkloadDesc* workload = nullptr;
  const ModeDesc* mode = nullptr;
  std::string target;  // "file:/var/tmp"
  ParamSet params;     // every parameter that applies to this workload and mode
  std::string flush;   // requested primitive ("auto", "clwb", ...); empty for syscall modes
  // The kernel counters it records (`counters:`), shared by the cases of one config entry and
  // owning the strings the rows point to; null means the default set.
  std::shared_ptr<const perf::CounterTable> counters;
  // `fio: true`: also run the equivalent fio job after each repetition (docs/fio.md).
  bool fio = false;
  // `lab: {model: true}`: record the instructions the lab's persistence model observed
  // (observed_* counters; unavailable outside a lab guest under the model).
  bool observed = false;
  // `lab: {kernels: [...]}`: the name of the kernel a lab case's guest boots (its id says
  // kernel=NAME); empty without that axis, or on a target that boots no kernel.
  std::string kernel;
};

// `fio:` — how the fio cross-check runs, for the cases that ask for it (docs/config.md).
struct FioConfig {
  std::string binary = "fio";  // a path, or a name looked up on PATH
};

// `micro:` — whether and how `daxbench run` runs daxbench-micro (docs/config.md).
struct MicroConfig {
  bool enabled = false;  // only when the config has a `micro:` key
  std::string set = "quick";
  double min_time = 0.05;  // Google Benchmark's --benchmark_min_time, seconds
};

// `crash:` — power-cut tests in the lab (docs/crash.md, "The host side").
struct CrashConfig {
  bool enabled = false;                  // only when the config has a `crash:` key
  std::vector<std::string> filesystems;  // ext4, xfs
  std::vector<std::string> modes;        // registered mode names
  std::vector<std::string> file_states;  // sparse, fallocated, zeroed
  std::vector<std::string> workloads;    // crash workloads
  // The flush primitive of the modes that flush from user space (`none`: a control that
  // writes nothing back); other modes run once, with auto.
  std::vector<std::string> flushes = {"auto"};
  std::vector<std::string> persistence = {"adr"};     // adr (the model in the lab), eadr
  int mixes = 2;                                      // seeded mixed images per ADR cut
  int cuts = 6;                                       // per cell
  double cut_after_min_s = 0.5, cut_after_max_s = 3;  // uniform delay after WRITERS-STARTED
  std::uint64_t seed = 1;
  std::uint64_t file_size = 1 << 20;
  // Concurrency cells: while a cell's writer uses one of these modes, a second process
  // write()s the same file without syncing (docs/crash.md). Empty: none.
  std::vector<std::string> concurrent_modes;       // a subset of `modes`
  std::vector<std::string> concurrent_placements;  // inside, append, mapped
  std::vector<std::string> concurrent_workloads;   // crash workloads
};

// One of `lab: {kernels: [...]}`: a kernel the lab's guests boot (docs/lab.md, "Kernels"). A
// Debian package, or one the user built: exactly one of package, build and kernel is set.
struct LabKernel {
  std::string name;     // in case ids (kernel=NAME), records and the reply's header
  std::string package;  // linux-image-*; a metapackage is resolved when the image is built
  std::string build;    // a kernel build tree (absolute)
  std::string kernel;   // a bzImage or vmlinux file (absolute), with ...
  std::string modules;  // ... its modules folder, or empty (drivers built in)
  std::string config;   // ... its .config, or empty (the kernel's embedded IKCONFIG)
  std::string where;    // "file:line:column" of the entry: a kernel refused at build is its fault

  // lab/build-image.sh's arguments naming this kernel.
  std::vector<std::string> image_args() const;
};

// `lab:` — how the lab boots the guests that run cases (docs/lab.md).
struct LabConfig {
  // Run each case's guest under the persistence model, so its records gain the instructions
  // the guest executed (docs/lab.md, "Observed instruction counts"). Off by default: the
  // plugin slows emulation, and ordinary timings are taken without it.
  bool model = false;
  // The NVDIMM's persistence domain, as crash: persistence names it: adr (the memory
  // controller) or eadr (the CPU cache, QEMU's nvdimm-persistence=cpu). The guest's kernel
  // then reports it, and the lab target's persistence_domain fact says what it reported.
  std::string persistence = "adr";
  // The kernels the lab's cases run on, an axis: each lab case once per kernel, rounds
  // interleaved (round 1 on every kernel, then round 2). Empty: the lab's default kernel.
  std::vector<LabKernel> kernels;
};

struct Config {
  std::string path;  // as opened
  std::string dir;   // relative paths inside resolve here
  std::string name;  // `name:` or the file's stem
  std::string text;  // the whole file, echoed into context.json
  std::vector<std::string> targets;
  std::vector<CaseSpec> cases;  // expanded, de-duplicated, in config order
  MicroConfig micro;
  CrashConfig crash;
  FioConfig fio;
  LabConfig lab;

  // The kernels `target`'s cases run on: each of `lab: {kernels:}` for a target that boots
  // one (TargetDesc::boots_kernels), else one null, the kernel the target has anyway.
  std::vector<const LabKernel*> kernels_for(const std::string& target) const;
};

// The parameters a case of this workload and mode has: common, then workload, then mode.
std::vector<const ParamSpec*> applicable_params(const WorkloadDesc& workload, const ModeDesc& mode);

// A case's shape: its parameters that are in the case id (shape parameters not at their
// default), in the id's order, as (name, canonical text). The id and record["shape"] use it.
std::vector<std::pair<std::string, std::string>> case_shape(const WorkloadDesc& workload,
                                                            const ModeDesc& mode,
                                                            const ParamSet& params);

// `targets` (from --target) replaces the config's own when not empty; with neither, the
// target is a scratch folder under the system temp dir. Throws ConfigError.
Config load_config(const std::string& path, const std::vector<std::string>& targets = {});

// The same, from text (tests and `--config -`); `path` is used in error messages.
Config parse_config(const std::string& text, const std::string& path,
                    const std::vector<std::string>& targets = {});

}  // namespace daxbench
