// One guest per lab target and run: the guest runs the same binary on the same config (the
// host's root is its read-only root), restricted to that target, and writes its records into
// the job folder, which the host then folds into its own results folder. A guest that never
// gets ready, panics, hangs or goes silent costs a timeout, never the run.
#include "bench/lab/host/lab_run.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "bench/lab/host/model_boot.h"
#include "bench/lab/observed.h"
#include "bench/lab/protocol.h"
#include "bench/results/context.h"
#include "bench/results/record_json.h"
#include "bench/results/results_folder.h"
#include "bench/targets/lab.h"

namespace daxbench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using json = nlohmann::ordered_json;

}  // namespace

std::string driver_binary() {
  std::string self = fs::read_symlink("/proc/self/exe").string();
  if (self.ends_with(" (deleted)"))
    self.resize(self.size() - std::string_view(" (deleted)").size());
  return self;
}

namespace {

// Where a guest under the model finds its observed counts: in the job folder, which the guest
// mounts without a page cache.
fs::path observed_counts_file(const fs::path& job) {
  return job / "observed-counts";
}

// The guest runs this with /bin/sh: the host's own build, the config by absolute path.
// `lab: {model: true}` tells the driver there where the observed counts are, or why none.
// Paths are absolute: the guest's job runs in the job folder, not in the host's cwd (a
// relative --out would put the guest's records one folder too deep, where nobody looks).
// `model_problem`: why the model cannot run for this kind, empty when it can.
void write_job(const fs::path& relative_job, const Config& config, const std::string& target,
               const std::vector<const CaseSpec*>& cases, int repetition, const std::string& run_id,
               const std::string& model_problem) {
  const fs::path job = fs::absolute(relative_job);
  fs::path config_path = fs::absolute(config.path);
  if (config.path == "-" || !fs::is_regular_file(config_path)) {
    config_path = job / "config.yaml";
    std::ofstream(config_path) << config.text;
  }
  // Exactly the host's cases: one kernel's of the target, never its neighbours'.
  std::ofstream listed(job / "cases.txt");
  for (const CaseSpec* c : cases) listed << c->id << '\n';
  listed.close();
  std::ofstream script(job / "job.sh");
  script << "#!/bin/sh\n"
         << "# Written by daxbench: the lab guest runs the host's build on " << target << ".\n";
  // The guest parses the same config: a `~/` in it (a kernel's build tree) must mean the
  // host's home there too, whatever lab/init set.
  if (const char* home = std::getenv("HOME")) script << "export HOME=" << shell_quote(home) << "\n";
  if (config.lab.model) {
    if (model_problem.empty())
      script << "export " << lab::kEnvObservedCounts << "="
             << shell_quote(observed_counts_file(job).string()) << "\n";
    else
      script << "export " << lab::kEnvObservedProblem << "="
             << shell_quote("ENOENT (" + model_problem + ")") << "\n";
  }
  script << "TERM=dumb exec " << shell_quote(driver_binary()) << " run --config "
         << shell_quote(config_path.string()) << " --target " << shell_quote(target) << " --out "
         << shell_quote((job / "out").string()) << " --run-id " << shell_quote(run_id)
         << " --cases " << shell_quote((job / "cases.txt").string())
         << (repetition >= 0 ? " --repetition " + std::to_string(repetition) : "") << "\n";
  script.close();
  fs::permissions(job / "job.sh", fs::perms::owner_all, fs::perm_options::add);
}

}  // namespace

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// One lab target's run, as its steps share it.
struct LabRun {
  Lab& lab;
  const std::vector<const CaseSpec*>& cases;
  ResultsFolder& results;
  const std::string& run_id;
  const std::atomic<bool>& stop;
  const LabRunLimits& limits;
  int repetition;  // -1: every repetition in this boot
  std::string spec;
  LabRunReport report{};
  fs::path job{}, pmem_folder{};
  Clock::time_point start{};
  std::unique_ptr<ChildProcess> guest{};
  std::string problem{};  // why the guest's run failed; empty: it did not
  bool ready = false, killed = false;
};

