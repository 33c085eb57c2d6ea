// Power cuts, host side. One boot group is (filesystem, mode): every cell of one mode shares a
// guest, never two modes, because any sync commits the journal for every file of that
// filesystem and would hide what an unsafe control loses.
#include "bench/lab/host/crash_run.h"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>

#include "bench/base/rng.h"
#include "bench/lab/host/lab_run.h"
#include "bench/lab/protocol.h"
#include "bench/results/context.h"
#include "bench/targets/target.h"

namespace daxbench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using json = nlohmann::ordered_json;

constexpr double kWriterBootS = 180;   // QEMU start to WRITERS-STARTED
constexpr double kCheckerBootS = 300;  // QEMU start to power-off after crash-check
constexpr std::size_t kConsoleTail = 15;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// A guest's console: logged whole, split into lines, its last lines kept for reasons.
class Console {
 public:
  Console(int fd, const fs::path& log) : fd_(fd), log_(log) {}
  ~Console() { close(fd_); }
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  enum class Until { kLine, kTime, kEof, kStop };
  // Reads for up to `seconds`, handing each line to `done` until it returns true.
  Until read(double seconds, const std::atomic<bool>& stop,
             const std::function<bool(const std::string&)>& done) {
    const auto start = Clock::now();
    for (;;) {
      if (stop.load()) return Until::kStop;
      const double left = seconds - seconds_since(start);
      if (left <= 0) return Until::kTime;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(std::min(left * 1000, 250.0)) + 1) <= 0) continue;
      char buffer[4096];
      const ssize_t got = ::read(fd_, buffer, sizeof buffer);
      if (got <= 0) {
        if (!partial_.empty()) take(partial_);
        partial_.clear();
        return Until::kEof;
      }
      log_.write(buffer, got);
      log_.flush();
      partial_.append(buffer, static_cast<std::size_t>(got));
      bool matched = false;
      for (std::size_t nl; (nl = partial_.find('\n')) != std::string::npos;) {
        const std::string line = take(partial_.substr(0, nl));
        partial_.erase(0, nl + 1);
        if (!matched && done && done(line)) matched = true;
      }
      if (matched) return Until::kLine;
    }
  }

  std::string tail() const {
    std::string out;
    for (const std::string& line : tail_) out += (out.empty() ? "" : " | ") + line;
    return out;
  }

 private:
  std::string take(std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    tail_.push_back(line);
    if (tail_.size() > kConsoleTail) tail_.pop_front();
    return line;
  }

  int fd_;
  std::ofstream log_;
  std::string partial_;
  std::deque<std::string> tail_;
};

struct Cell {
  std::string id;  // manifest id: workload/mode/file_state[/write-<placement>]
  std::string workload, mode, file_state;
  std::string placement;  // of a concurrent writer; empty: none
};

struct Group {
  std::string filesystem, mode;
  std::vector<Cell> cells;
};

std::vector<Group> make_groups(const CrashConfig& config) {
  std::vector<Group> groups;
  for (const std::string& filesystem : config.filesystems)
    for (const std::string& mode : config.modes) {
      Group group{filesystem, mode, {}};
      for (const std::string& state : config.file_states) {
        // sealed-extent prepares its own file: the writer takes only `zeroed` for it.
        if (mode == "sealed-extent" && state != "zeroed") continue;
        for (const std::string& workload : config.workloads)
          group.cells.push_back({workload + "/" + mode + "/" + state, workload, mode, state, ""});
        // Concurrency cells join their mode's group: the second process never syncs, so it
        // adds nothing another cell of the group would not see anyway.
        if (std::ranges::find(config.concurrent_modes, mode) == config.concurrent_modes.end())
          continue;
        for (const std::string& workload : config.concurrent_workloads)
          for (const std::string& placement : config.concurrent_placements)
            group.cells.push_back({workload + "/" + mode + "/" + state + "/write-" + placement,
                                   workload, mode, state, placement});
      }
      if (!group.cells.empty()) groups.push_back(std::move(group));
    }
  return groups;
}

std::string cell_key(const Group& group, const Cell& cell) {
  return cell.workload + "/" + cell.mode + "/lab:" + group.filesystem + "/" + cell.file_state +
         (cell.placement.empty() ? "" : "/write-" + cell.placement);
}

