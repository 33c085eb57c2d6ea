// YAML → cases: known keys only, typed values, lists as sweep axes, per-case consistency.
// The sections that are not cases are sections.cpp; the YAML helpers, located.h.
#include "bench/config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "bench/config/common_params.h"
#include "bench/config/located.h"
#include "bench/config/sections.h"
#include "bench/counters/counter_table.h"
#include "bench/modes/mode.h"
#include "bench/targets/target.h"
#include "workloads/workload.h"

namespace daxbench {
namespace {

constexpr std::string_view kTopLevelKeys[] = {"name",  "description", "targets", "defaults",
                                              "cases", "counters",    "micro",   "crash",
                                              "fio",   "lab"};
constexpr std::string_view kCaseKeys[] = {"workload", "mode", "counters", "fio"};
// Keys of `defaults:` that are not parameters.
constexpr std::string_view kDefaultsKeys[] = {"fio"};

using namespace config_detail;  // the YAML helpers and the sections

using Settings = std::map<std::string, Values>;

Settings read_settings(const Located& at, const YAML::Node& map,
                       std::span<const std::string_view> skip, const std::set<std::string>& known,
                       const std::string& where) {
  Settings settings;
  for (const auto& entry : map) {
    const std::string key = entry.first.Scalar();
    if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
    if (!known.contains(key)) {
      std::vector<std::string> valid(known.begin(), known.end());
      for (std::string_view s : skip) valid.emplace_back(s);
      std::sort(valid.begin(), valid.end());
      at.fail(entry.first.Mark(),
              "unknown key '" + key + "' in " + where + "; " + valid_list(valid, key));
    }
    settings[key] = values_of(at, entry.second, key, entry.first.Mark());
  }
  return settings;
}

struct Expansion {
  const Located& at;
  const Config& config;
  std::set<std::string> seen_ids;
  std::vector<CaseSpec>& out;
  std::shared_ptr<const perf::CounterTable> counters;  // of the case being expanded
  FioChoice fio;                                       // of the case being expanded
  std::string kernel{};                                // of the case being expanded

  void expand(const WorkloadDesc& workload, const ModeDesc& mode, const Settings& defaults,
              const Settings& own, const YAML::Mark& case_mark) {
    const std::vector<const ParamSpec*> specs = applicable_params(workload, mode);
    // Each applicable parameter: its candidate values (case beats defaults beats built-in).
    std::vector<std::pair<const ParamSpec*, Values>> axes;
    for (const ParamSpec* spec : specs) {
      const std::string name(spec->name);
      Values values;
      if (auto it = own.find(name); it != own.end())
        values = it->second;
      else if (auto d = defaults.find(name); d != defaults.end())
        values = d->second;
      else
        values.items.emplace_back(std::string(spec->default_value), case_mark);
      if (name == "file_state" && !mode.fixed_file_state.empty())
        values.items.assign(1, {std::string(mode.fixed_file_state), case_mark});
      if (name == "warmup_s" && (workload.flags & kFinite))
        values.items.assign(1, {"0", case_mark});
      if (name == "flush" && !(mode.needs & kNeedsUserFlush))
        values.items.assign(1, {"auto", case_mark});
      axes.emplace_back(spec, std::move(values));
    }
    for (const std::string& target : config.targets) {
      // The kernels axis multiplies only the cases of targets that boot a kernel.
      for (const LabKernel* k : config.kernels_for(target)) {
        kernel = k ? k->name : "";
        ParamSet params;
        std::map<std::string, YAML::Mark> origin;
        product(workload, mode, target, axes, 0, params, origin, case_mark);
      }
    }
  }

  void product(const WorkloadDesc& workload, const ModeDesc& mode, const std::string& target,
               const std::vector<std::pair<const ParamSpec*, Values>>& axes, std::size_t i,
               ParamSet& params, std::map<std::string, YAML::Mark>& origin,
               const YAML::Mark& case_mark) {
    if (i == axes.size()) return finish(workload, mode, target, params, origin, case_mark);
    const auto& [spec, values] = axes[i];
    for (const auto& [raw, mark] : values.items) {
      ParamValue value;
      if (spec->default_value.empty() && raw.empty())
        at.fail(case_mark, "workload " + std::string(workload.name) + " needs '" +
                               std::string(spec->name) + "': " + std::string(spec->help));
      if (auto error = parse_param(*spec, raw, value))
        at.fail(mark, std::string(spec->name) + ": " + *error);
      params.set(spec->name, value);
      origin[std::string(spec->name)] = mark;
      product(workload, mode, target, axes, i + 1, params, origin, case_mark);
    }
  }

