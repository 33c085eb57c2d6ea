// Spawning, reading, stopping and reaping a child process group. Everything the child needs
// is built before fork(): after it, in a driver with threads, only async-signal-safe calls.
#include "bench/base/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <thread>
#include <utility>

#include "bench/base/syscall_error.h"

extern char** environ;

namespace daxbench {
namespace {

constexpr int kPollMs = 100;  // how late a stop request or a deadline may be seen

int open_cloexec(const std::filesystem::path& path, int flags) {
  const int fd = open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) throw SyscallError("open " + path.string(), errno);
  return fd;
}

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = write(fd, text.data(), text.size());
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

int ms_until(ChildProcess::Clock::time_point t) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(t - ChildProcess::Clock::now());
  return static_cast<int>(std::clamp<long long>(left.count() + 1, 0, kPollMs));
}

}  // namespace

std::string ChildExit::text() const {
  if (signal) return "killed by signal " + std::to_string(signal);
  return "exit code " + std::to_string(code);
}

ChildProcess::ChildProcess(const ChildOptions& options) : options_(options) {
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string_view::npos && options_.env.contains(std::string(entry.substr(0, eq))))
      continue;
    env_text.emplace_back(entry);
  }
  for (const auto& [key, value] : options_.env) env_text.push_back(key + "=" + value);
  std::vector<char*> envp, argv;
  for (std::string& s : env_text) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = options_.argv;
  if (args.empty()) throw SyscallError("spawn (no argv)", EINVAL);
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  const std::string cant =
      options_.exec_error.empty() ? "cannot execute " + args[0] : options_.exec_error;
  const std::string cwd = options_.cwd.string();

  // The child's descriptors, opened here (close-on-exec) so a failure is the caller's error.
  int fds[3] = {-1, -1, -1};
  int pipe_fds[2] = {-1, -1};
  auto close_all = [&] {
    for (int& fd : fds)
      if (fd >= 0) close(fd), fd = -1;
    for (int& fd : pipe_fds)
      if (fd >= 0) close(fd), fd = -1;
  };
  try {
    fds[0] = open_cloexec("/dev/null", O_RDONLY);
    int file_fd = -1;
    if (options_.out == ChildStream::kFile || options_.err == ChildStream::kFile)
      file_fd = open_cloexec(options_.file, O_WRONLY | O_CREAT | O_TRUNC);
    if (options_.out == ChildStream::kPipe || options_.err == ChildStream::kPipe)
      if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw SyscallError("pipe2", errno);
    for (int i = 1; i <= 2; ++i) {
      const ChildStream s = i == 1 ? options_.out : options_.err;
      fds[i] = s == ChildStream::kPipe   ? dup(pipe_fds[1])
               : s == ChildStream::kFile ? dup(file_fd)
                                         : open("/dev/null", O_WRONLY);
      if (fds[i] < 0) throw SyscallError("dup", errno);
      fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    }
    if (file_fd >= 0) close(file_fd);
    if (!options_.copy.empty()) copy_.open(options_.copy, std::ios::binary | std::ios::trunc);
  } catch (...) {
    close_all();
    throw;
  }

  pid_ = fork();
  if (pid_ < 0) {
    const int error = errno;
    close_all();
    throw SyscallError("fork", error);
  }
  if (pid_ == 0) {
    // Its own group: a terminal's Ctrl-C reaches the driver only, which then stops the group.
    setpgid(0, 0);
    for (int i = 0; i < 3; ++i) dup2(fds[i], i);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) {
      write_all(STDERR_FILENO, cant + ": chdir " + cwd + ": " + std::strerror(errno) + "\n");
      _exit(127);
    }
    execvpe(argv[0], argv.data(), envp.data());
    const char* why = std::strerror(errno);
    write_all(STDERR_FILENO, cant);
    write_all(STDERR_FILENO, ": ");
    write_all(STDERR_FILENO, why);
    write_all(STDERR_FILENO, "\n");
    _exit(127);
  }
  setpgid(pid_, pid_);  // also here, so the group exists before any killpg below
  fd_ = pipe_fds[0];
  pipe_fds[0] = -1;
  close_all();  // the write end lives on in the child only, so its exit is the pipe's end
  last_output_ = Clock::now();
}

ChildProcess::ChildProcess(pid_t pid, int output_fd, const ChildOptions& options)
    : options_(options), pid_(pid), fd_(output_fd), last_output_(Clock::now()) {
  if (!options_.copy.empty()) copy_.open(options_.copy, std::ios::binary | std::ios::trunc);
}

ChildProcess::~ChildProcess() {
  if (!reaped_) kill();
  close_pipe();
}

