// Power cuts, host side. One boot group is (filesystem, mode): every cell of one mode shares a
// guest, never two modes, because any sync commits the journal for every file of that
// filesystem and would hide what an unsafe control loses.
#include "bench/lab/host/crash_run.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <set>

#include "bench/base/rng.h"
#include "bench/flush/flush.h"
#include "bench/lab/host/model_boot.h"
#include "bench/lab/host/power_cut.h"
#include "bench/modes/mode.h"
#include "bench/results/context.h"
#include "bench/targets/lab.h"
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
  std::string id;  // manifest id: workload/mode/file_state[/flush-<name>][/write-<placement>]
  std::string workload, mode, file_state;
  std::string flush = "auto";  // the primitive of a mode that flushes from user space
  std::string placement;       // of a concurrent writer (inside, append, mapped); empty: none
};

struct Group {
  std::string persistence, filesystem, mode;
  std::vector<Cell> cells;
  // The flush of a group's only cell, when its primitive has a planted fault: any fence
  // another cell runs on the same vCPU drains that vCPU's pending lines (on hardware as in
  // the model), and hid a drain without a fence in a shared boot, so such a cell boots alone.
  std::string alone;
  std::string label() const { return mode + (alone.empty() ? "" : "-flush-" + alone); }
};

bool boots_alone(const std::string& flush) {
  const FlushOps* primitive = flush == "auto" ? nullptr : find_flush(flush);
  return primitive && primitive->planted_fault;
}

// The flushes a mode's cells run with: the config's for a mode that flushes from user space
// (unless its syncs write the cache back anyway: then another flush tests nothing), only
// auto (unused) for the others.
std::vector<std::string> cell_flushes(const CrashConfig& config, const ModeDesc* desc) {
  if (desc && (desc->needs & kNeedsUserFlush) && !desc->syncs_write_back_cache)
    return config.flushes;
  return {"auto"};
}

// The domains a filesystem's cells run under: the config's for an NVDIMM kind, the kind's own
// (once) for a virtio-pmem one, which has no ADR/eADR.
std::vector<std::string> domains_of(const CrashConfig& config, const std::string& filesystem) {
  const std::string_view fixed = lab_kind_fixed_persistence(filesystem);
  if (fixed.empty()) return config.persistence;
  return {std::string(fixed)};
}

std::vector<Group> make_groups(const CrashConfig& config) {
  std::vector<Group> groups;
  std::vector<std::string> all_domains = config.persistence;
  for (const std::string& filesystem : config.filesystems)
    for (const std::string& domain : domains_of(config, filesystem))
      if (std::ranges::find(all_domains, domain) == all_domains.end())
        all_domains.push_back(domain);
  for (const std::string& persistence : all_domains)
    for (const std::string& filesystem : config.filesystems)
      for (const std::string& mode : config.modes) {
        const std::vector<std::string> domains = domains_of(config, filesystem);
        if (std::ranges::find(domains, persistence) == domains.end()) continue;
        Group group{persistence, filesystem, mode, {}, ""};
        std::vector<Group> alone;
        const ModeDesc* desc = find_mode(mode);
        for (const std::string& state : config.file_states) {
          // A mode that prepares its own file (sealed-extent) takes only its own file state.
          if (desc && !desc->fixed_file_state.empty() && state != desc->fixed_file_state) continue;
          for (const std::string& flush : cell_flushes(config, desc))
            for (const std::string& workload : config.workloads) {
              Cell cell{
                  workload + "/" + mode + "/" + state + (flush == "auto" ? "" : "/flush-" + flush),
                  workload,
                  mode,
                  state,
                  flush,
                  ""};
              if (boots_alone(flush))
                alone.push_back({persistence, filesystem, mode, {std::move(cell)}, flush});
              else
                group.cells.push_back(std::move(cell));
            }
          // Concurrency cells join their mode's group: the second process never syncs, so it
          // adds nothing another cell of the group would not see anyway.
          if (std::ranges::find(config.concurrent_modes, mode) == config.concurrent_modes.end())
            continue;
          for (const std::string& workload : config.concurrent_workloads)
            for (const std::string& placement : config.concurrent_placements)
              group.cells.push_back({workload + "/" + mode + "/" + state + "/write-" + placement,
                                     workload, mode, state, "auto", placement});
        }
        if (!group.cells.empty()) groups.push_back(std::move(group));
        for (Group& single : alone) groups.push_back(std::move(single));
      }
  return groups;
}