  void finish(const WorkloadDesc& workload, const ModeDesc& mode, const std::string& target,
              const ParamSet& params, const std::map<std::string, YAML::Mark>& origin,
              const YAML::Mark& case_mark) {
    check_sizes(workload, mode, params, origin, case_mark);
    add_case(workload, mode, target, params);
  }

  // The checks of one expanded case that need its final parameters, each reported at the line
  // of the parameter it is about.
  void check_sizes(const WorkloadDesc& workload, const ModeDesc& mode, const ParamSet& params,
                   const std::map<std::string, YAML::Mark>& origin, const YAML::Mark& case_mark) {
    auto where = [&](const char* key) {
      auto it = origin.find(key);
      return it == origin.end() ? case_mark : it->second;
    };
    const auto [sliced, view] = thread_view(workload, params);
    if (params.has("record_size") && params.size("record_size") > view)
      at.fail(where("record_size"),
              "record_size " + params.text("record_size") + " exceeds the " + std::to_string(view) +
                  " bytes each thread writes (working_set" + (sliced ? " / threads)" : ")"));
    if (view < 4096)
      at.fail(where("threads"),
              "each thread's part of the shared file is below one page; raise working_set");
    if (workload.validate)
      if (auto problem = workload.validate(params, view, config.dir))
        at.fail(where(params.has("trace") ? "trace" : "workload"),
                std::string(workload.name) + ": " + *problem +
                    (mode.fixed_file_state.empty()
                         ? ""
                         : " (" + std::string(mode.name) + " never grows a sealed file)"));
  }

  // The case's id and fields; a case listed again runs once.
  void add_case(const WorkloadDesc& workload, const ModeDesc& mode, const std::string& target,
                const ParamSet& params) {
    CaseSpec c;
    c.workload = &workload;
    c.mode = &mode;
    c.target = target;
    c.params = params;
    if (params.has("file_state") && !target_has_files(target)) {
      // A device has no block map: every file state is the same thing there, so the cases
      // collapse into one that says so instead of running three identical ones.
      ParamValue none;
      none.text = "none";
      c.params.set("file_state", none);
    }
    c.flush = (mode.needs & kNeedsUserFlush) ? params.text("flush") : "";
    c.counters = counters;
    c.fio = fio.covers(target);
    c.kernel = kernel;
    // The kernel first: a reply pairs two kernels' cases by the rest of the id.
    std::string shape = kernel.empty() ? "" : "kernel=" + kernel;
    for (const auto& [name, text] : case_shape(workload, mode, c.params))
      shape += (shape.empty() ? "" : ",") + name + "=" + text;
    c.id = std::string(workload.name) + "/" + std::string(mode.name) + "/" + target + "/" +
           (shape.empty() ? "defaults" : shape);
    if (seen_ids.insert(c.id).second) {
      out.push_back(std::move(c));
    } else if (c.fio) {
      // A case listed again runs once, with fio if any of its entries asks for it.
      for (CaseSpec& existing : out)
        if (existing.id == c.id) existing.fio = true;
    }
  }
};

// The crash filesystems' lab targets, after the cases were expanded (they add no case): the
// driver opens them, and `daxbench check --targets` tells run.sh the lab is needed.
void add_crash_targets(Config& config) {
  if (!config.crash.enabled) return;
  for (const std::string& fs : config.crash.filesystems) {
    const std::string spec = "lab:" + fs;
    if (std::find(config.targets.begin(), config.targets.end(), spec) == config.targets.end())
      config.targets.push_back(spec);
  }
}

// The document's root, which must be a mapping; a YAML syntax error is located like the rest.
YAML::Node load_root(const Located& at, const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    at.fail(e.mark, "YAML syntax: " + e.msg);
  }
  if (!root.IsMap())
    at.fail(root.Mark(),
            "expected a mapping with keys: name, description, targets, defaults, cases");
  return root;
}

// What the path alone gives: the directory relative paths are read from, the default name.
Config config_at(const std::string& path, const std::string& text) {
  Config config;
  config.path = path;
  config.text = text;
  config.dir = std::filesystem::path(path).parent_path().string();
  if (config.dir.empty()) config.dir = ".";
  config.name = std::filesystem::path(path).stem().string();
  return config;
}

void check_top_level_keys(const Located& at, const YAML::Node& root) {
  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    if (std::find(std::begin(kTopLevelKeys), std::end(kTopLevelKeys), key) ==
        std::end(kTopLevelKeys)) {
      std::vector<std::string> valid(std::begin(kTopLevelKeys), std::end(kTopLevelKeys));
      at.fail(entry.first.Mark(),
              "unknown key '" + key + "' at top level; " + valid_list(valid, key));
    }
  }
}

