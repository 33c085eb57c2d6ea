// A create/write/fsync/unlink loop; each iteration commits a journal transaction on ext4/xfs.
#include "bench/base/background.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>

#include "bench/base/syscall_error.h"

namespace daxbench {

MetadataLoad::MetadataLoad(std::filesystem::path scratch_file_prefix)
    : prefix_(std::move(scratch_file_prefix)), thread_([this] { loop(); }) {}

MetadataLoad::~MetadataLoad() {
  stop();
}

void MetadataLoad::stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void MetadataLoad::loop() {
  const std::array<char, 4096> block{};
  const std::string path = prefix_.string() + "-background.tmp";
  while (!stop_.load(std::memory_order_relaxed)) {
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      error_ = errno_text("background open", errno);
      return;
    }
    const bool ok =
        pwrite(fd, block.data(), block.size(), 0) == static_cast<ssize_t>(block.size()) &&
        fsync(fd) == 0;
    if (!ok) error_ = errno_text("background write+fsync", errno);
    close(fd);
    unlink(path.c_str());
    if (!ok) return;
    operations_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace daxbench
