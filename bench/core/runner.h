// Runs one repetition of one case: prepare files, map, warm up, time, count, clean up.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "bench/core/config.h"
#include "bench/core/histogram.h"
#include "bench/core/latency_sampler.h"
#include "bench/core/metric.h"
#include "bench/targets/target.h"

namespace daxbench {

struct RepetitionResult {
  std::string status = "ok";  // ok | unsupported | failed | interrupted
  std::string reason;         // why, when not ok
  std::string flush;          // primitive used; empty for modes that do not flush
  bool durable = false;
  std::string durable_why;
  std::string emulated;  // the target's: "tcg"/"kvm" in the lab's guest, empty on hardware
  std::uint64_t ops = 0;
  std::uint64_t commits = 0;
  std::uint64_t duration_ns = 0;
  double ops_per_sec = 0;
  Histogram op_latency;      // TSC ticks
  Histogram commit_latency;  // TSC ticks
  SampleRates sample_rates;  // the histograms hold 1 in sample_rates.op / .commit events
  Metrics metrics;
  std::uint64_t op_digest = 0;  // equal for equal operation sequences (see Writer)
  std::optional<bool> extent_map_unchanged;
};

// Runs `spec` once on `target`. `stop` is polled between operations (Ctrl-C). Never throws
// for problems of the case itself: they become status unsupported/failed with the reason.
RepetitionResult run_repetition(const CaseSpec& spec, Target& target, const std::string& config_dir,
                                const std::atomic<bool>& stop);

}  // namespace daxbench
