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

}  // namespace

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
  std::unique_ptr<ChildProcess> guest;
  try {
    guest = lab.launch(job, pmem, job / "console-writer.log", journal_long);
  } catch (const TargetError& e) {
    cut.problem = std::string("launch: ") + e.what();
    finish();
    return cut;
  }
  {
    bool started = false;
    std::string failed;
    const auto until = guest->wait_for(kWriterBootS, &stop, [&](const std::string& line) {
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
    if (until == Until::kStop) {
      cut.interrupted = true;
    } else if (!started) {
      cut.problem = !failed.empty()         ? failed
                    : until == Until::kTime ? "the writers did not start within " +
                                                  std::to_string(int(kWriterBootS)) + " s"
                                            : "QEMU exited before the writers started";
      cut.problem += "; last console lines: " + guest->tail_lines(" | ");
    } else {
      // The cut: keep logging the console meanwhile; a writer boot that ends by itself
      // powered off cleanly, which is no power cut.
      std::string ended;
      const auto slept = guest->wait_for(delay_s, &stop, [&](const std::string& line) {
        const auto [word, rest] = lab_marker(line);
        if (word == "EXIT" || word == "FAILED") ended = word + " " + rest;
        return !ended.empty();
      });
      if (slept == Until::kStop) cut.interrupted = true;
      if (!ended.empty() || slept == Until::kExit)
        cut.problem = "the writer boot ended before the cut (" +
                      (ended.empty() ? std::string("QEMU exited") : ended) +
                      "); last console lines: " + guest->tail_lines(" | ");
    }
    guest->kill();  // the power cut
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
    guest = lab.launch(job, pmem, job / "console-check.log", journal_long);
  } catch (const TargetError& e) {
    cut.problem = std::string("launch (checker): ") + e.what();
    finish();
    return cut;
  }
  {
    int exit_code = -1;
    std::string failed;
    const auto until = guest->wait_for(kCheckerBootS, &stop, [&](const std::string& line) {
      const auto [word, rest] = lab_marker(line);
      if (word == "EXIT") exit_code = std::atoi(rest.c_str());
      if (word == "FAILED") failed = rest;
      return false;
    });
    if (until != Until::kExit) guest->kill();
    if (until == Until::kStop)
      cut.interrupted = true;
    else if (until == Until::kTime)
      cut.problem =
          "the checker boot did not finish within " + std::to_string(int(kCheckerBootS)) + " s";
    else if (!failed.empty())
      cut.problem = "the checker boot failed: " + failed;
    else if (exit_code != 0)
      cut.problem = "crash-check exited " + std::to_string(exit_code);
    if (!cut.problem.empty()) cut.problem += "; last console lines: " + guest->tail_lines(" | ");
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

}  // namespace daxbench
