// One guest per lab target and run: the guest runs the same binary on the same config (the
// host's root is its read-only root), restricted to that target, and writes its records into
// the job folder, which the host then folds into its own results folder. A guest that never
// gets ready, panics, hangs or goes silent costs a timeout, never the run.
#include "bench/lab/host/lab_run.h"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "bench/lab/protocol.h"
#include "bench/results/context.h"
#include "bench/results/results_folder.h"

namespace daxbench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using json = nlohmann::ordered_json;

}  // namespace

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string driver_binary() {
  std::string self = fs::read_symlink("/proc/self/exe").string();
  if (self.ends_with(" (deleted)"))
    self.resize(self.size() - std::string_view(" (deleted)").size());
  return self;
}

namespace {

// The guest runs this with /bin/sh: the host's own build, the config by absolute path.
void write_job(const fs::path& job, const Config& config, const std::string& target,
               const std::string& run_id) {
  fs::path config_path = fs::absolute(config.path);
  if (config.path == "-" || !fs::is_regular_file(config_path)) {
    config_path = job / "config.yaml";
    std::ofstream(config_path) << config.text;
  }
  std::ofstream script(job / "job.sh");
  script << "#!/bin/sh\n"
         << "# Written by daxbench: the lab guest runs the host's build on " << target << ".\n"
         << "TERM=dumb exec " << shell_quote(driver_binary()) << " run --config "
         << shell_quote(config_path.string()) << " --target " << shell_quote(target) << " --out "
         << shell_quote((job / "out").string()) << " --run-id " << shell_quote(run_id) << "\n";
  script.close();
  fs::permissions(job / "job.sh", fs::perms::owner_all, fs::perm_options::add);
}

}  // namespace

