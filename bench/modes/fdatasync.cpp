// `fdatasync`: stores through a shared mapping, one fdatasync(fd) per commit.
#include <unistd.h>

#include "bench/base/syscall_error.h"
#include "bench/modes/mode.h"

namespace daxbench {
namespace {

class FdatasyncWriter final : public Writer {
 public:
  using Writer::Writer;

 private:
  // fdatasync covers the whole file, so the dirty ranges need not be tracked.
  void do_store(std::uint64_t offset, const void* src, std::size_t len) override {
    std::memcpy(file_.base + offset, src, len);
  }
  void do_commit() override {
    ++counters_.sys_fdatasync;
    if (fdatasync(file_.fd) != 0) throw SyscallError("fdatasync", errno);
  }
};

class FdatasyncMode final : public Mode {
 public:
  std::unique_ptr<Writer> make_writer(MappedFile& file) override {
    return std::make_unique<FdatasyncWriter>(file, nullptr);
  }
};

}  // namespace

// fio's counterpart (docs/fio.md), per kind of target.
constexpr fio::ModeRow kFioRows[] = {
    {fio::Where::kAny, fio::Engine::kNone, fio::Sync::kNone,
     "fio's mmap engine turns fdatasync= into msync(MS_SYNC) of the whole mapping, and psync "
     "stores with pwrite rather than into a mapping"},
};

extern const ModeDesc kFdatasyncMode{
    .name = "fdatasync",
    .summary = "stores through MAP_SHARED, fdatasync(fd) at each commit",
    .needs = kNeedsFilesystem,
    .durability = Durability::kBySyscall,
    .fio = kFioRows,
    .create = [](const ModeSetup&) -> std::unique_ptr<Mode> {
      return std::make_unique<FdatasyncMode>();
    },
};

}  // namespace daxbench
