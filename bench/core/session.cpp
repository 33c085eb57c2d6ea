// The run loop: repetitions outermost so slow drift (thermal, background) hits every mode
// alike; progress on stderr; SIGINT/SIGTERM finish cleanly.
#include "bench/core/session.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bench/core/context.h"
#include "bench/core/crash_run.h"
#include "bench/core/lab_run.h"
#include "bench/core/micro_run.h"
#include "bench/core/results.h"
#include "bench/core/runner.h"
#include "bench/counters/tracepoints.h"
#include "bench/fio/fio_case.h"
#include "bench/modes/mode.h"
#include "bench/targets/lab.h"
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

std::string clock_text(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

// A guess of a repetition's wall time, corrected by what the run has seen so far.
double expected_seconds(const CaseSpec& spec) {
  // A finite workload usually ends well before its duration_s, which only bounds it.
  const bool by_ops = spec.params.integer("ops") > 0 || (spec.workload->flags & kFinite);
  double seconds =
      spec.params.real("warmup_s") + (by_ops ? 0.3 : spec.params.real("duration_s")) + 0.05;
  if (spec.mode->measure_without_sync) seconds *= 2;
  // fio's run of the same case follows each repetition: its ramp, runtime and start-up.
  if (spec.fio) seconds += spec.params.real("warmup_s") + spec.params.real("duration_s") + 0.3;
  return seconds;
}

bool wants_companion(const CaseSpec& spec) {
  return spec.mode->measure_without_sync && spec.params.text("fault_sync") == "on";
}

// fsync-per-fault also runs with the sync removed: its fault cost is then the trap alone.
// Returns false if a signal interrupted the second run.
bool add_companion(const CaseSpec& spec, Target& target, const std::string& config_dir,
                   RepetitionResult& result) {
  CaseSpec without_sync = spec;
  ParamValue off;
  off.text = "off";
  without_sync.params.set("fault_sync", off);
  const RepetitionResult companion = run_repetition(without_sync, target, config_dir, g_stop);
  if (companion.status == "interrupted") return false;
  const Metric* trap = companion.metrics.find("fault_ns");
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
       "throughput of the same case with fault_sync off"});
  return true;
}

}  // namespace

int run_session(const Config& config, const RunOptions& options) {
  std::map<std::string, std::unique_ptr<Target>> targets;
  std::vector<const TargetFacts*> facts;
  try {
    for (const std::string& spec : config.targets) {
      auto target = open_target(spec);
      if (!target->facts().warning.empty())
        std::cerr << "daxbench: warning: " << spec << ": " << target->facts().warning << '\n';
      facts.push_back(&target->facts());
      targets.emplace(spec, std::move(target));
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
  results.write_context(context);
  install_stop_handlers();

  // Cases on the lab's targets run later, in a guest per target; the rest run here.
  std::vector<const CaseSpec*> local;
  std::map<std::string, std::vector<const CaseSpec*>> in_lab;
  for (const CaseSpec& c : config.cases) {
    if (targets.at(c.target)->lab())
      in_lab[c.target].push_back(&c);
    else
      local.push_back(&c);
  }

  int max_repetitions = 0;
  double expected_total = 0;
  int total_runs = 0;
  for (const CaseSpec* cp : local) {
    const CaseSpec& c = *cp;
    const int reps = static_cast<int>(c.params.integer("repetitions"));
    max_repetitions = std::max(max_repetitions, reps);
    total_runs += reps;
    expected_total += reps * expected_seconds(c);
  }

  const auto start = std::chrono::steady_clock::now();
  std::map<std::string, bool> unsupported;      // a case the target cannot run is recorded once
  std::map<std::string, bool> fio_unsupported;  // the same for a case fio cannot express
  int done = 0, failed = 0;
  double expected_done = 0;
  // A lab guest's console is a tty too, but its lines are relayed by the host: TERM=dumb.
  const char* term = std::getenv("TERM");
  const bool tty = isatty(STDERR_FILENO) && !(term && std::string_view(term) == "dumb");
  for (int rep = 0; rep < max_repetitions && !g_stop; ++rep) {
    for (const CaseSpec* cp : local) {
      const CaseSpec& c = *cp;
      if (g_stop) break;
      const int reps = static_cast<int>(c.params.integer("repetitions"));
      if (rep >= reps) continue;
      ++done;
      expected_done += expected_seconds(c);
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double pace = expected_done > expected_seconds(c)
                              ? elapsed / (expected_done - expected_seconds(c))
                              : 1.0;
      std::fprintf(
          stderr, "%s[%d/%d] %s rep %d/%d  elapsed %s  eta %s%s", tty ? "\r\033[K" : "", done,
          total_runs, c.id.c_str(), rep + 1, reps, clock_text(elapsed).c_str(),
          clock_text((expected_total - expected_done + expected_seconds(c)) * pace).c_str(),
          tty ? "" : "\n");
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
        std::fprintf(stderr, "%s[%d/%d] %s fio rep %d/%d%s", tty ? "\r\033[K" : "", done,
                     total_runs, c.id.c_str(), rep + 1, reps, tty ? "" : "\n");
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
  if (tty && done > 0) std::fputc('\n', stderr);

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
        run_in_lab(*targets.at(spec)->lab(), config, lab_cases, results, run_id, g_stop, limits);
    done += static_cast<int>(report.records);
    failed += static_cast<int>(report.failed_cases);
    context["lab"][spec] = to_json(report);
    results.write_context(context);
  }
  // Power cuts last: each boots its own guests (docs/crash.md, "The host side").
  CrashOutcome crash;
  if (config.crash.enabled && !g_stop) {
    std::map<std::string, LabTarget*> labs;
    for (const std::string& fs : config.crash.filesystems)
      labs[fs] = targets.at("lab:" + fs)->lab();
    crash = run_crash(config.crash, labs, results.path(), run_id, g_stop);
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
  if (done > 0) results.print_table(stderr);
  for (const std::string& line : crash.lines) std::fprintf(stderr, "%s\n", line.c_str());
  for (const std::string& line : micro.lines) std::fprintf(stderr, "%s\n", line.c_str());
  for (auto& [spec, target] : targets) target->remove_scratch();

  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (g_stop) {
    std::fprintf(
        stderr,
        "daxbench: stopped by signal %d after %s; finished cases are in the results folder\n",
        g_signal.load(), clock_text(wall).c_str());
  } else {
    std::fprintf(stderr, "daxbench: %d case runs in %s%s\n", done, clock_text(wall).c_str(),
                 failed ? (", " + std::to_string(failed) + " failed").c_str() : "");
  }
  std::cout << results.path().string() << std::endl;
  if (g_stop) return 128 + g_signal.load();
  return failed ? 1 : 0;
}

}  // namespace daxbench
