// File states for cases: sparse, fallocated, zeroed.
#include "bench/io/file_prep.h"

#include <fcntl.h>
#include <unistd.h>

#include <vector>

#include "bench/base/syscall_error.h"

namespace daxbench {

int create_prepared_file(const std::filesystem::path& path, std::uint64_t size,
                         std::string_view state, PrepSteps* steps) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw SyscallError("open " + path.string(), errno);
  auto fail = [&](const char* call) {
    const int error = errno;
    close(fd);
    unlink(path.c_str());
    throw SyscallError(call, error);
  };
  const auto length = static_cast<off_t>(size);
  timed_step(steps, "ftruncate", size, [&] {
    if (ftruncate(fd, length) != 0) fail("ftruncate");
  });
  if (state == "fallocated")
    timed_step(steps, "fallocate", size, [&] {
      if (fallocate(fd, 0, 0, length) != 0) fail("fallocate");
    });
  if (state == "zeroed")
    timed_step(steps, "zero-fill", size, [&] {
      const std::vector<char> zeros(1 << 20, 0);
      for (std::uint64_t done = 0; done < size;) {
        const std::size_t chunk =
            static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), size - done));
        const ssize_t n = pwrite(fd, zeros.data(), chunk, static_cast<off_t>(done));
        if (n <= 0) fail("pwrite zeros");
        done += static_cast<std::uint64_t>(n);
      }
    });
  timed_step(steps, "fsync", size, [&] {
    if (fsync(fd) != 0) fail("fsync");
  });
  return fd;
}

}  // namespace daxbench
