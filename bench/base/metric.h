// A measured quantity that carries its unit and direction, so no far-away table has to say
// what a number means or whether a bigger one is better.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace daxbench {

enum class Better { kLower, kHigher, kNeither };
std::string_view to_string(Better better);

// Whose activity a metric covers. System-wide counters include every task on every CPU (kernel
// threads such as jbd2, and other processes), so they must never be read as the writers' own.
// Guest user / guest kernel: instructions the lab's persistence model saw the whole guest
// execute in user or kernel mode, on every vCPU (the driver's writers and anything else).
enum class Scope { kWriterThreads, kSystemWide, kBackground, kGuestUser, kGuestKernel };
std::string_view to_string(Scope scope);

struct Metric {
  std::string name;
  std::optional<double> value;   // null when unavailable
  std::optional<double> per_op;  // value / operations, when that is meaningful
  std::string unit;              // "count", "ns", "bytes", "lines", ...
  Better better = Better::kLower;
  std::string status = "ok";  // "ok" or "unavailable: <errno and why>"
  std::string help;           // one line: what it counts
  Scope scope = Scope::kWriterThreads;
  // perf counters: time running / time enabled (1: counted throughout; below 1: the kernel
  // multiplexed it and `value` was scaled up by the inverse). Null for the suite's own metrics.
  std::optional<double> running_fraction = std::nullopt;
};

// An ordered collection of metrics (records keep the order they were added in).
class Metrics {
 public:
  void add(Metric metric) { items_.push_back(std::move(metric)); }
  const std::vector<Metric>& items() const { return items_; }
  const Metric* find(std::string_view name) const {
    for (const Metric& m : items_)
      if (m.name == name) return &m;
    return nullptr;
  }

 private:
  std::vector<Metric> items_;
};

}  // namespace daxbench
