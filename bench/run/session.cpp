// The run loop: repetitions outermost so slow drift (thermal, background) hits every mode
// alike; progress on stderr; SIGINT/SIGTERM finish cleanly.
#include "bench/run/session.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bench/counters/tracepoints.h"
#include "bench/fio/fio_case.h"
#include "bench/lab/host/crash_run.h"
#include "bench/lab/host/lab.h"
#include "bench/lab/host/lab_run.h"
#include "bench/modes/mode.h"
#include "bench/results/context.h"
#include "bench/results/results_folder.h"
#include "bench/run/micro_run.h"
#include "bench/run/progress.h"
#include "bench/run/registry_json.h"
#include "bench/run/runner.h"
#include "bench/targets/target.h"
#include "workloads/workload.h"

namespace daxbench {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

void on_stop_signal(int signo) {
  g_signal.store(signo);
  g_stop.store(true);
}

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  action.sa_flags = SA_RESETHAND;  // a second Ctrl-C kills at once, for a stuck syscall
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool wants_companion(const CaseSpec& spec) {
  const std::string_view param = spec.mode->companion.param;
  return !param.empty() && spec.params.text(param) == "on";
}

// A mode with a companion (fsync-per-fault) also runs with its parameter off (the sync
// removed): its fault cost is then the trap alone. Returns false if a signal interrupted the second
// run.
bool add_companion(const CaseSpec& spec, Target& target, const std::string& config_dir,
                   RepetitionResult& result) {
  CaseSpec without_sync = spec;
  ParamValue off;
  off.text = "off";
  without_sync.params.set(std::string(spec.mode->companion.param), off);
  const RepetitionResult companion = run_repetition(without_sync, target, config_dir, g_stop);
  if (companion.status == "interrupted") return false;
  const Metric* trap = companion.metrics.find(spec.mode->companion.metric);
  const std::string why = companion.status == "ok"
                              ? (trap ? trap->status : "unavailable: no trap measured")
                              : "unavailable: " + companion.reason;
  result.metrics.add({"trap_ns", trap ? trap->value : std::nullopt, std::nullopt, "ns",
                      Better::kLower, why,
                      "mean time of a trapped store with the sync removed (signal + mprotect)"});
  result.metrics.add(
      {"ops_per_sec_without_sync",
       companion.status == "ok" ? std::optional(companion.ops_per_sec) : std::nullopt, std::nullopt,
       "ops/s", Better::kHigher, companion.status == "ok" ? "ok" : why,
       "throughput of the same case with " + std::string(spec.mode->companion.param) + " off"});
  return true;
}

}  // namespace

