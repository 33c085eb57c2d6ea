// `map-sync`: MAP_SHARED_VALIDATE|MAP_SYNC, so the kernel makes metadata durable before a
// write fault completes; commits flush from user space. Needs a DAX filesystem.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "bench/base/syscall_error.h"
#include "bench/modes/user_flush.h"

namespace daxbench {
namespace {

class MapSyncMode final : public UserFlushMode {
 public:
  using UserFlushMode::UserFlushMode;

  // The kernel decides, so ask it: the record then carries its errno, not our guess.
  // Plain MAP_SHARED would silently drop MAP_SYNC on a filesystem that does not know it.
  std::optional<std::string> map(MappedFile& file) override {
    const int error = map_file(file, MAP_SHARED_VALIDATE | MAP_SYNC);
    if (error == EOPNOTSUPP && file_is_dax(file))
      return "mmap MAP_SHARED_VALIDATE|MAP_SYNC: EOPNOTSUPP (a DAX file on an asynchronous pmem "
             "region, e.g. virtio-pmem: the kernel cannot make a write fault durable without the "
             "device's flush, which only fsync/msync sends)";
    if (error == EOPNOTSUPP)
      return "mmap MAP_SHARED_VALIDATE|MAP_SYNC: EOPNOTSUPP (not a DAX mount: the filesystem "
             "cannot make metadata durable at fault time)";
    if (error) return errno_text("mmap MAP_SHARED_VALIDATE|MAP_SYNC", error);
    return std::nullopt;
  }

 private:
  // Which of the kernel's two refusals it was: a DAX file (the device is not synchronous) or
  // none at all. statx's own attribute, as the target's facts ask it.
  static bool file_is_dax(const MappedFile& file) {
    struct statx attributes {};
    return statx(file.fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &attributes) == 0 &&
           (attributes.stx_attributes_mask & STATX_ATTR_DAX) &&
           (attributes.stx_attributes & STATX_ATTR_DAX);
  }
};

}  // namespace

// fio's counterpart (docs/fio.md), per kind of target.
constexpr fio::ModeRow kFioRows[] = {
    {fio::Where::kPageCache, fio::Engine::kNone, fio::Sync::kNone,
     "MAP_SYNC is refused off DAX (daxbench records this case unsupported); fio's libpmem "
     "engine would fall back to a plain MAP_SHARED mapping without saying so"},
    {fio::Where::kDax, fio::Engine::kLibpmem, fio::Sync::kDrain,
     "libpmem maps with MAP_SYNC, flushes each write (pmem_memcpy) and drains at each commit, "
     "as map-sync"},
    kFioDevDaxRow,
};

extern const ModeDesc kMapSyncMode{
    .name = "map-sync",
    .summary =
        "MAP_SHARED_VALIDATE|MAP_SYNC mapping, cache flush + SFENCE at commit; needs a DAX "
        "filesystem",
    .needs = kNeedsUserFlush,
    .durability = Durability::kWhenPmem,
    .crash_concurrent_default = true,
    .fio = kFioRows,
    .create = [](const ModeSetup& setup) -> std::unique_ptr<Mode> {
      return std::make_unique<MapSyncMode>(setup.flush);
    },
};

}  // namespace daxbench
