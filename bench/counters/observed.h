// The observed-instruction counter group: in a lab guest under the persistence model, the
// clwb, clflushopt, clflush, sfence, mfence and non-temporal store instructions the guest
// really executed during a repetition's timed phase, user and kernel mode apart, as the
// model's plugin counted them (bench/lab/observed.h). Elsewhere every counter of the group is
// unavailable, with the reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bench/base/metric.h"
#include "bench/lab/observed.h"

namespace daxbench::perf {

class ObservedCounts {
 public:
  // Opens the snapshot file the lab's job names ($DAXBENCH_OBSERVED_COUNTS); without one the
  // group is unavailable, for the reason the host gave or because this is no lab guest.
  ObservedCounts();
  ~ObservedCounts();
  ObservedCounts(const ObservedCounts&) = delete;
  ObservedCounts& operator=(const ObservedCounts&) = delete;

  void start();  // where the timed phase starts: a marker, then the snapshot is read
  void stop();   // once every writer has finished; idempotent

  // One metric per privilege and kind: end − start, per_op = value / ops; or null with
  // `unavailable: <why>`.
  void add_metrics(std::uint64_t ops, Metrics& out) const;

 private:
  std::optional<lab::ObservedSnapshot> mark();  // nullopt: unavailable_ says why

  int fd_ = -1;
  std::uint32_t seq_ = 0;
  std::string unavailable_;
  std::optional<lab::ObservedSnapshot> begin_, end_;
};

}  // namespace daxbench::perf
