// summary.csv: the columns, each cell read from a CaseSummary, numbers never rounded.
#include "bench/results/summary_csv.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <string>

#include "bench/results/case_summary.h"

namespace daxbench {
namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Shortest text that reads back as the same double: a CSV must not round what it reports.
std::string number(double v) {
  if (!std::isfinite(v)) return "";
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  return std::string(buf, end);
}

}  // namespace

void write_summary_csv(const std::filesystem::path& file, const KeptRecords& records) {
  struct Column {
    const char* name;
    std::string (*cell)(const CaseSummary&);
  };
  static constexpr auto throughput = [](const CaseSummary& c, double stats::Summary::*field) {
    return c.throughput ? number((*c.throughput).*field) : "";
  };
  static constexpr Column kColumns[] = {
      {"case_id", [](const CaseSummary& c) { return csv_field(c.id); }},
      {"workload", [](const CaseSummary& c) { return csv_field(text_of((*c.first)["workload"])); }},
      {"mode", [](const CaseSummary& c) { return csv_field(text_of((*c.first)["mode"])); }},
      {"target", [](const CaseSummary& c) { return csv_field(text_of((*c.first)["target"])); }},
      {"flush", [](const CaseSummary& c) { return csv_field(text_of((*c.first)["flush"])); }},
      {"status", [](const CaseSummary& c) { return c.status; }},
      {"reason", [](const CaseSummary& c) { return csv_field(text_of((*c.first)["reason"])); }},
      {"durable",
       [](const CaseSummary& c) {
         return std::string((*c.first)["durable"].get<bool>() ? "true" : "false");
       }},
      {"repetitions", [](const CaseSummary& c) { return std::to_string(c.repetitions); }},
      {"ops_per_sec_median",
       [](const CaseSummary& c) { return throughput(c, &stats::Summary::median); }},
      {"ops_per_sec_mean",
       [](const CaseSummary& c) { return throughput(c, &stats::Summary::mean); }},
      {"ops_per_sec_stddev",
       [](const CaseSummary& c) { return throughput(c, &stats::Summary::stddev); }},
      {"ops_per_sec_cv", [](const CaseSummary& c) { return throughput(c, &stats::Summary::cv); }},
      {"ops_per_sec_ci95_low",
       [](const CaseSummary& c) { return c.throughput ? number(c.throughput->ci.low) : ""; }},
      {"ops_per_sec_ci95_high",
       [](const CaseSummary& c) { return c.throughput ? number(c.throughput->ci.high) : ""; }},
      {"op_p50_ns", [](const CaseSummary& c) { return number(c.op_p50); }},
      {"op_p99_ns", [](const CaseSummary& c) { return number(c.op_p99); }},
      {"op_p999_ns", [](const CaseSummary& c) { return number(c.op_p999); }},
      {"commit_p50_ns", [](const CaseSummary& c) { return number(c.commit_p50); }},
      {"commit_p99_ns", [](const CaseSummary& c) { return number(c.commit_p99); }},
      {"syscalls_per_op", [](const CaseSummary& c) { return number(c.syscalls); }},
      {"lines_flushed_per_op", [](const CaseSummary& c) { return number(c.lines_flushed); }},
      {"fences_per_op", [](const CaseSummary& c) { return number(c.fences); }},
      {"faults_trapped_per_op", [](const CaseSummary& c) { return number(c.faults_trapped); }},
  };
  std::ofstream out(file);
  for (const Column& column : kColumns) out << (&column == kColumns ? "" : ",") << column.name;
  out << '\n';
  for (const std::string& id : records.order) {
    const CaseSummary c = summarize_case(id, records.cases.at(id));
    for (const Column& column : kColumns) out << (&column == kColumns ? "" : ",") << column.cell(c);
    out << '\n';
  }
}

}  // namespace daxbench
