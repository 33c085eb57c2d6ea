// `none`: stores and nothing else. The upper bound on throughput; never durable.
#include "bench/modes/mode.h"

namespace daxbench {
namespace {

class NoneWriter final : public Writer {
 public:
  using Writer::Writer;

 private:
  // No dirty-range bookkeeping: this mode never looks at it, and the bound should be tight.
  void do_store(std::uint64_t offset, const void* src, std::size_t len) override {
    std::memcpy(file_.base + offset, src, len);
  }
  void do_commit() override {}
};

class NoneMode final : public Mode {
 public:
  std::unique_ptr<Writer> make_writer(MappedFile& file) override {
    return std::make_unique<NoneWriter>(file, nullptr);
  }
};

}  // namespace

// fio's counterpart (docs/fio.md), per kind of target.
constexpr fio::ModeRow kFioRows[] = {
    {fio::Where::kDevice, fio::Engine::kNone, fio::Sync::kNone,
     "fio's dev-dax engine persists every write (pmem_memcpy_persist); none stores without "
     "flushing"},
    {fio::Where::kAny, fio::Engine::kMmap, fio::Sync::kNone,
     "memcpy into a MAP_SHARED mapping, no sync, as none; fio adds its own per-write overhead "
     "and madvise(RANDOM/SEQUENTIAL) where daxbench sets MADV_NOHUGEPAGE"},
};

extern const ModeDesc kNoneMode{
    .name = "none",
    .summary = "stores only, no flush, no syscall: upper bound, not durable",
    .durability = Durability::kNever,
    .fio = kFioRows,
    .create = [](const ModeSetup&) -> std::unique_ptr<Mode> {
      return std::make_unique<NoneMode>();
    },
};

}  // namespace daxbench
