// Power cuts, host side. One boot group is (filesystem, mode): every cell of one mode shares a
// guest, never two modes, because any sync commits the journal for every file of that
// filesystem and would hide what an unsafe control loses.
#include "bench/lab/host/crash_run.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <set>

#include "bench/base/rng.h"
#include "bench/lab/host/power_cut.h"
#include "bench/modes/mode.h"
#include "bench/results/context.h"
#include "bench/targets/target.h"

namespace daxbench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using json = nlohmann::ordered_json;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

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
        // A mode that prepares its own file (sealed-extent) takes only its own file state.
        const ModeDesc* desc = find_mode(mode);
        if (desc && !desc->fixed_file_state.empty() && state != desc->fixed_file_state) continue;
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
