// `devdax:/dev/daxX.Y`: device-DAX, persistent memory mapped with no filesystem at all: the
// lower bound for the user-space-flush modes. A case's "file" is a region of the device, so
// the suite overwrites the device it is given (and only that one).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "bench/base/syscall_error.h"
#include "bench/targets/mounts.h"
#include "bench/targets/target.h"

namespace daxbench {
namespace {

// A device attribute from /sys/dev/char/MAJ:MIN/ (sysfs(5)); nullopt when absent.
std::optional<std::uint64_t> sysfs_number(dev_t device, const char* attribute) {
  const std::string path = "/sys/dev/char/" + std::to_string(major(device)) + ":" +
                           std::to_string(minor(device)) + "/" + attribute;
  std::ifstream in(path);
  std::uint64_t value = 0;
  if (!(in >> value)) return std::nullopt;
  return value;
}

class DevdaxTarget final : public Target {
 public:
  explicit DevdaxTarget(std::string_view path) : path_(path) {
    fd_ = open(path_.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0) throw TargetError("devdax target: " + errno_text("open " + path_, errno));
    struct stat st {};
    fstat(fd_, &st);
    const auto size = S_ISCHR(st.st_mode) ? sysfs_number(st.st_rdev, "size") : std::nullopt;
    if (!size) {
      close(fd_);
      throw TargetError("devdax target: '" + path_ +
                        "' is not a device-DAX character device (no size in sysfs); for a DAX "
                        "filesystem use fsdax:DIR");
    }
    size_ = *size;
    // Device-DAX maps whole pages of its alignment (2 MiB by default); `align` appeared in 5.10.
    align_ = sysfs_number(st.st_rdev, "align").value_or(2u << 20);

    facts_.spec = "devdax:" + path_;
    facts_.kind = "devdax";
    facts_.directory = path_;
    facts_.filesystem = "none (device-DAX)";
    facts_.mount_source = path_;
    facts_.mount_options = "size=" + std::to_string(size_) + ",align=" + std::to_string(align_);
    facts_.dax = true;
    facts_.device = true;
    facts_.persistent = true;
    facts_.persistence_domain =
        describe_persistence_domain(path_, "unknown (persistent memory; ADR or eADR not reported)");
    void* p = mmap(nullptr, align_, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_SYNC, fd_, 0);
    if (p == MAP_FAILED) {
      facts_.map_sync = "refused: " + errno_text("mmap MAP_SHARED_VALIDATE|MAP_SYNC", errno);
    } else {
      facts_.map_sync = "accepted";
      munmap(p, align_);
    }
  }
  ~DevdaxTarget() override { close(fd_); }

  const TargetFacts& facts() const override { return facts_; }
  std::filesystem::path scratch_file(std::string_view name) const override {
    throw TargetError("devdax target: no files on a device (asked for '" + std::string(name) +
                      "')");
  }
  void remove_scratch() override {}

  // Regions are handed out end to end and all come back at the end of a repetition.
  MappedFile create_file(std::string_view /*name*/, std::uint64_t size,
                         std::string_view /*file_state*/) override {
    if (size % align_ != 0)
      throw TargetError("devdax target: working_set " + std::to_string(size) +
                        " is not a multiple of the device's alignment " + std::to_string(align_) +
                        " (device-DAX maps whole pages of that size)");
    if (next_offset_ + size > size_)
      throw TargetError("devdax target: " + path_ + " holds " + std::to_string(size_) +
                        " bytes; this case needs " + std::to_string(next_offset_ + size));
    MappedFile file;
    file.fd = dup(fd_);
    if (file.fd < 0) throw SyscallError("dup", errno);
    file.size = size;
    file.offset = next_offset_;
    file.page_size = align_;
    next_offset_ += size;
    ++regions_out_;
    return file;
  }
  void release_file(MappedFile& file) override {
    if (file.fd < 0) return;
    close(file.fd);
    file.fd = -1;
    if (--regions_out_ == 0) next_offset_ = 0;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::uint64_t align_ = 0;
  std::uint64_t next_offset_ = 0;
  int regions_out_ = 0;
  TargetFacts facts_;
};

}  // namespace

extern const TargetDesc kDevdaxTarget{
    .name = "devdax",
    .syntax = "devdax:/dev/daxX.Y",
    .summary = "device-DAX: regions of the device itself, no filesystem (overwrites it)",
    .open = [](std::string_view argument) -> std::unique_ptr<Target> {
      return std::make_unique<DevdaxTarget>(argument);
    },
    .has_files = [](std::string_view) { return false; },
};

}  // namespace daxbench
