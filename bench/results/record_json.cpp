// The record format (with nlohmann::json, never by hand): results, params and shape.
#include "bench/results/record_json.h"

#include <cstdio>
#include <optional>

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

// Per file its steps and their sum, and the sum over files; null when no file was made.
json preparation_json(const std::optional<std::vector<PrepSteps>>& preparation) {
  if (!preparation) return nullptr;
  json files = json::array();
  std::uint64_t total = 0;
  for (const PrepSteps& steps : *preparation) {
    json out = json::array();
    std::uint64_t file_ns = 0;
    for (const PrepStep& step : steps) {
      out.push_back({{"name", step.name}, {"ns", step.ns}, {"bytes", step.bytes}});
      file_ns += step.ns;
    }
    files.push_back({{"ns", file_ns}, {"steps", out}});
    total += file_ns;
  }
  return {{"clock", "CLOCK_MONOTONIC"}, {"ns", total}, {"files", files}};
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

json record_json(const CaseSpec& spec, const RepetitionResult& r, const std::string& run_id,
                 int repetition) {
  const bool ok = r.status == Status::kOk;
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
      // The lab's host adds what the guest booted (release, source, hashes) as it imports.
      {"kernel", spec.kernel.empty() ? json(nullptr) : json{{"name", spec.kernel}}},
      {"mode", spec.mode->name},
      {"workload", spec.workload->name},
      {"flush", r.flush.empty() ? json(nullptr) : json(r.flush)},
      {"params", params_json(spec)},
      {"shape", shape_json(spec)},
      {"repetition", repetition},
      {"status", std::string(to_string(r.status))},
      {"reason", r.reason.empty() ? json(nullptr) : json(r.reason)},
      {"durable", r.durable},
      {"durable_reason", r.durable_reason},
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
      {"preparation", preparation_json(r.preparation)},
  };
}

}  // namespace daxbench