// What one cut of one group saw, before it becomes records.
struct CutRun {
  std::string problem;  // a harness failure: boot, timeout, no check output
  std::string journal;  // the writer boot's READY journal=... text
  std::string accel;    // tcg | kvm, from the launcher's ACCEL marker
  std::map<std::string, std::string> unsupported;  // manifest id -> reason
  std::map<std::string, json> checked;             // manifest id -> crash-check's object
  bool interrupted = false;
};

std::string ack_reason(const fs::path& ack) {
  std::ifstream in(ack.string() + ".status");
  const json status = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!status.is_object()) return "the writer gave no reason";
  return status.value("reason", std::string("the writer gave no reason"));
}

void write_script(const fs::path& path, const std::string& command) {
  std::ofstream script(path);
  script << "#!/bin/sh\n# Written by daxbench: one boot of a power-cut test.\nexport TERM=dumb\n"
         << command << "\n";
  script.close();
  fs::permissions(path, fs::perms::owner_all, fs::perm_options::add);
}

CutRun run_cut(Lab& lab, const fs::path& job, const json& manifest, double delay_s,
               const std::atomic<bool>& stop) {
  CutRun cut;
  const fs::path manifest_path = job / "manifest.json";
  std::ofstream(manifest_path) << manifest.dump(2) << '\n';
  const std::string binary = shell_quote(driver_binary());
  const std::vector<std::string> journal_long = {"--journal", "long"};

  fs::path pmem_folder;
  try {
    pmem_folder = lab.make_pmem_folder();
  } catch (const TargetError& e) {
    cut.problem = e.what();
    return cut;
  }
  const fs::path pmem = pmem_folder / "pmem.img";
  auto finish = [&] {
    std::error_code ignored;
    fs::remove_all(pmem_folder, ignored);
  };

  // Boot 1: the writers, then the power cut.
  // Writers that finish first (a full file) must not end the boot: lab/init would unmount
  // and sync, and the cut would find everything durable. The guest idles until the cut.
  write_script(job / "job.sh", binary + " crash-writer --manifest " +
                                   shell_quote(manifest_path.string()) + "\necho \"" +
                                   std::string(lab::kWriterExit) + " $?\"\nexec sleep 3600");
  GuestProcess guest;
  try {
    guest = lab.launch(job, pmem, journal_long);
  } catch (const TargetError& e) {
    cut.problem = std::string("launch: ") + e.what();
    finish();
    return cut;
  }
  {
    Console console(guest.console_fd, job / "console-writer.log");
    bool started = false;
    std::string failed;
    const auto until = console.read(kWriterBootS, stop, [&](const std::string& line) {
      const auto [word, rest] = lab_marker(line);
      if (word == "ACCEL") cut.accel = rest;
      if (word == "READY") {
        const std::size_t at = rest.find("journal=");
        if (at != std::string::npos) {
          const std::size_t end = rest.find(" uptime=", at);
          cut.journal = rest.substr(at + 8, end == std::string::npos ? end : end - at - 8);
        }
      } else if (word == "FAILED" || word == "EXIT" ||
                 line.find(lab::kWriterExit) != std::string::npos) {
        failed = "the writers ended before they started (" + line + ")";
        return true;
      }
      static const std::string kNotStarted = std::string(lab::kCellNotStarted) + " ";
      if (const std::size_t at = line.find(kNotStarted); at != std::string::npos) {
        const std::string rest2 = line.substr(at + kNotStarted.size());
        const std::string id = rest2.substr(0, rest2.find(' '));
        for (const json& c : manifest["cells"])
          if (c["id"] == id) cut.unsupported[id] = ack_reason(c["ack"].get<std::string>());
      }
      if (line.find(lab::kWritersStarted) != std::string::npos) {
        started = true;
        return true;
      }
      return false;
    });
    if (until == Console::Until::kStop) {
      cut.interrupted = true;
    } else if (!started) {
      cut.problem = !failed.empty()                  ? failed
                    : until == Console::Until::kTime ? "the writers did not start within " +
                                                           std::to_string(int(kWriterBootS)) + " s"
                                                     : "QEMU exited before the writers started";
      cut.problem += "; last console lines: " + console.tail();
    } else {
      // The cut: keep logging the console meanwhile; a writer boot that ends by itself
      // powered off cleanly, which is no power cut.
      std::string ended;
      const auto slept = console.read(delay_s, stop, [&](const std::string& line) {
        const auto [word, rest] = lab_marker(line);
        if (word == "EXIT" || word == "FAILED") ended = word + " " + rest;
        return !ended.empty();
      });
      if (slept == Console::Until::kStop) cut.interrupted = true;
      if (!ended.empty() || slept == Console::Until::kEof)
        cut.problem = "the writer boot ended before the cut (" +
                      (ended.empty() ? std::string("QEMU exited") : ended) +
                      "); last console lines: " + console.tail();
    }
    stop_lab_guest(guest.pid);
    int status = 0;
    waitpid(guest.pid, &status, 0);
  }
  if (!cut.problem.empty() || cut.interrupted) {
    finish();
    return cut;
  }

  // Boot 2: the same pmem file (journal recovery at mount), crash-check.
  const fs::path check = job / "check.jsonl";
  write_script(job / "job.sh", "exec " + binary + " crash-check --manifest " +
                                   shell_quote(manifest_path.string()) + " --out " +
                                   shell_quote(check.string()));
  try {
    guest = lab.launch(job, pmem, journal_long);
  } catch (const TargetError& e) {
    cut.problem = std::string("launch (checker): ") + e.what();
    finish();
    return cut;
  }
  {
    Console console(guest.console_fd, job / "console-check.log");
    int exit_code = -1;
    std::string failed;
    const auto until = console.read(kCheckerBootS, stop, [&](const std::string& line) {
      const auto [word, rest] = lab_marker(line);
      if (word == "EXIT") exit_code = std::atoi(rest.c_str());
      if (word == "FAILED") failed = rest;
      return false;
    });
    if (until != Console::Until::kEof) stop_lab_guest(guest.pid);
    int status = 0;
    waitpid(guest.pid, &status, 0);
    if (until == Console::Until::kStop)
      cut.interrupted = true;
    else if (until == Console::Until::kTime)
      cut.problem =
          "the checker boot did not finish within " + std::to_string(int(kCheckerBootS)) + " s";
    else if (!failed.empty())
      cut.problem = "the checker boot failed: " + failed;
    else if (exit_code != 0)
      cut.problem = "crash-check exited " + std::to_string(exit_code);
    if (!cut.problem.empty()) cut.problem += "; last console lines: " + console.tail();
  }
  finish();
  if (!cut.problem.empty() || cut.interrupted) return cut;
  std::ifstream in(check);
  for (std::string line; std::getline(in, line);) {
    json row = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (row.is_object() && row.contains("id")) cut.checked[row["id"].get<std::string>()] = row;
  }
  return cut;
}

