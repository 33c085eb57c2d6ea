// Writing records (with nlohmann::json, never by hand), the context and the summary.
#include "bench/results/results_folder.h"

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <stdexcept>

#include "analysis/stats/stats.h"
#include "bench/base/tsc.h"
#include "bench/modes/mode.h"
#include "bench/results/context.h"
#include "workloads/workload.h"

namespace daxbench {
namespace {

using json = nlohmann::ordered_json;

json latency_json(const Histogram& h) {
  if (h.count() == 0) return nullptr;
  const TscCalibration& clock = tsc();
  return {{"count", h.count()},
          {"p50", clock.to_ns(h.percentile(0.50))},
          {"p90", clock.to_ns(h.percentile(0.90))},
          {"p99", clock.to_ns(h.percentile(0.99))},
          {"p999", clock.to_ns(h.percentile(0.999))},
          {"max", clock.to_ns(h.max())},
          {"mean", h.mean() / clock.ticks_per_ns}};
}

json histogram_json(const Histogram& h) {
  json buckets = json::array();
  const auto& clock = tsc();
  for (const auto& [upper_ns, count] : h.buckets_in([&](auto ticks) { return clock.to_ns(ticks); }))
    buckets.push_back({upper_ns, count});
  return buckets;
}

json optional_number(const std::optional<double>& v) {
  return v ? json(*v) : json(nullptr);
}

}  // namespace

json shape_json(const CaseSpec& spec) {
  json out = json::object();
  for (const auto& [name, text] : case_shape(*spec.workload, *spec.mode, spec.params))
    out[name] = text;
  return out;
}

json params_json(const CaseSpec& spec) {
  json out = json::object();
  for (const ParamSpec* p : applicable_params(*spec.workload, *spec.mode)) {
    const std::string& text = spec.params.text(p->name);
    switch (p->kind) {
      case ParamKind::kInteger:
      case ParamKind::kSize:
        out[std::string(p->name)] = spec.params.integer(p->name);
        break;
      case ParamKind::kReal:
        out[std::string(p->name)] = spec.params.real(p->name);
        break;
      default:
        out[std::string(p->name)] = text;
    }
  }
  return out;
}

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

// For the terminal: whole numbers for rates and nanoseconds, three digits for small ratios.
std::string rounded(double v) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, v >= 100 ? "%.0f" : "%.3g", v);
  return buf;
}

}  // namespace

json record_json(const CaseSpec& spec, const RepetitionResult& r, const std::string& run_id,
                 int repetition) {
  const bool ok = r.status == "ok";
  json counters = json::object();
  for (const Metric& m : r.metrics.items())
    counters[m.name] = {{"value", optional_number(m.value)},
                        {"per_op", optional_number(m.per_op)},
                        {"unit", m.unit},
                        {"better", to_string(m.better)},
                        {"status", m.status},
                        {"scope", to_string(m.scope)},
                        {"running_fraction", optional_number(m.running_fraction)}};
  char digest[17];
  std::snprintf(digest, sizeof digest, "%016llx", static_cast<unsigned long long>(r.op_digest));
  return {
      {"schema_version", kSchemaVersion},
      {"run_id", run_id},
      {"tool", "daxbench"},
      {"case_id", spec.id},
      {"target", spec.target},
      {"mode", spec.mode->name},
      {"workload", spec.workload->name},
      {"flush", r.flush.empty() ? json(nullptr) : json(r.flush)},
      {"params", params_json(spec)},
      {"shape", shape_json(spec)},
      {"repetition", repetition},
      {"status", r.status},
      {"reason", r.reason.empty() ? json(nullptr) : json(r.reason)},
      {"durable", r.durable},
      {"durable_reason", r.durable_why},
      {"emulated", r.emulated.empty() ? json(nullptr) : json(r.emulated)},
      {"ops", ok ? json(r.ops) : json(nullptr)},
      {"commits", ok ? json(r.commits) : json(nullptr)},
      {"duration_ns", ok ? json(r.duration_ns) : json(nullptr)},
      {"ops_per_sec", ok ? json(r.ops_per_sec) : json(nullptr)},
      {"latency_ns",
       {{"op", ok ? latency_json(r.op_latency) : json(nullptr)},
        {"commit", ok ? latency_json(r.commit_latency) : json(nullptr)}}},
      {"latency_sample_every",
       ok ? json{{"op", r.sample_rates.op}, {"commit", r.sample_rates.commit}} : json(nullptr)},
      {"histogram",
       {{"op", ok ? histogram_json(r.op_latency) : json(nullptr)},
        {"commit", ok ? histogram_json(r.commit_latency) : json(nullptr)}}},
      {"counters", counters},
      {"op_digest", ok ? json(digest) : json(nullptr)},
      {"extent_map_unchanged",
       r.extent_map_unchanged ? json(*r.extent_map_unchanged) : json(nullptr)},
  };
}

