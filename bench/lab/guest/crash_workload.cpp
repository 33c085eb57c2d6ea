// The list of crash workloads (from crash_workloads.def) and the scans they share.
#include "bench/lab/guest/crash_workload.h"

namespace daxbench::crash {

#define DAXBENCH_CRASH_WORKLOAD(symbol) extern const CrashWorkloadDesc symbol;
#include "bench/lab/guest/crash_workloads.def"
#undef DAXBENCH_CRASH_WORKLOAD

namespace {
const CrashWorkloadDesc* const kCrashWorkloads[] = {
#define DAXBENCH_CRASH_WORKLOAD(symbol) &symbol,
#include "bench/lab/guest/crash_workloads.def"
#undef DAXBENCH_CRASH_WORKLOAD
};
}  // namespace

std::span<const CrashWorkloadDesc* const> crash_workloads() {
  return kCrashWorkloads;
}

const CrashWorkloadDesc* find_crash_workload(std::string_view name) {
  for (const CrashWorkloadDesc* w : kCrashWorkloads)
    if (w->name == name) return w;
  return nullptr;
}

RecordView record_at(std::span<const std::byte> file, std::uint64_t offset, std::uint64_t nonce,
                     std::uint64_t slot) {
  return validate_record(file.subspan(offset).first<kRecordSize>(), nonce, slot);
}

void count_unexpected(std::span<const std::byte> file, std::uint64_t offset, std::uint64_t slots,
                      std::uint64_t nonce, std::uint64_t acked, std::uint64_t in_flight_slot,
                      CheckCounts& counts) {
  for (std::uint64_t slot = 0; slot < slots; ++slot) {
    const RecordView r = record_at(file, offset + slot * kRecordSize, nonce, slot);
    if (r.state == RecordState::kTorn) {
      ++counts.torn;
      if (slot == in_flight_slot) ++counts.torn_in_flight;
    }
    if (r.state == RecordState::kValid && r.seq > acked) ++counts.unacknowledged_present;
  }
}

}  // namespace daxbench::crash
