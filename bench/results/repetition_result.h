// What one repetition of one case produced: the content of a record. Here, not beside the
// runner, so the results folder, the lab and fio can write records without the runner.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "bench/base/histogram.h"
#include "bench/base/latency_sampler.h"
#include "bench/base/metric.h"
#include "bench/io/prep_steps.h"

namespace daxbench {

// How a repetition ended; on disk (a record's "status") as its to_string text.
enum class Status { kOk, kUnsupported, kFailed, kInterrupted };

constexpr std::string_view to_string(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kUnsupported:
      return "unsupported";
    case Status::kFailed:
      return "failed";
    case Status::kInterrupted:
      return "interrupted";
  }
  return "failed";
}

// For test failure messages.
inline std::ostream& operator<<(std::ostream& out, Status status) {
  return out << to_string(status);
}

struct RepetitionResult {
  Status status = Status::kOk;
  std::string reason;  // why, when not ok
  std::string flush;   // primitive used; empty for modes that do not flush
  bool durable = false;
  std::string durable_reason;  // why it is durable or not
  std::string emulated;        // the target's: "tcg"/"kvm" in the lab's guest, empty on hardware
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
  // Per file of the case, in file order, the steps that prepared it; nullopt when the
  // repetition ended before any file was made (the record's `preparation` is then null).
  std::optional<std::vector<PrepSteps>> preparation;
};

}  // namespace daxbench
