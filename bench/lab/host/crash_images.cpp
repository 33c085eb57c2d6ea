// Mixed crash images: a line-by-line merge of the strict image and the live file over their
// data extents (SEEK_DATA), so a 1 GiB sparse pmem file costs what it holds, not its size.
#include "bench/lab/host/crash_images.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "bench/base/rng.h"
#include "bench/base/syscall_error.h"

namespace daxbench {
namespace {

constexpr std::size_t kLine = 64;
constexpr std::size_t kChunk = 1 << 20;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// The next offset at or after `from` where `fd` has data, or `size`.
off_t next_data(int fd, off_t from, off_t size) {
  const off_t at = ::lseek(fd, from, SEEK_DATA);
  return at < 0 ? size : at;
}

bool read_all(int fd, std::byte* buf, std::size_t n, off_t at) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, buf + done, n - done, at + static_cast<off_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    if (r == 0) {  // past the end of a shorter file: zeros
      std::memset(buf + done, 0, n - done);
      return true;
    }
    done += static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

MixedImage make_mixed_image(const std::filesystem::path& strict, const std::filesystem::path& live,
                            const std::filesystem::path& out, std::uint64_t seed) {
  MixedImage result;
  Fd s{::open(strict.c_str(), O_RDONLY | O_CLOEXEC)}, l{::open(live.c_str(), O_RDONLY | O_CLOEXEC)};
  if (s.fd < 0 || l.fd < 0) {
    result.problem = errno_text("open " + (s.fd < 0 ? strict : live).string(), errno);
    return result;
  }
  const off_t size = std::max(::lseek(s.fd, 0, SEEK_END), ::lseek(l.fd, 0, SEEK_END));
  Fd o{::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
  if (o.fd < 0 || ::ftruncate(o.fd, size) != 0) {
    result.problem = errno_text("create " + out.string(), errno);
    return result;
  }
  Rng coin(seed, 0);
  std::vector<std::byte> a(kChunk), b(kChunk);
  const std::vector<std::byte> zeros(kChunk);
  off_t pos = 0;
  while (pos < size) {
    const off_t next = std::min(next_data(s.fd, pos, size), next_data(l.fd, pos, size));
    if (next >= size) break;
    const off_t chunk_at = next - next % static_cast<off_t>(kChunk);
    const std::size_t n = static_cast<std::size_t>(std::min<off_t>(kChunk, size - chunk_at));
    if (!read_all(s.fd, a.data(), n, chunk_at) || !read_all(l.fd, b.data(), n, chunk_at)) {
      result.problem = errno_text("read " + strict.string() + " / " + live.string(), errno);
      return result;
    }
    for (std::size_t at = 0; at < n; at += kLine) {
      if (std::memcmp(a.data() + at, b.data() + at, kLine) == 0) continue;
      ++result.lines_differing;
      if (coin.next() & 1) {
        std::memcpy(a.data() + at, b.data() + at, kLine);
        ++result.lines_from_live;
      }
    }
    if (std::memcmp(a.data(), zeros.data(), n) != 0 &&
        ::pwrite(o.fd, a.data(), n, chunk_at) != static_cast<ssize_t>(n)) {
      result.problem = errno_text("write " + out.string(), errno);
      return result;
    }
    pos = chunk_at + static_cast<off_t>(n);
  }
  return result;
}

}  // namespace daxbench
