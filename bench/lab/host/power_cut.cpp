// A cut's two boots: the writers until the cut, then the checker until it powers off. Each
// boot has a deadline, and a boot that ends by itself before the cut is no power cut.
#include "bench/lab/host/power_cut.h"

#include <fstream>

#include "bench/base/child_process.h"
#include "bench/lab/host/lab_run.h"
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

// One cut's two boots, as their steps share them.
struct CutBoots {
  Lab& lab;
  const fs::path& job;
  const json& manifest;
  const std::atomic<bool>& stop;
  fs::path manifest_path, pmem;
  std::string binary;  // this driver, quoted for the guest's shell
  std::unique_ptr<ChildProcess> guest;
  CutRun cut;
};

// Boots the guest on the cut's pmem file running `command`; false (cut.problem set) if it
// cannot be launched.
bool launch(CutBoots& boots, const std::string& command, const char* console,
            const std::string& what) {
  static const std::vector<std::string> kJournalLong = {"--journal", "long"};
  write_script(boots.job / "job.sh", command);
  try {
    boots.guest = boots.lab.launch(boots.job, boots.pmem, boots.job / console, kJournalLong);
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
  if (!launch(boots,
              boots.binary + " crash-writer --manifest " +
                  shell_quote(boots.manifest_path.string()) + "\necho \"" +
                  std::string(lab::kWriterExit) + " $?\"\nexec sleep 3600",
              "console-writer.log", "launch: "))
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

// Boot 2: the same pmem file (journal recovery at mount), crash-check writing `check`.
void checker_boot(CutBoots& boots, const fs::path& check) {
  CutRun& cut = boots.cut;
  if (!launch(boots,
              "exec " + boots.binary + " crash-check --manifest " +
                  shell_quote(boots.manifest_path.string()) + " --out " +
                  shell_quote(check.string()),
              "console-check.log", "launch (checker): "))
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
    cut.problem =
        "the checker boot did not finish within " + std::to_string(int(kCheckerBootS)) + " s";
  else if (!failed.empty())
    cut.problem = "the checker boot failed: " + failed;
  else if (exit_code != 0)
    cut.problem = "crash-check exited " + std::to_string(exit_code);
  if (!cut.problem.empty())
    cut.problem += "; last console lines: " + boots.guest->tail_lines(" | ");
}

void read_check(CutRun& cut, const fs::path& check) {
  std::ifstream in(check);
  for (std::string line; std::getline(in, line);) {
    json row = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (row.is_object() && row.contains("id")) cut.checked[row["id"].get<std::string>()] = row;
  }
}

}  // namespace

CutRun run_cut(Lab& lab, const fs::path& job, const json& manifest, double delay_s,
               const std::atomic<bool>& stop) {
  CutBoots boots{lab, job, manifest, stop, job / "manifest.json", {}, {}, {}, {}};
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
  const fs::path check = job / "check.jsonl";
  checker_boot(boots, check);
  finish();
  if (!cut.problem.empty() || cut.interrupted) return cut;
  read_check(boots.cut, check);
  return cut;
}

}  // namespace daxbench
