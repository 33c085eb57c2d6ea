// `kv-put`: an index of kKeys 8-byte entries, then a log of value records. A put stores its
// value record and commits, then points its key's entry at it and commits: acknowledged
// after the second commit. Each key must point at its last acknowledged put, or a later one.
#include <vector>

#include "bench/base/rng.h"
#include "bench/lab/guest/crash_workload.h"

namespace daxbench::crash {
namespace {

constexpr std::uint64_t kKeys = 4096;
constexpr std::uint64_t kEntrySize = 8;
constexpr std::uint64_t kLogStart = kKeys * kEntrySize;  // a multiple of 64: records align

std::uint64_t log_slots(std::uint64_t size) {
  return size > kLogStart ? (size - kLogStart) / kRecordSize : 0;
}

class KvPut final : public CrashWorkload {
 public:
  explicit KvPut(const WorkloadSetup& setup)
      : slots_(log_slots(setup.size)), seed_(setup.seed), nonce_(setup.nonce), rng_(seed_, 0) {}

  void put(Writer& writer, std::uint64_t seq) override {
    const std::uint64_t key = rng_.below(kKeys);
    const RecordBytes r = encode_record(nonce_, seq, seq - 1);
    writer.store(kLogStart + (seq - 1) * kRecordSize, r.data(), r.size());
    writer.commit();
    std::byte entry[kEntrySize];
    store_le64(entry, seq);
    writer.store(key * kEntrySize, entry, kEntrySize);
    writer.commit();
  }

  CheckCounts check(std::span<const std::byte> file, std::uint64_t acked) const override {
    CheckCounts counts;
    counts.acknowledged = acked;
    // Keys of seqs 1..acked+1: an entry may point at the put in flight at the cut.
    const std::uint64_t known = std::min(acked + 1, slots_);
    std::vector<std::uint64_t> key_of(known + 1, 0);
    std::vector<std::uint64_t> last_acked(kKeys, 0);
    Rng keys(seed_, 0);
    for (std::uint64_t seq = 1; seq <= known; ++seq) {
      key_of[seq] = keys.below(kKeys);
      if (seq <= acked) last_acked[key_of[seq]] = seq;
    }
    for (std::uint64_t key = 0; key < kKeys; ++key) {
      const std::uint64_t want = last_acked[key];
      if (want == 0) continue;
      ++counts.expected;
      const std::uint64_t points_at = load_le64(file.data() + key * kEntrySize);
      const bool entry_ok = points_at >= want && points_at <= known && key_of[points_at] == key;
      if (entry_ok && value_intact(file, points_at))
        ++counts.present_valid;
      else
        counts.lose(want);
    }
    // The put in flight writes its value at log slot `acked`; its index entry is one 8-byte
    // store, which a cut cannot tear.
    count_unexpected(file, kLogStart, slots_, nonce_, acked, /*in_flight_slot=*/acked, counts);
    return counts;
  }

 private:
  bool value_intact(std::span<const std::byte> file, std::uint64_t seq) const {
    const RecordView r = record_at(file, kLogStart + (seq - 1) * kRecordSize, nonce_, seq - 1);
    return r.state == RecordState::kValid && r.seq == seq;
  }

  std::uint64_t slots_;
  std::uint64_t seed_;
  std::uint64_t nonce_;
  Rng rng_;
};

}  // namespace

extern const CrashWorkloadDesc kCrashKvPut{
    .name = "kv-put",
    .summary = "value record then its key's 8-byte index entry, each committed",
    .capacity = log_slots,
    .create = [](const WorkloadSetup& setup) -> std::unique_ptr<CrashWorkload> {
      return std::make_unique<KvPut>(setup);
    },
};

}  // namespace daxbench::crash
