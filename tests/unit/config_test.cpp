// A bad config is refused before anything runs, with file:line:column, the key and the valid
// choices; a good one expands into the cases it means. The YAML here doubles as examples.
#include <gtest/gtest.h>

#include "bench/config/config.h"
#include "bench/modes/mode.h"
#include "test_support.h"
#include "workloads/workload.h"

namespace daxbench {
namespace {

std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml, "sweep.yaml", {"file:/tmp"});
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "in: " << (haystack)

TEST(Config, UnknownParameterNamesFileLineColumnAndSuggests) {
  const std::string e = error_of(
      "cases:\n"
      "  - workload: random-update\n"
      "    mode: fdatasync\n"
      "    comit_every: 4\n");
  EXPECT_CONTAINS(e, "sweep.yaml:4:5: unknown key 'comit_every'");
  EXPECT_CONTAINS(e, "commit_every");
  EXPECT_CONTAINS(e, "did you mean 'commit_every'?");
}

TEST(Config, UnknownModeListsEveryRegisteredMode) {
  const std::string e =
      error_of("cases:\n  - workload: log-append\n    mode: [fdatasync, map-snyc]\n");
  EXPECT_CONTAINS(e, "sweep.yaml:3:23: unknown mode 'map-snyc'");
  for (const ModeDesc* m : modes()) EXPECT_CONTAINS(e, std::string(m->name));
  EXPECT_CONTAINS(e, "did you mean 'map-sync'?");
}

TEST(Config, UnknownWorkloadListsEveryRegisteredWorkload) {
  const std::string e = error_of("cases:\n  - workload: log-apend\n    mode: none\n");
  EXPECT_CONTAINS(e, "sweep.yaml:2:15: unknown workload 'log-apend'");
  for (const WorkloadDesc* w : workloads()) EXPECT_CONTAINS(e, std::string(w->name));
}

TEST(Config, WrongTypeSaysWhatIsExpected) {
  EXPECT_CONTAINS(error_of("cases:\n  - {workload: log-append, mode: none, record_size: big}\n"),
                  "sweep.yaml:2:53: record_size: expected a size in bytes such as 64, 4K");
  EXPECT_CONTAINS(
      error_of("defaults:\n  file_state: [sparse, holey]\ncases:\n  - {workload: log-append, mode: "
               "none}\n"),
      "sweep.yaml:2:24: file_state: expected one of sparse, fallocated, zeroed, got 'holey'");
  EXPECT_CONTAINS(error_of("cases:\n  - {workload: log-append, mode: none, commit_every: 0}\n"),
                  "commit_every: out of range");
  EXPECT_CONTAINS(error_of("cases:\n  - {workload: log-append, mode: none, threads: [1, two]}\n"),
                  "threads: expected a whole number, got 'two'");
}

TEST(Config, ParameterThatAppliesToNothingInTheCaseIsAnError) {
  const std::string e =
      error_of("cases:\n  - workload: log-append\n    mode: fdatasync\n    reprotect: commit\n");
  EXPECT_CONTAINS(e, "sweep.yaml:4:5: 'reprotect' does not apply to this case");
  EXPECT_CONTAINS(e, "mode fsync-per-fault");
}

TEST(Config, ImpossibleCombinationsAreRefused) {
  EXPECT_CONTAINS(
      error_of(
          "cases:\n  - {workload: random-update, mode: none, record_size: 8K, working_set: 4K}\n"),
      "record_size 8K exceeds");
  // A trace that stores beyond the file would grow it: a sealed file never grows.
  const std::string e = error_of(
      "cases:\n"
      "  - workload: trace-replay\n"
      "    mode: sealed-extent\n"
      "    trace: " DAXBENCH_SOURCE_DIR
      "/configs/sample.trace\n"
      "    working_set: 64K\n");
  EXPECT_CONTAINS(e, "sweep.yaml:4:12: trace-replay:");
  EXPECT_CONTAINS(e, "sealed-extent never grows a sealed file");
}

TEST(Config, StructuralErrors) {
  EXPECT_CONTAINS(error_of("cases: []\n"), "cases: expected a non-empty list");
  EXPECT_CONTAINS(error_of("cases:\n  - mode: none\n"), "sweep.yaml:2:5: case without 'workload'");
  EXPECT_CONTAINS(error_of("case:\n  - {}\n"), "sweep.yaml:1:1: unknown key 'case' at top level");
  EXPECT_CONTAINS(error_of("cases:\n  - workload: [log-append\n"), "sweep.yaml:3:1: YAML syntax");
  EXPECT_CONTAINS(
      error_of("targets: [nvme:/dev/x]\ncases:\n  - {workload: log-append, mode: none}\n"),
      "sweep.yaml:1:11: unknown target 'nvme:/dev/x'; valid: file:DIR");
  // A target names a place: the bare kind is not enough.
  EXPECT_CONTAINS(error_of("targets: [file]\ncases:\n  - {workload: log-append, mode: none}\n"),
                  "sweep.yaml:1:11: unknown target 'file'; valid: file:DIR");
}

TEST(Config, ListsAreSweepAxesAndCaseIdsNameNonDefaultParameters) {
  const Config c = parse_config(
      "defaults:\n"
      "  duration_s: 0.5\n"
      "cases:\n"
      "  - workload: random-update\n"
      "    mode: [fdatasync, flush-only]\n"
      "    record_size: [64, 4K]\n"
      "    commit_every: [1, 16]\n",
      "sweep.yaml", {"file:/tmp"});
  ASSERT_EQ(c.cases.size(), 8u);
  EXPECT_EQ(c.cases[0].id, "random-update/fdatasync/file:/tmp/defaults");
  EXPECT_EQ(c.cases[3].id, "random-update/fdatasync/file:/tmp/record_size=4K,commit_every=16");
  EXPECT_EQ(c.cases[0].params.real("duration_s"), 0.5);  // run control: not in the id
  EXPECT_EQ(c.cases[4].flush, "auto");
  EXPECT_EQ(c.cases[0].flush, "");  // fdatasync does not flush from user space
}

TEST(Config, SealedExtentPreparesItsOwnFileSoFileStateCollapses) {
  const Config c = parse_config(
      "cases:\n  - {workload: log-append, mode: [sealed-extent, fdatasync], file_state: [sparse, "
      "fallocated, zeroed]}\n",
      "sweep.yaml", {"file:/tmp"});
  int sealed = 0;
  for (const CaseSpec& s : c.cases)
    if (s.mode->name == "sealed-extent") {
      ++sealed;
      EXPECT_EQ(s.params.text("file_state"), "zeroed");
    }
  EXPECT_EQ(sealed, 1);
  EXPECT_EQ(c.cases.size(), 4u);
}

TEST(Config, OnADeviceFileStatesCollapseIntoOneCaseThatSaysNone) {
  // Device-DAX has no block map: three file states would be three identical cases.
  const Config c = parse_config(
      "cases:\n  - {workload: first-touch, mode: flush-only, file_state: [sparse, fallocated, "
      "zeroed]}\n",
      "sweep.yaml", {"devdax:/dev/dax0.0", "lab:devdax", "lab:ext4"});
  std::vector<std::string> ids;
  for (const CaseSpec& s : c.cases) ids.push_back(s.id);
  EXPECT_EQ(ids, (std::vector<std::string>{
                     "first-touch/flush-only/devdax:/dev/dax0.0/file_state=none",
                     "first-touch/flush-only/lab:devdax/file_state=none",
                     "first-touch/flush-only/lab:ext4/defaults",
                     "first-touch/flush-only/lab:ext4/file_state=fallocated",
                     "first-touch/flush-only/lab:ext4/file_state=zeroed",
                 }));
}

TEST(Config, DefaultsApplyOnlyWhereTheyMeanSomething) {
  // commit_every does not apply to kv-put (two ordering points per put): no error, no effect.
  const Config c = parse_config(
      "defaults: {commit_every: 8, reprotect: commit}\n"
      "cases:\n  - {workload: [kv-put, log-append], mode: [none, fsync-per-fault]}\n",
      "sweep.yaml", {"file:/tmp"});
  ASSERT_EQ(c.cases.size(), 4u);
  EXPECT_FALSE(c.cases[0].params.has("commit_every"));
  EXPECT_EQ(c.cases[3].params.integer("commit_every"), 8);
  EXPECT_EQ(c.cases[3].params.text("reprotect"), "commit");
}

TEST(Config, FirstTouchHasNoWarmUpBecauseItWouldUseUpThePages) {
  const Config c =
      parse_config("defaults: {warmup_s: 1}\ncases:\n  - {workload: first-touch, mode: none}\n",
                   "sweep.yaml", {"file:/tmp"});
  EXPECT_EQ(c.cases.at(0).params.real("warmup_s"), 0);
}

TEST(Config, ShippedConfigsAreValid) {
  for (const char* name : {"quick.yaml", "sweep.yaml", "lab-smoke.yaml", "kernels.yaml"}) {
    SCOPED_TRACE(name);
    const Config c =
        load_config(std::string(DAXBENCH_SOURCE_DIR) + "/configs/" + name, {"file:/tmp"});
    EXPECT_GT(c.cases.size(), 0u);
  }
}

TEST(Config, QuickCoversEveryModeAndWorkload) {
  const Config c =
      load_config(std::string(DAXBENCH_SOURCE_DIR) + "/configs/quick.yaml", {"file:/tmp"});
  for (const ModeDesc* m : modes())
    for (const WorkloadDesc* w : workloads()) {
      bool found = false;
      for (const CaseSpec& s : c.cases) found = found || (s.mode == m && s.workload == w);
      EXPECT_TRUE(found) << m->name << " × " << w->name;
    }
}

}  // namespace
}  // namespace daxbench
