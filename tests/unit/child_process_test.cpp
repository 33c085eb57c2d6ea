// The child-process supervisor on /bin/sh scripts: exit status, death by signal, the tail of
// its output, the line callback, deadlines, stop (SIGTERM, then SIGKILL) of the whole group.
#include "bench/base/child_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace daxbench {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

ChildOptions shell(const std::string& script) {
  ChildOptions o;
  o.argv = {"/bin/sh", "-c", script};
  o.out = ChildStream::kPipe;
  o.err = ChildStream::kPipe;
  return o;
}

// Running or stopped, not a zombie: a killed grandchild is reaped by whoever inherits it,
// which in a container may be never.
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return false;
  const auto paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z';
}

TEST(ChildProcess, ReportsTheExitStatus) {
  ChildProcess child(shell("exit 3"));
  EXPECT_EQ(child.wait_for(10, nullptr), ChildProcess::Until::kExit);
  EXPECT_TRUE(child.exited());
  EXPECT_EQ(child.exit().code, 3);
  EXPECT_EQ(child.exit().signal, 0);
  EXPECT_EQ(child.exit().text(), "exit code 3");
}

TEST(ChildProcess, ReportsDeathBySignal) {
  ChildProcess child(shell("kill -USR1 $$; sleep 5"));
  EXPECT_EQ(child.wait_for(10, nullptr), ChildProcess::Until::kExit);
  EXPECT_EQ(child.exit().code, -1);
  EXPECT_EQ(child.exit().signal, SIGUSR1);
  EXPECT_EQ(child.exit().text(), "killed by signal " + std::to_string(SIGUSR1));
}

TEST(ChildProcess, AProgramThatCannotBeExecutedExits127SayingWhy) {
  ChildOptions o;
  o.argv = {"/nonexistent/prog"};
  o.exec_error = "cannot execute prog";
  ChildProcess child(o);
  child.wait_for(10, nullptr);
  EXPECT_EQ(child.exit().code, 127);
  EXPECT_NE(child.tail().find("cannot execute prog: "), std::string::npos) << child.tail();
}

TEST(ChildProcess, KeepsABoundedTailOfTheOutput) {
  ChildOptions o = shell("i=0; while [ $i -lt 200 ]; do echo line $i; i=$((i+1)); done");
  o.tail_bytes = 100;
  o.tail_lines = 3;
  ChildProcess child(o);
  EXPECT_EQ(child.wait_for(10, nullptr), ChildProcess::Until::kExit);
  EXPECT_EQ(child.tail().size(), 100u);
  EXPECT_TRUE(child.tail().ends_with("line 199\n")) << child.tail();
  EXPECT_EQ(child.tail_lines(" | "), "line 197 | line 198 | line 199");
}

TEST(ChildProcess, HandsEachLineToTheCallbackAndStopsAtAMatch) {
  ChildProcess child(shell("printf 'a\\r\\nMARK x\\nb\\n'; sleep 0.2; printf 'tail-no-newline'"));
  std::vector<std::string> seen;
  auto watch = [&](const std::string& line) {
    seen.push_back(line);
    return line.starts_with("MARK");
  };
  EXPECT_EQ(child.wait_for(10, nullptr, watch), ChildProcess::Until::kLine);
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "MARK x"}));
  // The lines after the match are handed to the next wait, the unterminated last one too.
  EXPECT_EQ(child.wait_for(10, nullptr, watch), ChildProcess::Until::kExit);
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "MARK x", "b", "tail-no-newline"}));
}

TEST(ChildProcess, WritesToAFileAndCopiesThePipe) {
  const fs::path dir = fs::temp_directory_path() / ("child_test." + std::to_string(getpid()));
  fs::create_directories(dir);
  ChildOptions o = shell("echo out; echo err >&2; pwd >&2; echo $DAXBENCH_CHILD_TEST");
  o.out = ChildStream::kFile;
  o.file = dir / "out.log";
  o.copy = dir / "err.log";
  o.cwd = "/";
  o.env = {{"DAXBENCH_CHILD_TEST", "from-env"}};
  {
    ChildProcess child(o);
    EXPECT_EQ(child.wait_for(10, nullptr), ChildProcess::Until::kExit);
    EXPECT_EQ(child.tail(), "err\n/\n");
  }
  auto text = [](const fs::path& p) {
    std::stringstream s;
    s << std::ifstream(p).rdbuf();
    return s.str();
  };
  EXPECT_EQ(text(dir / "out.log"), "out\nfrom-env\n");
  EXPECT_EQ(text(dir / "err.log"), "err\n/\n");
  fs::remove_all(dir);
}

