// Which operations and commits get their latency timed. Timing one costs two rdtscp (about
// 37 ns in this VM, four times a whole 64 B store), so a fast case timed in full measures
// mostly its own clock. Throughput always counts every operation over one batch interval;
// the latency histograms hold a random 1-in-N sample, which leaves their percentiles
// unbiased, and N is recorded beside them.
#pragma once

#include <cstdint>

#include "bench/base/rng.h"

namespace daxbench {

class LatencySampler {
 public:
  LatencySampler() = default;  // every event timed
  // Gaps between timed events are uniform in [1, 2·every − 1] (mean `every`), drawn from
  // their own stream so sampling never changes the workload's random numbers, and random so
  // a periodic workload (commit_every, a trace) cannot alias with a fixed stride.
  LatencySampler(std::uint64_t every, std::uint64_t seed, std::uint64_t stream)
      : every_(every < 1 ? 1 : every), rng_(seed ^ 0x5a4d504c45ull, stream) {
    countdown_ = next_gap();
  }

  // True when this event is to be timed.
  bool take() {
    if (--countdown_ != 0) return false;
    countdown_ = next_gap();
    return true;
  }
  std::uint64_t every() const { return every_; }

 private:
  std::uint64_t next_gap() { return every_ == 1 ? 1 : 1 + rng_.below(2 * every_ - 1); }
  std::uint64_t every_ = 1;
  Rng rng_{0, 0};
  std::uint64_t countdown_ = 1;
};

struct SampleRates {
  std::uint64_t op = 1;
  std::uint64_t commit = 1;
};

// Timing may add at most this fraction to the mean operation, for operations and for
// commits each.
inline constexpr double kTimingBudget = 0.01;
// Beyond this a sample gets too thin for p99.9 on a short run; the budget gives way.
inline constexpr std::uint64_t kMaxSampleEvery = 1024;

// The `latency_sample_every: 0` (auto) choice from the warm-up's untimed mean operation and
// commits per operation, and the cost of one timing (a pair of clock reads plus a histogram
// add). Slow operations (≥ 100 × the timing cost) are all timed.
SampleRates choose_sample_rates(double mean_op_ticks, double commits_per_op,
                                double timing_cost_ticks);

// What timing one event costs on this machine, in TSC ticks: measured once (median of
// five 1000-event batches), like the TSC calibration.
double timing_cost_ticks();

}  // namespace daxbench
