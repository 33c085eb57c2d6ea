// `file:DIR`: files in a scratch folder under DIR on any filesystem. The target reports what
// that filesystem is, whether it is DAX and whether it accepts MAP_SYNC (by trying it).
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "bench/core/syscall_error.h"
#include "bench/targets/mounts.h"
#include "bench/targets/target.h"

namespace daxbench {
namespace {

namespace fs = std::filesystem;

std::string probe_map_sync(const fs::path& probe_path) {
  const int fd = open(probe_path.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return "unknown: " + errno_text("open probe file", errno);
  std::string verdict;
  if (ftruncate(fd, 4096) != 0) {
    verdict = "unknown: " + errno_text("ftruncate probe file", errno);
  } else {
    void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
    if (p == MAP_FAILED) {
      verdict = "refused: " + errno_text("mmap MAP_SHARED_VALIDATE|MAP_SYNC", errno);
    } else {
      verdict = "accepted";
      munmap(p, 4096);
    }
  }
  close(fd);
  unlink(probe_path.c_str());
  return verdict;
}

class FileTarget final : public Target {
 public:
  explicit FileTarget(std::string_view directory) {
    const fs::path dir = directory.empty() ? fs::temp_directory_path() : fs::path(directory);
    if (!fs::is_directory(dir))
      throw TargetError("file target: '" + dir.string() + "' is not a directory");
    std::string pattern = (dir / "daxbench-scratch-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
      throw TargetError("file target: cannot create a scratch folder in '" + dir.string() +
                        "': " + errno_text("mkdtemp", errno));
    scratch_ = pattern;

    const MountInfo mount = mount_of(scratch_.string());
    facts_.spec = "file:" + dir.string();
    facts_.kind = "file";
    facts_.directory = dir.string();
    facts_.filesystem = mount.filesystem;
    facts_.mount_point = mount.mount_point;
    facts_.mount_source = mount.source;
    facts_.mount_options = mount.options;
    facts_.dax = mount_is_dax(mount);
    facts_.map_sync = probe_map_sync(scratch_ / "map-sync-probe");
    facts_.persistent = mount.filesystem != "tmpfs" && mount.filesystem != "ramfs";
    facts_.persistence_domain = !facts_.persistent ? "none (the files live in memory only)"
                                : facts_.dax
                                    ? "unknown (DAX: persistent memory; ADR or eADR not reported)"
                                    : "none until synced (page cache)";
    if (!facts_.persistent)
      facts_.warning =
          mount.filesystem + " keeps files in memory: syncs are no-ops and nothing is durable";
  }
  ~FileTarget() override { remove_scratch(); }

  const TargetFacts& facts() const override { return facts_; }
  fs::path scratch_file(std::string_view name) const override { return scratch_ / name; }
  void remove_scratch() override {
    if (!scratch_.empty()) rmdir(scratch_.c_str());  // refuses if anything unknown is left
    scratch_.clear();
  }

 private:
  fs::path scratch_;
  TargetFacts facts_;
};

}  // namespace

extern const TargetDesc kFileTarget{
    .name = "file",
    .syntax = "file:DIR",
    .summary = "files in a scratch folder under DIR (any filesystem; DAX if it is mounted so)",
    .open = [](std::string_view argument) -> std::unique_ptr<Target> {
      return std::make_unique<FileTarget>(argument);
    },
};

}  // namespace daxbench
