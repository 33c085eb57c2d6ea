// Parsing the sections: each is a table of keys (a ParamSpec each) read by one shared
// function with one unknown-key check; values are range checked by parse_param, names are
// checked against the registries (modes, crash workloads, targets, counters).
#include "bench/config/sections.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <limits>
#include <map>

#include "bench/counters/counter_table.h"
#include "bench/flush/flush.h"
#include "bench/lab/guest/crash_workload.h"
#include "bench/lab/guest/manifest.h"
#include "bench/modes/mode.h"
#include "bench/targets/lab.h"
#include "bench/targets/target.h"

namespace daxbench::config_detail {
namespace {

// One key of a section. A key the table cannot describe (a list, a map, a name from a
// registry) is `by_hand`: the section's own step reads it, after the shared key check.
struct SectionKey {
  ParamSpec spec;
  // The message after "SECTION.KEY: " when parse_param rejects `raw` (its own `problem`).
  std::string (*reject)(const std::string& raw, const std::string& problem) = nullptr;
  bool by_hand = false;
};

using Parsed = std::map<std::string, std::pair<ParamValue, YAML::Mark>>;

std::string key_names(std::span<const SectionKey> keys, std::string_view sep) {
  std::string out;
  for (const SectionKey& k : keys)
    out += (out.empty() ? "" : std::string(sep)) + std::string(k.spec.name);
  return out;
}

// The one unknown-key check: "unknown key 'k' in SECTION; valid: <table order>".
void check_keys(const Located& at, const YAML::Node& map, std::span<const SectionKey> keys,
                const std::string& section) {
  std::vector<std::string> valid;
  for (const SectionKey& k : keys) valid.emplace_back(k.spec.name);
  for (const auto& entry : map) {
    const std::string key = entry.first.Scalar();
    if (std::find(valid.begin(), valid.end(), key) == valid.end())
      at.fail(entry.first.Mark(),
              "unknown key '" + key + "' in " + section + "; " + valid_list(valid, key));
  }
}

// The shared reader: `node` must be a mapping (else `shape_error`), every key one of `keys`;
// each key present and not `by_hand` is parsed by parse_param.
Parsed parse_section(const Located& at, const YAML::Node& node, std::span<const SectionKey> keys,
                     const std::string& section, const std::string& shape_error) {
  if (!node.IsMap()) at.fail(node.Mark(), shape_error);
  check_keys(at, node, keys, section);
  Parsed out;
  for (const SectionKey& k : keys) {
    const YAML::Node value = node[std::string(k.spec.name)];
    if (!value || k.by_hand) continue;
    const std::string field = section + "." + std::string(k.spec.name);
    const std::string raw = scalar_text(at, value, field);
    ParamValue parsed;
    if (auto problem = parse_param(k.spec, raw, parsed))
      at.fail(value.Mark(), field + ": " + (k.reject ? k.reject(raw, *problem) : *problem));
    out[std::string(k.spec.name)] = {parsed, value.Mark()};
  }
  return out;
}

// strtol's spelling of a whole number (leading blanks, a '+'), which the config always took,
// reduced to the digits parse_param reads.
std::string c_integer(std::string raw) {
  std::size_t i = 0;
  while (i < raw.size() && std::isspace(static_cast<unsigned char>(raw[i]))) ++i;
  if (i < raw.size() && raw[i] == '+' && i + 1 < raw.size() && raw[i + 1] != '-') ++i;
  return raw.substr(i);
}

constexpr std::string_view kMicroSets[] = {"full", "quick"};
const SectionKey kMicroKeys[] = {
    {{"set", ParamKind::kChoice, "quick", "benchmark set", kMicroSets},
     [](const std::string& raw, const std::string&) {
       return "unknown set '" + raw + "'; " + valid_list({"full", "quick"}, raw);
     }},
    // (0, 60]: the smallest positive double is the exclusive bound 0.
    {{"min_time",
      ParamKind::kReal,
      "0.05",
      "seconds per benchmark",
      {},
      std::numeric_limits<double>::denorm_min(),
      60},
     [](const std::string& raw, const std::string&) {
       return "expected seconds in (0, 60], got '" + raw + "'";
     }},
};

const SectionKey kFioKeys[] = {
    {{"binary", ParamKind::kText, "fio", "a path, or a name looked up on PATH"},
     [](const std::string&, const std::string&) {
       return std::string("expected a path or a name");
     }},
};

constexpr std::string_view kBooleans[] = {"false", "true"};
constexpr std::string_view kPersistenceDomains[] = {"adr", "eadr"};
const SectionKey kLabKeys[] = {
    {{"model", ParamKind::kChoice, "false", "run the guests under the persistence model",
      kBooleans},
     [](const std::string& raw, const std::string&) {
       return "expected true or false, got '" + raw + "'";
     }},
    {{"persistence", ParamKind::kChoice, "adr", "the NVDIMM's persistence domain",
      kPersistenceDomains},
     nullptr},
    {{"kernels", ParamKind::kText, "", "Debian packages or {name, build|kernel} entries"},
     nullptr,
     true},
};

const SectionKey kCounterKeys[] = {
    {{"set", ParamKind::kText, "default", "a built-in counter set"}, nullptr, true},
    {{"add", ParamKind::kText, "", "counters added to the set"}, nullptr, true},
};

const SectionKey kCrashKeys[] = {
    {{"filesystems", ParamKind::kText, "all", "ext4, xfs (all); virtio-ext4, virtio-xfs by name"},
     nullptr,
     true},
    {{"modes", ParamKind::kText, "all", "registered modes"}, nullptr, true},
    {{"file_states", ParamKind::kText, "all", "sparse, fallocated, zeroed"}, nullptr, true},
    {{"workloads", ParamKind::kText, "all", "crash workloads"}, nullptr, true},
    {{"flushes", ParamKind::kText, "auto", "auto or flush primitives, for flushing modes"},
     nullptr,
     true},
    {{"persistence", ParamKind::kText, "adr", "adr, eadr"}, nullptr, true},
    {{"mixes", ParamKind::kInteger, "2", "seeded mixed images per ADR cut", {}, 0, 16}, nullptr},
    // Read by hand (c_integer) to keep strtol's spelling.
    {{"cuts", ParamKind::kInteger, "6", "power cuts per cell", {}, 1, 10000}, nullptr, true},
    {{"cut_after_s", ParamKind::kText, "[0.5, 3]", "[min, max] seconds"}, nullptr, true},
    // By hand: a seed takes the whole uint64 range, beyond parse_param's int64.
    {{"seed", ParamKind::kText, "1", "seed of the cut delays"}, nullptr, true},
    {{"file_size", ParamKind::kSize, "1M", "each file's size", {}, 65536, 1 << 30},
     [](const std::string&, const std::string& problem) {
       return problem + " (at least 64K, at most 1G)";
     }},
    {{"concurrent_write", ParamKind::kText, "", "none, or {modes, placements, workloads}"},
     nullptr,
     true},
};
constexpr ParamSpec kCutAfter{"cut_after_s", ParamKind::kReal, "", "", {}, 0, 60};

const SectionKey kConcurrentWriteKeys[] = {
    {{"modes", ParamKind::kText, "", ""}, nullptr, true},
    {{"placements", ParamKind::kText, "", ""}, nullptr, true},
    {{"workloads", ParamKind::kText, "", ""}, nullptr, true},
};

// A `crash:` list: names from `valid` (or `all`), in the order given, without repeats.
// `section` names the parent in messages ("crash", "crash.concurrent_write").
// `by_name_only`: values accepted when named, but not part of `all` (or of the default).
std::vector<std::string> crash_names(const Located& at, const YAML::Node& parent,
                                     const std::string& key, const std::vector<std::string>& valid,
                                     const std::string& section = "crash",
                                     const std::vector<std::string>& by_name_only = {}) {
  const YAML::Node node = parent[key];
  if (!node) return valid;
  const std::string field = section + "." + key;
  std::vector<std::string> out;
  std::vector<std::string> choices = valid;
  choices.insert(choices.end(), by_name_only.begin(), by_name_only.end());
  choices.emplace_back("all");
  for (const auto& [name, mark] : values_of(at, node, field, node.Mark()).items) {
    if (name == "all") return valid;
    if (std::find(choices.begin(), choices.end(), name) == choices.end())
      at.fail(mark, field + ": unknown value '" + name + "'; " + valid_list(choices, name));
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

// One end of `cut_after_s`, through parse_param, with the message the config always gave.
double crash_real(const Located& at, const YAML::Node& node, const std::string& key) {
  const std::string text = scalar_text(at, node, key);
  ParamValue value;
  if (parse_param(kCutAfter, text, value))
    at.fail(node.Mark(), key + ": expected seconds in [0, 60], got '" + text + "'");
  return value.real;
}

// `concurrent_write: {modes: [map-sync, sealed-extent], placements: [inside, append, mapped],
// workloads: [log-append]}` (those are the defaults, modes kept only where in crash.modes), or
// `concurrent_write: none`.
void parse_concurrent_write(const Located& at, const YAML::Node& crash_node, CrashConfig& crash) {
  const YAML::Node given = crash_node["concurrent_write"];
  if (given && given.IsScalar() && given.Scalar() == "none") return;
  const YAML::Node node = !given || given.IsNull() ? YAML::Node(YAML::NodeType::Map) : given;
  const std::string section = "crash.concurrent_write";
  parse_section(
      at, node, kConcurrentWriteKeys, section,
      section + ": expected none or a mapping with keys " + key_names(kConcurrentWriteKeys, ", "));
  if (node["modes"]) {
    // Its cells join their mode's boot group, so the mode must be one crash: runs.
    crash.concurrent_modes = crash_names(at, node, "modes", crash.modes, section);
  } else {
    for (const std::string& mode : crash.modes)
      if (const ModeDesc* desc = find_mode(mode); desc && desc->crash_concurrent_default)
        crash.concurrent_modes.push_back(mode);
  }
  // inside/append: the second process write()s; mapped: it stores through a plain mapping.
  crash.concurrent_placements =
      crash_names(at, node, "placements",
                  {std::begin(crash::kPlacements), std::end(crash::kPlacements)}, section);
  std::vector<std::string> workload_names, default_workloads;
  for (const crash::CrashWorkloadDesc* w : crash::crash_workloads()) {
    workload_names.emplace_back(w->name);
    if (w->concurrent_default) default_workloads.emplace_back(w->name);
  }
  crash.concurrent_workloads = node["workloads"]
                                   ? crash_names(at, node, "workloads", workload_names, section)
                                   : default_workloads;
}

// `cuts`, `cut_after_s` and `seed`: the numbers a table row cannot read as they were written.
void parse_crash_numbers(const Located& at, const YAML::Node& node, CrashConfig& crash) {
  if (const YAML::Node cuts = node["cuts"]) {
    const std::string text = scalar_text(at, cuts, "crash.cuts");
    ParamValue value;
    const auto cuts_key = std::find_if(std::begin(kCrashKeys), std::end(kCrashKeys),
                                       [](const SectionKey& k) { return k.spec.name == "cuts"; });
    if (parse_param(cuts_key->spec, c_integer(text), value))
      at.fail(cuts.Mark(), "crash.cuts: expected a whole number in [1, 10000], got '" + text + "'");
    crash.cuts = static_cast<int>(value.integer);
  }
  if (const YAML::Node window = node["cut_after_s"]) {
    if (!window.IsSequence() || window.size() != 2)
      at.fail(window.Mark(), "crash.cut_after_s: expected [min, max] in seconds");
    crash.cut_after_min_s = crash_real(at, window[0], "crash.cut_after_s");
    crash.cut_after_max_s = crash_real(at, window[1], "crash.cut_after_s");
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
}

}  // namespace

MicroConfig parse_micro(const Located& at, const YAML::Node& node) {
  const Parsed values =
      parse_section(at, node, kMicroKeys, "micro",
                    "micro: expected a mapping with keys " + key_names(kMicroKeys, ", "));
  MicroConfig micro;
  micro.enabled = true;
  if (auto it = values.find("set"); it != values.end()) micro.set = it->second.first.text;
  if (auto it = values.find("min_time"); it != values.end()) micro.min_time = it->second.first.real;
  return micro;
}

namespace {

// A path in a kernel entry: `~/` is $HOME, a relative one is the config's folder's; it must
// exist as a folder or as a file, since the guest boots nothing that is not there.
std::string kernel_path(const Located& at, const YAML::Node& value, const std::string& field,
                        const std::string& config_dir, bool folder) {
  std::string raw = scalar_text(at, value, field);
  if (raw.starts_with("~/"))
    if (const char* home = std::getenv("HOME")) raw = std::string(home) + raw.substr(1);
  std::filesystem::path path(raw);
  if (path.is_relative()) path = std::filesystem::path(config_dir) / path;
  path = std::filesystem::absolute(path).lexically_normal();
  std::error_code error;
  const bool there = folder ? std::filesystem::is_directory(path, error)
                            : std::filesystem::is_regular_file(path, error);
  if (!there)
    at.fail(value.Mark(), field + ": no such " + (folder ? "folder" : "regular file") + " '" +
                              path.string() + "'" +
                              (raw == path.string() ? "" : " (from '" + raw + "')"));
  return path.string();
}

constexpr std::string_view kKernelKeys[] = {"name",   "package", "build",
                                            "kernel", "modules", "config"};

// One `lab: {kernels: [...]}` entry: a package name, or a mapping naming a package, a build
// tree, or a kernel file with its modules and .config.
LabKernel parse_kernel(const Located& at, const YAML::Node& entry, const std::string& field,
                       const std::string& config_dir) {
  LabKernel k;
  k.where = at.where(entry.Mark());
  const std::string shape = field +
                            ": a kernel is a Debian package (linux-image-...) or a mapping "
                            "{name, package | build | kernel, modules, config}";
  if (entry.IsScalar()) {
    k.package = entry.Scalar();
    if (!k.package.starts_with("linux-image-")) at.fail(entry.Mark(), shape);
    k.name = k.package;
    return k;
  }
  if (!entry.IsMap()) at.fail(entry.Mark(), shape);
  for (const auto& item : entry) {
    const std::string key = item.first.Scalar();
    if (std::find(std::begin(kKernelKeys), std::end(kKernelKeys), key) == std::end(kKernelKeys))
      at.fail(item.first.Mark(),
              "unknown key '" + key + "' in " + field + "; " +
                  valid_list({std::begin(kKernelKeys), std::end(kKernelKeys)}, key));
  }
  const int sources = !!entry["package"] + !!entry["build"] + !!entry["kernel"];
  if (sources != 1)
    at.fail(entry.Mark(), field +
                              ": name exactly one of package, build (a kernel build tree) "
                              "and kernel (a bzImage or vmlinux file)");
  if ((entry["modules"] || entry["config"]) && !entry["kernel"])
    at.fail(entry.Mark(), field + ": modules and config go with kernel: (a build tree has both)");
  if (entry["package"]) {
    k.package = scalar_text(at, entry["package"], field + ".package");
    if (!k.package.starts_with("linux-image-"))
      at.fail(entry["package"].Mark(),
              field + ".package: expected a Debian kernel package, linux-image-..., got '" +
                  k.package + "'");
  }
  if (entry["build"]) k.build = kernel_path(at, entry["build"], field + ".build", config_dir, true);
  if (entry["kernel"])
    k.kernel = kernel_path(at, entry["kernel"], field + ".kernel", config_dir, false);
  if (entry["modules"])
    k.modules = kernel_path(at, entry["modules"], field + ".modules", config_dir, true);
  if (entry["config"])
    k.config = kernel_path(at, entry["config"], field + ".config", config_dir, false);
  if (entry["name"])
    k.name = scalar_text(at, entry["name"], field + ".name");
  else
    k.name = !k.package.empty()
                 ? k.package
                 : std::filesystem::path(k.build.empty() ? k.kernel : k.build).filename().string();
  return k;
}

std::vector<LabKernel> parse_kernels(const Located& at, const YAML::Node& node,
                                     const std::string& config_dir) {
  const YAML::Node list = node["kernels"];
  if (!list.IsSequence() || list.size() == 0)
    at.fail(list.Mark(),
            "lab.kernels: expected a list of kernels (Debian packages or "
            "{name, build | kernel} mappings)");
  std::vector<LabKernel> kernels;
  std::map<std::string, std::string> first_seen;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string field = "lab.kernels[" + std::to_string(i) + "]";
    LabKernel k = parse_kernel(at, list[i], field, config_dir);
    // The name goes into case ids (kernel=NAME) and job folders' names.
    const bool plain = !k.name.empty() && std::all_of(k.name.begin(), k.name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
             c == '+';
    });
    if (!plain)
      at.fail(list[i].Mark(), field + ": the name '" + k.name +
                                  "' must be letters, digits and . _ - + (it is in case ids)");
    if (auto [it, fresh] = first_seen.emplace(k.name, k.where); !fresh)
      at.fail(list[i].Mark(), field + ": a second kernel named '" + k.name + "' (the first is at " +
                                  it->second + "); give one a name:");
    kernels.push_back(std::move(k));
  }
  return kernels;
}

}  // namespace

LabConfig parse_lab(const Located& at, const YAML::Node& node, const std::string& config_dir) {
  const Parsed values = parse_section(
      at, node, kLabKeys, "lab", "lab: expected a mapping with keys " + key_names(kLabKeys, ", "));
  LabConfig lab;
  if (auto it = values.find("model"); it != values.end())
    lab.model = it->second.first.text == "true";
  if (auto it = values.find("persistence"); it != values.end())
    lab.persistence = it->second.first.text;
  if (node["kernels"]) lab.kernels = parse_kernels(at, node, config_dir);
  return lab;
}

CrashConfig parse_crash(const Located& at, const YAML::Node& given) {
  // `crash:` alone means every default.
  const YAML::Node node = given.IsNull() ? YAML::Node(YAML::NodeType::Map) : given;
  const Parsed values =
      parse_section(at, node, kCrashKeys, "crash",
                    "crash: expected a mapping with keys " + key_names(kCrashKeys, ", "));
  CrashConfig crash;
  crash.enabled = true;
  std::vector<std::string> mode_names, workload_names;
  for (const ModeDesc* m : modes()) mode_names.emplace_back(m->name);
  for (const crash::CrashWorkloadDesc* w : crash::crash_workloads())
    workload_names.emplace_back(w->name);
  // virtio-ext4, virtio-xfs (virtio-pmem) only when named: its cells are another platform's, and
  // `all` has always meant the NVDIMM filesystems.
  crash.filesystems =
      crash_names(at, node, "filesystems", lab_crash_kinds(false), "crash", lab_crash_kinds(true));
  crash.modes = crash_names(at, node, "modes", mode_names);
  crash.file_states = crash_names(at, node, "file_states", {"sparse", "fallocated", "zeroed"});
  crash.workloads = crash_names(at, node, "workloads", workload_names);
  std::vector<std::string> flush_names = {"auto"};
  for (const FlushOps* f : flush_primitives()) flush_names.emplace_back(f->name);
  if (node["flushes"]) crash.flushes = crash_names(at, node, "flushes", flush_names);
  if (node["persistence"])
    crash.persistence = crash_names(
        at, node, "persistence", {std::begin(kPersistenceDomains), std::end(kPersistenceDomains)});
  if (auto it = values.find("mixes"); it != values.end())
    crash.mixes = static_cast<int>(it->second.first.integer);
  parse_crash_numbers(at, node, crash);
  if (auto it = values.find("file_size"); it != values.end())
    crash.file_size = static_cast<std::uint64_t>(it->second.first.integer);
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
  const Parsed values =
      parse_section(at, node, kFioKeys, "fio",
                    "fio: expected a mapping with key binary (to run fio beside a case, write "
                    "`fio: true` in the case or in defaults:)");
  FioConfig fio;
  if (auto it = values.find("binary"); it != values.end()) fio.binary = it->second.first.text;
  return fio;
}

std::shared_ptr<const perf::CounterTable> parse_counters(const Located& at,
                                                         const YAML::Node& node) {
  parse_section(at, node, kCounterKeys, "counters",
                "counters: expected a mapping with keys " + key_names(kCounterKeys, ", "));
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
