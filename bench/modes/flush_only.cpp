// `flush-only`, the unsafe control: user-space flush + fence on a plain MAP_SHARED mapping.
// What a DAX-unaware library does; durable only if the block map happens to be stable.
#include "bench/modes/mode.h"

namespace daxbench {
namespace {

class FlushOnlyWriter final : public Writer {
 public:
  using Writer::Writer;

 private:
  void do_store(std::uint64_t offset, const void* src, std::size_t len) override {
    copy_into_mapping(offset, src, len);
  }
  void do_commit() override { flush_dirty_and_drain(); }
};

class FlushOnlyMode final : public Mode {
 public:
  explicit FlushOnlyMode(const FlushOps* flush) : flush_(flush) {}
  std::unique_ptr<Writer> make_writer(MappedFile& file) override {
    return std::make_unique<FlushOnlyWriter>(file, flush_);
  }

 private:
  const FlushOps* flush_;
};

}  // namespace

extern const ModeDesc kFlushOnlyMode{
    .name = "flush-only",
    .summary =
        "unsafe control: cache flush + SFENCE on a plain MAP_SHARED mapping, no metadata sync",
    .needs = kNeedsUserFlush,
    .durability = Durability::kNever,
    .create = [](const ModeSetup& setup) -> std::unique_ptr<Mode> {
      return std::make_unique<FlushOnlyMode>(setup.flush);
    },
};

}  // namespace daxbench
