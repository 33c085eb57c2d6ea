// `sealed-extent`: the file is allocated, zero-filled and fsync'ed before the run, so its block
// map never changes and user-space flush + fence is enough on DAX. FIEMAP before and after
// the run proves the seal held.
#include <vector>

#include "bench/base/syscall_error.h"
#include "bench/io/fiemap.h"
#include "bench/io/prep_steps.h"
#include "bench/modes/user_flush.h"

namespace daxbench {
namespace {

class SealedExtentMode final : public UserFlushMode {
 public:
  using UserFlushMode::UserFlushMode;

  // The runner has already written zeros and fsync'ed (fixed_file_state = zeroed). Without
  // FIEMAP (tmpfs, some network filesystems) the seal cannot be proven: not this mode's target.
  // Both FIEMAP reads are part of what sealing costs once, so each is a preparation step.
  std::optional<std::string> map(MappedFile& file) override {
    try {
      before_.push_back({&file, timed_step(&file.preparation, "fiemap-before", file.size,
                                           [&] { return read_extent_map(file.fd); })});
    } catch (const SyscallError& e) {
      return std::string(e.what()) + ": cannot prove the block map stays sealed";
    }
    return Mode::map(file);
  }
  void add_metrics(Metrics& out, std::uint64_t) override {
    bool unchanged = true;
    std::size_t extents = 0;
    for (const auto& [file, map] : before_) {
      const std::vector<Extent> after = timed_step(&file->preparation, "fiemap-after", file->size,
                                                   [&] { return read_extent_map(file->fd); });
      unchanged = unchanged && after == map;
      extents += after.size();
    }
    out.add({"extent_map_unchanged", unchanged ? 1.0 : 0.0, std::nullopt, "bool", Better::kHigher,
             "ok", "1 if FIEMAP after the run equals FIEMAP before it (the seal held)"});
    out.add({"extents", static_cast<double>(extents), std::nullopt, "count", Better::kNeither, "ok",
             "extents of the sealed files after the run"});
  }

 private:
  // The runner's files outlive the mode's use of them (CaseFiles unmaps before releasing).
  std::vector<std::pair<MappedFile*, std::vector<Extent>>> before_;
};

}  // namespace

// fio's counterpart (docs/fio.md), per kind of target.
constexpr fio::ModeRow kFioRows[] = {
    {fio::Where::kDax, fio::Engine::kLibpmem, fio::Sync::kDrain,
     "libpmem maps with MAP_SYNC where sealed-extent maps plain MAP_SHARED over a sealed file; "
     "flush per write, drain at each commit"},
    {fio::Where::kPageCache, fio::Engine::kLibpmem, fio::Sync::kDrain,
     "page cache: PMEM_IS_PMEM_FORCE=1 makes libpmem flush the CPU cache as if this were pmem, "
     "a cost comparison only, not durable (as daxbench's flush modes here)"},
};

extern const ModeDesc kSealedExtentMode{
    .name = "sealed-extent",
    .summary =
        "file pre-allocated with zeros + fsync (block map sealed), cache flush + SFENCE at commit",
    .needs = kNeedsUserFlush | kNeedsFilesystem,
    .durability = Durability::kWhenPmem,
    .fixed_file_state = "zeroed",
    .seal_metric = "extent_map_unchanged",
    .seal_broken = "the block map changed during the run: the seal did not hold",
    .crash_concurrent_default = true,
    .fio = kFioRows,
    .create = [](const ModeSetup& setup) -> std::unique_ptr<Mode> {
      return std::make_unique<SealedExtentMode>(setup.flush);
    },
};

}  // namespace daxbench
