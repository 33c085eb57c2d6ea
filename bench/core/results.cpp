// Writing records (with nlohmann::json, never by hand), the context and the summary.
#include "bench/core/results.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "analysis/stats/stats.h"
#include "bench/core/context.h"
#include "bench/core/tsc.h"
#include "bench/modes/mode.h"
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
  for (const auto& [upper, count] : h.buckets()) buckets.push_back({tsc().to_ns(upper), count});
  return buckets;
}

json optional_number(const std::optional<double>& v) {
  return v ? json(*v) : json(nullptr);
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

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string number(double v) {
  if (!std::isfinite(v)) return "";
  std::ostringstream out;
  out.precision(6);
  out << v;
  return out.str();
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
                        {"status", m.status}};
  char digest[17];
  std::snprintf(digest, sizeof digest, "%016llx", static_cast<unsigned long long>(r.op_digest));
  return {
      {"schema_version", kSchemaVersion},
      {"run_id", run_id},
      {"case_id", spec.id},
      {"target", spec.target},
      {"mode", spec.mode->name},
      {"workload", spec.workload->name},
      {"flush", r.flush.empty() ? json(nullptr) : json(r.flush)},
      {"params", params_json(spec)},
      {"repetition", repetition},
      {"status", r.status},
      {"reason", r.reason.empty() ? json(nullptr) : json(r.reason)},
      {"durable", r.durable},
      {"durable_reason", r.durable_why},
      {"emulated", nullptr},
      {"ops", ok ? json(r.ops) : json(nullptr)},
      {"commits", ok ? json(r.commits) : json(nullptr)},
      {"duration_ns", ok ? json(r.duration_ns) : json(nullptr)},
      {"ops_per_sec", ok ? json(r.ops_per_sec) : json(nullptr)},
      {"latency_ns",
       {{"op", ok ? latency_json(r.op_latency) : json(nullptr)},
        {"commit", ok ? latency_json(r.commit_latency) : json(nullptr)}}},
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
    throw std::runtime_error("results folder '" + path_.string() + "' exists and is not empty");
  fs::create_directories(path_);
  records_ = std::fopen((path_ / "records.jsonl").c_str(), "w");
  if (!records_) throw std::runtime_error("cannot create " + (path_ / "records.jsonl").string());
}

ResultsFolder::~ResultsFolder() {
  if (records_) std::fclose(records_);
}

void ResultsFolder::write_context(const json& context) {
  std::ofstream((path_ / "context.json")) << context.dump(2) << '\n';
}

void ResultsFolder::append_record(const CaseSpec& spec, const RepetitionResult& result,
                                  const std::string& run_id, int repetition) {
  json record = record_json(spec, result, run_id, repetition);
  const std::string line = record.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), records_);
  std::fflush(records_);
  fsync(fileno(records_));
  auto [it, inserted] = cases_.try_emplace(spec.id, CaseRows{&spec, {}});
  if (inserted) order_.push_back(spec.id);
  it->second.records.push_back(std::move(record));
}

void ResultsFolder::write_summary() const {
  std::ofstream out(path_ / "summary.csv");
  out << "case_id,workload,mode,target,flush,status,reason,durable,repetitions,"
         "ops_per_sec_median,ops_per_sec_mean,ops_per_sec_stddev,ops_per_sec_cv,"
         "ops_per_sec_ci95_low,ops_per_sec_ci95_high,op_p50_ns,op_p99_ns,op_p999_ns,"
         "commit_p50_ns,commit_p99_ns,syscalls_per_op,lines_flushed_per_op,fences_per_op,"
         "faults_trapped_per_op\n";
  for (const std::string& id : order_) {
    const CaseRows& rows = cases_.at(id);
    std::vector<const json*> ok;
    for (const json& r : rows.records)
      if (r["status"] == "ok") ok.push_back(&r);
    const json& first = ok.empty() ? rows.records.front() : *ok.front();
    // Each latency column is the median over repetitions of that repetition's percentile.
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
        const json& c = r["counters"][name];
        if (!c.is_object() || c["per_op"].is_null()) return std::nullopt;
        return c["per_op"].get<double>();
      };
    };
    std::vector<double> throughput;
    for (const json* r : ok) throughput.push_back((*r)["ops_per_sec"].get<double>());
    const stats::Summary s = throughput.empty() ? stats::Summary{} : stats::summarize(throughput);
    const std::string status = ok.empty() ? first["status"].get<std::string>() : "ok";
    out << csv_field(id) << ',' << csv_field(first["workload"]) << ',' << csv_field(first["mode"])
        << ',' << csv_field(first["target"]) << ','
        << (first["flush"].is_null() ? "" : csv_field(first["flush"])) << ',' << status << ','
        << (first["reason"].is_null() ? "" : csv_field(first["reason"])) << ','
        << (first["durable"].get<bool>() ? "true" : "false") << ',' << ok.size() << ','
        << (ok.empty() ? "" : number(s.median)) << ',' << (ok.empty() ? "" : number(s.mean)) << ','
        << (ok.empty() ? "" : number(s.stddev)) << ',' << (ok.empty() ? "" : number(s.cv)) << ','
        << (ok.empty() ? "" : number(s.ci.low)) << ',' << (ok.empty() ? "" : number(s.ci.high))
        << ',' << number(median_of(latency("op", "p50"))) << ','
        << number(median_of(latency("op", "p99"))) << ','
        << number(median_of(latency("op", "p999"))) << ','
        << number(median_of(latency("commit", "p50"))) << ','
        << number(median_of(latency("commit", "p99"))) << ','
        << number(median_of(per_op("syscalls"))) << ','
        << number(median_of(per_op("lines_flushed"))) << ',' << number(median_of(per_op("fences")))
        << ',' << number(median_of(per_op("faults_trapped"))) << '\n';
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