TEST(ChildProcess, ADeadlineIsSeenAndStopEndsAChildThatIgnoresSigterm) {
  // The child says when its trap is set, so SIGTERM cannot arrive before it is ignored.
  ChildProcess child(shell("trap '' TERM; echo ready; while :; do sleep 0.05; done"));
  ASSERT_EQ(child.wait_for(10, nullptr, [](const std::string& l) { return l == "ready"; }),
            ChildProcess::Until::kLine);
  const auto start = ChildProcess::Clock::now();
  EXPECT_EQ(child.wait_for(0.3, nullptr), ChildProcess::Until::kTime);
  EXPECT_GE(ChildProcess::Clock::now() - start, 300ms);
  EXPECT_FALSE(child.exited());
  const auto stop_start = ChildProcess::Clock::now();
  child.stop(500ms);
  EXPECT_GE(ChildProcess::Clock::now() - stop_start, 450ms);  // SIGTERM was ignored
  EXPECT_TRUE(child.exited());
  EXPECT_EQ(child.exit().signal, SIGKILL);
}

TEST(ChildProcess, StopSendsSigtermFirst) {
  ChildProcess child(shell("echo ready; exec sleep 30"));
  child.wait_for(10, nullptr, [](const std::string& l) { return l == "ready"; });
  const auto start = ChildProcess::Clock::now();
  child.stop(5s);
  EXPECT_LT(ChildProcess::Clock::now() - start, 3s);
  EXPECT_EQ(child.exit().signal, SIGTERM);
}

TEST(ChildProcess, StopKillsTheWholeGroupGrandchildrenIncluded) {
  // Two grandchildren, one of which ignores SIGTERM and outlives the shell.
  ChildProcess child(
      shell("sleep 30 & echo pid $!; (trap '' TERM; while :; do sleep 0.05; done) & echo pid $!; "
            "sleep 0.1; echo ready; wait"));
  std::vector<pid_t> pids;
  ASSERT_EQ(child.wait_for(10, nullptr,
                           [&](const std::string& l) {
                             if (l.starts_with("pid ")) pids.push_back(std::stoi(l.substr(4)));
                             return l == "ready";
                           }),
            ChildProcess::Until::kLine);
  ASSERT_EQ(pids.size(), 2u);
  for (pid_t p : pids) EXPECT_TRUE(alive(p)) << p;
  child.stop(300ms);
  EXPECT_TRUE(child.exited());
  // Killed grandchildren are reparented to init (or a subreaper): give the kill a moment.
  for (pid_t p : pids) {
    for (int i = 0; i < 100 && alive(p); ++i) std::this_thread::sleep_for(20ms);
    EXPECT_FALSE(alive(p)) << "grandchild " << p << " outlived the stop";
  }
}

TEST(ChildProcess, AStopRequestEndsTheWait) {
  std::atomic<bool> stop{false};
  ChildProcess child(shell("exec sleep 30"));
  std::thread ctrl_c([&] {
    std::this_thread::sleep_for(100ms);
    stop = true;
  });
  EXPECT_EQ(child.run(std::nullopt, &stop, 2s), ChildProcess::Until::kStop);
  ctrl_c.join();
  EXPECT_EQ(child.exit().signal, SIGTERM);
}

TEST(ChildProcess, LeavesNoDescriptorOpen) {
  auto open_fds = [] {
    return std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator{});
  };
  const auto before = open_fds();
  const fs::path log = fs::temp_directory_path() / ("child_fd." + std::to_string(getpid()));
  {
    ChildOptions o = shell("echo out; echo err >&2");
    o.out = ChildStream::kFile;
    o.file = log;
    ChildProcess child(o);
    child.wait_for(10, nullptr);
  }
  {
    ChildProcess child(shell("exec sleep 30"));  // killed by the destructor, pipe still open
  }
  EXPECT_EQ(open_fds(), before);
  fs::remove(log);
}

TEST(ChildProcess, TheDestructorKillsAndReapsARunningChild) {
  pid_t pid;
  {
    ChildProcess child(shell("exec sleep 30"));
    pid = child.pid();
  }
  EXPECT_FALSE(alive(pid));  // reaped, not a zombie: kill(pid, 0) fails
}

}  // namespace
}  // namespace daxbench