// What the guest booted, which only the host knows (the guest knows the kernel's name).
void stamp_kernel(const LabRun& run, json& record) {
  if (!run.lab.kernel_facts().is_null()) record["kernel"] = run.lab.kernel_facts();
}

// A record the host writes for the guest (it never got to), with the kernel it was to boot.
void append_for_guest(LabRun& run, const CaseSpec& c, const RepetitionResult& r, int repetition) {
  json record = record_json(c, r, run.run_id, repetition);
  stamp_kernel(run, record);
  run.results.append_json(std::move(record));
}

void record_all(LabRun& run, Status status, const std::string& reason) {
  for (const CaseSpec* c : run.cases) {
    RepetitionResult r;
    r.status = status;
    r.reason = reason;
    r.emulated = run.report.accel;
    append_for_guest(run, *c, r, std::max(run.repetition, 0));
  }
}

// Writes the job and boots the guest; false (every case recorded failed) if it cannot boot.
bool start_guest(LabRun& run, const Config& config) {
  std::string name = "lab-" + run.lab.kind();
  if (!run.lab.kernel_name().empty()) name += "-" + run.lab.kernel_name();
  if (run.repetition >= 0) name += "-r" + std::to_string(run.repetition + 1);
  run.job = run.results.path() / name;
  run.report.job_dir = run.job.filename().string();
  fs::create_directories(run.job);
  // A virtio-pmem kind has no NVDIMM for the model to track, and its own persistence.
  const std::string_view fixed = lab_kind_fixed_persistence(run.lab.kind());
  const std::string model_problem =
      fixed.empty() ? persistence_model_build().problem
                    : "the persistence model does not apply to lab:" + run.lab.kind() +
                          " (virtio-pmem: no NVDIMM range to track)";
  write_job(run.job, config, run.spec, run.cases, run.repetition, run.run_id, model_problem);
  run.pmem_folder = run.lab.make_pmem_folder();
  // Under the model (lab: {model: true}) even a run with no power cut needs a durable image:
  // beside the pmem file, so it goes with the pmem folder.
  const std::string persistence = fixed.empty() ? config.lab.persistence : std::string(fixed);
  std::vector<std::string> launch_args = {"--persistence", persistence};
  if (config.lab.model && model_problem.empty()) {
    const std::vector<std::string> model_args =
        model_launch_args(run.pmem_folder / "durable.img", run.job / "model-stats.json",
                          observed_counts_file(fs::absolute(run.job)));
    launch_args.insert(launch_args.end(), model_args.begin(), model_args.end());
    run.report.model = true;
  }
  run.report.persistence = persistence;
  run.start = Clock::now();
  try {
    run.guest =
        run.lab.launch(run.job, run.pmem_folder / "pmem.img", run.job / "console.log", launch_args);
  } catch (const TargetError& e) {
    fs::remove_all(run.pmem_folder);
    run.report.status = std::string("failed: ") + e.what();
    record_all(run, Status::kFailed, std::string("lab: ") + e.what());
    return false;
  }
  return true;
}

// One console line. True at READY, so the wait starts watching for silence instead of the boot.
bool take_line(LabRun& run, const std::string& line) {
  const auto [word, rest] = lab_marker(line);
  if (word == "ACCEL") {
    run.report.accel = rest;
  } else if (word == "READY") {
    run.ready = true;
    run.report.boot_s = seconds_since(run.start);
    std::cerr << "daxbench: " << run.spec << ": guest ready in " << run.report.boot_s << " s ("
              << rest << ")\n";
    return true;
  } else if (word == "EXIT") {
    run.report.guest_exit = std::atoi(rest.c_str());
  } else if (word == "FAILED") {
    run.problem = "the guest reported: " + rest;
  } else if (run.ready && (line.starts_with("[") || line.find("daxbench") != std::string::npos)) {
    // Progress, warnings and kernel messages; the guest's own end table stays in the log.
    std::cerr << "  " << run.spec << " | " << line << '\n';
  }
  return false;
}

