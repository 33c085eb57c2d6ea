// The harness-overhead raw loop: random-update's operation (the same RNG draws, the same 64 B
// payload copy and, for sealed-extent, flush of the record's lines + one fence) with no Writer,
// Workload, histogram or TSC read per operation. In a header so a unit test can check it
// flushes and fences exactly as the driver does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "bench/base/rng.h"
#include "bench/flush/flush.h"
#include "workloads/workload.h"

namespace daxbench::micro {

class RawUpdateLoop {
 public:
  static constexpr std::uint64_t kRecord = 64;
  // `flush` null: mode none (stores only). Otherwise sealed-extent with commit_every 1.
  // The Rng is made before the Payload, as in random-update, so both draw the same numbers.
  RawUpdateLoop(std::byte* base, std::uint64_t working_set, const FlushOps* flush,
                std::uint64_t seed)
      : base_(base),
        slots_(working_set / kRecord),
        flush_(flush),
        rng_(seed, 0),
        payload_(kRecord, rng_) {}

  void op() {
    const std::uint64_t offset = rng_.below(slots_) * kRecord;
    std::memcpy(base_ + offset, payload_.next(kRecord), kRecord);
    if (flush_) {
      lines_flushed += flush_->flush(base_ + offset, kRecord);  // what it issued, as the Writer
      fences += flush_->drain();
    }
  }

  std::uint64_t lines_flushed = 0;
  std::uint64_t fences = 0;

 private:
  std::byte* base_;
  std::uint64_t slots_;
  const FlushOps* flush_;
  Rng rng_;
  Payload payload_;
};

}  // namespace daxbench::micro
