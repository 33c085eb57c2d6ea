// Summing internal counters and turning them into metrics.
#include "bench/io/internal_counters.h"

namespace daxbench {

InternalCounters& InternalCounters::operator+=(const InternalCounters& o) {
  for (const CounterField& f : kCounterFields) this->*f.field += o.*f.field;
  return *this;
}

void add_counter_metrics(const InternalCounters& counters, std::uint64_t ops, Metrics& out) {
  auto per_op = [ops](std::uint64_t v) -> std::optional<double> {
    if (ops == 0) return std::nullopt;
    return static_cast<double>(v) / static_cast<double>(ops);
  };
  for (const CounterField& f : kCounterFields) {
    const std::uint64_t v = counters.*f.field;
    // Work done per operation is a cost; the workload's own output is neither good nor bad.
    const bool is_output = f.name == "stores" || f.name == "bytes_stored" || f.name == "commits";
    out.add({std::string(f.name), static_cast<double>(v), per_op(v), std::string(f.unit),
             is_output ? Better::kNeither : Better::kLower, "ok", std::string(f.help)});
  }
  out.add({"syscalls", static_cast<double>(counters.syscalls()), per_op(counters.syscalls()),
           "count", Better::kLower, "ok", "all syscalls issued by the suite's writers"});
}

}  // namespace daxbench
