// The table of common parameters (run control, threads, files, background, flush), and the
// names every plug-in declares.
#include "bench/config/common_params.h"

#include <string_view>
#include <vector>

#include "bench/flush/flush.h"
#include "bench/modes/mode.h"
#include "workloads/workload.h"

namespace daxbench {
namespace {
constexpr std::string_view kFiles[] = {"per-thread", "shared"};
constexpr std::string_view kFileStates[] = {"sparse", "fallocated", "zeroed"};
constexpr std::string_view kBackground[] = {"none", "metadata"};

// `flush` choices come from flush.def, so adding a primitive needs no edit here.
std::span<const std::string_view> flush_choices() {
  static const std::vector<std::string_view> choices = [] {
    std::vector<std::string_view> names{"auto"};
    for (const FlushOps* ops : flush_primitives()) names.push_back(ops->name);
    return names;
  }();
  return choices;
}

const ParamSpec kCommon[] = {
    {"duration_s",
     ParamKind::kReal,
     "1",
     "timed phase length per repetition, seconds",
     {},
     0.001,
     3600,
     false},
    {"ops",
     ParamKind::kInteger,
     "0",
     "operations per thread instead of a duration (0 = use duration_s)",
     {},
     0,
     1e12,
     false},
    {"warmup_s",
     ParamKind::kReal,
     "0.2",
     "untimed warm-up before each repetition, seconds",
     {},
     0,
     600,
     false},
    {"latency_sample_every",
     ParamKind::kInteger,
     "0",
     "time a random 1 in N operations (and commits) for the latency histograms; throughput "
     "counts all. 0 = auto: all when an operation is slow, else as few as keep timing under "
     "1% of the mean operation",
     {},
     0,
     1e6,
     false},
    {"repetitions",
     ParamKind::kInteger,
     "5",
     "repetitions, interleaved across the cases of a run",
     {},
     1,
     1000,
     false},
    {"seed",
     ParamKind::kInteger,
     "1",
     "seed of the operation sequence (each thread derives its own)",
     {},
     0,
     9.2e18},
    {"threads", ParamKind::kInteger, "1", "writer threads", {}, 1, 256},
    {"files", ParamKind::kChoice, "per-thread",
     "one file per thread, or one file shared by all threads", kFiles},
    {"file_state", ParamKind::kChoice, "sparse",
     "state of each file before the run (all are fsync'ed)", kFileStates},
    {"working_set",
     ParamKind::kSize,
     "64M",
     "size of each file; workloads stay inside it",
     {},
     4096,
     1e15},
    {"background", ParamKind::kChoice, "none",
     "concurrent load: metadata = create/write/fsync/unlink loop", kBackground},
    {"flush", ParamKind::kChoice, "auto", "cache-flush instruction for user-space flushing modes",
     flush_choices()},
};
}  // namespace

std::span<const ParamSpec> common_params() {
  return kCommon;
}

std::set<std::string> all_param_names() {
  std::set<std::string> names;
  for (const ParamSpec& s : common_params()) names.emplace(s.name);
  for (const WorkloadDesc* w : workloads())
    for (const ParamSpec& s : w->params) names.emplace(s.name);
  for (const ModeDesc* m : modes())
    for (const ParamSpec& s : m->params) names.emplace(s.name);
  return names;
}

std::string param_owners(std::string_view name) {
  std::string out;
  for (const WorkloadDesc* w : workloads())
    for (const ParamSpec& s : w->params)
      if (s.name == name)
        out += (out.empty() ? "" : ", ") + std::string("workload ") + std::string(w->name);
  for (const ModeDesc* m : modes())
    for (const ParamSpec& s : m->params)
      if (s.name == name)
        out += (out.empty() ? "" : ", ") + std::string("mode ") + std::string(m->name);
  return out;
}

}  // namespace daxbench
