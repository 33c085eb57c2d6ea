// Choosing latency sample rates, and measuring what one timed event costs.
#include "bench/base/latency_sampler.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "bench/base/histogram.h"
#include "bench/base/tsc.h"

namespace daxbench {
namespace {

std::uint64_t rate_for(double cost_per_op, double mean_op_ticks) {
  if (!(mean_op_ticks > 0) || !(cost_per_op > 0)) return 1;
  const double every = std::ceil(cost_per_op / (kTimingBudget * mean_op_ticks));
  return static_cast<std::uint64_t>(std::clamp(every, 1.0, double(kMaxSampleEvery)));
}

double measure_timing_cost() {
  constexpr int kEvents = 1000;
  std::array<double, 5> batches{};
  Histogram sink;
  for (double& batch : batches) {
    const std::uint64_t begin = tsc_now();
    for (int i = 0; i < kEvents; ++i) {
      const std::uint64_t t0 = tsc_now();
      sink.add(tsc_now() - t0);
    }
    batch = static_cast<double>(tsc_now() - begin) / kEvents;
  }
  std::sort(batches.begin(), batches.end());
  return batches[2];
}

}  // namespace

SampleRates choose_sample_rates(double mean_op_ticks, double commits_per_op,
                                double timing_cost_ticks) {
  return {rate_for(timing_cost_ticks, mean_op_ticks),
          rate_for(timing_cost_ticks * commits_per_op, mean_op_ticks)};
}

double timing_cost_ticks() {
  static const double cost = measure_timing_cost();
  return cost;
}

}  // namespace daxbench