ChildProcess::Until ChildProcess::wait(std::optional<Clock::time_point> deadline,
                                       const std::atomic<bool>* stop, const LineFn& on_line) {
  // Lines left over from a read that ended an earlier wait at a matching line come first.
  for (std::size_t nl; (nl = partial_.find('\n')) != std::string::npos;) {
    std::string line = partial_.substr(0, nl);
    partial_.erase(0, nl + 1);
    if (take_line(std::move(line), on_line)) return Until::kLine;
  }
  for (;;) {
    if (stop && stop->load()) return Until::kStop;
    if (deadline && Clock::now() >= *deadline) return Until::kTime;
    const int timeout = deadline ? ms_until(*deadline) : kPollMs;
    if (fd_ >= 0) {
      if (read_some(timeout, on_line)) return Until::kLine;
    } else if (!reaped_) {
      // No pipe (or its end came first): a short sleep between checks of the child.
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(timeout, 20)));
    }
    if (try_reap(false)) {
      drain(on_line);
      return Until::kExit;
    }
  }
}

ChildProcess::Until ChildProcess::wait_for(double seconds, const std::atomic<bool>* stop,
                                           const LineFn& on_line) {
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(std::max(seconds, 0.0)));
  return wait(deadline, stop, on_line);
}

void ChildProcess::stop(std::chrono::milliseconds grace, const LineFn& on_line) {
  if (!reaped_) {
    // SIGTERM lets a child such as fio stop its own jobs; what is left after `grace` is killed.
    killpg(pid_, SIGTERM);
    const auto until = Clock::now() + grace;
    while (!try_reap(false) && Clock::now() < until) {
      if (fd_ >= 0)
        read_some(ms_until(until), on_line);
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(ms_until(until), 20)));
    }
  }
  // Also after the leader is gone: members that ignored SIGTERM must not outlive the stop.
  killpg(pid_, SIGKILL);
  if (!reaped_) try_reap(true);
  drain(on_line);
}

void ChildProcess::kill(const LineFn& on_line) {
  if (!reaped_) {
    killpg(pid_, SIGKILL);
    ::kill(pid_, SIGKILL);  // an adopted child that never made its group
    try_reap(true);
  }
  drain(on_line);
}

ChildProcess::Until ChildProcess::run(std::optional<Clock::time_point> deadline,
                                      const std::atomic<bool>* stop,
                                      std::chrono::milliseconds grace, const LineFn& on_line) {
  Until why;
  do why = wait(deadline, stop, on_line);
  while (why == Until::kLine);
  if (why != Until::kExit) this->stop(grace, on_line);
  return why;
}

std::string ChildProcess::tail_lines(const std::string& separator) const {
  std::string out;
  for (const std::string& line : lines_) out += (out.empty() ? "" : separator) + line;
  return out;
}

bool ChildProcess::read_some(int timeout_ms, const LineFn& on_line) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return false;  // nothing yet, or EINTR from Ctrl-C
  char buffer[4096];
  const ssize_t got = read(fd_, buffer, sizeof buffer);
  if (got < 0 && (errno == EINTR || errno == EAGAIN)) return false;
  if (got <= 0) {  // every writer is gone
    if (!partial_.empty()) take_line(std::exchange(partial_, {}), on_line);
    close_pipe();
    return false;
  }
  last_output_ = Clock::now();
  if (copy_.is_open()) copy_.write(buffer, got).flush();
  tail_.append(buffer, static_cast<std::size_t>(got));
  if (tail_.size() > options_.tail_bytes) tail_.erase(0, tail_.size() - options_.tail_bytes);
  partial_.append(buffer, static_cast<std::size_t>(got));
  for (std::size_t nl; (nl = partial_.find('\n')) != std::string::npos;) {
    std::string line = partial_.substr(0, nl);
    partial_.erase(0, nl + 1);
    // The rest stays in partial_ for the next wait(), so no line escapes its callback.
    if (take_line(std::move(line), on_line)) return true;
  }
  return false;
}

bool ChildProcess::take_line(std::string line, const LineFn& on_line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  lines_.push_back(line);
  if (lines_.size() > options_.tail_lines) lines_.pop_front();
  return on_line && on_line(line);
}

void ChildProcess::drain(const LineFn& on_line) {
  // What is left in the pipe, without waiting on a grandchild that might still hold it open.
  if (fd_ >= 0) {
    fcntl(fd_, F_SETFL, O_NONBLOCK);
    while (fd_ >= 0) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 0) <= 0) break;
      read_some(0, on_line);
    }
  }
  for (std::size_t nl; (nl = partial_.find('\n')) != std::string::npos;) {
    std::string line = partial_.substr(0, nl);
    partial_.erase(0, nl + 1);
    take_line(std::move(line), on_line);
  }
  if (!partial_.empty()) take_line(std::exchange(partial_, {}), on_line);
  close_pipe();
}

bool ChildProcess::try_reap(bool block) {
  if (reaped_) return true;
  int status = 0;
  pid_t done;
  do done = waitpid(pid_, &status, block ? 0 : WNOHANG);
  while (done < 0 && errno == EINTR);
  if (done == 0) return false;
  reaped_ = true;
  if (done < 0) return true;  // not ours to wait for any more: nothing to report
  if (WIFEXITED(status)) exit_.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) exit_.signal = WTERMSIG(status);
  return true;
}

void ChildProcess::close_pipe() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

}  // namespace daxbench
