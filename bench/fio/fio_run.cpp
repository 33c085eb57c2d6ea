// fio as a child process, on the suite's supervisor (bench/base/child_process.h): its own
// process group so a time limit or Ctrl-C stops it and the job processes it forks, and so a
// terminal's Ctrl-C reaches the driver first.
#include "bench/fio/fio_run.h"

#include <chrono>
#include <exception>

#include "bench/base/child_process.h"

namespace daxbench::fio {
namespace {

constexpr std::size_t kTailBytes = 2000;   // of standard error, kept for a failed record
constexpr std::chrono::seconds kGrace{3};  // from SIGTERM to SIGKILL: fio stops its jobs

}  // namespace

RunOutcome run_fio(const std::string& binary, const std::filesystem::path& job,
                   const std::filesystem::path& json, const std::map<std::string, std::string>& env,
                   double timeout_s, const std::atomic<bool>& stop) {
  RunOutcome outcome;
  outcome.command = {binary, "--output-format=json", "--output=" + json.string(), job.string()};
  ChildOptions options;
  options.argv = outcome.command;
  options.env = env;
  options.exec_error = "cannot execute fio";
  options.out = ChildStream::kNull;
  options.err = ChildStream::kPipe;
  options.tail_bytes = kTailBytes;
  try {
    ChildProcess child(options);
    const auto deadline =
        ChildProcess::Clock::now() + std::chrono::duration_cast<ChildProcess::Clock::duration>(
                                         std::chrono::duration<double>(timeout_s));
    const ChildProcess::Until why = child.run(deadline, &stop, kGrace);
    if (why == ChildProcess::Until::kStop) {
      outcome.interrupted = true;
      outcome.problem = "interrupted";
    } else if (why == ChildProcess::Until::kTime) {
      outcome.problem = "fio did not finish within " + std::to_string(int(timeout_s)) + " s";
    }
    outcome.stderr_tail = child.tail();
    outcome.exit_code = child.exit().code;
    if (child.exit().signal && outcome.problem.empty())
      outcome.problem = "fio was " + child.exit().text();
  } catch (const std::exception& e) {
    outcome.problem = e.what();
  }
  return outcome;
}

}  // namespace daxbench::fio
