// Opens a scratch folder target and finds its facts. A file made in the folder is asked
// whether it is DAX (statx STATX_ATTR_DAX): that covers dax=always and the per-inode flag
// under dax=inode alike, where the mount options alone would miss the second.
#include "bench/targets/scratch_folder.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "bench/base/syscall_error.h"
#include "bench/targets/mounts.h"

namespace daxbench {
namespace {

namespace fs = std::filesystem;

struct Probe {
  std::string map_sync;  // "accepted" or "refused: ..." or "unknown: ..."
  std::string dax;       // "yes", "no", or "unknown: ..."
};

// One 4 KiB file, mapped once with MAP_SYNC (MAP_SHARED_VALIDATE, so a filesystem that does
// not know the flag refuses it instead of ignoring it) and asked for its DAX attribute.
Probe probe(const fs::path& probe_path) {
  Probe result;
  const int fd = open(probe_path.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    result.map_sync = result.dax = "unknown: " + errno_text("open probe file", errno);
    return result;
  }
  if (ftruncate(fd, 4096) != 0) {
    result.map_sync = "unknown: " + errno_text("ftruncate probe file", errno);
  } else {
    void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
    if (p == MAP_FAILED) {
      result.map_sync = "refused: " + errno_text("mmap MAP_SHARED_VALIDATE|MAP_SYNC", errno);
    } else {
      result.map_sync = "accepted";
      munmap(p, 4096);
    }
  }
  struct statx attributes {};
  if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &attributes) != 0)
    result.dax = "unknown: " + errno_text("statx", errno);
  else if (!(attributes.stx_attributes_mask & STATX_ATTR_DAX))
    result.dax = "unknown: this kernel does not report STATX_ATTR_DAX";
  else
    result.dax = (attributes.stx_attributes & STATX_ATTR_DAX) ? "yes" : "no";
  close(fd);
  unlink(probe_path.c_str());
  return result;
}

}  // namespace

ScratchFolderTarget::ScratchFolderTarget(std::string_view kind, std::string_view directory,
                                         bool require_dax) {
  const std::string name(kind);
  const fs::path dir = directory.empty() ? fs::temp_directory_path() : fs::path(directory);
  if (!fs::is_directory(dir))
    throw TargetError(name + " target: '" + dir.string() + "' is not a directory");
  std::string pattern = (dir / "daxbench-scratch-XXXXXX").string();
  if (!mkdtemp(pattern.data()))
    throw TargetError(name + " target: cannot create a scratch folder in '" + dir.string() +
                      "': " + errno_text("mkdtemp", errno));
  scratch_ = pattern;

  const MountInfo mount = mount_of(scratch_.string());
  const Probe found = probe(scratch_ / "dax-probe");
  facts_.spec = name + ":" + dir.string();
  facts_.kind = name;
  facts_.directory = dir.string();
  facts_.filesystem = mount.filesystem;
  facts_.mount_point = mount.mount_point;
  facts_.mount_source = mount.source;
  facts_.mount_options = mount.options;
  // The file's own attribute is the truth; the mount options are the fallback on old kernels.
  facts_.dax = found.dax == "yes" || (found.dax.starts_with("unknown") && mount_is_dax(mount));
  facts_.map_sync = found.map_sync;
  facts_.persistent = mount.filesystem != "tmpfs" && mount.filesystem != "ramfs";
  facts_.persistence_domain =
      !facts_.persistent ? "none (the files live in memory only)"
      : facts_.dax       ? describe_persistence_domain(
                               mount.source, "unknown (DAX: persistent memory; ADR or eADR not reported)")
                   : "none until synced (page cache)";
  if (!facts_.persistent)
    facts_.warning =
        mount.filesystem + " keeps files in memory: syncs are no-ops and nothing is durable";

  if (require_dax && !facts_.dax) {
    const std::string why =
        name + " target: files in '" + dir.string() + "' (" + mount.filesystem + " on " +
        mount.source + ", mounted " + mount.mount_point + ") are not DAX: statx DAX attribute " +
        found.dax + "; mount options '" + mount.options +
        "' lack dax=always. Mount it with -o dax (ext4) or -o dax=always (xfs), or use file:" +
        dir.string();
    remove_scratch();
    throw TargetError(why);
  }
}

void ScratchFolderTarget::remove_scratch() {
  if (!scratch_.empty()) rmdir(scratch_.c_str());  // refuses if anything unknown is left
  scratch_.clear();
}

}  // namespace daxbench
