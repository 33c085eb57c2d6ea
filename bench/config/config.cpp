// YAML → cases: known keys only, typed values, lists as sweep axes, per-case consistency.
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
#include "bench/counters/counter_table.h"
#include "bench/lab/guest/crash_workload.h"
#include "bench/modes/mode.h"
#include "bench/targets/target.h"
#include "workloads/workload.h"

namespace daxbench {
namespace {

constexpr std::string_view kTopLevelKeys[] = {
    "name", "description", "targets", "defaults", "cases", "counters", "micro", "crash", "fio"};
constexpr std::string_view kCaseKeys[] = {"workload", "mode", "counters", "fio"};
// Keys of `defaults:` that are not parameters.
constexpr std::string_view kDefaultsKeys[] = {"fio"};
constexpr std::string_view kCounterKeys[] = {"set", "add"};

class Located {
 public:
  explicit Located(std::string path) : path_(std::move(path)) {}
  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& message) const {
    std::ostringstream out;
    out << path_;
    if (!mark.is_null()) out << ':' << mark.line + 1 << ':' << mark.column + 1;
    out << ": " << message;
    throw ConfigError(out.str());
  }

 private:
  std::string path_;
};

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t next =
          std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = row[j];
      row[j] = next;
    }
  }
  return row[b.size()];
}

// "valid: a, b, c (did you mean 'b'?)"
std::string valid_list(const std::vector<std::string>& valid, std::string_view given) {
  std::string out = "valid: ";
  std::string suggestion;
  std::size_t best = 3;
  for (std::size_t i = 0; i < valid.size(); ++i) {
    out += (i ? ", " : "") + valid[i];
    const std::size_t d = edit_distance(valid[i], given);
    if (d < best) best = d, suggestion = valid[i];
  }
  if (!suggestion.empty()) out += " (did you mean '" + suggestion + "'?)";
  return out;
}

std::string scalar_text(const Located& at, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) at.fail(node.Mark(), key + ": expected a single value");
  return node.Scalar();
}

// A key's values: one scalar, or a list of them (a sweep axis).
struct Values {
  std::vector<std::pair<std::string, YAML::Mark>> items;
  YAML::Mark key_mark;
};

Values values_of(const Located& at, const YAML::Node& node, const std::string& key,
                 const YAML::Mark& key_mark) {
  Values v;
  v.key_mark = key_mark;
  if (node.IsSequence()) {
    if (node.size() == 0) at.fail(node.Mark(), key + ": empty list");
    for (const YAML::Node& item : node)
      v.items.emplace_back(scalar_text(at, item, key), item.Mark());
  } else {
    v.items.emplace_back(scalar_text(at, node, key), node.Mark());
  }
  return v;
}

template <typename Desc>
std::vector<const Desc*> pick(const Located& at, const Values& values,
                              std::span<const Desc* const> all, const char* what) {
  std::vector<const Desc*> out;
  std::vector<std::string> names;
  for (const Desc* d : all) names.emplace_back(d->name);
  names.emplace_back("all");
  for (const auto& [name, mark] : values.items) {
    if (name == "all") {
      out.assign(all.begin(), all.end());
      continue;
    }
    auto it = std::find_if(all.begin(), all.end(), [&](const Desc* d) { return d->name == name; });
    if (it == all.end())
      at.fail(mark, std::string("unknown ") + what + " '" + name + "'; " + valid_list(names, name));
    if (std::find(out.begin(), out.end(), *it) == out.end()) out.push_back(*it);
  }
  return out;
}

std::set<std::string> all_param_names() {
  std::set<std::string> names;
  for (const ParamSpec& s : common_params()) names.emplace(s.name);
  for (const WorkloadDesc* w : workloads())
    for (const ParamSpec& s : w->params) names.emplace(s.name);
  for (const ModeDesc* m : modes())
    for (const ParamSpec& s : m->params) names.emplace(s.name);
  return names;
}

// Which plug-ins declare `name`, for "does not apply" errors.
std::string owners_of(std::string_view name) {
  std::string out;
  for (const WorkloadDesc* w : workloads())
    for (const ParamSpec& s : w->params)
      if (s.name == name)
        out += (out.empty() ? "" : ", ") + std::string("workload ") + std::string(w->name);
  for (const ModeDesc* m : modes())
    for (const ParamSpec& s : m->params)
      if (s.name == name)
        out += (out.empty() ? "" : ", ") + std::string("mode ") + std::string(m->name);
  return out;
}

using Settings = std::map<std::string, Values>;

