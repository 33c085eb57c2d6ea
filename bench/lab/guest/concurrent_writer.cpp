// The concurrent writer: plain pwrite() of records, the published count written the same way
// the cell's ack is, and nothing else — no fsync, no fdatasync, no mapping.
#include "bench/lab/guest/concurrent_writer.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include "bench/base/syscall_error.h"
#include "bench/lab/guest/ack_file.h"
#include "bench/lab/guest/record.h"

namespace daxbench::crash {
namespace {

// Exit status 0: ran to its deadline or a full region; 1: could not open or write.
[[noreturn]] void run(const CrashCell& cell, std::uint64_t nonce,
                      std::chrono::steady_clock::time_point deadline) {
  try {
    const CellLayout layout = cell_layout(cell);
    AckFile written(cell.concurrent_write->written);
    const int data_fd = open(cell.file.c_str(), O_WRONLY | O_CLOEXEC);
    if (data_fd < 0) _exit(1);
    const std::uint64_t own_nonce = concurrent_nonce(nonce);
    const std::uint64_t records = layout.writer_bytes / kRecordSize;
    for (std::uint64_t seq = 1; seq <= records; ++seq) {
      if (std::chrono::steady_clock::now() >= deadline) break;
      const RecordBytes r = encode_record(own_nonce, seq, seq - 1);
      const auto offset = static_cast<off_t>(layout.writer_offset + (seq - 1) * kRecordSize);
      if (pwrite(data_fd, r.data(), r.size(), offset) != static_cast<ssize_t>(r.size())) _exit(1);
      written.publish(seq);
      std::this_thread::sleep_for(kConcurrentPause);
    }
  } catch (const std::exception&) {
    _exit(1);
  }
  _exit(0);  // not exit(): the parent's atexit handlers and stdio buffers are not ours
}

}  // namespace

pid_t start_concurrent_writer(const CrashCell& cell, std::uint64_t nonce,
                              std::chrono::steady_clock::time_point deadline) {
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw SyscallError("fork (concurrent writer)", errno);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);  // the cell ended before prctl
    run(cell, nonce, deadline);
  }
  return pid;
}

}  // namespace daxbench::crash
