// `pwrite-fdatasync` baseline: no mapping at all; pwrite per store, fdatasync per commit.
#include <unistd.h>

#include "bench/base/syscall_error.h"
#include "bench/modes/mode.h"

namespace daxbench {
namespace {

class PwriteWriter final : public Writer {
 public:
  using Writer::Writer;

 private:
  void do_store(std::uint64_t offset, const void* src, std::size_t len) override {
    const auto* bytes = static_cast<const std::byte*>(src);
    while (len > 0) {  // a regular file may still return short
      ++counters_.sys_pwrite;
      const ssize_t n = pwrite(file_.fd, bytes, len, static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw SyscallError("pwrite", errno);
      }
      bytes += n;
      offset += static_cast<std::uint64_t>(n);
      len -= static_cast<std::size_t>(n);
    }
  }
  void do_commit() override {
    ++counters_.sys_fdatasync;
    if (fdatasync(file_.fd) != 0) throw SyscallError("fdatasync", errno);
  }
};

class PwriteMode final : public Mode {
 public:
  std::optional<std::string> map(MappedFile&) override { return std::nullopt; }
  void unmap(MappedFile&) override {}
  std::unique_ptr<Writer> make_writer(MappedFile& file) override {
    return std::make_unique<PwriteWriter>(file, nullptr);
  }
};

}  // namespace

// fio's counterpart (docs/fio.md), per kind of target.
constexpr fio::ModeRow kFioRows[] = {
    {fio::Where::kAny, fio::Engine::kPsync, fio::Sync::kFdatasync,
     "pwrite per record, fdatasync every commit_every records: the same calls"},
};

extern const ModeDesc kPwriteFdatasyncMode{
    .name = "pwrite-fdatasync",
    .summary = "no mapping: pwrite for each store, fdatasync at each commit",
    .needs = kNeedsFilesystem,
    .durability = Durability::kBySyscall,
    .fio = kFioRows,
    .create = [](const ModeSetup&) -> std::unique_ptr<Mode> {
      return std::make_unique<PwriteMode>();
    },
};

}  // namespace daxbench
