// The host side of the power-cut tests without a guest: the `crash:` config key (defaults,
// choices, errors with file:line) and the verdicts, table-driven.
#include <gtest/gtest.h>

#include <algorithm>

#include "bench/config/config.h"
#include "bench/lab/host/crash_run.h"
#include "bench/modes/mode.h"

namespace daxbench {
namespace {

std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml, "crash.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "in: " << (haystack)

TEST(CrashConfig, DefaultsCoverTheWholeMatrixAndAConfigNeedsNoCases) {
  const Config c = parse_config("name: crash\ncrash:\n", "crash.yaml");
  ASSERT_TRUE(c.crash.enabled);
  EXPECT_TRUE(c.cases.empty());
  EXPECT_EQ(c.crash.filesystems, (std::vector<std::string>{"ext4", "xfs"}));
  EXPECT_EQ(c.crash.file_states, (std::vector<std::string>{"sparse", "fallocated", "zeroed"}));
  EXPECT_EQ(c.crash.workloads, (std::vector<std::string>{"log-append", "random-update", "kv-put"}));
  EXPECT_EQ(c.crash.modes.size(), modes().size());
  EXPECT_EQ(c.crash.cut_after_min_s, 0.5);
  EXPECT_EQ(c.crash.cut_after_max_s, 3);
  EXPECT_EQ(c.crash.file_size, 1u << 20);
  // The lab targets it boots, and only those: no scratch folder on the host.
  EXPECT_EQ(c.targets, (std::vector<std::string>{"lab:ext4", "lab:xfs"}));
}

TEST(CrashConfig, ExplicitValues) {
  const Config c = parse_config(
      "crash:\n"
      "  filesystems: ext4\n"
      "  modes: [map-sync, flush-only]\n"
      "  file_states: [zeroed]\n"
      "  workloads: log-append\n"
      "  cuts: 3\n"
      "  cut_after_s: [1, 2.5]\n"
      "  seed: 42\n"
      "  file_size: 256K\n",
      "crash.yaml");
  EXPECT_EQ(c.crash.filesystems, (std::vector<std::string>{"ext4"}));
  EXPECT_EQ(c.crash.modes, (std::vector<std::string>{"map-sync", "flush-only"}));
  EXPECT_EQ(c.crash.cuts, 3);
  EXPECT_EQ(c.crash.cut_after_min_s, 1);
  EXPECT_EQ(c.crash.cut_after_max_s, 2.5);
  EXPECT_EQ(c.crash.seed, 42u);
  EXPECT_EQ(c.crash.file_size, 256u * 1024);
  EXPECT_EQ(c.targets, (std::vector<std::string>{"lab:ext4"}));
}

TEST(CrashConfig, BesideCasesItAddsItsLabTargetsAfterTheCasesExpanded) {
  const Config c = parse_config(
      "targets: [file:/tmp]\n"
      "crash: {filesystems: [xfs], cuts: 1}\n"
      "cases:\n"
      "  - workload: log-append\n"
      "    mode: fdatasync\n",
      "mixed.yaml");
  EXPECT_EQ(c.targets, (std::vector<std::string>{"file:/tmp", "lab:xfs"}));
  for (const CaseSpec& cs : c.cases) EXPECT_EQ(cs.target, "file:/tmp");
}

TEST(CrashConfig, ErrorsNameFileLineAndTheValidChoices) {
  EXPECT_CONTAINS(error_of("crash:\n  filesystems: [ext4, btrfs]\n"),
                  "crash.yaml:2:23: crash.filesystems: unknown value 'btrfs'; valid: ext4, xfs");
  EXPECT_CONTAINS(error_of("crash:\n  modes: [map-snyc]\n"), "did you mean 'map-sync'?");
  EXPECT_CONTAINS(error_of("crash:\n  file_states: zero\n"), "crash.yaml:2:16:");
  EXPECT_CONTAINS(error_of("crash:\n  workloads: [log-apend]\n"), "did you mean 'log-append'?");
  EXPECT_CONTAINS(error_of("crash:\n  cut: 3\n"),
                  "crash.yaml:2:3: unknown key 'cut' in crash; valid: filesystems");
  EXPECT_CONTAINS(error_of("crash:\n  cuts: 0\n"), "crash.yaml:2:9: crash.cuts: expected");
  EXPECT_CONTAINS(error_of("crash:\n  cut_after_s: 2\n"), "crash.cut_after_s: expected [min, max]");
  EXPECT_CONTAINS(error_of("crash:\n  cut_after_s: [3, 1]\n"), "max is below min");
  EXPECT_CONTAINS(error_of("crash:\n  file_size: 1K\n"), "crash.yaml:2:14: crash.file_size");
  EXPECT_CONTAINS(error_of("crash: [ext4]\n"), "crash.yaml:1:8: crash: expected a mapping");
  // Without `crash:`, cases are still required.
  EXPECT_CONTAINS(error_of("name: x\n"), "cases: expected a non-empty list");
}

TEST(CrashConfig, ConcurrentWriteCellsJoinTheirModesGroups) {
  // By default: map-sync and sealed-extent, where crash: runs them, log-append, every placement.
  Config c = parse_config(
      "crash:\n  modes: [fdatasync, map-sync]\n  file_states: [sparse]\n"
      "  workloads: [kv-put]\n  filesystems: [ext4]\n",
      "crash.yaml");
  EXPECT_EQ(c.crash.concurrent_modes, (std::vector<std::string>{"map-sync"}));
  EXPECT_EQ(c.crash.concurrent_placements,
            (std::vector<std::string>{"inside", "append", "mapped"}));
  EXPECT_EQ(c.crash.concurrent_workloads, (std::vector<std::string>{"log-append"}));
  EXPECT_EQ(crash_cells(c.crash),
            (std::vector<std::string>{"kv-put/fdatasync/lab:ext4/sparse",
                                      "kv-put/map-sync/lab:ext4/sparse",
                                      "log-append/map-sync/lab:ext4/sparse/write-inside",
                                      "log-append/map-sync/lab:ext4/sparse/write-append",
                                      "log-append/map-sync/lab:ext4/sparse/write-mapped"}));

  c = parse_config("crash:\n  concurrent_write: none\n", "crash.yaml");
  EXPECT_TRUE(c.crash.concurrent_modes.empty());
  for (const std::string& cell : crash_cells(c.crash))
    EXPECT_EQ(cell.find("/write-"), std::string::npos) << cell;

  c = parse_config("crash:\n  concurrent_write: {modes: [fdatasync], placements: append}\n",
                   "crash.yaml");
  EXPECT_EQ(c.crash.concurrent_modes, (std::vector<std::string>{"fdatasync"}));
  EXPECT_EQ(c.crash.concurrent_placements, (std::vector<std::string>{"append"}));

  // Lutomirski's cell alone: the mapped writer, with its own suffix, under both domains.
  c = parse_config(
      "crash:\n  modes: [sealed-extent]\n  workloads: [kv-put]\n  filesystems: [ext4]\n"
      "  persistence: [adr, eadr]\n  flushes: [auto]\n"
      "  concurrent_write: {placements: [mapped]}\n",
      "crash.yaml");
  EXPECT_EQ(c.crash.concurrent_placements, (std::vector<std::string>{"mapped"}));
  EXPECT_EQ(
      crash_cells(c.crash),
      (std::vector<std::string>{"kv-put/sealed-extent/lab:ext4/zeroed",
                                "log-append/sealed-extent/lab:ext4/zeroed/write-mapped",
                                "kv-put/sealed-extent/lab:ext4/zeroed/eadr",
                                "log-append/sealed-extent/lab:ext4/zeroed/write-mapped/eadr"}));
}

TEST(CrashConfig, AVirtioPmemFilesystemRunsOnceUnderItsOwnDomainAndOnlyByName) {
  Config c = parse_config(
      "crash:\n  filesystems: [ext4, virtio-ext4]\n  modes: [fdatasync]\n"
      "  file_states: [sparse]\n  workloads: [kv-put]\n  persistence: [adr, eadr]\n"
      "  concurrent_write: none\n",
      "crash.yaml");
  EXPECT_EQ(crash_cells(c.crash), (std::vector<std::string>{
                                      "kv-put/fdatasync/lab:ext4/sparse",
                                      "kv-put/fdatasync/lab:ext4/sparse/eadr",
                                      "kv-put/fdatasync/lab:virtio-ext4/sparse/virtio",
                                  }));
  EXPECT_NE(std::find(c.targets.begin(), c.targets.end(), "lab:virtio-ext4"), c.targets.end());
  c = parse_config("crash:\n  filesystems: all\n", "crash.yaml");
  EXPECT_EQ(c.crash.filesystems, (std::vector<std::string>{"ext4", "xfs"}));
}

TEST(CrashConfig, ConcurrentWriteErrorsNameFileLineAndChoices) {
  EXPECT_CONTAINS(error_of("crash:\n  concurrent_write: {placements: [middle]}\n"),
                  "crash.yaml:2:35: crash.concurrent_write.placements: unknown value 'middle'; "
                  "valid: inside, append, mapped, all");
  // Its cells share their mode's guest, so the mode must be one crash: runs.
  EXPECT_CONTAINS(
      error_of("crash:\n  modes: [map-sync]\n  concurrent_write: {modes: [sealed-extent]}\n"),
      "crash.yaml:3:30: crash.concurrent_write.modes: unknown value 'sealed-extent'; valid: "
      "map-sync, all");
  EXPECT_CONTAINS(error_of("crash:\n  concurrent_write: {mode: [map-sync]}\n"),
                  "crash.yaml:2:22: unknown key 'mode' in crash.concurrent_write; valid: modes");
  EXPECT_CONTAINS(error_of("crash:\n  concurrent_write: yes\n"),
                  "crash.yaml:2:21: crash.concurrent_write: expected none or a mapping");
}

TEST(CrashConfig, ShippedCrashConfigsAreValid) {
  for (const char* name : {"crash.yaml", "crash-smoke.yaml"}) {
    SCOPED_TRACE(name);
    const Config c = load_config(std::string(DAXBENCH_SOURCE_DIR) + "/configs/" + name);
    EXPECT_TRUE(c.crash.enabled);
    EXPECT_TRUE(c.cases.empty());
  }
}

TEST(CrashVerdict, PerCut) {
  struct Row {
    const char* mode;
    const char* state;
    const char* flush;
    const char* persistence;
    const char* image;
    const char* status;
    std::uint64_t lost, torn, in_flight;
    const char* verdict;
  };
  const Row rows[] = {
      {"fdatasync", "sparse", "auto", "adr", "strict", "ok", 0, 0, 0, "PASS"},
      {"fdatasync", "sparse", "auto", "adr", "strict", "ok", 0, 1, 1,
       "PASS"},  // in flight: may tear
      {"fdatasync", "sparse", "auto", "adr", "mix-1", "ok", 1, 0, 0, "FAIL"},  // every image judged
      {"map-sync", "fallocated", "auto", "eadr", "strict", "ok", 0, 2, 1, "FAIL"},  // a 2nd tear
      {"sealed-extent", "zeroed", "auto", "adr", "live", "ok", 0, 0, 0, "PASS"},
      {"flush-only", "sparse", "auto", "adr", "strict", "ok", 5, 0, 0, "LOSS-EXPECTED"},
      {"flush-only", "fallocated", "auto", "eadr", "strict", "ok", 0, 0, 0, "NO-LOSS-SEEN"},
      {"none", "sparse", "auto", "adr", "live", "ok", 0, 0, 0, "NO-LOSS-SEEN"},  // metadata: all
      {"flush-only", "zeroed", "auto", "adr", "strict", "ok", 0, 0, 0, "PASS"},  // it flushes
      // Nothing writes the lines back: under ADR the strict image must lose, others unjudged;
      // under eADR the cache is durable, so it must lose nothing.
      {"none", "zeroed", "auto", "adr", "strict", "ok", 3, 0, 0, "LOSS-EXPECTED"},
      {"none", "zeroed", "auto", "adr", "strict", "ok", 0, 0, 0, "NO-LOSS-SEEN"},
      {"none", "zeroed", "auto", "adr", "live", "ok", 0, 0, 0, ""},
      {"none", "zeroed", "auto", "eadr", "strict", "ok", 3, 0, 0, "FAIL"},
      {"flush-only", "zeroed", "none", "adr", "strict", "ok", 7, 0, 0, "LOSS-EXPECTED"},
      {"map-sync", "sparse", "none", "adr", "strict", "ok", 0, 0, 0, "NO-LOSS-SEEN"},
      {"map-sync", "sparse", "none", "eadr", "strict", "ok", 0, 0, 0, "PASS"},
      {"fdatasync", "sparse", "none", "adr", "strict", "ok", 0, 0, 0,
       "PASS"},  // flushes nothing itself
      {"fdatasync", "sparse", "auto", "adr", "strict", "failed", 0, 0, 0, "ERROR"},
      {"flush-only", "sparse", "auto", "adr", "strict", "unsupported", 0, 0, 0, "UNSUPPORTED"},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(std::string(r.mode) + "/" + r.state + "/" + r.flush + "/" + r.persistence + "/" +
                 r.image + "/" + r.status);
    const CrashExpectation e = crash_expectation(r.mode, r.state, r.flush, r.persistence);
    EXPECT_EQ(crash_cut_verdict(e, r.image, r.status, r.lost, r.torn, r.in_flight), r.verdict);
  }
}

TEST(CrashVerdict, PerCellOverItsCuts) {
  struct Row {
    std::vector<std::string> cuts;
    const char* verdict;
    bool failure;
  };
  const Row rows[] = {
      {{"PASS", "PASS"}, "PASS", false},
      {{"PASS", "FAIL", "PASS"}, "FAIL", true},
      {{"NO-LOSS-SEEN", "LOSS-EXPECTED"}, "LOSS-EXPECTED", false},  // one cut that saw it is enough
      {{"NO-LOSS-SEEN", "NO-LOSS-SEEN"}, "NO-LOSS-SEEN", true},
      {{"ERROR", "PASS"}, "PASS", false},  // the failed boot counts as an ERROR cut record
      {{"ERROR", "ERROR"}, "ERROR", true},
      {{"UNSUPPORTED"}, "UNSUPPORTED", false},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(crash_cell_verdict(r.cuts), r.verdict);
    EXPECT_EQ(crash_verdict_is_failure(r.verdict), r.failure) << r.verdict;
  }
}

TEST(CrashVerdict, ExpectationsFollowTheDescriptorsNotTheNames) {
  using E = CrashExpectation;
  EXPECT_EQ(crash_expectation("flush-only", "sparse", "auto", "eadr"), E::kLosesMetadata);
  EXPECT_EQ(crash_expectation("none", "fallocated", "auto", "adr"), E::kLosesMetadata);
  EXPECT_EQ(crash_expectation("flush-only", "zeroed", "auto", "adr"), E::kDurable);
  EXPECT_EQ(crash_expectation("none", "zeroed", "auto", "adr"), E::kLosesCache);
  EXPECT_EQ(crash_expectation("sealed-extent", "zeroed", "none", "adr"), E::kLosesCache);
  EXPECT_EQ(crash_expectation("map-sync", "sparse", "auto", "adr"), E::kDurable);
  // virtio-pmem: no cache to lose (a kill keeps QEMU's mapping), the block map still.
  EXPECT_EQ(crash_expectation("flush-only", "sparse", "auto", "virtio"), E::kLosesMetadata);
  EXPECT_EQ(crash_expectation("none", "zeroed", "auto", "virtio"), E::kDurable);
  EXPECT_EQ(crash_expectation("fdatasync", "sparse", "auto", "virtio"), E::kDurable);
  // Its fault-time fdatasync makes the kernel write the lines back: no cache control.
  EXPECT_EQ(crash_expectation("fsync-per-fault", "sparse", "none", "adr"), E::kDurable);
}
}  // namespace
}  // namespace daxbench
