// Summarising a case's records: medians of latency and per-operation counters, throughput.
#include "bench/results/case_summary.h"

#include <cmath>

namespace daxbench {

using json = nlohmann::ordered_json;

CaseSummary summarize_case(const std::string& id, const std::vector<json>& records) {
  std::vector<const json*> ok;
  for (const json& r : records)
    if (r["status"] == "ok") ok.push_back(&r);
  auto median_of = [&](auto get) {
    std::vector<double> v;
    for (const json* r : ok)
      if (auto x = get(*r); x) v.push_back(*x);
    return v.empty() ? NAN : stats::median(v);
  };
  auto latency = [](const char* kind, const char* q) {
    return [=](const json& r) -> std::optional<double> {
      const json& l = r["latency_ns"][kind];
      if (l.is_null()) return std::nullopt;
      return l[q].get<double>();
    };
  };
  auto per_op = [](const char* name) {
    return [=](const json& r) -> std::optional<double> {
      // fio's records have no counters: a const lookup of a missing key is undefined.
      if (!r["counters"].contains(name)) return std::nullopt;
      const json& c = r["counters"][name];
      if (!c.is_object() || c["per_op"].is_null()) return std::nullopt;
      return c["per_op"].get<double>();
    };
  };
  CaseSummary c{id,
                ok.empty() ? &records.front() : ok.front(),
                ok.empty() ? records.front()["status"].get<std::string>() : "ok",
                ok.size(),
                std::nullopt,
                median_of(latency("op", "p50")),
                median_of(latency("op", "p99")),
                median_of(latency("op", "p999")),
                median_of(latency("commit", "p50")),
                median_of(latency("commit", "p99")),
                median_of(per_op("syscalls")),
                median_of(per_op("lines_flushed")),
                median_of(per_op("fences")),
                median_of(per_op("faults_trapped"))};
  std::vector<double> throughput;
  for (const json* r : ok) throughput.push_back((*r)["ops_per_sec"].get<double>());
  if (!throughput.empty()) c.throughput = stats::summarize(throughput);
  return c;
}

}  // namespace daxbench