constexpr std::string_view kMicroKeys[] = {"set", "min_time"};

// `micro: {set: full|quick, min_time: 0.05}`
MicroConfig parse_micro(const Located& at, const YAML::Node& node) {
  if (!node.IsMap()) at.fail(node.Mark(), "micro: expected a mapping with keys set, min_time");
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    if (std::find(std::begin(kMicroKeys), std::end(kMicroKeys), key) == std::end(kMicroKeys))
      at.fail(entry.first.Mark(),
              "unknown key '" + key + "' in micro; " +
                  valid_list({std::begin(kMicroKeys), std::end(kMicroKeys)}, key));
  }
  MicroConfig micro;
  micro.enabled = true;
  if (const YAML::Node set = node["set"]) {
    micro.set = scalar_text(at, set, "micro.set");
    if (micro.set != "full" && micro.set != "quick")
      at.fail(set.Mark(), "micro.set: unknown set '" + micro.set + "'; " +
                              valid_list({"full", "quick"}, micro.set));
  }
  if (const YAML::Node min_time = node["min_time"]) {
    const std::string text = scalar_text(at, min_time, "micro.min_time");
    char* end = nullptr;
    micro.min_time = std::strtod(text.c_str(), &end);
    if (text.empty() || *end || !(micro.min_time > 0 && micro.min_time <= 60))
      at.fail(min_time.Mark(), "micro.min_time: expected seconds in (0, 60], got '" + text + "'");
  }
  return micro;
}

constexpr std::string_view kCrashKeys[] = {"filesystems", "modes",     "file_states",
                                           "workloads",   "cuts",      "cut_after_s",
                                           "seed",        "file_size", "concurrent_write"};
constexpr std::string_view kConcurrentWriteKeys[] = {"modes", "placements", "workloads"};

// A `crash:` list: names from `valid` (or `all`), in the order given, without repeats.
// `section` names the parent in messages ("crash", "crash.concurrent_write").
std::vector<std::string> crash_names(const Located& at, const YAML::Node& parent,
                                     const std::string& key, const std::vector<std::string>& valid,
                                     const std::string& section = "crash") {
  const YAML::Node node = parent[key];
  if (!node) return valid;
  const std::string field = section + "." + key;
  std::vector<std::string> out;
  std::vector<std::string> choices = valid;
  choices.emplace_back("all");
  for (const auto& [name, mark] : values_of(at, node, field, node.Mark()).items) {
    if (name == "all") return valid;
    if (std::find(valid.begin(), valid.end(), name) == valid.end())
      at.fail(mark, field + ": unknown value '" + name + "'; " + valid_list(choices, name));
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

double crash_real(const Located& at, const YAML::Node& node, const std::string& key, double min,
                  double max) {
  const std::string text = scalar_text(at, node, key);
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end || !(value >= min && value <= max))
    at.fail(node.Mark(), key + ": expected seconds in [" + std::to_string(int(min)) + ", " +
                             std::to_string(int(max)) + "], got '" + text + "'");
  return value;
}

// `concurrent_write: {modes: [map-sync, sealed-extent], placements: [inside, append],
// workloads: [log-append]}` (those are the defaults, modes kept only where in crash.modes), or
// `concurrent_write: none`.
void parse_concurrent_write(const Located& at, const YAML::Node& crash_node, CrashConfig& crash) {
  const YAML::Node given = crash_node["concurrent_write"];
  if (given && given.IsScalar() && given.Scalar() == "none") return;
  const YAML::Node node = !given || given.IsNull() ? YAML::Node(YAML::NodeType::Map) : given;
  if (!node.IsMap())
    at.fail(node.Mark(),
            "crash.concurrent_write: expected none or a mapping with keys modes, placements, "
            "workloads");
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    if (std::ranges::find(kConcurrentWriteKeys, key) == std::end(kConcurrentWriteKeys))
      at.fail(
          entry.first.Mark(),
          "unknown key '" + key + "' in crash.concurrent_write; " +
              valid_list({std::begin(kConcurrentWriteKeys), std::end(kConcurrentWriteKeys)}, key));
  }
  const std::string section = "crash.concurrent_write";
  if (node["modes"]) {
    // Its cells join their mode's boot group, so the mode must be one crash: runs.
    crash.concurrent_modes = crash_names(at, node, "modes", crash.modes, section);
  } else {
    for (const char* mode : {"map-sync", "sealed-extent"})
      if (std::ranges::find(crash.modes, mode) != crash.modes.end())
        crash.concurrent_modes.emplace_back(mode);
  }
  crash.concurrent_placements = crash_names(at, node, "placements", {"inside", "append"}, section);
  std::vector<std::string> workload_names;
  for (const crash::CrashWorkloadDesc* w : crash::crash_workloads())
    workload_names.emplace_back(w->name);
  crash.concurrent_workloads = node["workloads"]
                                   ? crash_names(at, node, "workloads", workload_names, section)
                                   : std::vector<std::string>{"log-append"};
}

