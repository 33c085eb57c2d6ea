// The file through which a crash writer publishes the last seq it has acknowledged (or, for a
// concurrent writer, written): 8 bytes little-endian at offset 0, read back by read_acked().
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "bench/base/syscall_error.h"
#include "bench/lab/guest/record.h"

namespace daxbench::crash {

class AckFile {
 public:
  // Created or emptied, then 0 published: a reader never sees a seq of an earlier run.
  explicit AckFile(const std::filesystem::path& path)
      : fd_(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) {
    if (fd_ < 0) throw SyscallError("open " + path.string(), errno);
    publish(0);
  }
  ~AckFile() { close(fd_); }
  AckFile(const AckFile&) = delete;
  AckFile& operator=(const AckFile&) = delete;

  // One pwrite of all 8 bytes: not synced (docs/crash.md: the host reads it over 9p at once).
  void publish(std::uint64_t seq) {
    std::byte bytes[8];
    store_le64(bytes, seq);
    if (pwrite(fd_, bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes))
      throw SyscallError("pwrite ack file", errno);
  }

 private:
  int fd_;
};

}  // namespace daxbench::crash