// Why the guest must be killed now: "interrupted", a timeout's text, or "" to keep waiting.
std::string why_kill(const LabRun& run, ChildProcess::Until until) {
  const LabRunLimits& limits = run.limits;
  if (until == ChildProcess::Until::kStop) return "interrupted";
  if (!run.ready && seconds_since(run.start) > limits.boot_s)
    return "the guest was not ready within " + std::to_string(int(limits.boot_s)) + " s";
  if (run.ready && seconds_since(run.guest->last_output()) > limits.silence_s)
    return "the guest printed nothing for " + std::to_string(int(limits.silence_s)) +
           " s (hung, or QEMU paused on an internal error)";
  return "";
}

// Relays the guest's console until QEMU exits, a deadline passes or `stop` is set.
void watch_guest(LabRun& run) {
  const auto boot =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(run.limits.boot_s));
  const auto silence = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(run.limits.silence_s));
  const ChildProcess::LineFn on_line = [&run](const std::string& line) {
    return take_line(run, line);
  };
  for (;;) {
    const auto deadline = run.ready ? run.guest->last_output() + silence : run.start + boot;
    const ChildProcess::Until until = run.guest->wait(deadline, &run.stop, on_line);
    if (until == ChildProcess::Until::kExit) break;  // QEMU exited
    if (const std::string why = why_kill(run, until); !why.empty()) {
      if (why != "interrupted") run.problem = why;
      run.guest->kill(on_line);  // the guest's state is disposable
      run.killed = true;
      break;
    }
  }
  run.report.wall_s = seconds_since(run.start);
  std::error_code ignored;
  fs::remove_all(run.pmem_folder, ignored);
  if (run.problem.empty() && !run.stop.load()) {
    if (!run.ready)
      run.problem = "QEMU exited before the guest was ready (" + run.guest->exit().text() + ")";
    else if (run.report.guest_exit < 0)
      run.problem = "the guest stopped before its job finished (kernel panic or power-off)";
  }
}

// What the guest's records said of each case: daxbench repetitions seen, unsupported ones.
struct Imported {
  std::map<std::string, int> seen;
  std::set<std::string> unsupported;
};

// Folds in every whole record the guest wrote for one of our cases; a line cut short by the
// guest's end is not a record. Then the guest's own context.
Imported import_records(LabRun& run) {
  std::map<std::string, const CaseSpec*> by_id;
  for (const CaseSpec* c : run.cases) by_id[c->id] = c;
  Imported imported;
  std::ifstream records(run.job / "out" / "records.jsonl");
  for (std::string line; std::getline(records, line);) {
    json record = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (record.is_discarded() || !record.is_object() || !record.contains("case_id") ||
        record.value("schema_version", 0) != kSchemaVersion)
      continue;
    const std::string id = record["case_id"].get<std::string>();
    if (!by_id.count(id)) continue;
    // fio's records of a case ride along; only daxbench's count as the case's repetitions.
    if (record.value("tool", "daxbench") != "fio") {
      ++imported.seen[id];
      if (record.value("status", "") == "unsupported") imported.unsupported.insert(id);
      stamp_kernel(run, record);
    }
    run.results.append_json(std::move(record));
    ++run.report.records;
  }
  std::ifstream guest_context(run.job / "out" / "context.json");
  LabRunReport& report = run.report;
  if (guest_context) report.guest_context = json::parse(guest_context, nullptr, false);
  if (report.guest_context.is_discarded()) report.guest_context = nullptr;
  return imported;
}

// A case the guest did not finish gets one failed record at its first missing repetition.
void record_unfinished(LabRun& run, Imported& imported) {
  const std::string reason =
      "lab guest: " + run.problem + "; last console lines: " + run.guest->tail_lines(" | ");
  for (const CaseSpec* c : run.cases) {
    // A round's boot owes each case one repetition, its round's.
    const int wanted = run.repetition >= 0 ? 1 : static_cast<int>(c->params.integer("repetitions"));
    if (imported.unsupported.count(c->id) || imported.seen[c->id] >= wanted) continue;
    RepetitionResult r;
    r.status = Status::kFailed;
    r.reason = reason;
    r.emulated = run.report.accel;
    append_for_guest(run, *c, r, std::max(run.repetition, 0) + imported.seen[c->id]);
    ++run.report.failed_cases;
  }
  run.report.status = "failed: " + run.problem;
  std::cerr << "daxbench: " << run.spec << ": " << run.problem
            << " (console: " << (run.job / "console.log").string() << ")\n";
}

}  // namespace

