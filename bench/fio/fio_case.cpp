// fio beside daxbench: the file is made by the same Target::create_file (so by
// create_prepared_file, in the same file_state) and released the same way afterwards.
#include "bench/fio/fio_case.h"

#include <fstream>
#include <sstream>

#include "bench/base/syscall_error.h"
#include "bench/fio/fio_import.h"
#include "bench/fio/fio_job.h"
#include "bench/fio/fio_run.h"
#include "bench/flush/flush.h"
#include "bench/modes/mode.h"

namespace daxbench::fio {
namespace {

// Files of one fio run; released however the run ends.
struct Files {
  explicit Files(Target& t) : target(t) {}
  Target& target;
  std::vector<MappedFile> files;
  ~Files() {
    for (MappedFile& f : files) target.release_file(f);
  }
};

// The flush primitive the case would use here; empty for syscall modes.
std::string flush_name(const CaseSpec& spec, std::string& problem) {
  if (!(spec.mode->needs & kNeedsUserFlush)) return {};
  const FlushOps* flush = resolve_flush(spec.flush, problem);
  return flush ? std::string(flush->name) : std::string();
}

Job plan(const CaseSpec& spec, const TargetView& view) {
  std::string problem;
  const std::string flush = flush_name(spec, problem);
  if (!problem.empty()) {
    Job job;
    job.reason = "flush " + spec.flush + ": " + problem;
    return job;
  }
  return plan_job(spec, view, flush);
}

}  // namespace

std::string describe(const CaseSpec& spec, std::string_view target_spec) {
  const Job job = plan(spec, presumed_target_view(target_spec));
  if (!job.supported) {
    constexpr std::string_view kPrefix = "fio cannot express ";
    const std::string_view why = std::string_view(job.reason).starts_with(kPrefix)
                                     ? std::string_view(job.reason).substr(kPrefix.size())
                                     : std::string_view(job.reason);
    return "cannot express (" + std::string(why) + ")";
  }
  std::string text = job.engine;
  for (const auto& [key, value] : job.options) text += " " + key + "=" + value;
  for (const auto& [key, value] : job.env) text += " " + key + "=" + value;
  return text;
}

CaseOutcome run_case(const CaseSpec& spec, Target& target, const FioConfig& config,
                     const std::filesystem::path& results, std::size_t serial,
                     const std::string& run_id, int repetition, const std::atomic<bool>& stop) {
  CaseOutcome outcome;
  const std::string& emulated = target.facts().emulated;
  Job job = plan(spec, target_view(target.facts()));
  if (!job.supported) {
    outcome.unsupported = true;
    outcome.record = make_record(spec, job, nullptr, "", run_id, repetition, emulated);
    return outcome;
  }
  const ParamSet& p = spec.params;
  const bool shared = p.text("files") == "shared";
  const auto count = static_cast<unsigned>(shared ? 1 : p.integer("threads"));
  const std::string stem =
      "fio-case" + std::to_string(serial) + "-rep" + std::to_string(repetition);
  Files prepared(target);
  std::vector<std::string> names;
  try {
    for (unsigned i = 0; i < count; ++i) {
      prepared.files.push_back(target.create_file(stem + "-file" + std::to_string(i) + ".dat",
                                                  p.size("working_set"), p.text("file_state")));
      const MappedFile& f = prepared.files.back();
      if (target.facts().device && f.offset != 0)
        throw TargetError("device region at offset " + std::to_string(f.offset) +
                          ": fio's dev-dax engine maps from offset 0");
      names.push_back(f.path.empty() ? target.facts().directory : f.path);
    }
  } catch (const std::exception& e) {
    RunOutcome none;
    none.problem = std::string("setup: ") + e.what();
    outcome.record = make_record(spec, job, &none, "", run_id, repetition, emulated);
    return outcome;
  }
  write_job_text(spec, names, job);

  const std::filesystem::path folder = results / "fio";
  std::filesystem::create_directories(folder);
  const std::filesystem::path job_file = folder / (stem + ".fio");
  const std::filesystem::path json_file = folder / (stem + ".json");
  std::ofstream(job_file) << job.text;
  // Under emulation kernel paths run several times slower; the margin covers fio's start-up.
  const double slow = emulated.empty() ? 1 : 10;
  const double timeout = slow * expected_seconds(spec, job) + 60;
  const RunOutcome run = run_fio(config.binary, job_file, json_file, job.env, timeout, stop);
  if (run.interrupted) return outcome;
  std::ifstream in(json_file);
  std::stringstream output;
  output << in.rdbuf();
  outcome.record = make_record(spec, job, &run, output.str(), run_id, repetition, emulated);
  return outcome;
}

}  // namespace daxbench::fio
