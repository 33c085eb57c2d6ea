// The suite's one supervisor of child processes (fio, daxbench-micro, the lab's QEMU): spawn an
// argv in its own process group, read its output line by line with a bounded tail, deadlines,
// stop = SIGTERM to the group then SIGKILL after a grace period, reap and report how it ended.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace daxbench {

// Where one of the child's standard streams goes.
enum class ChildStream {
  kNull,  // /dev/null
  kPipe,  // to the supervisor: read line by line, kept in the tail
  kFile,  // appended to ChildOptions::file (truncated at spawn)
};

struct ChildOptions {
  std::vector<std::string> argv;           // argv[0] is looked up in PATH
  std::map<std::string, std::string> env;  // added to this process's environment, or replacing
  std::filesystem::path cwd;               // empty: the driver's
  ChildStream out = ChildStream::kNull;    // standard output
  ChildStream err = ChildStream::kPipe;    // standard error
  std::filesystem::path file;              // for kFile
  std::filesystem::path copy;              // if set, everything read from the pipe is logged here
  // What the child writes to its standard error, before ": <why>", if exec fails; empty:
  // "cannot execute <argv[0]>".
  std::string exec_error;
  std::size_t tail_bytes = 2000;  // of the pipe's output, kept for error messages
  std::size_t tail_lines = 15;    // the same, as whole lines
};

// How a reaped child ended: exactly one of the two is set.
struct ChildExit {
  int code = -1;             // exit status, or -1 if it was killed
  int signal = 0;            // the signal that killed it, or 0
  std::string text() const;  // "exit code 3", "killed by signal 9"
};

class ChildProcess {
 public:
  using Clock = std::chrono::steady_clock;
  // Gets each line of the pipe's output, without its "\n" (and "\r"); returning true ends
  // the wait() that read it with kLine.
  using LineFn = std::function<bool(const std::string&)>;

  // Forks and execs; throws SyscallError if the process cannot be made (a program that cannot
  // be executed is a child that exits 127 after saying why on its standard error).
  explicit ChildProcess(const ChildOptions& options);
  // Adopts a process someone else started as the leader of its own group, and the read end
  // of its output (taken over: closed here); the supervisor then reads, stops and reaps it.
  ChildProcess(pid_t pid, int output_fd, const ChildOptions& options);
  ~ChildProcess();  // a child still running is killed with its group and reaped
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  enum class Until { kExit, kLine, kTime, kStop };
  // Reads output until the child has exited (kExit: reaped, pipe drained), `on_line` returned
  // true (kLine), `deadline` passed (kTime) or `stop` became true (kStop). The child is left
  // running for all but kExit. Polls at most every 100 ms, so Ctrl-C is seen promptly.
  Until wait(std::optional<Clock::time_point> deadline, const std::atomic<bool>* stop,
             const LineFn& on_line = {});
  // The same, with a relative time limit.
  Until wait_for(double seconds, const std::atomic<bool>* stop, const LineFn& on_line = {});

  // SIGTERM to the whole group, output still read for up to `grace`, then SIGKILL to the
  // group (also for members that outlived the leader), and the leader reaped.
  void stop(std::chrono::milliseconds grace, const LineFn& on_line = {});
  // SIGKILL to the group now, and reaped: for a child whose state is disposable (a power cut).
  void kill(const LineFn& on_line = {});

  // Runs to the end: wait(), and on a deadline or `stop` a stop(grace). Returns why wait ended.
  Until run(std::optional<Clock::time_point> deadline, const std::atomic<bool>* stop,
            std::chrono::milliseconds grace, const LineFn& on_line = {});

  pid_t pid() const { return pid_; }
  bool exited() const { return reaped_; }
  const ChildExit& exit() const { return exit_; }  // meaningful once exited()
  // The last tail_bytes of the pipe's output, as read.
  const std::string& tail() const { return tail_; }
  // The last tail_lines lines, joined with `separator`.
  std::string tail_lines(const std::string& separator) const;
  // When the pipe last gave output (or the spawn time).
  Clock::time_point last_output() const { return last_output_; }

 private:
  bool read_some(int timeout_ms, const LineFn& on_line);  // true if on_line said so
  bool take_line(std::string line, const LineFn& on_line);
  void drain(const LineFn& on_line);
  bool try_reap(bool block);
  void close_pipe();

  ChildOptions options_;
  pid_t pid_ = -1;
  int fd_ = -1;  // read end of the output pipe, -1 when none or at its end
  bool reaped_ = false;
  ChildExit exit_;
  std::ofstream copy_;
  std::string partial_, tail_;
  std::deque<std::string> lines_;
  Clock::time_point last_output_;
};

}  // namespace daxbench
