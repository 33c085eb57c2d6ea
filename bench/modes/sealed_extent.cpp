// `sealed-extent`: the file is allocated, zero-filled and fsync'ed before the run, so its block
// map never changes and user-space flush + fence is enough on DAX. FIEMAP before and after
// the run proves the seal held.
#include <vector>

#include "bench/core/fiemap.h"
#include "bench/modes/mode.h"

namespace daxbench {
namespace {

class SealedWriter final : public Writer {
 public:
  using Writer::Writer;

 private:
  void do_store(std::uint64_t offset, const void* src, std::size_t len) override {
    copy_into_mapping(offset, src, len);
  }
  void do_commit() override { flush_dirty_and_drain(); }
};

class SealedExtentMode final : public Mode {
 public:
  explicit SealedExtentMode(const FlushOps* flush) : flush_(flush) {}

  // The runner has already written zeros and fsync'ed (fixed_file_state = zeroed).
  std::optional<std::string> map(MappedFile& file) override {
    before_.push_back({file.fd, read_extent_map(file.fd)});
    return Mode::map(file);
  }
  std::unique_ptr<Writer> make_writer(MappedFile& file) override {
    return std::make_unique<SealedWriter>(file, flush_);
  }
  void add_metrics(Metrics& out, std::uint64_t) override {
    bool unchanged = true;
    std::size_t extents = 0;
    for (const auto& [fd, map] : before_) {
      const std::vector<Extent> after = read_extent_map(fd);
      unchanged = unchanged && after == map;
      extents += after.size();
    }
    out.add({"extent_map_unchanged", unchanged ? 1.0 : 0.0, std::nullopt, "bool", Better::kHigher,
             "ok", "1 if FIEMAP after the run equals FIEMAP before it (the seal held)"});
    out.add({"extents", static_cast<double>(extents), std::nullopt, "count", Better::kNeither, "ok",
             "extents of the sealed files after the run"});
  }

 private:
  const FlushOps* flush_;
  std::vector<std::pair<int, std::vector<Extent>>> before_;
};

}  // namespace

extern const ModeDesc kSealedExtentMode{
    .name = "sealed-extent",
    .summary =
        "file pre-allocated with zeros + fsync (block map sealed), cache flush + SFENCE at commit",
    .needs = kNeedsUserFlush,
    .durability = Durability::kWhenPmem,
    .fixed_file_state = "zeroed",
    .create = [](const ModeSetup& setup) -> std::unique_ptr<Mode> {
      return std::make_unique<SealedExtentMode>(setup.flush);
    },
};

}  // namespace daxbench