// `crash: {filesystems: [ext4, xfs], modes: all, file_states: all, workloads: [...], cuts: 6,
//          cut_after_s: [0.5, 3], seed: 1, file_size: 1M}`
CrashConfig parse_crash(const Located& at, const YAML::Node& given) {
  // `crash:` alone means every default.
  const YAML::Node node = given.IsNull() ? YAML::Node(YAML::NodeType::Map) : given;
  if (!node.IsMap())
    at.fail(node.Mark(),
            "crash: expected a mapping with keys filesystems, modes, file_states, "
            "workloads, cuts, cut_after_s, seed, file_size, concurrent_write");
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    if (std::find(std::begin(kCrashKeys), std::end(kCrashKeys), key) == std::end(kCrashKeys))
      at.fail(entry.first.Mark(),
              "unknown key '" + key + "' in crash; " +
                  valid_list({std::begin(kCrashKeys), std::end(kCrashKeys)}, key));
  }
  CrashConfig crash;
  crash.enabled = true;
  std::vector<std::string> mode_names, workload_names;
  for (const ModeDesc* m : modes()) mode_names.emplace_back(m->name);
  for (const crash::CrashWorkloadDesc* w : crash::crash_workloads())
    workload_names.emplace_back(w->name);
  crash.filesystems = crash_names(at, node, "filesystems", {"ext4", "xfs"});
  crash.modes = crash_names(at, node, "modes", mode_names);
  crash.file_states = crash_names(at, node, "file_states", {"sparse", "fallocated", "zeroed"});
  crash.workloads = crash_names(at, node, "workloads", workload_names);
  if (const YAML::Node cuts = node["cuts"]) {
    const std::string text = scalar_text(at, cuts, "crash.cuts");
    char* end = nullptr;
    const long value = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end || value < 1 || value > 10000)
      at.fail(cuts.Mark(), "crash.cuts: expected a whole number in [1, 10000], got '" + text + "'");
    crash.cuts = static_cast<int>(value);
  }
  if (const YAML::Node window = node["cut_after_s"]) {
    if (!window.IsSequence() || window.size() != 2)
      at.fail(window.Mark(), "crash.cut_after_s: expected [min, max] in seconds");
    crash.cut_after_min_s = crash_real(at, window[0], "crash.cut_after_s", 0, 60);
    crash.cut_after_max_s = crash_real(at, window[1], "crash.cut_after_s", 0, 60);
    if (crash.cut_after_max_s < crash.cut_after_min_s)
      at.fail(window.Mark(), "crash.cut_after_s: max is below min");
  }
  if (const YAML::Node seed = node["seed"]) {
    const std::string text = scalar_text(at, seed, "crash.seed");
    char* end = nullptr;
    crash.seed = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || *end || text[0] == '-')
      at.fail(seed.Mark(), "crash.seed: expected a whole number >= 0, got '" + text + "'");
  }
  if (const YAML::Node size = node["file_size"]) {
    static constexpr ParamSpec kFileSize{"file_size", ParamKind::kSize, "1M", "", {},
                                         65536,       1 << 30};
    ParamValue value;
    if (auto problem = parse_param(kFileSize, scalar_text(at, size, "crash.file_size"), value))
      at.fail(size.Mark(), "crash.file_size: " + *problem + " (at least 64K, at most 1G)");
    crash.file_size = static_cast<std::uint64_t>(value.integer);
  }
  parse_concurrent_write(at, node, crash);
  return crash;
}

constexpr std::string_view kFioKeys[] = {"binary"};

// `fio:` in a case or in `defaults:`: true, false, or the targets to run fio on (a spec such
// as lab:ext4, or a kind such as file for every file:DIR).
struct FioChoice {
  bool on = false;
  std::vector<std::string> targets;  // empty: every target of the case

  bool covers(const std::string& spec) const {
    if (!on || targets.empty()) return on;
    const std::string kind = spec.substr(0, spec.find(':'));
    return std::any_of(targets.begin(), targets.end(),
                       [&](const std::string& t) { return t == spec || t == kind; });
  }
};

