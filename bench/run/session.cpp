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
  if (companion.status == Status::kInterrupted) return false;
  const Metric* trap = companion.metrics.find(spec.mode->companion.metric);
  const std::string why = companion.status == Status::kOk
                              ? (trap ? trap->status : "unavailable: no trap measured")
                              : "unavailable: " + companion.reason;
  result.metrics.add({"trap_ns", trap ? trap->value : std::nullopt, std::nullopt, "ns",
                      Better::kLower, why,
                      "mean time of a trapped store with the sync removed (signal + mprotect)"});
  result.metrics.add(
      {"ops_per_sec_without_sync",
       companion.status == Status::kOk ? std::optional(companion.ops_per_sec) : std::nullopt,
       std::nullopt, "ops/s", Better::kHigher, companion.status == Status::kOk ? "ok" : why,
       "throughput of the same case with " + std::string(spec.mode->companion.param) + " off"});
  return true;
}

// The run's targets: a place for files here, or a Lab for those whose cases run elsewhere.
struct OpenTargets {
  std::map<std::string, std::unique_ptr<Target>> targets;
  // A lab target's Lab per kernel, in `lab: {kernels:}` order (one, the default, without).
  std::map<std::string, std::vector<std::unique_ptr<Lab>>> labs;
  std::vector<const TargetFacts*> facts;  // in config order
};

// A target whose cases run elsewhere (the registry says which: on the host, the lab's)
// opens as a Lab, which boots guests; every other one as a place for files here. False
// (the error printed) if one cannot be opened.
bool open_targets(const Config& config, OpenTargets& open) {
  try {
    for (const std::string& spec : config.targets) {
      const TargetFacts* opened = nullptr;
      if (target_runs_cases_elsewhere(spec)) {
        const std::string_view kind = std::string_view(spec).substr(spec.find(':') + 1);
        std::vector<std::unique_ptr<Lab>>& labs = open.labs[spec];
        for (const LabKernel* kernel : config.kernels_for(spec)) {
          labs.push_back(std::make_unique<Lab>(kind, kernel));
          // A kernel the config names that cannot run the lab stops the run before any case.
          if (labs.back()->problem().kernel_refused) {
            std::cerr << "daxbench: " << labs.back()->problem().reason << '\n';
            return false;
          }
        }
        opened = &labs.front()->facts();
      } else {
        auto target = open_target(spec);
        opened = &target->facts();
        open.targets.emplace(spec, std::move(target));
      }
      if (!opened->warning.empty())
        std::cerr << "daxbench: warning: " << spec << ": " << opened->warning << '\n';
      open.facts.push_back(opened);
    }
  } catch (const TargetError& e) {
    std::cerr << "daxbench: " << e.what() << '\n';
    return false;
  }
  return true;
}

// Creates the results folder and names the run; null (the error printed) if it cannot.
std::unique_ptr<ResultsFolder> make_folder(const Config& config, const RunOptions& options,
                                           std::string& run_id) {
  std::random_device entropy;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", entropy());
  const std::filesystem::path folder =
      options.out.empty() ? default_results_path(options.results_root, config.name) : options.out;
  run_id = options.run_id.empty() ? folder.filename().string() + "-" + suffix : options.run_id;
  try {
    return std::make_unique<ResultsFolder>(folder);
  } catch (const std::exception& e) {
    std::cerr << "daxbench: " << e.what() << '\n';
    return nullptr;
  }
}

// What every step of a run shares.
struct Session {
  const Config& config;
  const RunOptions& options;
  OpenTargets& open;
  ResultsFolder& results;
  const std::string& run_id;
  Progress& progress;
  nlohmann::ordered_json& context;  // context.json, rewritten as each step adds its block
  int failed = 0;
  std::map<std::string, bool> unsupported{};      // a case the target cannot run is recorded once
  std::map<std::string, bool> fio_unsupported{};  // the same for a case fio cannot express
};

// Cases on the lab's targets run later, in a guest per target; the rest run here.
struct CaseSplit {
  std::vector<const CaseSpec*> local;
  std::map<std::string, std::vector<const CaseSpec*>> in_lab;
};

CaseSplit split_cases(const Config& config, const OpenTargets& open) {
  CaseSplit split;
  for (const CaseSpec& c : config.cases) {
    if (open.labs.contains(c.target))
      split.in_lab[c.target].push_back(&c);
    else
      split.local.push_back(&c);
  }
  return split;
}

// fio's run of the same case, right after it, on a freshly prepared file. False if it was
// interrupted.
bool run_fio(Session& s, const CaseSpec* cp, Target& target, int rep, int reps) {
  const CaseSpec& c = *cp;
  s.progress.fio_repetition(c, rep, reps);
  const std::size_t serial = static_cast<std::size_t>(cp - s.config.cases.data());
  fio::CaseOutcome fio =
      fio::run_case(c, target, s.config.fio, s.results.path(), serial, s.run_id, rep, g_stop);
  if (fio.record.is_null()) return false;  // interrupted
  s.fio_unsupported[c.id] = fio.unsupported;
  if (fio.record["status"] == "failed") {
    ++s.failed;
    std::fprintf(stderr, "%sdaxbench: %s: fio failed: %s\n", s.progress.tty() ? "\n" : "",
                 c.id.c_str(), fio.record["reason"].get<std::string>().c_str());
  }
  s.results.append_json(std::move(fio.record));
  return true;
}

