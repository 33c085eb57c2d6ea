// A cut's boots: the writers until the cut, then a checker on each crash image until it
// powers off. Each boot has a deadline, and a boot that ends by itself before the cut is no
// power cut.
#include "bench/lab/host/power_cut.h"

#include <fstream>

#include "bench/base/child_process.h"
#include "bench/lab/host/crash_images.h"
#include "bench/lab/host/lab_run.h"
#include "bench/lab/host/model_boot.h"
#include "bench/lab/protocol.h"
#include "bench/targets/target.h"

namespace daxbench {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using Until = ChildProcess::Until;

constexpr double kWriterBootS = 180;   // QEMU start to WRITERS-STARTED
constexpr double kCheckerBootS = 300;  // QEMU start to power-off after crash-check

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

// The guest-physical base lab/launch.sh gives the model's plugin (MODEL_PMEM_BASE): the
// guest's READY region= must agree, or every translated address would be wrong.
constexpr const char* kModelPmemBase = "0x100000000";

// One cut's boots, as their steps share them.
struct CutBoots {
  Lab& lab;
  const fs::path& job;
  const json& manifest;
  const CutOptions& options;
  const std::atomic<bool>& stop;
  fs::path manifest_path, pmem, durable;  // durable: the model's strict image (ADR)
  std::string binary;                     // this driver, quoted for the guest's shell
  std::unique_ptr<ChildProcess> guest;
  CutRun cut;
};

// Boots the guest on the cut's pmem file running `command`; false (cut.problem set) if it
// cannot be launched.
bool launch(CutBoots& boots, const fs::path& pmem, const std::string& command,
            const std::string& console, const std::string& what,
            const std::vector<std::string>& more_args = {}) {
  std::vector<std::string> args = {"--journal", "long", "--persistence", boots.options.persistence};
  args.insert(args.end(), more_args.begin(), more_args.end());
  write_script(boots.job / "job.sh", command);
  try {
    boots.guest = boots.lab.launch(boots.job, pmem, boots.job / console, args);
  } catch (const TargetError& e) {
    boots.cut.problem = what + e.what();
    return false;
  }
  return true;
}

// Boot 1's console line until WRITERS-STARTED: the journal window, cells not started, an
// early end (`failed`). True to stop waiting.
bool take_writer_line(CutBoots& boots, const std::string& line, bool& started,
                      std::string& failed) {
  CutRun& cut = boots.cut;
  const auto [word, rest] = lab_marker(line);
  if (word == "ACCEL") cut.accel = rest;
  if (word == "READY") {
    const auto field = [&rest](const std::string& key, const std::string& next) {
      const std::size_t at = rest.find(key);
      if (at == std::string::npos) return std::string();
      const std::size_t from = at + key.size();
      const std::size_t end = next.empty() ? rest.find(' ', from) : rest.find(next, from);
      return rest.substr(from, end == std::string::npos ? end : end - from);
    };
    cut.journal = field("journal=", " uptime=");
    const std::string region = field("region=", "");
    cut.persistence = field("persistence=", "");
    if (!boots.durable.empty() && region.rfind(std::string(kModelPmemBase) + "+", 0) != 0) {
      failed = "the guest found its pmem region at " + region + ", not at " + kModelPmemBase +
               " where the persistence model maps it";
      return true;
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
    for (const json& c : boots.manifest["cells"])
      if (c["id"] == id) cut.unsupported[id] = ack_reason(c["ack"].get<std::string>());
  }
  if (line.find(lab::kWritersStarted) != std::string::npos) {
    started = true;
    return true;
  }
  return false;
}

// The cut: keep logging the console meanwhile; a writer boot that ends by itself powered off
// cleanly, which is no power cut.
void wait_for_cut(CutBoots& boots, double delay_s) {
  std::string ended;
  const auto slept = boots.guest->wait_for(delay_s, &boots.stop, [&](const std::string& line) {
    const auto [word, rest] = lab_marker(line);
    if (word == "EXIT" || word == "FAILED") ended = word + " " + rest;
    return !ended.empty();
  });
  if (slept == Until::kStop) boots.cut.interrupted = true;
  if (!ended.empty() || slept == Until::kExit)
    boots.cut.problem = "the writer boot ended before the cut (" +
                        (ended.empty() ? std::string("QEMU exited") : ended) +
                        "); last console lines: " + boots.guest->tail_lines(" | ");
}

// Boot 1: the writers, then the power cut.
// Writers that finish first (a full file) must not end the boot: lab/init would unmount
// and sync, and the cut would find everything durable. The guest idles until the cut.
void writer_boot(CutBoots& boots, double delay_s) {
  CutRun& cut = boots.cut;
  const std::vector<std::string> model =
      boots.durable.empty() ? std::vector<std::string>{}
                            : model_launch_args(boots.durable, boots.job / "model-stats.json");
  if (!launch(boots, boots.pmem,
              boots.binary + " crash-writer --manifest " +
                  shell_quote(boots.manifest_path.string()) + "\necho \"" +
                  std::string(lab::kWriterExit) + " $?\"\nexec sleep 3600",
              "console-writer.log", "launch: ", model))
    return;
  bool started = false;
  std::string failed;
  const auto until = boots.guest->wait_for(kWriterBootS, &boots.stop, [&](const std::string& line) {
    return take_writer_line(boots, line, started, failed);
  });
  if (until == Until::kStop) {
    cut.interrupted = true;
  } else if (!started) {
    cut.problem = !failed.empty()         ? failed
                  : until == Until::kTime ? "the writers did not start within " +
                                                std::to_string(int(kWriterBootS)) + " s"
                                          : "QEMU exited before the writers started";
    cut.problem += "; last console lines: " + boots.guest->tail_lines(" | ");
  } else {
    wait_for_cut(boots, delay_s);
  }
  boots.guest->kill();  // the power cut
}

// Then, per image: a boot on it (journal recovery at mount), crash-check writing `check`.
void checker_boot(CutBoots& boots, const fs::path& image, const std::string& name,
                  const fs::path& check) {
  CutRun& cut = boots.cut;
  if (!launch(boots, image,
              "exec " + boots.binary + " crash-check --manifest " +
                  shell_quote(boots.manifest_path.string()) + " --out " +
                  shell_quote(check.string()),
              "console-check-" + name + ".log", "launch (checker, " + name + " image): "))
    return;
  int exit_code = -1;
  std::string failed;
  const auto until =
      boots.guest->wait_for(kCheckerBootS, &boots.stop, [&](const std::string& line) {
        const auto [word, rest] = lab_marker(line);
        if (word == "EXIT") exit_code = std::atoi(rest.c_str());
        if (word == "FAILED") failed = rest;
        return false;
      });
  if (until != Until::kExit) boots.guest->kill();
  if (until == Until::kStop)
    cut.interrupted = true;
  else if (until == Until::kTime)
    cut.problem = "the checker boot (" + name + " image) did not finish within " +
                  std::to_string(int(kCheckerBootS)) + " s";
  else if (!failed.empty())
    cut.problem = "the checker boot (" + name + " image) failed: " + failed;
  else if (exit_code != 0)
    cut.problem = "crash-check exited " + std::to_string(exit_code);
  if (!cut.problem.empty())
    cut.problem += "; last console lines: " + boots.guest->tail_lines(" | ");
}

void read_check(CutRun& cut, const std::string& image, const fs::path& check) {
  std::ifstream in(check);
  for (std::string line; std::getline(in, line);) {
    json row = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (row.is_object() && row.contains("id"))
      cut.checked[image][row["id"].get<std::string>()] = row;
  }
}

// The images to check, made before any checker boot changes one (journal recovery writes).
// ADR: the model's strict image, the mixes, the live file; eADR: the live file is strict.
std::vector<std::pair<std::string, fs::path>> make_images(CutBoots& boots, const fs::path& folder) {
  std::vector<std::pair<std::string, fs::path>> images;
  if (boots.durable.empty()) {
    images.emplace_back(kStrictImage, boots.pmem);
    boots.cut.image_info[std::string(kStrictImage)] = {{"source", "live"}};
    return images;
  }
  images.emplace_back(kStrictImage, boots.durable);
  boots.cut.image_info[std::string(kStrictImage)] = {{"source", "model"}};
  for (int k = 1; k <= boots.options.mixes; ++k) {
    const std::string name = "mix-" + std::to_string(k);
    const fs::path file = folder / (name + ".img");
    const MixedImage mix = make_mixed_image(boots.durable, boots.pmem, file,
                                            boots.options.seed ^ (0xA24BAED4963EE407ull * k));
    if (!mix.problem.empty()) {
      boots.cut.problem = "making the " + name + " image: " + mix.problem;
      return {};
    }
    boots.cut.image_info[name] = {{"source", "mix"},
                                  {"lines_differing", mix.lines_differing},
                                  {"lines_from_live", mix.lines_from_live}};
    images.emplace_back(name, file);
  }
  images.emplace_back(kLiveImage, boots.pmem);
  boots.cut.image_info[std::string(kLiveImage)] = {{"source", "live"}};
  return images;
}

}  // namespace

CutRun run_cut(Lab& lab, const fs::path& job, const json& manifest, double delay_s,
               const CutOptions& options, const std::atomic<bool>& stop) {
  CutBoots boots{lab, job, manifest, options, stop, job / "manifest.json", {}, {}, {}, {}, {}};
  std::ofstream(boots.manifest_path) << manifest.dump(2) << '\n';
  boots.binary = shell_quote(driver_binary());
  fs::path pmem_folder;
  try {
    pmem_folder = lab.make_pmem_folder();
  } catch (const TargetError& e) {
    boots.cut.problem = e.what();
    return boots.cut;
  }
  boots.pmem = pmem_folder / "pmem.img";
  if (options.persistence == "adr") {
    if (const std::string& problem = persistence_model_build().problem; !problem.empty()) {
      boots.cut.problem = problem;
      boots.cut.model_missing = true;
      std::error_code ignored;
      fs::remove_all(pmem_folder, ignored);
      return boots.cut;
    }
    boots.durable = pmem_folder / "durable.img";
  }
  auto finish = [&] {
    std::error_code ignored;
    fs::remove_all(pmem_folder, ignored);
  };
  const CutRun& cut = boots.cut;
  writer_boot(boots, delay_s);
  if (!cut.problem.empty() || cut.interrupted) {
    finish();
    return cut;
  }
  for (const auto& [name, file] : make_images(boots, pmem_folder)) {
    const fs::path check = job / ("check-" + name + ".jsonl");
    checker_boot(boots, file, name, check);
    if (!cut.problem.empty() || cut.interrupted) break;
    read_check(boots.cut, name, check);
    boots.cut.images.push_back(name);
  }
  finish();
  return cut;
}

}  // namespace daxbench