// ADR is the lab's platform; a cell under eADR says so at the end of its key (a virtio-pmem
// kind's, whose domain is its own, says /virtio).
std::string cell_key(const Group& group, const Cell& cell) {
  return cell.workload + "/" + cell.mode + "/lab:" + group.filesystem + "/" + cell.file_state +
         (cell.flush == "auto" ? "" : "/flush-" + cell.flush) +
         (cell.placement.empty() ? "" : "/write-" + cell.placement) +
         (group.persistence == "adr" ? "" : "/" + group.persistence);
}

// Per-cell totals over the cuts.
struct CellTotals {
  std::string workload, mode, file_state, target, placement, flush, persistence;
  std::uint64_t concurrent_written = 0, concurrent_present = 0;
  std::map<std::string, std::uint64_t> concurrent_kept;  // per image: its records found whole
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

namespace {

// The whole run's state, carried from cut to cut.
struct CrashRun {
  const CrashConfig& config;
  fs::path root;  // the guest mounts the job folder at this path
  const std::string& run_id;
  std::ofstream out;
  std::map<std::string, CellTotals> totals;
  std::vector<std::string> order;  // cell keys, as first seen
  std::map<std::string, std::string> journal_window;
  std::map<std::string, std::string> persistence_domain;  // adr|eadr -> what the guest read
  CrashOutcome outcome;
};

// One cut of one group before it runs: its seed and everything drawn from it.
struct CutPlan {
  int round = 0;
  std::uint64_t seed = 0;
  double delay = 0;
  fs::path job;
  json manifest;
};

CutPlan plan_cut(const CrashRun& run, const Group& group, std::size_t g, int round) {
  const CrashConfig& config = run.config;
  CutPlan plan;
  plan.round = round;
  // Everything random about this cut comes from one seed: (config seed, round, group).
  std::uint64_t mix = config.seed ^ (0x9e3779b97f4a7c15ull * (std::uint64_t(round) + 1)) ^
                      (0xd1b54a32d192ed03ull * (std::uint64_t(g) + 1));
  plan.seed = splitmix64(mix);
  Rng rng(plan.seed, 0);
  const std::uint64_t nonce = rng.next() | 1;
  plan.delay =
      config.cut_after_min_s + rng.unit() * (config.cut_after_max_s - config.cut_after_min_s);
  plan.job = run.root / "crash" /
             (group.persistence + "-" + group.filesystem + "-" + group.label() + "-cut" +
              std::to_string(round));
  fs::create_directories(plan.job);
  plan.manifest = {{"nonce", nonce}, {"cells", json::array()}};
  for (std::size_t i = 0; i < group.cells.size(); ++i) {
    const Cell& c = group.cells[i];
    const std::string stem = "c" + std::to_string(i);
    plan.manifest["cells"].push_back({{"id", c.id},
                                      {"workload", c.workload},
                                      {"mode", c.mode},
                                      {"file_state", c.file_state},
                                      {"flush", c.flush},
                                      {"file", "/mnt/pmem/daxbench-crash/" + stem + ".dat"},
                                      {"ack", (plan.job / (stem + ".ack")).string()},
                                      {"size", config.file_size},
                                      {"seed", rng.next()},
                                      {"max_seconds", config.cut_after_max_s + 30}});
    if (!c.placement.empty())
      plan.manifest["cells"].back()["concurrent_write"] = {
          {"placement", c.placement}, {"written", (plan.job / (stem + ".written")).string()}};
  }
  return plan;
}

// A cut that ran (or the lab's problem instead), as the cells' records see it.
struct CutView {
  const Group& group;
  const CutPlan& plan;
  CutRun cut;
  bool unavailable = false;  // a platform that cannot run the lab: every cell unsupported
};

// What one cell's cut came to: status, reason and, when ok, crash-check's row for it.
struct CellResult {
  std::string status = "ok", reason;
  json row;
};

CellResult classify(CutView& view, const Cell& c, const std::string& image) {
  CutRun& cut = view.cut;
  CellResult r;
  std::map<std::string, json>& rows = cut.checked[image];
  const auto checked = rows.find(c.id);
  if (view.unavailable || cut.model_missing) {
    r.status = "unsupported", r.reason = cut.problem;
  } else if (!cut.problem.empty()) {
    r.status = "failed", r.reason = cut.problem;
  } else if (auto u = cut.unsupported.find(c.id); u != cut.unsupported.end()) {
    r.status = "unsupported", r.reason = u->second;
  } else if (checked == rows.end()) {
    r.status = "failed", r.reason = "crash-check (" + image + " image) wrote no line for " + c.id;
  } else if (const json& w = checked->second["writer"];
             w.is_object() && w.value("status", "") == "failed") {
    r.status = "failed", r.reason = "the cell's writer failed: " + w.value("reason", "");
  } else if (w.is_object() && w.value("status", "") == "unsupported") {
    r.status = "unsupported", r.reason = w.value("reason", "the writer refused the cell");
  }
  r.row = r.status == "ok" ? checked->second : json::object();
  return r;
}

json cut_record(const CrashRun& run, const CutView& view, const Cell& c, const CellResult& r) {
  const CutRun& cut = view.cut;
  const bool ok = r.status == "ok";
  json record = {{"schema_version", kSchemaVersion},
                 {"run_id", run.run_id},
                 {"kind", "crash-cut"},
                 {"cell", cell_key(view.group, c)},
                 {"workload", c.workload},
                 {"mode", c.mode},
                 {"file_state", c.file_state},
                 {"target", "lab:" + view.group.filesystem},
                 {"persistence", view.group.persistence},
                 {"flush", c.flush},
                 {"cut", view.plan.round},
                 {"seed", view.plan.seed},
                 {"cut_after_s", view.plan.delay},
                 {"journal_window", cut.journal.empty() ? json(nullptr) : json(cut.journal)},
                 {"emulated", cut.accel.empty() ? json(nullptr) : json(cut.accel)},
                 {"job_dir", fs::relative(view.plan.job, run.root).string()}};
  record["status"] = r.status;
  record["reason"] = r.reason.empty() ? json(nullptr) : json(r.reason);
  for (const char* key : {"acknowledged", "expected", "present_valid", "lost", "torn",
                          "torn_in_flight", "unacknowledged_present"})
    record[key] = ok ? json(count(r.row, key)) : json(nullptr);
  record["first_lost_seq"] = ok ? r.row.value("first_lost_seq", json(nullptr)) : json(nullptr);
  record["file_missing"] = ok ? json(r.row.value("file_missing", false)) : json(nullptr);
  // What survived of the second process's unsynced writes: informative, no verdict.
  record["concurrent_write"] = c.placement.empty() ? json(nullptr)
                               : ok                ? r.row.value("concurrent_write", json(nullptr))
                                                   : json{{"placement", c.placement}};
  return record;
}

void add_to_totals(CrashRun& run, const CutView& view, const Cell& c, const CellResult& r,
                   const json& images, const std::string& verdict) {
  const std::string key = cell_key(view.group, c);
  auto [it, fresh] = run.totals.try_emplace(key);
  CellTotals& t = it->second;
  if (fresh) {
    run.order.push_back(key);
    t.workload = c.workload, t.mode = c.mode, t.file_state = c.file_state;
    t.placement = c.placement;
    t.target = "lab:" + view.group.filesystem;
    t.flush = c.flush;
    t.persistence = view.group.persistence;
  }
  ++t.cuts;
  t.verdicts.push_back(verdict);
  if (r.status == "ok") {
    ++t.ok_cuts;
    t.acknowledged += count(r.row, "acknowledged");
    t.lost += count(r.row, "lost");
    t.torn += count(r.row, "torn");
    t.torn_in_flight += count(r.row, "torn_in_flight");
    t.unacked_present += count(r.row, "unacknowledged_present");
    if (const auto w = r.row.find("concurrent_write"); w != r.row.end() && w->is_object()) {
      t.concurrent_written += count(*w, "written");
      t.concurrent_present += count(*w, "present_valid");
    }
    for (const auto& [image, entry] : images.items())
      if (entry.contains("concurrent_kept"))
        t.concurrent_kept[image] += count(entry, "concurrent_kept");
  }
  if (verdict == "FAIL") t.fail_seeds.push_back(view.plan.seed);
}

// The group's figures over this cut, for its progress line.
struct GroupTally {
  std::uint64_t acked = 0, lost = 0;
  std::vector<std::string> bad;  // manifest ids of the cells that failed
};

// A cell's cut on every image: the strict image's result (the record's counts) and the
// per-image block with each image's verdict (null where the expectation judges none).
struct ImagesView {
  CellResult strict;
  json block = json::object();
  std::vector<std::string> verdicts;
};

ImagesView check_images(CutView& view, const Cell& c, CrashExpectation expectation) {
  ImagesView out;
  std::vector<std::string> images = view.cut.images;
  if (images.empty()) images.emplace_back(kStrictImage);  // a cut that failed before its checks
  for (const std::string& image : images) {
    const CellResult r = classify(view, c, image);
    const std::string verdict =
        crash_cut_verdict(expectation, image, r.status, count(r.row, "lost"), count(r.row, "torn"),
                          count(r.row, "torn_in_flight"));
    if (image == kStrictImage) out.strict = r;
    if (!verdict.empty()) out.verdicts.push_back(verdict);
    if (r.status != "ok") continue;
    json entry = view.cut.image_info.value(image, json::object());
    for (const char* key : {"acknowledged", "present_valid", "lost", "torn", "torn_in_flight"})
      entry[key] = count(r.row, key);
    // What this image kept of the second process's records: its survival differs by image
    // (under ADR a mapped writer's lines reach the strict image only if something wrote them
    // back), and is a finding, never part of the verdict.
    if (const auto w = r.row.find("concurrent_write"); w != r.row.end() && w->is_object())
      entry["concurrent_kept"] = count(*w, "present_valid");
    entry["verdict"] = verdict.empty() ? json(nullptr) : json(verdict);
    out.block[image] = entry;
  }
  return out;
}

// One crash.jsonl record per cell of the cut, each flushed as written.
GroupTally record_cells(CrashRun& run, CutView& view) {
  GroupTally tally;
  for (const Cell& c : view.group.cells) {
    const CrashExpectation expectation =
        crash_expectation(c.mode, c.file_state, c.flush, view.group.persistence);
    ImagesView images = check_images(view, c, expectation);
    const CellResult& r = images.strict;
    const std::string verdict = crash_cell_verdict(images.verdicts);
    json record = cut_record(run, view, c, r);
    record["expectation"] = expectation_name(expectation);
    record["images"] = images.block.empty() ? json(nullptr) : images.block;
    record["verdict"] = verdict;
    run.out << record.dump() << '\n';
    run.out.flush();
    ++run.outcome.records;
    add_to_totals(run, view, c, r, images.block, verdict);
    if (r.status == "ok") {
      tally.acked += count(r.row, "acknowledged");
      tally.lost += count(r.row, "lost");
    }
    if (verdict == "FAIL") tally.bad.push_back(c.id);
  }
  return tally;
}

void print_cut(const CrashRun& run, const CutView& view, const GroupTally& tally,
               Clock::time_point cut_start) {
  const CutRun& cut = view.cut;
  const std::uint64_t seed = view.plan.seed;
  std::fprintf(
      stderr,
      "daxbench: crash cut %d/%d %s %s %s: %zu cells, cut %.2f s after start: %s "
      "(%.1f s)\n",
      view.plan.round + 1, run.config.cuts, view.group.persistence.c_str(),
      view.group.filesystem.c_str(), view.group.label().c_str(), view.group.cells.size(),
      view.plan.delay,
      !cut.problem.empty()
          ? cut.problem.substr(0, 300).c_str()
          : ("lost " + std::to_string(tally.lost) + " of " + std::to_string(tally.acked) +
             " acknowledged" + (tally.bad.empty() ? "" : "; FAIL, seed " + std::to_string(seed)))
                .c_str(),
      seconds_since(cut_start));
}

// Returns false if the cut was interrupted: an unfinished cut is not a result.
bool run_group_cut(CrashRun& run, const Group& group, std::size_t g, int round, Lab& lab,
                   const std::atomic<bool>& stop) {
  const auto cut_start = Clock::now();
  const CutPlan plan = plan_cut(run, group, g, round);
  CutView view{group, plan, {}};
  const Lab::Problem& lab_problem = lab.problem();
  if (!lab_problem.empty())
    view.cut.problem = "lab: " + lab_problem.reason;
  else
    view.cut = run_cut(lab, plan.job, plan.manifest, plan.delay,
                       {group.persistence, run.config.mixes, plan.seed}, stop);
  if (view.cut.interrupted) return false;
  if (!view.cut.journal.empty()) run.journal_window[group.filesystem] = view.cut.journal;
  if (!view.cut.persistence.empty())
    run.persistence_domain[group.persistence] = view.cut.persistence;
  // A platform that cannot run the lab is unsupported; a broken lab fails every cell.
  view.unavailable = lab_problem.status == Status::kUnsupported;
  const GroupTally tally = record_cells(run, view);
  print_cut(run, view, tally, cut_start);
  return true;
}

// `width`: the longest cell name's, so the counts line up whatever the targets' names.
std::string matrix_line(const std::string& key, const CellTotals& t, const std::string& verdict,
                        int width) {
  char line[768];
  std::snprintf(
      line, sizeof line, "  %-*s %8llu/%-9llu torn %llu (%llu in flight)  %s%s", width, key.c_str(),
      static_cast<unsigned long long>(t.lost), static_cast<unsigned long long>(t.acknowledged),
      static_cast<unsigned long long>(t.torn), static_cast<unsigned long long>(t.torn_in_flight),
      verdict.c_str(),
      t.fail_seeds.empty() ? "" : (" (seed " + std::to_string(t.fail_seeds.front()) + ")").c_str());
  return line;
}

// The per-cell totals as context.json's matrix, and the summary lines printed at the end.
json summarise(CrashRun& run) {
  json matrix = json::array();
  std::vector<std::string>& lines = run.outcome.lines;
  lines.push_back("crash matrix (lost/acknowledged summed over cuts):");
  int width = 0;
  for (const std::string& key : run.order) width = std::max(width, static_cast<int>(key.size()));
  for (const std::string& key : run.order) {
    const CellTotals& t = run.totals[key];
    const std::string verdict = crash_cell_verdict(t.verdicts);
    if (crash_verdict_is_failure(verdict)) ++run.outcome.failed_cells;
    matrix.push_back({{"cell", key},
                      {"workload", t.workload},
                      {"mode", t.mode},
                      {"file_state", t.file_state},
                      {"target", t.target},
                      {"persistence", t.persistence},
                      {"flush", t.flush},
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
                                           {"present_valid", t.concurrent_present},
                                           {"kept", t.concurrent_kept}};
    lines.push_back(matrix_line(key, t, verdict, width));
    if (t.placement.empty()) continue;
    std::string kept;
    for (const auto& [image, n] : t.concurrent_kept)
      kept += (kept.empty() ? "" : ", ") + image + " " + std::to_string(n);
    lines.push_back(
        "    its concurrent " +
        (t.placement == "mapped" ? std::string("mapped stores") : "write() (" + t.placement + ")") +
        ": " + std::to_string(t.concurrent_present) + " of " +
        std::to_string(t.concurrent_written) + " written records survived" +
        (t.concurrent_kept.size() > 1 ? " (kept per image: " + kept + ")" : ""));
  }
  return matrix;
}

// The persistence model the ADR cuts ran under, or why they could not.
json model_context() {
  const PersistenceModelBuild& build = persistence_model_build();
  if (!build.problem.empty())
    return {{"plugin", nullptr}, {"qemu", nullptr}, {"unavailable", build.problem}};
  return {{"plugin", build.plugin}, {"qemu", build.qemu_dir}, {"unavailable", nullptr}};
}

}  // namespace

CrashOutcome run_crash(const CrashConfig& config, const std::map<std::string, Lab*>& labs,
                       const fs::path& results, const std::string& run_id,
                       const std::atomic<bool>& stop) {
  const auto start = Clock::now();
  CrashRun run{config, fs::absolute(results), run_id, {}, {}, {}, {}, {}, {}};
  run.out.open(run.root / "crash.jsonl", std::ios::app);
  const std::vector<Group> groups = make_groups(config);
  int rounds_done = 0;
  for (int round = 0; round < config.cuts && !stop.load(); ++round) {
    for (std::size_t g = 0; g < groups.size() && !stop.load(); ++g)
      if (!run_group_cut(run, groups[g], g, round, *labs.at(groups[g].filesystem), stop)) break;
    if (!stop.load()) ++rounds_done;
  }
  const json matrix = summarise(run);
  run.outcome.context = {{"cuts", config.cuts},
                         {"rounds_done", rounds_done},
                         {"groups", groups.size()},
                         {"seed", config.seed},
                         {"cut_after_s", {config.cut_after_min_s, config.cut_after_max_s}},
                         {"file_size", config.file_size},
                         {"persistence", config.persistence},
                         {"flushes", config.flushes},
                         {"mixes", config.mixes},
                         {"wall_s", seconds_since(start)},
                         {"journal_window", run.journal_window},
                         {"persistence_domain", run.persistence_domain},
                         {"model", model_context()},
                         {"failed_cells", run.outcome.failed_cells},
                         {"matrix", matrix}};
  return std::move(run.outcome);
}

}  // namespace daxbench
