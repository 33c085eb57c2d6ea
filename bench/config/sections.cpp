// Parsing the sections: unknown keys are errors that name the valid ones, values are range
// checked, names are checked against the registries (modes, crash workloads, targets, counters).
#include "bench/config/sections.h"

#include <algorithm>
#include <cstdlib>
#include <iterator>

#include "bench/counters/counter_table.h"
#include "bench/lab/guest/crash_workload.h"
#include "bench/modes/mode.h"
#include "bench/targets/target.h"

namespace daxbench::config_detail {
namespace {

constexpr std::string_view kCounterKeys[] = {"set", "add"};
constexpr std::string_view kMicroKeys[] = {"set", "min_time"};

constexpr std::string_view kFioKeys[] = {"binary"};

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
    for (const std::string& mode : crash.modes)
      if (const ModeDesc* desc = find_mode(mode); desc && desc->crash_concurrent_default)
        crash.concurrent_modes.push_back(mode);
  }
  crash.concurrent_placements = crash_names(at, node, "placements", {"inside", "append"}, section);
  std::vector<std::string> workload_names, default_workloads;
  for (const crash::CrashWorkloadDesc* w : crash::crash_workloads()) {
    workload_names.emplace_back(w->name);
    if (w->concurrent_default) default_workloads.emplace_back(w->name);
  }
  crash.concurrent_workloads = node["workloads"]
                                   ? crash_names(at, node, "workloads", workload_names, section)
                                   : default_workloads;
}

}  // namespace

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

bool FioChoice::covers(const std::string& spec) const {
  if (!on || targets.empty()) return on;
  const std::string kind = spec.substr(0, spec.find(':'));
  return std::any_of(targets.begin(), targets.end(),
                     [&](const std::string& t) { return t == spec || t == kind; });
}

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

}  // namespace daxbench::config_detail
