// A crash workload: what record seq n stores where (for the writer), and what a file must
// hold once seq 1..acked are acknowledged (for the checker). Both sides derive everything
// from (size, seed, nonce), so the checker needs no log from the writer but one u64.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "bench/io/writer.h"
#include "bench/lab/guest/record.h"

namespace daxbench::crash {

// What the checker found in one cell's file. Invariant: present_valid + lost == expected.
struct CheckCounts {
  std::uint64_t acknowledged = 0;  // seqs acknowledged (1..acked)
  // Acknowledged records that must still be there: one per slot/key for the updating
  // workloads (the last acknowledged version of it), every one for log-append.
  std::uint64_t expected = 0;
  std::uint64_t present_valid = 0;  // expected and found intact (or a later valid version)
  std::uint64_t lost = 0;           // expected and not found: absent, torn, stale or older
  std::uint64_t torn = 0;           // records in the file whose magic is there but the rest is not
  // Of those, the one (at most) where seq acked+1 was being written at the cut: a 64-byte
  // store is not atomic under a power cut, so this tear is expected and not loss. Where that
  // update overwrote an acknowledged version in place (random-update), that version is not
  // counted in expected either.
  std::uint64_t torn_in_flight = 0;
  std::uint64_t unacknowledged_present = 0;  // valid records with seq > acked
  std::optional<std::uint64_t> first_lost_seq;

  void lose(std::uint64_t seq) {
    ++lost;
    if (!first_lost_seq || seq < *first_lost_seq) first_lost_seq = seq;
  }
};

struct WorkloadSetup {
  std::uint64_t size;  // bytes of the cell's file
  std::uint64_t seed;
  std::uint64_t nonce;
};

class CrashWorkload {
 public:
  virtual ~CrashWorkload() = default;
  // Stores seq's record(s) and commits: seq is acknowledged when this returns. Called with
  // seq = 1, 2, ... in order, at most capacity times.
  virtual void put(Writer& writer, std::uint64_t seq) = 0;
  // Counts what `file` (the cell's size bytes; zeros where the file was shorter) holds of
  // seqs 1..acked.
  virtual CheckCounts check(std::span<const std::byte> file, std::uint64_t acked) const = 0;
};

struct CrashWorkloadDesc {
  std::string_view name;
  std::string_view summary;
  // How many seqs a file of `size` bytes takes; 0 when it is too small for one.
  std::uint64_t (*capacity)(std::uint64_t size) = nullptr;
  // With no crash.concurrent_write.workloads given, the concurrent writer's cells use this one.
  bool concurrent_default = false;
  std::unique_ptr<CrashWorkload> (*create)(const WorkloadSetup& setup) = nullptr;
};

std::span<const CrashWorkloadDesc* const> crash_workloads();
const CrashWorkloadDesc* find_crash_workload(std::string_view name);

// The record at byte `offset` of `file`, validated as slot `slot`.
RecordView record_at(std::span<const std::byte> file, std::uint64_t offset, std::uint64_t nonce,
                     std::uint64_t slot);

// Counts torn records (and whether one is at `in_flight_slot`, where seq acked+1 was being
// written) and valid ones beyond `acked`, among `slots` records from `offset`.
void count_unexpected(std::span<const std::byte> file, std::uint64_t offset, std::uint64_t slots,
                      std::uint64_t nonce, std::uint64_t acked, std::uint64_t in_flight_slot,
                      CheckCounts& counts);

}  // namespace daxbench::crash