LabRunReport run_in_lab(Lab& lab, const Config& config, const std::vector<const CaseSpec*>& cases,
                        ResultsFolder& results, const std::string& run_id,
                        const std::atomic<bool>& stop, const LabRunLimits& limits, int repetition) {
  LabRun run{lab, cases, results, run_id, stop, limits, repetition, lab.facts().spec};
  run.report.repetition = repetition;
  run.report.kernel = lab.kernel_facts();
  if (const Lab::Problem& problem = lab.problem(); !problem.empty()) {
    run.report.status = std::string(to_string(problem.status)) + ": " + problem.reason;
    record_all(run, problem.status, "lab: " + problem.reason);
    if (problem.status == Status::kFailed) run.report.failed_cases = cases.size();
    return run.report;
  }
  if (!start_guest(run, config)) return run.report;
  watch_guest(run);
  Imported imported = import_records(run);
  run.report.unsupported.assign(imported.unsupported.begin(), imported.unsupported.end());
  if (stop.load() && run.problem.empty()) {
    run.report.status = "interrupted";
    return run.report;
  }
  if (run.problem.empty() && run.report.guest_exit > 0)
    run.problem = "the guest's daxbench exited " + std::to_string(run.report.guest_exit);
  if (!run.problem.empty())
    record_unfinished(run, imported);
  else
    run.report.status = run.killed ? "interrupted" : "ok";
  return run.report;
}

std::pair<std::string, std::string> lab_marker(const std::string& line) {
  static const std::string kPrefix = std::string(lab::kLabMarker) + " ";
  const std::size_t at = line.find(kPrefix);
  if (at == std::string::npos) return {};
  const std::string rest = line.substr(at + kPrefix.size());
  const std::size_t space = rest.find(' ');
  if (space == std::string::npos) return {rest, ""};
  return {rest.substr(0, space), rest.substr(space + 1)};
}

std::string lab_context_key(const std::string& spec, const std::string& kernel) {
  return kernel.empty() ? spec : spec + " kernel=" + kernel;
}

namespace {

json boot_json(const LabRunReport& report) {
  return {{"repetition", report.repetition >= 0 ? json(report.repetition) : json(nullptr)},
          {"status", report.status},
          {"boot_s", report.boot_s >= 0 ? json(report.boot_s) : json(nullptr)},
          {"wall_s", report.wall_s},
          {"records", report.records},
          {"failed_cases", report.failed_cases},
          {"job_dir", report.job_dir},
          {"console_log",
           report.job_dir.empty() ? json(nullptr) : json(report.job_dir + "/console.log")}};
}

}  // namespace

nlohmann::ordered_json to_json(const std::vector<LabRunReport>& boots) {
  const LabRunReport& first = boots.front();
  // The worst boot speaks for the block: a failed round is not hidden by an ok one.
  std::string status = "ok";
  double wall_s = 0;
  std::size_t records = 0, failed_cases = 0;
  json rounds = json::array();
  const LabRunReport* described = &first;  // the first boot whose guest wrote its context
  for (const LabRunReport& boot : boots) {
    if (status == "ok" && boot.status != "ok") status = boot.status;
    wall_s += boot.wall_s;
    records += boot.records;
    failed_cases += boot.failed_cases;
    rounds.push_back(boot_json(boot));
    if (described->guest_context.is_null() && !boot.guest_context.is_null()) described = &boot;
  }
  return {{"status", status},
          {"accel", first.accel.empty() ? json(nullptr) : json(first.accel)},
          {"model", first.model},
          {"persistence", first.persistence},
          {"kernel", first.kernel},
          {"boot_s", rounds.front()["boot_s"]},
          {"wall_s", wall_s},
          {"guest_exit", boots.back().guest_exit},
          {"records", records},
          {"failed_cases", failed_cases},
          {"job_dir", first.job_dir},
          {"console_log", rounds.front()["console_log"]},
          {"rounds", rounds},
          {"guest_context", described->guest_context}};
}

}  // namespace daxbench
