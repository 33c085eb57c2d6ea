// crash-writer's parent: one forked child per cell (a mode may install a process-wide signal
// handler, so cells never share a process), a pipe on which each child says it has started,
// and one line for the host once all have.
#include "bench/lab/guest/crash_writer.h"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

#include "bench/base/syscall_error.h"
#include "bench/lab/guest/cell_writer.h"
#include "bench/lab/protocol.h"

namespace daxbench::crash {
namespace {

// What a child tells the parent, in one write (atomic on a pipe).
struct Report {
  std::uint32_t cell;
  CellOutcome outcome;
};

const char* outcome_name(CellOutcome outcome) {
  switch (outcome) {
    case CellOutcome::kStarted:
      return "started";
    case CellOutcome::kUnsupported:
      return "unsupported";
    case CellOutcome::kFailed:
      return "failed";
  }
  return "";
}

[[noreturn]] void run_child(const CrashCell& cell, std::uint64_t nonce, std::uint32_t index,
                            int report_fd) {
  const int code = run_cell(cell, nonce, [&](CellOutcome outcome) {
    const Report report{index, outcome};
    if (write(report_fd, &report, sizeof report) != static_cast<ssize_t>(sizeof report))
      std::cerr << "daxbench crash-writer: cell " << cell.id << ": cannot report to the parent\n";
  });
  close(report_fd);
  _exit(code);  // not exit(): the parent's stdio buffers and atexit handlers are not ours
}

}  // namespace

int run_crash_writer(const CrashManifest& manifest, std::ostream& out) {
  for (std::size_t i = 0; i < manifest.cells.size(); ++i)
    if (std::filesystem::exists(manifest.cells[i].file))
      throw ManifestError("cells[" + std::to_string(i) +
                          "].file: " + manifest.cells[i].file.string() +
                          " exists (left by an earlier cut: check it, then remove it)");
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw SyscallError("pipe", errno);
  out.flush();
  std::cerr.flush();
  std::vector<pid_t> children;
  const pid_t parent = getpid();
  for (std::size_t i = 0; i < manifest.cells.size(); ++i) {
    const pid_t pid = fork();
    if (pid < 0) throw SyscallError("fork", errno);
    if (pid == 0) {
      // A cell outlives no parent: a killed or interrupted crash-writer stops every cell.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);  // it died before prctl
      close(pipe_fds[0]);
      run_child(manifest.cells[i], manifest.nonce, static_cast<std::uint32_t>(i), pipe_fds[1]);
    }
    children.push_back(pid);
  }
  close(pipe_fds[1]);

  // Every child reports once; a child that dies first is seen as the pipe's end.
  std::vector<bool> heard(manifest.cells.size(), false);
  std::size_t started = 0, reports = 0;
  Report report;
  while (reports < manifest.cells.size() &&
         read(pipe_fds[0], &report, sizeof report) == static_cast<ssize_t>(sizeof report)) {
    ++reports;
    heard[report.cell] = true;
    if (report.outcome == CellOutcome::kStarted) {
      ++started;
      continue;
    }
    const CrashCell& cell = manifest.cells[report.cell];
    out << lab::kCellNotStarted << ' ' << cell.id << ' ' << outcome_name(report.outcome) << " (see "
        << status_path(cell).string() << ")\n";
  }
  close(pipe_fds[0]);
  for (std::size_t i = 0; i < heard.size(); ++i)
    if (!heard[i])
      out << lab::kCellNotStarted << ' ' << manifest.cells[i].id
          << " died (its process ended before its first commit)\n";
  out << lab::kWritersStarted << ' ' << started << std::endl;

  int result = 0;
  for (std::size_t i = 0; i < children.size(); ++i) {
    int wait_status = 0;
    while (waitpid(children[i], &wait_status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) continue;
    result = 1;
    std::cerr << "daxbench crash-writer: cell " << manifest.cells[i].id
              << (WIFSIGNALED(wait_status)
                      ? " killed by signal " + std::to_string(WTERMSIG(wait_status))
                      : " failed (exit " + std::to_string(WEXITSTATUS(wait_status)) + ")")
              << "; see " << status_path(manifest.cells[i]).string() << '\n';
  }
  return result;
}

}  // namespace daxbench::crash