// The sections read before the targets and the cases, so their errors are reported first.
void read_sections(const Located& at, const YAML::Node& root, Config& config) {
  if (root["name"]) config.name = scalar_text(at, root["name"], "name");
  if (root["micro"]) config.micro = parse_micro(at, root["micro"]);
  if (root["crash"]) config.crash = parse_crash(at, root["crash"]);
  if (root["fio"]) config.fio = parse_fio(at, root["fio"]);
  if (root["lab"]) config.lab = parse_lab(at, root["lab"], config.dir);
}

// The config's targets, replaced by --target's when given; without either, a file target in
// the temp directory (a crash-only config needs none: its lab targets are added at the end).
void read_targets(const Located& at, const YAML::Node& root,
                  const std::vector<std::string>& targets, bool crash_only, Config& config) {
  std::vector<std::string> target_syntax;
  for (const TargetDesc* t : daxbench::targets()) target_syntax.emplace_back(t->syntax);
  // The config's own targets are checked even when --target replaces them: a bad config is
  // bad wherever it is run.
  if (root["targets"]) {
    for (const auto& [spec, mark] :
         values_of(at, root["targets"], "targets", root["targets"].Mark()).items) {
      if (!find_target(spec))
        at.fail(mark, "unknown target '" + spec + "'; " + valid_list(target_syntax, spec));
      config.targets.push_back(spec);
    }
  }
  if (!targets.empty()) {
    for (const std::string& spec : targets)
      if (!find_target(spec))
        throw ConfigError("--target: unknown target '" + spec + "'; " +
                          valid_list(target_syntax, spec));
    config.targets = targets;
  }
  if (config.targets.empty() && !crash_only)
    config.targets.push_back("file:" + std::filesystem::temp_directory_path().string());
}

// `defaults:`: the parameters every case starts from, and its `fio:` switch.
struct Defaults {
  Settings settings;
  FioChoice fio;
};

Defaults read_defaults(const Located& at, const YAML::Node& root,
                       const std::set<std::string>& known) {
  Defaults defaults;
  if (const YAML::Node d = root["defaults"]) {
    if (!d.IsMap()) at.fail(d.Mark(), "defaults: expected a mapping of parameter: value");
    defaults.settings = read_settings(at, d, kDefaultsKeys, known, "defaults");
  }
  defaults.fio = root["defaults"] && root["defaults"]["fio"]
                     ? parse_fio_switch(at, root["defaults"]["fio"])
                     : FioChoice{};
  return defaults;
}

// A parameter written in a case must apply to something the case runs.
void check_own_params_apply(const Located& at, const Settings& own,
                            const std::vector<const WorkloadDesc*>& chosen_workloads,
                            const std::vector<const ModeDesc*>& chosen_modes) {
  for (const auto& [name, values] : own) {
    bool applies = false;
    for (const WorkloadDesc* w : chosen_workloads)
      for (const ModeDesc* m : chosen_modes)
        for (const ParamSpec* s : applicable_params(*w, *m)) applies = applies || s->name == name;
    if (!applies)
      at.fail(values.key_mark, "'" + name + "' does not apply to this case; it is a parameter of " +
                                   param_owners(name));
  }
}

