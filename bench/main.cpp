// daxbench command line: `run` a config, `list` what is registered, `check` a config, and the
// guest side of the power-cut tests (`crash-writer`, `crash-check`).
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "bench/config/common_params.h"
#include "bench/config/config.h"
#include "bench/fio/fio_case.h"
#include "bench/flush/flush.h"
#include "bench/lab/guest/crash_check.h"
#include "bench/lab/guest/crash_writer.h"
#include "bench/lab/host/crash_run.h"
#include "bench/modes/mode.h"
#include "bench/run/session.h"
#include "bench/targets/target.h"
#include "workloads/workload.h"

namespace {

using namespace daxbench;
namespace fs = std::filesystem;

// `--config NAME` is looked up as given, then in the configs folder (with and without .yaml).
std::string find_config(const std::string& name, const fs::path& configs_dir) {
  for (const fs::path& candidate :
       {fs::path(name), configs_dir / name, configs_dir / (name + ".yaml")})
    if (fs::is_regular_file(candidate)) return candidate.string();
  throw ConfigError(name + ": no such config (looked as given and in " + configs_dir.string() +
                    "/)");
}

void print_params(std::span<const ParamSpec> params, const char* indent) {
  for (const ParamSpec& p : params)
    std::cout << indent << p.name << " = "
              << (p.default_value.empty() ? "(required)" : p.default_value) << "  — " << p.help
              << " [" << describe_valid(p) << "]\n";
}

void list_registered() {
  auto durability = [](Durability d) {
    switch (d) {
      case Durability::kNever:
        return "never durable";
      case Durability::kBySyscall:
        return "durable on any target";
      case Durability::kWhenPmem:
        return "durable on DAX targets only";
    }
    return "";
  };
  std::cout << "modes:\n";
  for (const ModeDesc* m : modes()) {
    std::cout << "  " << m->name << "  — " << m->summary << " (" << durability(m->durability)
              << ")\n";
    print_params(m->params, "      ");
  }
  std::cout << "workloads:\n";
  for (const WorkloadDesc* w : workloads()) {
    std::cout << "  " << w->name << "  — " << w->summary << '\n';
    print_params(w->params, "      ");
  }
  std::cout << "targets:\n";
  for (const TargetDesc* t : targets())
    std::cout << "  " << t->syntax << "  — " << t->summary << '\n';
  std::cout << "flush primitives (flush: auto picks the first available):\n";
  for (const FlushOps* f : flush_primitives())
    std::cout << "  " << f->name << "  — " << f->summary
              << (f->available() ? "" : "  [not on this CPU]") << '\n';
  std::cout << "common parameters (every case):\n";
  print_params(common_params(), "      ");
}

// `--cases FILE`: keeps the cases it lists, in config order. A listed id the config does not
// make means host and guest expanded the config differently: an error, never a silent skip.
std::string keep_listed_cases(Config& config, const fs::path& file) {
  std::ifstream in(file);
  if (!in) return "cannot open it";
  std::set<std::string> listed;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) listed.insert(line);
  std::erase_if(config.cases, [&](const CaseSpec& c) { return !listed.count(c.id); });
  for (const CaseSpec& c : config.cases) listed.erase(c.id);
  if (!listed.empty()) return "the config has no case '" + *listed.begin() + "'";
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "daxbench: how should stores to a DAX-mapped file be made durable, and what does each way "
      "cost?"};
  app.require_subcommand(1);
  fs::path configs_dir = "configs";

  std::string config_name;
  std::vector<std::string> target_specs;
  RunOptions options;
  auto* run = app.add_subcommand("run", "run the cases of a config and write a results folder");
  run->add_option("--config", config_name, "config file, or a name in the configs folder")
      ->required();
  run->add_option(
      "--target", target_specs,
      "where the files live, e.g. file:/var/tmp (repeatable; replaces the config's targets)");
  run->add_option("--out", options.out,
                  "results folder to create (default: RESULTS_ROOT/<UTC time>-<host>-<config>)");
  run->add_option("--results-root", options.results_root, "where default results folders go");
  run->add_option("--configs-dir", configs_dir, "where --config names are looked up");
  run->add_option("--run-id", options.run_id,
                  "use this run id (the lab's guest is given its host's, so records match)");
  fs::path cases_file;
  run->add_option("--cases", cases_file,
                  "run only the cases whose ids this file lists, one per line (the lab's host "
                  "gives its guest one kernel's cases)");
  run->add_option("--repetition", options.only_repetition,
                  "run only this repetition, 0-based (the lab's host interleaves rounds over "
                  "kernels: one boot per kernel per round)")
      ->check(CLI::NonNegativeNumber);

  auto* check =
      app.add_subcommand("check", "validate a config and print its cases without running them");
  check->add_option("--config", config_name, "config file, or a name in the configs folder")
      ->required();
  check->add_option("--target", target_specs, "targets, as for run");
  check->add_option("--configs-dir", configs_dir, "where --config names are looked up");
  bool print_targets = false;
  check->add_flag("--targets", print_targets,
                  "print the targets the cases use, one per line, instead of the cases");

  app.add_subcommand(
      "list", "print the registered modes, workloads, targets, flush primitives and parameters");

  std::string manifest_path, check_out;
  auto* crash_writer = app.add_subcommand(
      "crash-writer", "write a crash manifest's cells, one process each, until the power is cut");
  crash_writer->add_option("--manifest", manifest_path, "crash manifest (JSON)")->required();
  auto* crash_check = app.add_subcommand(
      "crash-check", "count what each crash cell's file kept of what its writer acknowledged");
  crash_check->add_option("--manifest", manifest_path, "crash manifest (JSON)")->required();
  crash_check->add_option("--out", check_out, "JSON lines file, one object per cell")->required();
  CLI11_PARSE(app, argc, argv);

  if (app.got_subcommand(crash_writer) || app.got_subcommand(crash_check)) {
    try {
      const crash::CrashManifest manifest = crash::load_manifest(manifest_path);
      if (app.got_subcommand(crash_writer)) return crash::run_crash_writer(manifest, std::cout);
      crash::run_crash_check(manifest, check_out);
      return 0;
    } catch (const crash::ManifestError& e) {
      std::cerr << "daxbench: crash manifest " << manifest_path << ": " << e.what() << '\n';
      return 2;
    } catch (const std::exception& e) {
      std::cerr << "daxbench: " << e.what() << '\n';
      return 1;
    }
  }

  if (app.got_subcommand("list")) {
    list_registered();
    return 0;
  }
  Config config;
  try {
    config = load_config(find_config(config_name, configs_dir), target_specs);
  } catch (const ConfigError& e) {
    std::cerr << "daxbench: config error: " << e.what() << '\n';
    return 2;
  }
  if (!cases_file.empty()) {
    if (const std::string problem = keep_listed_cases(config, cases_file); !problem.empty()) {
      std::cerr << "daxbench: --cases " << cases_file.string() << ": " << problem << '\n';
      return 2;
    }
  }
  if (app.got_subcommand("check") && print_targets) {
    for (const std::string& spec : config.targets) std::cout << spec << '\n';
    return 0;
  }
  if (app.got_subcommand("check")) {
    for (const CaseSpec& c : config.cases) {
      std::cout << c.id << '\n';
      if (c.fio) std::cout << "  fio: " << fio::describe(c, c.target) << '\n';
    }
    std::cerr << config.cases.size() << " cases\n";
    if (config.crash.enabled) {
      const std::vector<std::string> cells = crash_cells(config.crash);
      for (const std::string& cell : cells) std::cout << "crash " << cell << '\n';
      std::cerr << cells.size() << " crash cells, " << config.crash.cuts << " cuts each\n";
    }
    return 0;
  }
  for (int i = 0; i < argc; ++i) options.command_line += (i ? " " : "") + std::string(argv[i]);
  return run_session(config, options);
}