LabRunReport run_in_lab(Lab& lab, const Config& config, const std::vector<const CaseSpec*>& cases,
                        ResultsFolder& results, const std::string& run_id,
                        const std::atomic<bool>& stop, const LabRunLimits& limits) {
  LabRunReport report;
  const std::string spec = lab.facts().spec;
  auto record_all = [&](const std::string& status, const std::string& reason) {
    for (const CaseSpec* c : cases) {
      RepetitionResult r;
      r.status = status;
      r.reason = reason;
      r.emulated = report.accel;
      results.append_record(*c, r, run_id, 0);
    }
  };
  if (const Lab::Problem& problem = lab.problem(); !problem.empty()) {
    report.status = problem.status + ": " + problem.reason;
    record_all(problem.status, "lab: " + problem.reason);
    if (problem.status == "failed") report.failed_cases = cases.size();
    return report;
  }

  const fs::path job = results.path() / ("lab-" + lab.kind());
  report.job_dir = job.filename().string();
  fs::create_directories(job);
  write_job(job, config, spec, run_id);
  const fs::path pmem_folder = lab.make_pmem_folder();
  const auto start = Clock::now();
  std::unique_ptr<ChildProcess> guest;
  try {
    guest = lab.launch(job, pmem_folder / "pmem.img", job / "console.log");
  } catch (const TargetError& e) {
    fs::remove_all(pmem_folder);
    report.status = std::string("failed: ") + e.what();
    record_all("failed", std::string("lab: ") + e.what());
    return report;
  }

  std::string problem;
  bool ready = false;
  auto seconds_since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  // True at READY, so the wait below starts watching for silence instead of the boot.
  auto take_line = [&](const std::string& line) {
    const auto [word, rest] = lab_marker(line);
    if (word == "ACCEL") {
      report.accel = rest;
    } else if (word == "READY") {
      ready = true;
      report.boot_s = seconds_since(start);
      std::cerr << "daxbench: " << spec << ": guest ready in " << report.boot_s << " s (" << rest
                << ")\n";
      return true;
    } else if (word == "EXIT") {
      report.guest_exit = std::atoi(rest.c_str());
    } else if (word == "FAILED") {
      problem = "the guest reported: " + rest;
    } else if (ready && (line.starts_with("[") || line.find("daxbench") != std::string::npos)) {
      // Progress, warnings and kernel messages; the guest's own end table stays in the log.
      std::cerr << "  " << spec << " | " << line << '\n';
    }
    return false;
  };

  const auto boot =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(limits.boot_s));
  const auto silence =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(limits.silence_s));
  bool killed = false;
  for (;;) {
    const auto deadline = ready ? guest->last_output() + silence : start + boot;
    const ChildProcess::Until until = guest->wait(deadline, &stop, take_line);
    if (until == ChildProcess::Until::kExit) break;  // QEMU exited
    std::string why;
    if (until == ChildProcess::Until::kStop)
      why = "interrupted";
    else if (!ready && seconds_since(start) > limits.boot_s)
      why = "the guest was not ready within " + std::to_string(int(limits.boot_s)) + " s";
    else if (ready && seconds_since(guest->last_output()) > limits.silence_s)
      why = "the guest printed nothing for " + std::to_string(int(limits.silence_s)) +
            " s (hung, or QEMU paused on an internal error)";
    if (!why.empty()) {
      if (why != "interrupted") problem = why;
      guest->kill(take_line);  // the guest's state is disposable
      killed = true;
      break;
    }
  }
  report.wall_s = seconds_since(start);
  std::error_code ignored;
  fs::remove_all(pmem_folder, ignored);

  if (problem.empty() && !stop.load()) {
    if (!ready)
      problem = "QEMU exited before the guest was ready (" + guest->exit().text() + ")";
    else if (report.guest_exit < 0)
      problem = "the guest stopped before its job finished (kernel panic or power-off)";
  }

  // Fold in every whole record the guest wrote for one of our cases; a line cut short by
  // the guest's end is not a record.
  std::map<std::string, const CaseSpec*> by_id;
  for (const CaseSpec* c : cases) by_id[c->id] = c;
  std::map<std::string, int> seen;
  std::set<std::string> unsupported;
  std::ifstream records(job / "out" / "records.jsonl");
  for (std::string line; std::getline(records, line);) {
    json record = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (record.is_discarded() || !record.is_object() || !record.contains("case_id") ||
        record.value("schema_version", 0) != kSchemaVersion)
      continue;
    const std::string id = record["case_id"].get<std::string>();
    if (!by_id.count(id)) continue;
    // fio's records of a case ride along; only daxbench's count as the case's repetitions.
    if (record.value("tool", "daxbench") != "fio") {
      ++seen[id];
      if (record.value("status", "") == "unsupported") unsupported.insert(id);
    }
    results.append_json(std::move(record));
    ++report.records;
  }
  std::ifstream guest_context(job / "out" / "context.json");
  if (guest_context) report.guest_context = json::parse(guest_context, nullptr, false);
  if (report.guest_context.is_discarded()) report.guest_context = nullptr;

  if (stop.load() && problem.empty()) {
    report.status = "interrupted";
    return report;
  }
  if (problem.empty() && report.guest_exit > 0)
    problem = "the guest's daxbench exited " + std::to_string(report.guest_exit);
  if (!problem.empty()) {
    const std::string reason =
        "lab guest: " + problem + "; last console lines: " + guest->tail_lines(" | ");
    // A case the guest did not finish gets one failed record at its first missing repetition.
    for (const CaseSpec* c : cases) {
      const int wanted = static_cast<int>(c->params.integer("repetitions"));
      if (unsupported.count(c->id) || seen[c->id] >= wanted) continue;
      RepetitionResult r;
      r.status = "failed";
      r.reason = reason;
      r.emulated = report.accel;
      results.append_record(*c, r, run_id, seen[c->id]);
      ++report.failed_cases;
    }
    report.status = "failed: " + problem;
    std::cerr << "daxbench: " << spec << ": " << problem
              << " (console: " << (job / "console.log").string() << ")\n";
  } else {
    report.status = killed ? "interrupted" : "ok";
  }
  return report;
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

nlohmann::ordered_json to_json(const LabRunReport& report) {
  return {{"status", report.status},
          {"accel", report.accel.empty() ? json(nullptr) : json(report.accel)},
          {"boot_s", report.boot_s >= 0 ? json(report.boot_s) : json(nullptr)},
          {"wall_s", report.wall_s},
          {"guest_exit", report.guest_exit},
          {"records", report.records},
          {"failed_cases", report.failed_cases},
          {"job_dir", report.job_dir},
          {"console_log",
           report.job_dir.empty() ? json(nullptr) : json(report.job_dir + "/console.log")},
          {"guest_context", report.guest_context}};
}

}  // namespace daxbench
