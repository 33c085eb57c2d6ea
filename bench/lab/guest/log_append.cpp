// `log-append`: record seq n at slot n-1 until the file is full; every acknowledged record
// must be there.
#include "bench/lab/guest/crash_workload.h"

namespace daxbench::crash {
namespace {

class LogAppend final : public CrashWorkload {
 public:
  explicit LogAppend(const WorkloadSetup& setup)
      : slots_(setup.size / kRecordSize), nonce_(setup.nonce) {}

  void put(Writer& writer, std::uint64_t seq) override {
    const RecordBytes r = encode_record(nonce_, seq, seq - 1);
    writer.store((seq - 1) * kRecordSize, r.data(), r.size());
    writer.commit();
  }

  CheckCounts check(std::span<const std::byte> file, std::uint64_t acked) const override {
    CheckCounts counts;
    counts.acknowledged = acked;
    counts.expected = std::min(acked, slots_);
    for (std::uint64_t seq = 1; seq <= counts.expected; ++seq) {
      const RecordView r = record_at(file, (seq - 1) * kRecordSize, nonce_, seq - 1);
      if (r.state == RecordState::kValid && r.seq == seq)
        ++counts.present_valid;
      else
        counts.lose(seq);
    }
    count_unexpected(file, 0, slots_, nonce_, acked, /*in_flight_slot=*/acked, counts);
    return counts;
  }

 private:
  std::uint64_t slots_;
  std::uint64_t nonce_;
};

}  // namespace

extern const CrashWorkloadDesc kCrashLogAppend{
    .name = "log-append",
    .summary = "record seq n at slot n-1 of the file, until it is full",
    .capacity = [](std::uint64_t size) { return size / kRecordSize; },
    .concurrent_default = true,
    .create = [](const WorkloadSetup& setup) -> std::unique_ptr<CrashWorkload> {
      return std::make_unique<LogAppend>(setup);
    },
};

}  // namespace daxbench::crash