// One entry of `cases:`: its shape, what it runs, its own settings, counters and fio switch,
// then every workload × mode it names expanded.
void expand_case(const Located& at, const YAML::Node& entry, const std::set<std::string>& known,
                 const Defaults& defaults,
                 const std::shared_ptr<const perf::CounterTable>& counters, Expansion& expansion) {
  if (!entry.IsMap())
    at.fail(entry.Mark(), "a case is a mapping with keys workload, mode and parameters");
  for (const char* required : {"workload", "mode"})
    if (!entry[required])
      at.fail(entry.Mark(),
              std::string("case without '") + required + "' (a name, a list, or all)");
  const auto chosen_workloads =
      pick(at, values_of(at, entry["workload"], "workload", entry.Mark()), workloads(), "workload");
  const auto chosen_modes =
      pick(at, values_of(at, entry["mode"], "mode", entry.Mark()), modes(), "mode");
  const Settings own = read_settings(at, entry, kCaseKeys, known, "case");
  // A case's own `counters:` replaces the top-level one as a whole.
  expansion.counters = entry["counters"] ? parse_counters(at, entry["counters"]) : counters;
  expansion.fio = entry["fio"] ? parse_fio_switch(at, entry["fio"]) : defaults.fio;
  check_own_params_apply(at, own, chosen_workloads, chosen_modes);
  for (const WorkloadDesc* w : chosen_workloads)
    for (const ModeDesc* m : chosen_modes)
      expansion.expand(*w, *m, defaults.settings, own, entry.Mark());
}

// `cases:` (a non-empty list) with the top-level `counters:` they share unless they replace it.
void expand_cases(const Located& at, const YAML::Node& root, const std::set<std::string>& known,
                  const Defaults& defaults, Config& config) {
  const YAML::Node cases = root["cases"];
  if (!cases || !cases.IsSequence() || cases.size() == 0)
    at.fail(cases ? cases.Mark() : root.Mark(),
            "cases: expected a non-empty list of {workload, mode, parameters}");
  std::shared_ptr<const perf::CounterTable> counters;
  if (root["counters"]) counters = parse_counters(at, root["counters"]);
  Expansion expansion{at, config, {}, config.cases, counters, defaults.fio, {}};
  for (const YAML::Node& entry : cases)
    expand_case(at, entry, known, defaults, counters, expansion);
}

}  // namespace

std::vector<const LabKernel*> Config::kernels_for(const std::string& target) const {
  if (lab.kernels.empty() || !target_boots_kernels(target)) return {nullptr};
  std::vector<const LabKernel*> out;
  for (const LabKernel& k : lab.kernels) out.push_back(&k);
  return out;
}

std::vector<std::string> LabKernel::image_args() const {
  if (!build.empty()) return {"--build", build};
  if (kernel.empty()) return {"--package", package};
  std::vector<std::string> args = {"--kernel", kernel};
  if (!modules.empty()) args.insert(args.end(), {"--modules", modules});
  if (!config.empty()) args.insert(args.end(), {"--config", config});
  return args;
}

std::vector<const ParamSpec*> applicable_params(const WorkloadDesc& workload,
                                                const ModeDesc& mode) {
  std::vector<const ParamSpec*> specs;
  for (const ParamSpec& s : common_params()) specs.push_back(&s);
  for (const ParamSpec& s : workload.params) specs.push_back(&s);
  for (const ParamSpec& s : mode.params) specs.push_back(&s);
  return specs;
}

std::vector<std::pair<std::string, std::string>> case_shape(const WorkloadDesc& workload,
                                                            const ModeDesc& mode,
                                                            const ParamSet& params) {
  std::vector<std::pair<std::string, std::string>> shape;
  for (const ParamSpec* spec : applicable_params(workload, mode)) {
    if (!spec->shapes_case) continue;
    ParamValue default_value;
    const bool has_default = !parse_param(*spec, spec->default_value, default_value);
    const std::string& text = params.text(spec->name);
    if (has_default && default_value.text == text) continue;
    shape.emplace_back(spec->name, text);
  }
  return shape;
}

// The steps run in this order because the first error found is the one reported.
Config parse_config(const std::string& text, const std::string& path,
                    const std::vector<std::string>& targets) {
  const Located at(path);
  const YAML::Node root = load_root(at, text);
  Config config = config_at(path, text);
  check_top_level_keys(at, root);
  read_sections(at, root, config);
  const bool crash_only = config.crash.enabled && !root["cases"];
  read_targets(at, root, targets, crash_only, config);
  const std::set<std::string> known = all_param_names();
  const Defaults defaults = read_defaults(at, root, known);
  // A config may be only `crash:`; its lab targets are added below.
  if (!crash_only) expand_cases(at, root, known, defaults, config);
  for (CaseSpec& c : config.cases) c.observed = config.lab.model;
  add_crash_targets(config);
  return config;
}

Config load_config(const std::string& path, const std::vector<std::string>& targets) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot open config file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path, targets);
}

}  // namespace daxbench