// Repetition `rep` of one host case, its companion and its fio run. False if interrupted.
bool run_local_case(Session& s, const CaseSpec* cp, int rep) {
  const CaseSpec& c = *cp;
  const int reps = static_cast<int>(c.params.integer("repetitions"));
  if (rep >= reps) return true;
  s.progress.repetition(c, rep, reps);
  if (s.unsupported[c.id]) return true;

  Target& target = *s.open.targets.at(c.target);
  RepetitionResult result = run_repetition(c, target, s.config.dir, g_stop);
  if (result.status == Status::kOk && wants_companion(c) &&
      !add_companion(c, target, s.config.dir, result))
    result.status = Status::kInterrupted;
  // An unfinished repetition is not a result; one that finished as the signal came is.
  if (result.status == Status::kInterrupted) return false;
  if (result.status == Status::kUnsupported) s.unsupported[c.id] = true;
  if (result.status == Status::kFailed) {
    ++s.failed;
    std::fprintf(stderr, "%sdaxbench: %s failed: %s\n", s.progress.tty() ? "\n" : "", c.id.c_str(),
                 result.reason.c_str());
  }
  s.results.append_record(c, result, s.run_id, rep);
  if (c.fio && !s.fio_unsupported[c.id] && !g_stop) return run_fio(s, cp, target, rep, reps);
  return true;
}

// The host's cases, repetitions outermost.
// The most repetitions any of `cases` asks for: the run's rounds.
int most_repetitions(const std::vector<const CaseSpec*>& cases, int at_least = 0) {
  for (const CaseSpec* c : cases)
    at_least = std::max(at_least, static_cast<int>(c->params.integer("repetitions")));
  return at_least;
}

void run_local(Session& s, const std::vector<const CaseSpec*>& local) {
  int max_repetitions = most_repetitions(local);
  const int only = s.options.only_repetition;
  const int first = only >= 0 ? only : 0;
  if (only >= 0) max_repetitions = std::min(max_repetitions, only + 1);
  for (int rep = first; rep < max_repetitions && !g_stop; ++rep) {
    for (const CaseSpec* cp : local) {
      if (g_stop) break;
      if (!run_local_case(s, cp, rep)) break;
    }
  }
  if (s.progress.tty() && s.progress.done() > 0) std::fputc('\n', stderr);
}

// The micro-benchmarks run on the host after its cases (so they do not disturb them) and
// before the lab's guests; a failure is reported and counted, the case results stay.
MicroOutcome run_micro_step(Session& s) {
  MicroOutcome micro;
  if (!s.config.micro.enabled || g_stop) return micro;
  micro = run_micro(s.config, s.open.facts, s.results.path(), g_stop);
  if (micro.failed) ++s.failed;
  s.context["micro"] = micro.context;
  s.results.write_context(s.context);
  return micro;
}

LabRunLimits lab_limits(const std::vector<const CaseSpec*>& lab_cases) {
  LabRunLimits limits;
  double longest = 0;
  for (const CaseSpec* c : lab_cases) longest = std::max(longest, expected_seconds(*c));
  // Kernel paths run 5-10x slower under emulation; a repetition prints a line as it starts.
  limits.silence_s = 60 + 30 * longest;
  if (const char* boot = std::getenv("DAXBENCH_LAB_BOOT_TIMEOUT")) limits.boot_s = std::atof(boot);
  if (const char* quiet = std::getenv("DAXBENCH_LAB_SILENCE_TIMEOUT"))
    limits.silence_s = std::atof(quiet);
  return limits;
}

// How the lab's boots are laid out: without kernels one guest per target runs every
// repetition; with `lab: {kernels: [A, B]}` round 1 of every case boots A, then B, then round
// 2, so drift hits both kernels alike, at the cost of one boot per kernel per round.
void announce_lab(const Session& s, const std::string& spec, std::size_t cases, int rounds) {
  const std::size_t kernels = s.open.labs.at(spec).size();
  if (rounds < 0) {
    std::fprintf(stderr, "daxbench: %s: %zu cases in the lab's guest\n", spec.c_str(), cases);
    return;
  }
  std::fprintf(stderr,
               "daxbench: %s: %zu cases on %zu kernels, %d rounds interleaved: %zu guest boots "
               "(one per kernel per round)\n",
               spec.c_str(), cases, kernels, rounds, kernels * static_cast<std::size_t>(rounds));
}

