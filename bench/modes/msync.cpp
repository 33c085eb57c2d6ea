// `msync` baseline: msync(MS_SYNC) of the pages stored to since the last commit.
#include <sys/mman.h>

#include <algorithm>

#include "bench/base/syscall_error.h"
#include "bench/modes/mode.h"

namespace daxbench {
namespace {

constexpr std::uint64_t kPage = 4096;

class MsyncWriter final : public Writer {
 public:
  using Writer::Writer;

 private:
  void do_store(std::uint64_t offset, const void* src, std::size_t len) override {
    copy_into_mapping(offset, src, len);
  }
  // One msync per commit over the page-aligned span of the dirty ranges: the kernel writes
  // back only the dirty pages inside it, and one call is what an application would make.
  // Nothing stored since the last commit means there is no range to msync.
  void do_commit() override {
    if (dirty_.empty()) return;
    std::uint64_t begin = dirty_.front().offset, end = begin;
    for (const Range& r : dirty_) {
      begin = std::min(begin, r.offset);
      end = std::max(end, r.offset + r.length);
    }
    begin &= ~(kPage - 1);
    end = (end + kPage - 1) & ~(kPage - 1);
    ++counters_.sys_msync;
    counters_.msync_bytes += end - begin;
    if (msync(file_.base + begin, end - begin, MS_SYNC) != 0) throw SyscallError("msync", errno);
  }
};

class MsyncMode final : public Mode {
 public:
  std::unique_ptr<Writer> make_writer(MappedFile& file) override {
    return std::make_unique<MsyncWriter>(file, nullptr);
  }
};

}  // namespace

// fio's counterpart (docs/fio.md), per kind of target.
constexpr fio::ModeRow kFioRows[] = {
    {fio::Where::kAny, fio::Engine::kMmap, fio::Sync::kFsync,
     "msync(MS_SYNC) of the whole mapping per sync (fsync=N); daxbench msyncs only the "
     "page-aligned dirty range"},
};

extern const ModeDesc kMsyncMode{
    .name = "msync",
    .summary = "stores through MAP_SHARED, msync(MS_SYNC) of the dirty page span at each commit",
    .needs = kNeedsFilesystem,
    .durability = Durability::kBySyscall,
    .fio = kFioRows,
    .create = [](const ModeSetup&) -> std::unique_ptr<Mode> {
      return std::make_unique<MsyncMode>();
    },
};

}  // namespace daxbench
