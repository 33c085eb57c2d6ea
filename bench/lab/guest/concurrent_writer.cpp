// The concurrent writer: plain pwrite() of records, or plain stores into a plain shared
// mapping; the published count written the same way the cell's ack is, and nothing else — no
// fsync, no fdatasync, no msync, no cache flush, no MAP_SYNC.
#include "bench/lab/guest/concurrent_writer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <thread>

#include "bench/base/syscall_error.h"
#include "bench/lab/guest/ack_file.h"
#include "bench/lab/guest/record.h"

namespace daxbench::crash {
namespace {

// Exit status 0: ran to its deadline or a full region; 1: could not open, map or write.
[[noreturn]] void run(const CrashCell& cell, std::uint64_t nonce,
                      std::chrono::steady_clock::time_point deadline) {
  try {
    const CellLayout layout = cell_layout(cell);
    AckFile written(cell.concurrent_write->written);
    const bool mapped = cell.concurrent_write->placement == kMappedPlacement;
    const int data_fd = open(cell.file.c_str(), (mapped ? O_RDWR : O_WRONLY) | O_CLOEXEC);
    if (data_fd < 0) _exit(1);
    // The whole file from offset 0 (its region's start need not be page-aligned). What a
    // DAX-unaware program does: MAP_SHARED and nothing else.
    std::byte* base = nullptr;
    if (mapped) {
      void* at = mmap(nullptr, layout.end(), PROT_READ | PROT_WRITE, MAP_SHARED, data_fd, 0);
      if (at == MAP_FAILED) _exit(1);
      base = static_cast<std::byte*>(at);
    }
    const std::uint64_t own_nonce = concurrent_nonce(nonce);
    const std::uint64_t records = layout.writer_bytes / kRecordSize;
    for (std::uint64_t seq = 1; seq <= records; ++seq) {
      if (std::chrono::steady_clock::now() >= deadline) break;
      const RecordBytes r = encode_record(own_nonce, seq, seq - 1);
      const std::uint64_t offset = layout.writer_offset + (seq - 1) * kRecordSize;
      if (mapped) {
        std::memcpy(base + offset, r.data(), r.size());  // ordinary stores into the cache
      } else if (pwrite(data_fd, r.data(), r.size(), static_cast<off_t>(offset)) !=
                 static_cast<ssize_t>(r.size())) {
        _exit(1);
      }
      written.publish(seq);
      std::this_thread::sleep_for(kConcurrentPause);
    }
  } catch (const std::exception&) {
    _exit(1);
  }
  // No munmap() or msync(): the mapping goes with the process, as a careless program's does.
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
