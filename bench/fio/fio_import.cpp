// Reading fio's JSON and writing the fio record. Only nlohmann::json builds the record; the
// fields and their order follow record_json (bench/results/results_folder.cpp) so one reader serves
// both.
#include "bench/fio/fio_import.h"

#include <cstring>

#include "bench/modes/mode.h"
#include "bench/results/context.h"
#include "bench/results/results_folder.h"
#include "workloads/workload.h"

namespace daxbench::fio {
namespace {

using json = nlohmann::ordered_json;

std::optional<Latency> latency_of(const json& lat) {
  if (!lat.is_object() || lat.value("N", 0ull) == 0) return std::nullopt;
  Latency l;
  l.count = lat["N"].get<std::uint64_t>();
  l.max = lat.value("max", 0.0);
  l.mean = lat.value("mean", 0.0);
  const json& p = lat.contains("percentile") ? lat["percentile"] : json::object();
  // percentile_list=50:90:99:99.9 in every job; fio's default list has them too.
  l.p50 = p.value("50.000000", 0.0);
  l.p90 = p.value("90.000000", 0.0);
  l.p99 = p.value("99.000000", 0.0);
  l.p999 = p.value("99.900000", 0.0);
  return l;
}

json latency_json(const std::optional<Latency>& l) {
  if (!l) return nullptr;
  return {{"count", l->count}, {"p50", l->p50}, {"p90", l->p90},  {"p99", l->p99},
          {"p999", l->p999},   {"max", l->max}, {"mean", l->mean}};
}

std::string errno_name(int error) {
  const char* name = strerrorname_np(error);
  return (name ? std::string(name) : "errno " + std::to_string(error)) + " (" +
         std::strerror(error) + ")";
}

// The last few lines of fio's standard error, on one line, for a reason.
std::string last_lines(const std::string& text, std::size_t lines = 3) {
  std::string out;
  std::size_t end = text.size(), taken = 0;
  while (end > 0 && taken < lines) {
    while (end > 0 && text[end - 1] == '\n') --end;
    if (end == 0) break;
    const std::size_t begin = text.rfind('\n', end - 1);
    const std::size_t from = begin == std::string::npos ? 0 : begin + 1;
    out = text.substr(from, end - from) + (out.empty() ? "" : " | " + out);
    end = from;
    ++taken;
  }
  return out;
}

}  // namespace

std::optional<Imported> parse_output(const std::string& text, std::string& problem) {
  const std::size_t brace = text.find('{');
  if (brace == std::string::npos) {
    problem = "fio wrote no JSON";
    return std::nullopt;
  }
  const json doc = json::parse(text.begin() + static_cast<std::ptrdiff_t>(brace), text.end(),
                               nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.contains("jobs") || !doc["jobs"].is_array() ||
      doc["jobs"].empty()) {
    problem = "fio's output is not its JSON report";
    return std::nullopt;
  }
  Imported in;
  in.version = doc.value("fio version", "");
  // group_reporting=1 makes one entry; without it the jobs are summed.
  for (const json& job : doc["jobs"]) {
    if (in.error == 0) in.error = job.value("error", 0);
    const json& write = job["write"];
    in.ops += write.value("total_ios", 0ull);
    in.iops += write.value("iops", 0.0);
    in.bw_bytes += write.value("bw_bytes", 0.0);
    in.runtime_ns = std::max<std::uint64_t>(in.runtime_ns, write.value("runtime", 0ull) * 1000000);
    if (!in.clat) in.clat = latency_of(write.value("clat_ns", json()));
    if (!in.sync && job.contains("sync")) in.sync = latency_of(job["sync"].value("lat_ns", json()));
  }
  return in;
}

json make_record(const CaseSpec& spec, const Job& job, const RunOutcome* run,
                 const std::string& output, const std::string& run_id, int repetition,
                 const std::string& emulated) {
  std::string status = "ok", reason, problem;
  std::optional<Imported> in;
  if (!job.supported) {
    status = "unsupported";
    reason = job.reason;
  } else if (!run) {
    status = "failed";
    reason = "fio did not run";
  } else if (!run->problem.empty()) {
    status = "failed";
    reason = run->problem + (run->stderr_tail.empty() ? "" : ": " + last_lines(run->stderr_tail));
  } else {
    in = parse_output(output, problem);
    const std::string said = run->stderr_tail.empty() ? "" : ": " + last_lines(run->stderr_tail);
    if (!in) {
      status = "failed";
      reason = problem + " (exit code " + std::to_string(run->exit_code) + ")" + said;
    } else if (in->error != 0) {
      status = "failed";
      reason = "fio reported error " + errno_name(in->error) + " (exit code " +
               std::to_string(run->exit_code) + ")" + said;
    } else if (run->exit_code != 0) {
      status = "failed";
      reason = "fio exited " + std::to_string(run->exit_code) +
               (in->ops == 0 ? " after 0 writes" : "") +
               (said.empty() ? std::string(" and said nothing") : said);
    } else if (in->ops == 0) {
      status = "failed";
      reason = "fio did 0 writes" + (said.empty() ? std::string(" and said nothing") : said);
    }
  }
  const bool ok = status == "ok";
  json commits = nullptr;
  if (ok) {
    const bool drains_each = std::any_of(job.options.begin(), job.options.end(),
                                         [](const auto& o) { return o.first == "sync"; }) ||
                             job.engine == "dev-dax";
    if (in->sync)
      commits = in->sync->count;
    else if (drains_each)
      commits = in->ops;  // every write is drained (sync=1) or persisted (dev-dax) in itself
    else
      commits = 0;
  }
  json env = json::object();
  for (const auto& [key, value] : job.env) env[key] = value;
  const bool ran = run != nullptr;
  return {
      {"schema_version", kSchemaVersion},
      {"run_id", run_id},
      {"tool", "fio"},
      {"case_id", spec.id},
      {"target", spec.target},
      {"mode", spec.mode->name},
      {"workload", spec.workload->name},
      {"flush", nullptr},
      {"params", params_json(spec)},
      {"shape", shape_json(spec)},
      {"repetition", repetition},
      {"status", status},
      {"reason", reason.empty() ? json(nullptr) : json(reason)},
      {"durable", job.supported && job.durable},
      {"durable_reason", job.supported ? job.durable_reason : "fio did not run this case"},
      {"emulated", emulated.empty() ? json(nullptr) : json(emulated)},
      {"ops", ok ? json(in->ops) : json(nullptr)},
      {"commits", commits},
      {"duration_ns", ok ? json(in->runtime_ns) : json(nullptr)},
      {"ops_per_sec", ok ? json(in->iops) : json(nullptr)},
      {"bandwidth_bytes_per_sec", ok ? json(in->bw_bytes) : json(nullptr)},
      {"latency_ns",
       {{"op", ok ? latency_json(in->clat) : json(nullptr)},
        {"commit", ok ? latency_json(in->sync) : json(nullptr)}}},
      {"latency_sample_every", nullptr},
      {"histogram", {{"op", nullptr}, {"commit", nullptr}}},
      {"counters", json::object()},
      {"op_digest", nullptr},
      {"extent_map_unchanged", nullptr},
      {"preparation", nullptr},
      {"fio",
       {{"version", in ? json(in->version) : json(nullptr)},
        {"engine", job.engine.empty() ? json(nullptr) : json(job.engine)},
        {"job", job.text.empty() ? json(nullptr) : json(job.text)},
        {"command", ran ? json(run->command) : json(nullptr)},
        {"env", env},
        {"mapping", job.supported ? json(job.mapping) : json(nullptr)},
        {"exit_code", ran ? json(run->exit_code) : json(nullptr)},
        {"stderr", ran && !ok ? json(run->stderr_tail) : json(nullptr)}}},
  };
}

}  // namespace daxbench::fio
