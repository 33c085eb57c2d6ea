// Runs daxbench-micro as a child process and turns its JSON into micro_summary.csv and the
// harness-overhead ratios.
#include "bench/run/micro_run.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>

#include "bench/base/child_process.h"
#include "bench/base/syscall_error.h"
#include "bench/flush/flush.h"
#include "bench/modes/mode.h"
#include "workloads/workload.h"

namespace daxbench {
namespace {

using json = nlohmann::ordered_json;

// The driver case a raw loop mirrors: random-update, 64 B, commit_every 1, uniform, one
// thread, on the micro run's target; sealed-extent with clwb (`auto` counts if it is clwb).
const CaseSpec* matching_case(const Config& config, const std::string& target,
                              std::string_view mode) {
  for (const CaseSpec& c : config.cases) {
    if (c.target != target || c.workload->name != "random-update" || c.mode->name != mode) continue;
    const ParamSet& p = c.params;
    if (p.size("record_size") != 64 || p.integer("commit_every") != 1 ||
        p.text("distribution") != "uniform" || p.integer("threads") != 1)
      continue;
    if (mode == "sealed-extent") {
      const FlushOps* best = best_flush();
      if (c.flush != "clwb" && !(c.flush == "auto" && best && best->name == "clwb")) continue;
    }
    return &c;
  }
  return nullptr;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string number_or_empty(const json& b, const char* key) {
  if (!b.contains(key) || !b[key].is_number()) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", b[key].get<double>());
  return buf;
}

// Runs the child with stdout and stderr in `log`; returns its exit status text, or "" for 0.
// A stop request (Ctrl-C) stops it: SIGTERM to its group, SIGKILL if it lingers.
std::string spawn_and_wait(const std::vector<std::string>& args, const std::filesystem::path& log,
                           const std::atomic<bool>& stop) {
  ChildOptions options;
  options.argv = args;
  options.out = ChildStream::kFile;
  options.err = ChildStream::kFile;
  options.file = log;
  try {
    ChildProcess child(options);
    child.run(std::nullopt, &stop, std::chrono::seconds(3));
    return child.exit().code == 0 ? "" : child.exit().text();
  } catch (const SyscallError& e) {
    return e.what();
  }
}

// The step's state, as its parts share it.
struct MicroRun {
  const Config& config;
  const std::filesystem::path& folder;
  const TargetFacts* host = nullptr;
  const CaseSpec* none_case = nullptr;    // the driver cases the raw loops mirror, if any
  const CaseSpec* sealed_case = nullptr;  //
  std::uint64_t working_set = 8ull << 20;
  MicroOutcome out{};
};

MicroOutcome fail(MicroOutcome& out, const std::string& why) {
  out.context["status"] = "failed: " + why;
  out.failed = true;
  std::fprintf(stderr, "daxbench: micro-benchmarks failed: %s\n", why.c_str());
  return out;
}

// Not inside the lab's guest (emulated): its flushes cost nothing, so its figures mean nothing.
const TargetFacts* host_target(const std::vector<const TargetFacts*>& facts) {
  for (const TargetFacts* f : facts)
    if ((f->kind == "file" || f->kind == "fsdax") && f->emulated.empty()) return f;
  return nullptr;
}

// The raw loops' driver cases, and the working set they run on (theirs, or 8 MiB).
void pick_cases(MicroRun& run) {
  run.none_case = matching_case(run.config, run.host->spec, "none");
  run.sealed_case = matching_case(run.config, run.host->spec, "sealed-extent");
  if (run.sealed_case)
    run.working_set = static_cast<std::uint64_t>(run.sealed_case->params.size("working_set"));
  else if (run.none_case)
    run.working_set = static_cast<std::uint64_t>(run.none_case->params.size("working_set"));
  run.out.context["working_set"] = run.working_set;
}

// Runs daxbench-micro, its JSON into `json_path`; returns why it failed, or "".
std::string launch_micro(MicroRun& run, const std::filesystem::path& json_path,
                         const std::atomic<bool>& stop) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::filesystem::path binary = self.parent_path() / "daxbench-micro";
  if (ec || !std::filesystem::exists(binary))
    return binary.string() + " not found (build the daxbench-micro target)";
  char min_time[32];
  std::snprintf(min_time, sizeof min_time, "%g", run.config.micro.min_time);
  const std::vector<std::string> args = {binary.string(),
                                         "--target",
                                         run.host->spec,
                                         "--set",
                                         run.config.micro.set,
                                         "--working-set",
                                         std::to_string(run.working_set),
                                         std::string("--benchmark_min_time=") + min_time,
                                         "--benchmark_out=" + json_path.string(),
                                         "--benchmark_out_format=json"};
  std::string command;
  for (const std::string& a : args) command += (command.empty() ? "" : " ") + a;
  run.out.context["command"] = command;
  std::fprintf(stderr, "daxbench: micro-benchmarks (%s set) on %s, log in micro.log\n",
               run.config.micro.set.c_str(), run.host->spec.c_str());
  if (const std::string why = spawn_and_wait(args, run.folder / "micro.log", stop); !why.empty())
    return why + " (see micro.log)";
  return "";
}

// What the raw loops measured, for the harness overhead.
struct RawLoops {
  std::size_t errors = 0;       // benchmarks skipped or failed
  std::optional<double> ns[2];  // ns per op: none, sealed-extent
};

// micro_summary.csv: one row per benchmark.
RawLoops write_summary_csv(const std::filesystem::path& folder, const json& benchmarks) {
  std::ofstream csv(folder / "micro_summary.csv");
  csv << "name,label,ns_per_op,tsc_per_op,ns_per_line,lines_flushed,fences,page_faults,status\n";
  RawLoops raw;
  for (const json& b : benchmarks) {
    const std::string name = b.value("name", "");
    const bool error = b.value("error_occurred", false);
    raw.errors += error;
    csv << csv_field(name) << ',' << csv_field(b.value("label", "")) << ','
        << number_or_empty(b, "ns_per_op") << ',' << number_or_empty(b, "tsc_per_op") << ','
        << number_or_empty(b, "ns_per_line") << ',' << number_or_empty(b, "lines_flushed") << ','
        << number_or_empty(b, "fences") << ',' << number_or_empty(b, "page_faults") << ','
        << csv_field(error ? b.value("error_message", "error") : "ok") << '\n';
    if (!error && b.contains("ns_per_op")) {
      if (name.starts_with("raw_loop/random-update/none/")) raw.ns[0] = b["ns_per_op"];
      if (name.starts_with("raw_loop/random-update/sealed-extent/")) raw.ns[1] = b["ns_per_op"];
    }
  }
  return raw;
}

// The driver's successful repetitions in this run's records: ops/s and flush per case.
struct DriverOps {
  std::map<std::string, std::vector<double>> ops;
  std::map<std::string, std::string> flush_of;
};

DriverOps read_driver_ops(const std::filesystem::path& folder) {
  DriverOps driver;
  std::ifstream records(folder / "records.jsonl");
  for (std::string line; std::getline(records, line);) {
    if (line.empty()) continue;
    const json r = json::parse(line, nullptr, false);
    if (r.is_discarded() || r.value("status", "") != "ok") continue;
    driver.ops[r.value("case_id", "")].push_back(r.value("ops_per_sec", 0.0));
    if (r.contains("flush") && r["flush"].is_string()) driver.flush_of[r["case_id"]] = r["flush"];
  }
  return driver;
}

// One mode's harness overhead: driver ops/s (the median over the case's repetitions) over
// the raw loop's ops/s; its line goes into the outcome's.
json overhead_entry(MicroRun& run, const char* mode, const CaseSpec* c,
                    const std::optional<double>& raw_ns, DriverOps& driver) {
  json entry;
  if (!c) {
    entry["status"] = "unavailable: the config has no random-update/" + std::string(mode) +
                      " case with record_size 64, commit_every 1, uniform, one thread on " +
                      run.host->spec;
  } else if (!driver.ops.contains(c->id) || !raw_ns) {
    entry["status"] = std::string("unavailable: ") +
                      (raw_ns ? "no successful driver repetition" : "raw loop did not run");
  } else {
    const double ops = median(driver.ops[c->id]);
    const double raw = 1e9 / *raw_ns;
    entry = {{"status", "ok"},         {"driver_case", c->id}, {"driver_ops_per_sec", ops},
             {"raw_ops_per_sec", raw}, {"ratio", ops / raw},   {"working_set", run.working_set}};
    if (driver.flush_of.contains(c->id)) entry["driver_flush"] = driver.flush_of[c->id];
    char text[512];
    std::snprintf(text, sizeof text,
                  "daxbench: harness overhead %s: driver %.0f ops/s / raw loop %.0f ops/s = %.3f",
                  c->id.c_str(), ops, raw, ops / raw);
    run.out.lines.push_back(text);
  }
  if (entry["status"] != "ok")
    run.out.lines.push_back("daxbench: harness overhead " + std::string(mode) + ": " +
                            entry["status"].get<std::string>());
  return entry;
}

// Turns micro.json into the context block, micro_summary.csv and the overhead; returns why
// it could not, or "".
std::string import_micro(MicroRun& run, const std::filesystem::path& json_path) {
  json& block = run.out.context;
  json micro;
  try {
    std::ifstream in(json_path);
    micro = json::parse(in);
  } catch (const std::exception& e) {
    return "micro.json: " + std::string(e.what());
  }
  const json& ctx = micro.value("context", json::object());
  // Debian's Google Benchmark is a debug build; what was timed is our code, built as below.
  block["library_build_type"] = ctx.value("library_build_type", "unknown");
  block["daxbench_build_type"] = ctx.value("daxbench_build_type", "unknown");
  const json& benchmarks = micro.value("benchmarks", json::array());
  block["benchmarks"] = benchmarks.size();
  const RawLoops raw = write_summary_csv(run.folder, benchmarks);
  block["skipped_or_failed"] = raw.errors;
  DriverOps driver = read_driver_ops(run.folder);
  json overhead = json::object();
  overhead["none"] = overhead_entry(run, "none", run.none_case, raw.ns[0], driver);
  overhead["sealed-extent"] =
      overhead_entry(run, "sealed-extent", run.sealed_case, raw.ns[1], driver);
  block["harness_overhead"] = overhead;
  block["status"] = "ok";
  return "";
}

}  // namespace

MicroOutcome run_micro(const Config& config, const std::vector<const TargetFacts*>& facts,
                       const std::filesystem::path& folder, const std::atomic<bool>& stop) {
  MicroRun run{config, folder};
  json& block = run.out.context;
  run.host = host_target(facts);
  block["set"] = config.micro.set;
  block["min_time"] = config.micro.min_time;
  if (!run.host) {
    block["status"] = "skipped: no file: or fsdax: target on this host (not emulated)";
    return run.out;
  }
  block["target"] = run.host->spec;
  pick_cases(run);
  const std::filesystem::path json_path = folder / "micro.json";
  std::string why = launch_micro(run, json_path, stop);
  if (why.empty()) why = import_micro(run, json_path);
  if (!why.empty()) return fail(run.out, why);
  return run.out;
}

}  // namespace daxbench