ResultsFolder::ResultsFolder(std::filesystem::path path) : path_(std::move(path)) {
  namespace fs = std::filesystem;
  if (fs::exists(path_) && !fs::is_empty(path_))
    throw std::runtime_error("results folder '" + path_.string() +
                             "' exists and is not empty: a run never mixes into another's folder");
  std::error_code error;
  fs::create_directories(path_, error);
  if (error)
    throw std::runtime_error("cannot create results folder '" + path_.string() +
                             "': " + error.message());
  records_ = std::fopen((path_ / "records.jsonl").c_str(), "w");
  if (!records_) throw std::runtime_error("cannot create " + (path_ / "records.jsonl").string());
}

ResultsFolder::~ResultsFolder() {
  if (records_) std::fclose(records_);
}

void ResultsFolder::write_context(const json& context) {
  // Written again at the end (with the lab's guests): a rename keeps the old one whole until
  // the new one is.
  const auto fresh = path_ / "context.json.new";
  std::ofstream(fresh) << context.dump(2) << '\n';
  std::filesystem::rename(fresh, path_ / "context.json");
}

void ResultsFolder::append_record(const CaseSpec& spec, const RepetitionResult& result,
                                  const std::string& run_id, int repetition) {
  append_json(record_json(spec, result, run_id, repetition));
}

void ResultsFolder::append_json(json record) {
  const std::string line = record.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), records_);
  std::fflush(records_);
  fsync(fileno(records_));
  const std::string id = record["case_id"].get<std::string>();
  if (record.value("tool", "daxbench") == "fio") {
    fio_[id].push_back(std::move(record));
    return;
  }
  auto [it, inserted] = cases_.try_emplace(id);
  if (inserted) order_.push_back(id);
  it->second.push_back(std::move(record));
}

namespace {

// One case's repetitions, summarised once for both summary.csv and the end-of-run table.
struct CaseSummary {
  std::string id;
  const json* first;        // a representative record (an ok one if there is any)
  std::string status;       // ok if any repetition was
  std::size_t repetitions;  // ok ones
  std::optional<stats::Summary> throughput;
  // Medians over repetitions of each repetition's value (NaN when not measured).
  double op_p50, op_p99, op_p999, commit_p50, commit_p99;
  double syscalls, lines_flushed, fences, faults_trapped;  // per operation
};

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

std::string text_of(const json& value) {
  return value.is_null() ? "" : value.get<std::string>();
}

}  // namespace

void ResultsFolder::write_summary() const {
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
  std::ofstream out(path_ / "summary.csv");
  for (const Column& column : kColumns) out << (&column == kColumns ? "" : ",") << column.name;
  out << '\n';
  for (const std::string& id : order_) {
    const CaseSummary c = summarize_case(id, cases_.at(id));
    for (const Column& column : kColumns) out << (&column == kColumns ? "" : ",") << column.cell(c);
    out << '\n';
  }
}

// fio's run of the same case, on the line under it, so the two can be read side by side.
void ResultsFolder::print_fio_row(std::FILE* out, const std::string& id) const {
  const auto it = fio_.find(id);
  if (it == fio_.end()) return;
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

void ResultsFolder::print_table(std::FILE* out) const {
  std::fprintf(out, "%-64s %12s %25s %10s %10s %7s\n", "case (medians over repetitions)", "ops/s",
               "95% CI", "op p50 ns", "op p99 ns", "sys/op");
  for (const std::string& id : order_) {
    const CaseSummary c = summarize_case(id, cases_.at(id));
    const std::string name = id.size() > 64 ? id.substr(0, 61) + "..." : id;
    if (!c.throughput) {
      std::fprintf(out, "%-64s %s: %s\n", name.c_str(), c.status.c_str(),
                   text_of((*c.first)["reason"]).substr(0, 60).c_str());
      print_fio_row(out, id);
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
    print_fio_row(out, id);
  }
}

std::filesystem::path default_results_path(const std::filesystem::path& root,
                                           const std::string& config_name) {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", std::gmtime(&now));
  const std::string base = std::string(stamp) + "-" + host_name() + "-" + config_name;
  std::filesystem::path path = root / base;
  for (int n = 2; std::filesystem::exists(path); ++n)
    path = root / (base + "-" + std::to_string(n));
  return path;
}

}  // namespace daxbench