int run_session(const Config& config, const RunOptions& options) {
  // A target whose cases run elsewhere (the registry says which: on the host, the lab's)
  // opens as a Lab, which boots guests; every other one as a place for files here.
  std::map<std::string, std::unique_ptr<Target>> targets;
  std::map<std::string, std::unique_ptr<Lab>> labs;
  std::vector<const TargetFacts*> facts;
  try {
    for (const std::string& spec : config.targets) {
      const TargetFacts* opened = nullptr;
      if (target_runs_cases_elsewhere(spec)) {
        auto lab = std::make_unique<Lab>(std::string_view(spec).substr(spec.find(':') + 1));
        opened = &lab->facts();
        labs.emplace(spec, std::move(lab));
      } else {
        auto target = open_target(spec);
        opened = &target->facts();
        targets.emplace(spec, std::move(target));
      }
      if (!opened->warning.empty())
        std::cerr << "daxbench: warning: " << spec << ": " << opened->warning << '\n';
      facts.push_back(opened);
    }
  } catch (const TargetError& e) {
    std::cerr << "daxbench: " << e.what() << '\n';
    return 2;
  }

  std::random_device entropy;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", entropy());
  const std::filesystem::path folder =
      options.out.empty() ? default_results_path(options.results_root, config.name) : options.out;
  const std::string run_id =
      options.run_id.empty() ? folder.filename().string() + "-" + suffix : options.run_id;
  std::unique_ptr<ResultsFolder> created;
  try {
    created = std::make_unique<ResultsFolder>(folder);
  } catch (const std::exception& e) {
    std::cerr << "daxbench: " << e.what() << '\n';
    return 2;
  }
  ResultsFolder& results = *created;
  nlohmann::ordered_json context = describe_context(config, facts, run_id, options.command_line);
  context["registry"] = registry_json();
  results.write_context(context);
  install_stop_handlers();

  // Cases on the lab's targets run later, in a guest per target; the rest run here.
  std::vector<const CaseSpec*> local;
  std::map<std::string, std::vector<const CaseSpec*>> in_lab;
  for (const CaseSpec& c : config.cases) {
    if (labs.contains(c.target))
      in_lab[c.target].push_back(&c);
    else
      local.push_back(&c);
  }

  int max_repetitions = 0;
  for (const CaseSpec* c : local)
    max_repetitions = std::max(max_repetitions, static_cast<int>(c->params.integer("repetitions")));

  Progress progress(local);
  std::map<std::string, bool> unsupported;      // a case the target cannot run is recorded once
  std::map<std::string, bool> fio_unsupported;  // the same for a case fio cannot express
  int failed = 0;
  const bool tty = progress.tty();
  for (int rep = 0; rep < max_repetitions && !g_stop; ++rep) {
    for (const CaseSpec* cp : local) {
      const CaseSpec& c = *cp;
      if (g_stop) break;
      const int reps = static_cast<int>(c.params.integer("repetitions"));
      if (rep >= reps) continue;
      progress.repetition(c, rep, reps);
      if (unsupported[c.id]) continue;

      Target& target = *targets.at(c.target);
      RepetitionResult result = run_repetition(c, target, config.dir, g_stop);
      if (result.status == "ok" && wants_companion(c) &&
          !add_companion(c, target, config.dir, result))
        result.status = "interrupted";
      // An unfinished repetition is not a result; one that finished as the signal came is.
      if (result.status == "interrupted") break;
      if (result.status == "unsupported") unsupported[c.id] = true;
      if (result.status == "failed") {
        ++failed;
        std::fprintf(stderr, "%sdaxbench: %s failed: %s\n", tty ? "\n" : "", c.id.c_str(),
                     result.reason.c_str());
      }
      results.append_record(c, result, run_id, rep);
      // fio's run of the same case, right after it, on a freshly prepared file.
      if (c.fio && !fio_unsupported[c.id] && !g_stop) {
        progress.fio_repetition(c, rep, reps);
        const std::size_t serial = static_cast<std::size_t>(cp - config.cases.data());
        fio::CaseOutcome fio =
            fio::run_case(c, target, config.fio, results.path(), serial, run_id, rep, g_stop);
        if (fio.record.is_null()) break;  // interrupted
        fio_unsupported[c.id] = fio.unsupported;
        if (fio.record["status"] == "failed") {
          ++failed;
          std::fprintf(stderr, "%sdaxbench: %s: fio failed: %s\n", tty ? "\n" : "", c.id.c_str(),
                       fio.record["reason"].get<std::string>().c_str());
        }
        results.append_json(std::move(fio.record));
      }
    }
  }
  if (tty && progress.done() > 0) std::fputc('\n', stderr);

  // The micro-benchmarks run on the host after its cases (so they do not disturb them) and
  // before the lab's guests; a failure is reported and counted, the case results stay.
  MicroOutcome micro;
  if (config.micro.enabled && !g_stop) {
    micro = run_micro(config, facts, results.path(), g_stop);
    if (micro.failed) ++failed;
    context["micro"] = micro.context;
    results.write_context(context);
  }

  for (auto& [spec, lab_cases] : in_lab) {
    if (g_stop) break;
    LabRunLimits limits;
    double longest = 0;
    for (const CaseSpec* c : lab_cases) longest = std::max(longest, expected_seconds(*c));
    // Kernel paths run 5-10x slower under emulation; a repetition prints a line as it starts.
    limits.silence_s = 60 + 30 * longest;
    if (const char* boot = std::getenv("DAXBENCH_LAB_BOOT_TIMEOUT"))
      limits.boot_s = std::atof(boot);
    if (const char* quiet = std::getenv("DAXBENCH_LAB_SILENCE_TIMEOUT"))
      limits.silence_s = std::atof(quiet);
    std::fprintf(stderr, "daxbench: %s: %zu cases in the lab's guest\n", spec.c_str(),
                 lab_cases.size());
    const LabRunReport report =
        run_in_lab(*labs.at(spec), config, lab_cases, results, run_id, g_stop, limits);
    progress.add_done(static_cast<int>(report.records));
    failed += static_cast<int>(report.failed_cases);
    context["lab"][spec] = to_json(report);
    results.write_context(context);
  }
  // Power cuts last: each boots its own guests (docs/crash.md, "The host side").
  CrashOutcome crash;
  if (config.crash.enabled && !g_stop) {
    std::map<std::string, Lab*> by_filesystem;
    for (const std::string& fs : config.crash.filesystems)
      by_filesystem[fs] = labs.at("lab:" + fs).get();
    crash = run_crash(config.crash, by_filesystem, results.path(), run_id, g_stop);
    failed += crash.failed_cells;
    context["crash"] = crash.context;
    results.write_context(context);
  }
  // Tracefs, if this run mounted it, is unmounted now that every counter is closed; the
  // context says so (results-schema.md, context.json `counters.tracefs.at_end`).
  if (const std::optional<std::string> tracefs = perf::release_tracefs()) {
    context["counters"]["tracefs"]["at_end"] = *tracefs;
    results.write_context(context);
  }
  results.write_summary();
  if (progress.done() > 0) results.print_table(stderr);
  for (const std::string& line : crash.lines) std::fprintf(stderr, "%s\n", line.c_str());
  for (const std::string& line : micro.lines) std::fprintf(stderr, "%s\n", line.c_str());
  for (auto& [spec, target] : targets) target->remove_scratch();

  const double wall = progress.elapsed_s();
  if (g_stop) {
    std::fprintf(
        stderr,
        "daxbench: stopped by signal %d after %s; finished cases are in the results folder\n",
        g_signal.load(), clock_text(wall).c_str());
  } else {
    std::fprintf(stderr, "daxbench: %d case runs in %s%s\n", progress.done(),
                 clock_text(wall).c_str(),
                 failed ? (", " + std::to_string(failed) + " failed").c_str() : "");
  }
  std::cout << results.path().string() << std::endl;
  if (g_stop) return 128 + g_signal.load();
  return failed ? 1 : 0;
}

}  // namespace daxbench
