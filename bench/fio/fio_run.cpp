// fio as a child process. It gets its own process group so a time limit or Ctrl-C can stop
// it and the job processes it forks, and so a terminal's Ctrl-C reaches the driver first.
#include "bench/fio/fio_run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

extern char** environ;

namespace daxbench::fio {
namespace {

constexpr std::size_t kTailBytes = 2000;   // of standard error, kept for a failed record
constexpr std::chrono::seconds kGrace{3};  // from SIGTERM to SIGKILL

void keep_tail(std::string& tail, const char* data, std::size_t n) {
  tail.append(data, n);
  if (tail.size() > 2 * kTailBytes) tail.erase(0, tail.size() - kTailBytes);
}

}  // namespace

RunOutcome run_fio(const std::string& binary, const std::filesystem::path& job,
                   const std::filesystem::path& json, const std::map<std::string, std::string>& env,
                   double timeout_s, const std::atomic<bool>& stop) {
  RunOutcome outcome;
  outcome.command = {binary, "--output-format=json", "--output=" + json.string(), job.string()};
  // Everything the child needs is built before fork: after it only async-signal-safe calls.
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string_view::npos && env.contains(std::string(entry.substr(0, eq)))) continue;
    env_text.emplace_back(entry);
  }
  for (const auto& [key, value] : env) env_text.push_back(key + "=" + value);
  std::vector<char*> envp, argv;
  for (std::string& s : env_text) envp.push_back(s.data());
  envp.push_back(nullptr);
  for (std::string& s : outcome.command) argv.push_back(s.data());
  argv.push_back(nullptr);

  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    outcome.problem = std::string("pipe: ") + std::strerror(errno);
    return outcome;
  }
  const pid_t pid = fork();
  if (pid < 0) {
    outcome.problem = std::string("fork: ") + std::strerror(errno);
    close(err_pipe[0]);
    close(err_pipe[1]);
    return outcome;
  }
  if (pid == 0) {
    setpgid(0, 0);
    dup2(err_pipe[1], STDERR_FILENO);
    const int null = open("/dev/null", O_RDWR);
    if (null >= 0) dup2(null, STDIN_FILENO), dup2(null, STDOUT_FILENO);
    execvpe(argv[0], argv.data(), envp.data());
    const char* why = std::strerror(errno);
    const char prefix[] = "cannot execute fio: ";
    [[maybe_unused]] ssize_t w = write(STDERR_FILENO, prefix, sizeof prefix - 1);
    w = write(STDERR_FILENO, why, std::strlen(why));
    _exit(127);
  }
  setpgid(pid, pid);  // also here, so the group exists before any kill below
  close(err_pipe[1]);

  const auto start = std::chrono::steady_clock::now();
  bool open_pipe = true, killed = false;
  std::chrono::steady_clock::time_point killed_at;
  int status = 0;
  for (;;) {
    if (open_pipe) {
      pollfd p{err_pipe[0], POLLIN, 0};
      if (poll(&p, 1, 100) > 0) {
        char buffer[4096];
        const ssize_t got = read(err_pipe[0], buffer, sizeof buffer);
        if (got > 0)
          keep_tail(outcome.stderr_tail, buffer, static_cast<std::size_t>(got));
        else
          open_pipe = false;
      }
    } else {
      usleep(20000);
    }
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {  // not ours to wait for any more: nothing to report
      outcome.problem = std::string("waitpid: ") + std::strerror(errno);
      break;
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!killed && (stop.load() || elapsed > timeout_s)) {
      if (stop.load()) {
        outcome.interrupted = true;
        outcome.problem = "interrupted";
      } else {
        outcome.problem = "fio did not finish within " + std::to_string(int(timeout_s)) + " s";
      }
      // SIGTERM lets fio stop its jobs; what is left after a grace period is killed.
      kill(pid, SIGTERM);
      killed_at = std::chrono::steady_clock::now();
      killed = true;
    } else if (killed && std::chrono::steady_clock::now() - killed_at > kGrace) {
      killpg(pid, SIGKILL);
    }
  }
  // Whatever is left in the pipe, without waiting on a writer that might still hold it.
  fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
  for (char buffer[4096]; open_pipe;) {
    const ssize_t got = read(err_pipe[0], buffer, sizeof buffer);
    if (got <= 0) break;
    keep_tail(outcome.stderr_tail, buffer, static_cast<std::size_t>(got));
  }
  close(err_pipe[0]);
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status) && outcome.problem.empty())
    outcome.problem = "fio was killed by signal " + std::to_string(WTERMSIG(status));
  if (outcome.stderr_tail.size() > kTailBytes)
    outcome.stderr_tail.erase(0, outcome.stderr_tail.size() - kTailBytes);
  return outcome;
}

}  // namespace daxbench::fio