FioChoice parse_fio_switch(const Located& at, const YAML::Node& node) {
  FioChoice choice;
  if (node.IsSequence()) {
    std::vector<std::string> kinds;
    for (const TargetDesc* t : daxbench::targets()) kinds.emplace_back(t->name);
    for (const auto& [spec, mark] : values_of(at, node, "fio", node.Mark()).items) {
      if (!find_target(spec) && std::find(kinds.begin(), kinds.end(), spec) == kinds.end())
        at.fail(mark, "fio: unknown target '" + spec + "'; " + valid_list(kinds, spec) +
                          " (a kind, or a whole spec such as lab:ext4)");
      choice.targets.push_back(spec);
    }
    choice.on = true;
    return choice;
  }
  const std::string text = scalar_text(at, node, "fio");
  if (text != "true" && text != "false")
    at.fail(node.Mark(), "fio: expected true, false or a list of targets, got '" + text + "'; " +
                             valid_list({"true", "false"}, text));
  choice.on = text == "true";
  return choice;
}

// `fio: {binary: /usr/bin/fio}` at the top level.
FioConfig parse_fio(const Located& at, const YAML::Node& node) {
  if (!node.IsMap())
    at.fail(node.Mark(),
            "fio: expected a mapping with key binary (to run fio beside a case, write "
            "`fio: true` in the case or in defaults:)");
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    if (std::find(std::begin(kFioKeys), std::end(kFioKeys), key) == std::end(kFioKeys))
      at.fail(entry.first.Mark(), "unknown key '" + key + "' in fio; " +
                                      valid_list({std::begin(kFioKeys), std::end(kFioKeys)}, key));
  }
  FioConfig fio;
  if (const YAML::Node binary = node["binary"]) {
    fio.binary = scalar_text(at, binary, "fio.binary");
    if (fio.binary.empty()) at.fail(binary.Mark(), "fio.binary: expected a path or a name");
  }
  return fio;
}

// `counters: {set: default, add: [instructions, "jbd2:jbd2_start_commit@system"]}`
std::shared_ptr<const perf::CounterTable> parse_counters(const Located& at,
                                                         const YAML::Node& node) {
  if (!node.IsMap()) at.fail(node.Mark(), "counters: expected a mapping with keys set, add");
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    if (std::find(std::begin(kCounterKeys), std::end(kCounterKeys), key) == std::end(kCounterKeys))
      at.fail(entry.first.Mark(),
              "unknown key '" + key + "' in counters; " +
                  valid_list({std::begin(kCounterKeys), std::end(kCounterKeys)}, key));
  }
  auto table = std::make_shared<perf::CounterTable>();
  std::string set = "default";
  if (node["set"]) set = scalar_text(at, node["set"], "counters.set");
  const auto builtin = perf::builtin_counter_set(set);
  if (!builtin)
    at.fail(node["set"].Mark(), "counters.set: unknown set '" + set + "'; " +
                                    valid_list(perf::counter_set_names(), set));
  table->defs.assign(builtin->begin(), builtin->end());
  if (const YAML::Node add = node["add"]) {
    for (const auto& [name, mark] : values_of(at, add, "counters.add", add.Mark()).items)
      if (auto problem = perf::add_counter(*table, name))
        at.fail(mark, "counters.add: '" + name + "': " + *problem);
  }
  return table;
}

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
      ParamSet params;
      std::map<std::string, YAML::Mark> origin;
      product(workload, mode, target, axes, 0, params, origin, case_mark);
    }
  }

  void product(const WorkloadDesc& workload, const ModeDesc& mode, const std::string& target,
               const std::vector<std::pair<const ParamSpec*, Values>>& axes, std::size_t i,
               ParamSet& params, std::map<std::string, YAML::Mark>& origin,
               const YAML::Mark& case_mark) {
    if (i == axes.size()) return finish(workload, mode, target, axes, params, origin, case_mark);
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
              const std::vector<std::pair<const ParamSpec*, Values>>& axes, const ParamSet& params,
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
                    (mode.fixed_file_state.empty() ? ""
                                                   : " (sealed-extent never grows a sealed file)"));

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
    std::string shape;
    for (const auto& [spec, values] : axes) {
      if (!spec->shapes_case) continue;
      ParamValue default_value;
      const bool has_default = !parse_param(*spec, spec->default_value, default_value);
      const std::string& text = c.params.text(spec->name);
      if (has_default && default_value.text == text) continue;
      shape += (shape.empty() ? "" : ",") + std::string(spec->name) + "=" + text;
    }
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

}  // namespace