// Per-cell totals over the cuts.
struct CellTotals {
  std::string workload, mode, file_state, target, placement;
  std::uint64_t concurrent_written = 0, concurrent_present = 0;
  int cuts = 0, ok_cuts = 0;
  std::uint64_t acknowledged = 0, lost = 0, torn = 0, torn_in_flight = 0, unacked_present = 0;
  std::vector<std::string> verdicts;
  std::vector<std::uint64_t> fail_seeds;
};

std::uint64_t count(const json& row, const char* key) {
  const auto it = row.find(key);
  return it != row.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

}  // namespace

std::vector<std::string> crash_cells(const CrashConfig& config) {
  std::vector<std::string> cells;
  for (const Group& group : make_groups(config))
    for (const Cell& cell : group.cells) cells.push_back(cell_key(group, cell));
  return cells;
}

CrashOutcome run_crash(const CrashConfig& config, const std::map<std::string, Lab*>& labs,
                       const fs::path& results, const std::string& run_id,
                       const std::atomic<bool>& stop) {
  CrashOutcome outcome;
  const auto start = Clock::now();
  const fs::path root = fs::absolute(results);  // the guest mounts the job folder at this path
  const std::vector<Group> groups = make_groups(config);
  std::ofstream out(root / "crash.jsonl", std::ios::app);
  std::map<std::string, CellTotals> totals;
  std::vector<std::string> order;
  std::map<std::string, std::string> journal_window;
  int rounds_done = 0;

  for (int round = 0; round < config.cuts && !stop.load(); ++round) {
    for (std::size_t g = 0; g < groups.size() && !stop.load(); ++g) {
      const Group& group = groups[g];
      Lab& lab = *labs.at(group.filesystem);
      const auto cut_start = Clock::now();
      // Everything random about this cut comes from one seed: (config seed, round, group).
      std::uint64_t mix = config.seed ^ (0x9e3779b97f4a7c15ull * (std::uint64_t(round) + 1)) ^
                          (0xd1b54a32d192ed03ull * (std::uint64_t(g) + 1));
      const std::uint64_t cut_seed = splitmix64(mix);
      Rng rng(cut_seed, 0);
      const std::uint64_t nonce = rng.next() | 1;
      const double delay =
          config.cut_after_min_s + rng.unit() * (config.cut_after_max_s - config.cut_after_min_s);
      const fs::path job =
          root / "crash" / (group.filesystem + "-" + group.mode + "-cut" + std::to_string(round));
      fs::create_directories(job);
      json manifest = {{"nonce", nonce}, {"cells", json::array()}};
      for (std::size_t i = 0; i < group.cells.size(); ++i) {
        const Cell& c = group.cells[i];
        manifest["cells"].push_back(
            {{"id", c.id},
             {"workload", c.workload},
             {"mode", c.mode},
             {"file_state", c.file_state},
             {"flush", "auto"},
             {"file", "/mnt/pmem/daxbench-crash/c" + std::to_string(i) + ".dat"},
             {"ack", (job / ("c" + std::to_string(i) + ".ack")).string()},
             {"size", config.file_size},
             {"seed", rng.next()},
             {"max_seconds", config.cut_after_max_s + 30}});
        if (!c.placement.empty())
          manifest["cells"].back()["concurrent_write"] = {
              {"placement", c.placement},
              {"written", (job / ("c" + std::to_string(i) + ".written")).string()}};
      }

      CutRun cut;
      const Lab::Problem& lab_problem = lab.problem();
      if (!lab_problem.empty())
        cut.problem = "lab: " + lab_problem.reason;
      else
        cut = run_cut(lab, job, manifest, delay, stop);
      if (cut.interrupted) break;  // an unfinished cut is not a result
      if (!cut.journal.empty()) journal_window[group.filesystem] = cut.journal;
      // A platform that cannot run the lab is unsupported; a broken lab fails every cell.
      const bool unavailable = lab_problem.status == "unsupported";

      std::uint64_t group_acked = 0, group_lost = 0;
      std::vector<std::string> bad;
      for (const Cell& c : group.cells) {
        const std::string key = cell_key(group, c);
        json record = {{"schema_version", kSchemaVersion},
                       {"run_id", run_id},
                       {"kind", "crash-cut"},
                       {"cell", key},
                       {"workload", c.workload},
                       {"mode", c.mode},
                       {"file_state", c.file_state},
                       {"target", "lab:" + group.filesystem},
                       {"cut", round},
                       {"seed", cut_seed},
                       {"cut_after_s", delay},
                       {"journal_window", cut.journal.empty() ? json(nullptr) : json(cut.journal)},
                       {"emulated", cut.accel.empty() ? json(nullptr) : json(cut.accel)},
                       {"job_dir", fs::relative(job, root).string()}};
        std::string status = "ok", reason;
        const auto checked = cut.checked.find(c.id);
        if (unavailable) {
          status = "unsupported", reason = cut.problem;
        } else if (!cut.problem.empty()) {
          status = "failed", reason = cut.problem;
        } else if (auto u = cut.unsupported.find(c.id); u != cut.unsupported.end()) {
          status = "unsupported", reason = u->second;
        } else if (checked == cut.checked.end()) {
          status = "failed", reason = "crash-check wrote no line for " + c.id;
        } else if (const json& w = checked->second["writer"];
                   w.is_object() && w.value("status", "") == "failed") {
          status = "failed", reason = "the cell's writer failed: " + w.value("reason", "");
        } else if (w.is_object() && w.value("status", "") == "unsupported") {
          status = "unsupported", reason = w.value("reason", "the writer refused the cell");
        }
        record["status"] = status;
        record["reason"] = reason.empty() ? json(nullptr) : json(reason);
        const json row = status == "ok" ? checked->second : json::object();
        for (const char* key2 : {"acknowledged", "expected", "present_valid", "lost", "torn",
                                 "torn_in_flight", "unacknowledged_present"})
          record[key2] = status == "ok" ? json(count(row, key2)) : json(nullptr);
        record["first_lost_seq"] =
            status == "ok" ? row.value("first_lost_seq", json(nullptr)) : json(nullptr);
        record["file_missing"] =
            status == "ok" ? json(row.value("file_missing", false)) : json(nullptr);
        // What survived of the second process's unsynced writes: informative, no verdict.
        record["concurrent_write"] = c.placement.empty() ? json(nullptr)
                                     : status == "ok" ? row.value("concurrent_write", json(nullptr))
                                                      : json{{"placement", c.placement}};
        const std::string verdict =
            crash_cut_verdict(c.mode, c.file_state, status, count(row, "lost"), count(row, "torn"),
                              count(row, "torn_in_flight"));
        record["verdict"] = verdict;
        out << record.dump() << '\n';
        out.flush();
        ++outcome.records;

        auto [it, fresh] = totals.try_emplace(key);
        CellTotals& t = it->second;
        if (fresh) {
          order.push_back(key);
          t.workload = c.workload, t.mode = c.mode, t.file_state = c.file_state;
          t.placement = c.placement;
          t.target = "lab:" + group.filesystem;
        }
        ++t.cuts;
        t.verdicts.push_back(verdict);
        if (status == "ok") {
          ++t.ok_cuts;
          t.acknowledged += count(row, "acknowledged");
          t.lost += count(row, "lost");
          t.torn += count(row, "torn");
          t.torn_in_flight += count(row, "torn_in_flight");
          t.unacked_present += count(row, "unacknowledged_present");
          if (const auto w = row.find("concurrent_write"); w != row.end() && w->is_object()) {
            t.concurrent_written += count(*w, "written");
            t.concurrent_present += count(*w, "present_valid");
          }
          group_acked += count(row, "acknowledged");
          group_lost += count(row, "lost");
        }
        if (verdict == "FAIL") {
          t.fail_seeds.push_back(cut_seed);
          bad.push_back(c.id);
        }
      }
      std::fprintf(
          stderr,
          "daxbench: crash cut %d/%d %s %s: %zu cells, cut %.2f s after start: %s "
          "(%.1f s)\n",
          round + 1, config.cuts, group.filesystem.c_str(), group.mode.c_str(), group.cells.size(),
          delay,
          !cut.problem.empty()
              ? cut.problem.substr(0, 300).c_str()
              : ("lost " + std::to_string(group_lost) + " of " + std::to_string(group_acked) +
                 " acknowledged" + (bad.empty() ? "" : "; FAIL, seed " + std::to_string(cut_seed)))
                    .c_str(),
          seconds_since(cut_start));
    }
    if (!stop.load()) ++rounds_done;
  }

  json matrix = json::array();
  outcome.lines.push_back("crash matrix (lost/acknowledged summed over cuts):");
  for (const std::string& key : order) {
    const CellTotals& t = totals[key];
    const std::string verdict = crash_cell_verdict(t.verdicts);
    if (crash_verdict_is_failure(verdict)) ++outcome.failed_cells;
    matrix.push_back({{"cell", key},
                      {"workload", t.workload},
                      {"mode", t.mode},
                      {"file_state", t.file_state},
                      {"target", t.target},
                      {"cuts", t.cuts},
                      {"ok_cuts", t.ok_cuts},
                      {"acknowledged", t.acknowledged},
                      {"lost", t.lost},
                      {"torn", t.torn},
                      {"torn_in_flight", t.torn_in_flight},
                      {"unacknowledged_present", t.unacked_present},
                      {"verdict", verdict},
                      {"fail_seeds", t.fail_seeds}});
    if (!t.placement.empty())
      matrix.back()["concurrent_write"] = {{"placement", t.placement},
                                           {"written", t.concurrent_written},
                                           {"present_valid", t.concurrent_present}};
    char line[512];
    std::snprintf(
        line, sizeof line, "  %-48s %8llu/%-9llu torn %llu (%llu in flight)  %s%s", key.c_str(),
        static_cast<unsigned long long>(t.lost), static_cast<unsigned long long>(t.acknowledged),
        static_cast<unsigned long long>(t.torn), static_cast<unsigned long long>(t.torn_in_flight),
        verdict.c_str(),
        t.fail_seeds.empty() ? ""
                             : (" (seed " + std::to_string(t.fail_seeds.front()) + ")").c_str());
    outcome.lines.push_back(line);
    if (!t.placement.empty())
      outcome.lines.push_back("    its concurrent write() (" + t.placement +
                              "): " + std::to_string(t.concurrent_present) + " of " +
                              std::to_string(t.concurrent_written) + " written records survived");
  }
  outcome.context = {{"cuts", config.cuts},
                     {"rounds_done", rounds_done},
                     {"groups", groups.size()},
                     {"seed", config.seed},
                     {"cut_after_s", {config.cut_after_min_s, config.cut_after_max_s}},
                     {"file_size", config.file_size},
                     {"wall_s", seconds_since(start)},
                     {"journal_window", journal_window},
                     {"failed_cells", outcome.failed_cells},
                     {"matrix", matrix}};
  return outcome;
}

}  // namespace daxbench
