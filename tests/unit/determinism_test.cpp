// The same seed gives the same operation sequence in every mode: the modes see the workload
// only through Writer, and every record carries a digest of what was stored and committed.
#include <gtest/gtest.h>

#include "bench/modes/mode.h"
#include "test_support.h"
#include "workloads/workload.h"

namespace daxbench {
namespace {

std::string config_for(std::string_view workload, int seed) {
  return "cases:\n"
         "  - workload: " +
         std::string(workload) +
         "\n"
         "    mode: all\n"
         "    trace: sample.trace\n"
         "    ops: 300\n"
         "    warmup_s: 0\n"
         "    threads: 2\n"
         "    working_set: 1M\n"
         "    repetitions: 1\n"
         "    seed: " +
         std::to_string(seed) + "\n";
}

std::string yaml_without_trace(std::string yaml) {
  const auto at = yaml.find("    trace:");
  return yaml.erase(at, yaml.find('\n', at) - at + 1);
}

TEST(Determinism, EveryModeRunsTheSameOperationsForTheSameSeed) {
  DISK_SCRATCH("all but map-sync must run: sealed-extent needs FIEMAP, which tmpfs lacks");
  for (const WorkloadDesc* workload : workloads()) {
    SCOPED_TRACE(workload->name);
    std::string yaml = config_for(workload->name, 7);
    if (workload->name != "trace-replay") yaml = yaml_without_trace(yaml);
    const Config config = parse_config(
        yaml, std::string(DAXBENCH_SOURCE_DIR) + "/configs/inline.yaml", {testing::scratch_spec()});
    std::uint64_t digest = 0;
    int compared = 0;
    for (const CaseSpec& spec : config.cases) {
      const RepetitionResult r = testing::run_once(spec);
      if (r.status == Status::kUnsupported) continue;  // map-sync off DAX
      ASSERT_EQ(r.status, Status::kOk) << spec.id << ": " << r.reason;
      if (compared++ == 0) digest = r.op_digest;
      EXPECT_EQ(r.op_digest, digest) << spec.id;
    }
    EXPECT_GE(compared, 7);
  }
}

TEST(Determinism, ADifferentSeedGivesDifferentOperations) {
  auto digest_for = [](int seed) {
    const Config c = parse_config(yaml_without_trace(config_for("random-update", seed)),
                                  "inline.yaml", {testing::scratch_spec()});
    return testing::run_once(c.cases.front()).op_digest;
  };
  EXPECT_NE(digest_for(1), digest_for(2));
  EXPECT_EQ(digest_for(3), digest_for(3));
}

}  // namespace
}  // namespace daxbench
