// Reads the facts a reader of a result needs to reproduce or distrust it.
#include "bench/results/context.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench/base/latency_sampler.h"
#include "bench/base/tsc.h"
#include "bench/counters/perf_event.h"
#include "bench/counters/tracepoints.h"
#include "bench/flush/cpuid.h"
#include "bench/flush/flush.h"

namespace daxbench {
namespace {

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

nlohmann::ordered_json caches() {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (int i = 0;; ++i) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    if (!std::filesystem::exists(dir)) break;
    out.push_back({{"level", read_line(dir + "level")},
                   {"type", read_line(dir + "type")},
                   {"size", read_line(dir + "size")},
                   {"shared_cpu_list", read_line(dir + "shared_cpu_list")}});
  }
  return out;
}

// What the kernel counters depended on: who may count what, and where tracepoint ids came from.
nlohmann::ordered_json counters_context() {
  using json = nlohmann::ordered_json;
  const std::optional<int> paranoid = perf::perf_event_paranoid();
  const perf::Tracefs fs = perf::tracefs();
  // Replaced at the end of the run by what release_tracefs() did (tracefs_at_end).
  const json at_end = fs.mounted_by_us
                          ? json("mounted by daxbench at " + fs.path + "; the run has not ended")
                          : json(nullptr);
  return {{"perf_event_paranoid", paranoid ? json(*paranoid) : json(nullptr)},
          {"hardware_pmu", perf::has_hardware_pmu()},
          {"tracefs",
           {{"path", fs.path.empty() ? json(nullptr) : json(fs.path)},
            {"mounted_by_daxbench", fs.mounted_by_us},
            {"problem", fs.problem.empty() ? json(nullptr) : json(fs.problem)},
            {"at_end", at_end}}}};
}

}  // namespace

std::string host_name() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

nlohmann::ordered_json to_json(const TargetFacts& f) {
  return {{"spec", f.spec},
          {"kind", f.kind},
          {"directory", f.directory},
          {"filesystem", f.filesystem},
          {"mount_point", f.mount_point},
          {"mount_source", f.mount_source},
          {"mount_options", f.mount_options},
          {"persistent", f.persistent},
          {"dax", f.dax},
          {"map_sync", f.map_sync},
          {"persistence_domain", f.persistence_domain},
          {"device", f.device},
          {"emulated", f.emulated.empty() ? nlohmann::ordered_json(nullptr)
                                          : nlohmann::ordered_json(f.emulated)},
          {"warning", f.warning.empty() ? nlohmann::ordered_json(nullptr)
                                        : nlohmann::ordered_json(f.warning)}};
}

nlohmann::ordered_json describe_context(const Config& config,
                                        const std::vector<const TargetFacts*>& targets,
                                        const std::string& run_id,
                                        const std::string& command_line) {
  utsname uts{};
  uname(&uts);
  const CpuFeatures& cpu = cpu_features();
  const std::string governor = read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  nlohmann::ordered_json flushes = nlohmann::ordered_json::object();
  for (const FlushOps* ops : flush_primitives()) flushes[std::string(ops->name)] = ops->available();
  nlohmann::ordered_json target_list = nlohmann::ordered_json::array();
  for (const TargetFacts* t : targets) target_list.push_back(to_json(*t));

  return {
      {"schema_version", kSchemaVersion},
      {"run_id", run_id},
      {"suite",
       {{"name", "daxbench"},
        {"version", kSuiteVersion},
        {"build_type", DAXBENCH_BUILD_TYPE},
        {"compiler", "g++ " __VERSION__}}},
      {"command_line", command_line},
      {"host",
       {{"name", host_name()},
        {"kernel", std::string(uts.sysname) + " " + uts.release + " " + uts.version},
        {"machine", uts.machine},
        {"cpus_online", std::thread::hardware_concurrency()},
        {"cpu_model", cpu.model},
        {"cpu_flags",
         {{"clflush", cpu.clflush},
          {"clflushopt", cpu.clflushopt},
          {"clwb", cpu.clwb},
          {"movdir64b", cpu.movdir64b}}},
        {"flush_primitives_available", flushes},
        {"caches", caches()},
        {"cpu_scaling_governor",
         governor.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(governor)},
        {"transparent_hugepage", read_line("/sys/kernel/mm/transparent_hugepage/enabled")}}},
      {"tsc",
       {{"ticks_per_ns", tsc().ticks_per_ns},
        {"invariant", cpu.invariant_tsc},
        {"calibration", "median of three 20 ms windows against CLOCK_MONOTONIC"},
        // What timing one latency sample costs; it decides the auto sample rates.
        {"timing_cost_ns", timing_cost_ticks() / tsc().ticks_per_ns}}},
      {"emulated", nullptr},
      {"counters", counters_context()},
      {"targets", target_list},
      {"config", {{"path", config.path}, {"name", config.name}, {"text", config.text}}},
  };
}

}  // namespace daxbench
