// The suite's tracefs handling: what it mounts it unmounts, and open counters keep counting.
#include "counter_test_support.h"

namespace daxbench {
namespace {

using namespace counter_testing;

// The child's half of the test below, in a mount namespace of its own: "" if all held, "skip: "
// and why if it cannot be tried here, else what went wrong.
std::string tracefs_round_trip() {
  if (unshare(CLONE_NEWNS) != 0) return "skip: " + errno_text("unshare(CLONE_NEWNS)", errno);
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return "skip: " + errno_text("mount --make-rprivate /", errno);
  // As if nobody had mounted tracefs (nor debugfs, whose tracing/ would mount it on a look).
  for (const char* type : {"tracefs", "debugfs"}) {
    std::vector<std::string> points = perf::mount_points_of(type);
    for (auto it = points.rbegin(); it != points.rend(); ++it) umount2(it->c_str(), MNT_DETACH);
  }
  if (!perf::mount_points_of("tracefs").empty()) return "skip: tracefs could not be unmounted here";

  const perf::Tracefs fs = perf::tracefs();
  if (fs.path.empty()) return "skip: no tracefs: " + fs.problem;
  if (!fs.mounted_by_us || fs.path != "/sys/kernel/tracing")
    return "tracefs() found " + fs.path + " without mounting it";
  const perf::TracepointId id = perf::tracepoint_id("syscalls:sys_enter_fsync");
  if (!id.id) return "skip: " + id.unavailable;
  perf_event_attr attr{};
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_TRACEPOINT;
  attr.config = *id.id;
  attr.disabled = 1;
  const int counter = static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
  if (counter < 0) return "skip: " + errno_text("perf_event_open (tracepoint)", errno);
  ioctl(counter, PERF_EVENT_IOC_ENABLE, 0);

  const std::optional<std::string> released = perf::release_tracefs();
  const std::string expected = "mounted by daxbench at /sys/kernel/tracing and unmounted";
  if (released != expected) return "release_tracefs() said " + released.value_or("nothing");
  if (!perf::mount_points_of("tracefs").empty())
    return "tracefs is still mounted after release_tracefs()";
  if (perf::release_tracefs() != expected) return "a second release_tracefs() said otherwise";

  // The counter opened by id does not need the mount.
  const std::string path =
      (std::filesystem::temp_directory_path() / ("daxbench-tracefs-" + std::to_string(getpid())))
          .string();
  const int fd = open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno_text("open " + path, errno);
  unlink(path.c_str());
  for (int i = 0; i < 3; ++i) fsync(fd);
  close(fd);
  std::uint64_t count = 0;
  if (read(counter, &count, sizeof count) != static_cast<ssize_t>(sizeof count))
    return errno_text("read (tracepoint counter)", errno);
  close(counter);
  if (count != 3) return "after the unmount the fsync counter saw " + std::to_string(count);
  return "";
}

// What the suite mounted it unmounts when done, and only that; counters keep counting. Tried
// in a forked child with a mount namespace of its own, so this machine's tracefs and whoever
// uses it see none of it.
TEST(Tracefs, WhatTheSuiteMountedItUnmountsAndOpenCountersKeepCounting) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0) << errno_text("pipe", errno);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0) << errno_text("fork", errno);
  if (pid == 0) {
    close(pipe_fds[0]);
    const std::string problem = tracefs_round_trip();
    if (!problem.empty() && write(pipe_fds[1], problem.data(), problem.size()) < 0) _exit(2);
    _exit(problem.empty() ? 0 : problem.rfind("skip: ", 0) == 0 ? 77 : 1);
  }
  close(pipe_fds[1]);
  std::string said;
  char buffer[512];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) said.append(buffer, n);
  close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died: " << status;
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << said;
  EXPECT_EQ(WEXITSTATUS(status), 0) << said;
}
}  // namespace
}  // namespace daxbench
