// The end-of-run table: fixed-width columns, numbers rounded for reading.
#include "bench/results/console_table.h"

#include <cmath>
#include <string>

#include "bench/results/case_summary.h"

namespace daxbench {
namespace {

using json = nlohmann::ordered_json;

// For the terminal: whole numbers for rates and nanoseconds, three digits for small ratios.
std::string rounded(double v) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, v >= 100 ? "%.0f" : "%.3g", v);
  return buf;
}

// fio's run of the same case, on the line under it, so the two can be read side by side.
void print_fio_row(std::FILE* out, const KeptRecords& records, const std::string& id) {
  const auto it = records.fio.find(id);
  if (it == records.fio.end()) return;
  const CaseSummary c = summarize_case(id, it->second);
  const json& engine = (*c.first)["fio"]["engine"];
  const std::string label = "  fio " + (engine.is_null() ? std::string() : text_of(engine));
  if (!c.throughput) {
    std::fprintf(out, "%-64s %s: %s\n", label.c_str(), c.status.c_str(),
                 text_of((*c.first)["reason"]).substr(0, 60).c_str());
    return;
  }
  std::string interval = "[";
  interval.append(rounded(c.throughput->ci.low))
      .append(", ")
      .append(rounded(c.throughput->ci.high))
      .append("]");
  std::fprintf(out, "%-64s %12s %25s %10s %10s\n", label.c_str(),
               rounded(c.throughput->median).c_str(), interval.c_str(), rounded(c.op_p50).c_str(),
               rounded(c.op_p99).c_str());
}

}  // namespace

void print_console_table(std::FILE* out, const KeptRecords& records) {
  std::fprintf(out, "%-64s %12s %25s %10s %10s %7s\n", "case (medians over repetitions)", "ops/s",
               "95% CI", "op p50 ns", "op p99 ns", "sys/op");
  for (const std::string& id : records.order) {
    const CaseSummary c = summarize_case(id, records.cases.at(id));
    const std::string name = id.size() > 64 ? id.substr(0, 61) + "..." : id;
    if (!c.throughput) {
      std::fprintf(out, "%-64s %s: %s\n", name.c_str(), c.status.c_str(),
                   text_of((*c.first)["reason"]).substr(0, 60).c_str());
      print_fio_row(out, records, id);
      continue;
    }
    std::string interval = "[";  // appended, not `+`-chained: GCC 12 warns falsely on that
    interval.append(rounded(c.throughput->ci.low))
        .append(", ")
        .append(rounded(c.throughput->ci.high))
        .append("]");
    std::fprintf(out, "%-64s %12s %25s %10s %10s %7s%s\n", name.c_str(),
                 rounded(c.throughput->median).c_str(), interval.c_str(), rounded(c.op_p50).c_str(),
                 rounded(c.op_p99).c_str(), rounded(c.syscalls).c_str(),
                 (*c.first)["durable"].get<bool>() ? "" : "  (not durable here)");
    print_fio_row(out, records, id);
  }
}

}  // namespace daxbench
