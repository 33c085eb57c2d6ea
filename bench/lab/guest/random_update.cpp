// `random-update`: record seq n overwrites a slot drawn from Rng(seed, 0) in seq order; each
// slot must hold its last acknowledged version, or a later one.
#include <vector>

#include "bench/base/rng.h"
#include "bench/lab/guest/crash_workload.h"

namespace daxbench::crash {
namespace {

// Long enough that a cell stops on time, not because it filled up.
constexpr std::uint64_t kUpdatesPerSlot = 1024;

class RandomUpdate final : public CrashWorkload {
 public:
  explicit RandomUpdate(const WorkloadSetup& setup)
      : slots_(setup.size / kRecordSize), seed_(setup.seed), nonce_(setup.nonce), rng_(seed_, 0) {}

  void put(Writer& writer, std::uint64_t seq) override {
    const std::uint64_t slot = rng_.below(slots_);
    const RecordBytes r = encode_record(nonce_, seq, slot);
    writer.store(slot * kRecordSize, r.data(), r.size());
    writer.commit();
  }

  CheckCounts check(std::span<const std::byte> file, std::uint64_t acked) const override {
    CheckCounts counts;
    counts.acknowledged = acked;
    std::vector<std::uint64_t> last_acked(slots_, 0);
    Rng slots(seed_, 0);
    for (std::uint64_t seq = 1; seq <= acked; ++seq) last_acked[slots.below(slots_)] = seq;
    const std::uint64_t in_flight_slot = slots.below(slots_);  // where seq acked+1 went
    for (std::uint64_t slot = 0; slot < slots_; ++slot) {
      const std::uint64_t want = last_acked[slot];
      if (want == 0) continue;
      const RecordView r = record_at(file, slot * kRecordSize, nonce_, slot);
      // The update in flight at the cut may have torn the version it was replacing.
      if (slot == in_flight_slot && r.state == RecordState::kTorn) continue;
      ++counts.expected;
      if (r.state == RecordState::kValid && r.seq >= want)
        ++counts.present_valid;
      else
        counts.lose(want);
    }
    count_unexpected(file, 0, slots_, nonce_, acked, in_flight_slot, counts);
    return counts;
  }

 private:
  std::uint64_t slots_;
  std::uint64_t seed_;
  std::uint64_t nonce_;
  Rng rng_;
};

}  // namespace

extern const CrashWorkloadDesc kCrashRandomUpdate{
    .name = "random-update",
    .summary = "record seq n overwrites a slot drawn from Rng(seed, 0)",
    .capacity = [](std::uint64_t size) { return size / kRecordSize * kUpdatesPerSlot; },
    .create = [](const WorkloadSetup& setup) -> std::unique_ptr<CrashWorkload> {
      return std::make_unique<RandomUpdate>(setup);
    },
};

}  // namespace daxbench::crash