std::vector<const ParamSpec*> applicable_params(const WorkloadDesc& workload,
                                                const ModeDesc& mode) {
  std::vector<const ParamSpec*> specs;
  for (const ParamSpec& s : common_params()) specs.push_back(&s);
  for (const ParamSpec& s : workload.params) specs.push_back(&s);
  for (const ParamSpec& s : mode.params) specs.push_back(&s);
  return specs;
}

Config parse_config(const std::string& text, const std::string& path,
                    const std::vector<std::string>& targets) {
  const Located at(path);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    at.fail(e.mark, "YAML syntax: " + e.msg);
  }
  if (!root.IsMap())
    at.fail(root.Mark(),
            "expected a mapping with keys: name, description, targets, defaults, cases");

  Config config;
  config.path = path;
  config.text = text;
  config.dir = std::filesystem::path(path).parent_path().string();
  if (config.dir.empty()) config.dir = ".";
  config.name = std::filesystem::path(path).stem().string();

  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    if (std::find(std::begin(kTopLevelKeys), std::end(kTopLevelKeys), key) ==
        std::end(kTopLevelKeys)) {
      std::vector<std::string> valid(std::begin(kTopLevelKeys), std::end(kTopLevelKeys));
      at.fail(entry.first.Mark(),
              "unknown key '" + key + "' at top level; " + valid_list(valid, key));
    }
  }
  if (root["name"]) config.name = scalar_text(at, root["name"], "name");
  if (root["micro"]) config.micro = parse_micro(at, root["micro"]);
  if (root["crash"]) config.crash = parse_crash(at, root["crash"]);
  if (root["fio"]) config.fio = parse_fio(at, root["fio"]);

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
  const bool crash_only = config.crash.enabled && !root["cases"];
  if (config.targets.empty() && !crash_only)
    config.targets.push_back("file:" + std::filesystem::temp_directory_path().string());

  const std::set<std::string> known = all_param_names();
  Settings defaults;
  if (const YAML::Node d = root["defaults"]) {
    if (!d.IsMap()) at.fail(d.Mark(), "defaults: expected a mapping of parameter: value");
    defaults = read_settings(at, d, kDefaultsKeys, known, "defaults");
  }
  const FioChoice fio_default = root["defaults"] && root["defaults"]["fio"]
                                    ? parse_fio_switch(at, root["defaults"]["fio"])
                                    : FioChoice{};

  const YAML::Node cases = root["cases"];
  // A config may be only `crash:`; its lab targets are added below.
  if (crash_only) {
    add_crash_targets(config);
    return config;
  }
  if (!cases || !cases.IsSequence() || cases.size() == 0)
    at.fail(cases ? cases.Mark() : root.Mark(),
            "cases: expected a non-empty list of {workload, mode, parameters}");

  std::shared_ptr<const perf::CounterTable> counters;
  if (root["counters"]) counters = parse_counters(at, root["counters"]);

  Expansion expansion{at, config, {}, config.cases, counters, fio_default};
  for (const YAML::Node& entry : cases) {
    if (!entry.IsMap())
      at.fail(entry.Mark(), "a case is a mapping with keys workload, mode and parameters");
    for (const char* required : {"workload", "mode"})
      if (!entry[required])
        at.fail(entry.Mark(),
                std::string("case without '") + required + "' (a name, a list, or all)");
    const auto chosen_workloads = pick(
        at, values_of(at, entry["workload"], "workload", entry.Mark()), workloads(), "workload");
    const auto chosen_modes =
        pick(at, values_of(at, entry["mode"], "mode", entry.Mark()), modes(), "mode");
    const Settings own = read_settings(at, entry, kCaseKeys, known, "case");
    // A case's own `counters:` replaces the top-level one as a whole.
    expansion.counters = entry["counters"] ? parse_counters(at, entry["counters"]) : counters;
    expansion.fio = entry["fio"] ? parse_fio_switch(at, entry["fio"]) : fio_default;

    // A parameter written in a case must apply to something the case runs.
    for (const auto& [name, values] : own) {
      bool applies = false;
      for (const WorkloadDesc* w : chosen_workloads)
        for (const ModeDesc* m : chosen_modes)
          for (const ParamSpec* s : applicable_params(*w, *m)) applies = applies || s->name == name;
      if (!applies)
        at.fail(
            values.key_mark,
            "'" + name + "' does not apply to this case; it is a parameter of " + owners_of(name));
    }
    for (const WorkloadDesc* w : chosen_workloads)
      for (const ModeDesc* m : chosen_modes) expansion.expand(*w, *m, defaults, own, entry.Mark());
  }
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
