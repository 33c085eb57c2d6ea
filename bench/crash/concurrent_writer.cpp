// The concurrent writer: plain pwrite() of records, the published count written the same way
// the cell's ack is, and nothing else — no fsync, no fdatasync, no mapping.
#include "bench/crash/concurrent_writer.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include "bench/core/syscall_error.h"
#include "bench/crash/record.h"

namespace daxbench::crash {
namespace {

bool write_whole(int fd, const std::byte* bytes, std::size_t size, std::uint64_t offset) {
  return pwrite(fd, bytes, size, static_cast<off_t>(offset)) == static_cast<ssize_t>(size);
}

// Exit status 0: ran to its deadline or a full region; 1: could not open or write.
[[noreturn]] void run(const CrashCell& cell, std::uint64_t nonce,
                      std::chrono::steady_clock::time_point deadline) {
  const ConcurrentWrite& write = *cell.concurrent_write;
  const CellLayout layout = cell_layout(cell);
  const int written_fd =
      open(write.written.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int data_fd = open(cell.file.c_str(), O_WRONLY | O_CLOEXEC);
  if (written_fd < 0 || data_fd < 0) _exit(1);
  const std::uint64_t own_nonce = concurrent_nonce(nonce);
  std::byte count[8];
  store_le64(count, 0);
  if (!write_whole(written_fd, count, sizeof count, 0)) _exit(1);
  const std::uint64_t records = layout.writer_bytes / kRecordSize;
  for (std::uint64_t seq = 1; seq <= records; ++seq) {
    if (std::chrono::steady_clock::now() >= deadline) break;
    const RecordBytes r = encode_record(own_nonce, seq, seq - 1);
    if (!write_whole(data_fd, r.data(), r.size(), layout.writer_offset + (seq - 1) * kRecordSize))
      _exit(1);
    store_le64(count, seq);
    if (!write_whole(written_fd, count, sizeof count, 0)) _exit(1);
    std::this_thread::sleep_for(kConcurrentPause);
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