void run_labs(Session& s, const std::map<std::string, std::vector<const CaseSpec*>>& in_lab) {
  int max_repetitions = 0;
  for (auto& [spec, lab_cases] : in_lab)
    max_repetitions = most_repetitions(lab_cases, max_repetitions);
  // Without kernels one round: a boot per target runs every repetition (repetition -1).
  const bool interleaved = !s.config.lab.kernels.empty();
  const int rounds = interleaved ? max_repetitions : 1;
  for (auto& [spec, lab_cases] : in_lab)
    announce_lab(s, spec, lab_cases.size(), interleaved ? rounds : -1);
  std::map<std::string, std::vector<LabRunReport>> boots;  // by context key
  std::size_t boot_count = 0;
  double booting_s = 0;
  for (int round = 0; round < rounds && !g_stop; ++round) {
    for (auto& [spec, lab_cases] : in_lab) {
      for (const std::unique_ptr<Lab>& lab : s.open.labs.at(spec)) {
        if (g_stop) break;
        const std::string key = lab_context_key(spec, lab->kernel_name());
        std::vector<const CaseSpec*> cases;
        for (const CaseSpec* c : lab_cases)
          if (c->kernel == lab->kernel_name() && !s.unsupported[c->id] &&
              (!interleaved || round < c->params.integer("repetitions")))
            cases.push_back(c);
        if (cases.empty()) continue;
        if (interleaved)
          std::fprintf(stderr, "daxbench: %s: round %d of %d on kernel %s\n", spec.c_str(),
                       round + 1, rounds, lab->kernel_name().c_str());
        LabRunReport report = run_in_lab(*lab, s.config, cases, s.results, s.run_id, g_stop,
                                         lab_limits(cases), interleaved ? round : -1);
        for (const std::string& id : report.unsupported) s.unsupported[id] = true;
        s.progress.add_done(static_cast<int>(report.records));
        s.failed += static_cast<int>(report.failed_cases);
        ++boot_count;
        booting_s += std::max(report.boot_s, 0.0);
        boots[key].push_back(std::move(report));
        s.context["lab"][key] = to_json(boots[key]);
        s.results.write_context(s.context);
      }
    }
  }
  if (interleaved && boot_count > 0)
    std::fprintf(stderr, "daxbench: lab: %zu guest boots took %.0f s of booting\n", boot_count,
                 booting_s);
}

// Power cuts last: each boots its own guests (docs/crash.md, "The host side").
CrashOutcome run_crash_step(Session& s) {
  CrashOutcome crash;
  if (!s.config.crash.enabled || g_stop) return crash;
  std::map<std::string, Lab*> by_filesystem;
  for (const std::string& fs : s.config.crash.filesystems)
    by_filesystem[fs] = s.open.labs.at("lab:" + fs).front().get();  // the first kernel's
  crash = run_crash(s.config.crash, by_filesystem, s.results.path(), s.run_id, g_stop);
  s.failed += crash.failed_cells;
  s.context["crash"] = crash.context;
  s.results.write_context(s.context);
  return crash;
}

// Closes the run: tracefs, the summary and table, the end lines, the scratch files.
void finish(Session& s, const MicroOutcome& micro, const CrashOutcome& crash) {
  // Tracefs, if this run mounted it, is unmounted now that every counter is closed; the
  // context says so (results-schema.md, context.json `counters.tracefs.at_end`).
  if (const std::optional<std::string> tracefs = perf::release_tracefs()) {
    s.context["counters"]["tracefs"]["at_end"] = *tracefs;
    s.results.write_context(s.context);
  }
  s.results.write_summary();
  if (s.progress.done() > 0) s.results.print_table(stderr);
  for (const std::string& line : crash.lines) std::fprintf(stderr, "%s\n", line.c_str());
  for (const std::string& line : micro.lines) std::fprintf(stderr, "%s\n", line.c_str());
  for (auto& [spec, target] : s.open.targets) target->remove_scratch();
}

// The closing line and the folder's path; returns the exit code.
int report_end(const Session& s) {
  const double wall = s.progress.elapsed_s();
  if (g_stop) {
    std::fprintf(
        stderr,
        "daxbench: stopped by signal %d after %s; finished cases are in the results folder\n",
        g_signal.load(), clock_text(wall).c_str());
  } else {
    std::fprintf(stderr, "daxbench: %d case runs in %s%s\n", s.progress.done(),
                 clock_text(wall).c_str(),
                 s.failed ? (", " + std::to_string(s.failed) + " failed").c_str() : "");
  }
  std::cout << s.results.path().string() << std::endl;
  if (g_stop) return 128 + g_signal.load();
  return s.failed ? 1 : 0;
}

}  // namespace

int run_session(const Config& config, const RunOptions& options) {
  OpenTargets open;
  if (!open_targets(config, open)) return 2;
  std::string run_id;
  const std::unique_ptr<ResultsFolder> created = make_folder(config, options, run_id);
  if (!created) return 2;
  ResultsFolder& results = *created;
  nlohmann::ordered_json context =
      describe_context(config, open.facts, run_id, options.command_line);
  context["registry"] = registry_json();
  results.write_context(context);
  install_stop_handlers();

  const CaseSplit split = split_cases(config, open);
  Progress progress(split.local, options.only_repetition);
  Session s{config, options, open, results, run_id, progress, context};
  run_local(s, split.local);
  const MicroOutcome micro = run_micro_step(s);
  run_labs(s, split.in_lab);
  const CrashOutcome crash = run_crash_step(s);
  finish(s, micro, crash);
  return report_end(s);
}

}  // namespace daxbench
