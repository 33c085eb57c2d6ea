// Counter sets chosen by name in YAML (`counters: {set, add}`): libpfm4 event strings and
// tracepoints added to the default table, rejected at config time when they cannot mean anything,
// grouped per thread when they share the PMU.
#include <gtest/gtest.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "bench/base/syscall_error.h"
#include "bench/counters/counter_table.h"
#include "bench/counters/pfm.h"
#include "bench/counters/tracepoints.h"
#include "test_support.h"

namespace daxbench {
namespace {

using testing::config_from;
using testing::counter;
using testing::run_once;

const Metric& metric(const RepetitionResult& r, std::string_view name) {
  const Metric* m = r.metrics.find(name);
  if (!m) throw std::runtime_error("no metric " + std::string(name) + " in the record");
  return *m;
}

// The ConfigError text of a config, or "" if it loads.
std::string error_of(const std::string& yaml) {
  try {
    config_from(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

CaseSpec one_case(const std::string& yaml) {
  const Config config = config_from(yaml);
  EXPECT_EQ(config.cases.size(), 1u);
  return config.cases.at(0);
}

bool permitted(const Metric& m) {
  return m.status.find("EACCES") == std::string::npos &&
         m.status.find("EPERM") == std::string::npos;
}

// The errno the kernel gives for this encoding, asked directly (0 when it opens).
int kernel_errno(const perf::EventCode& code) {
  perf_event_attr attr{};
  attr.size = sizeof attr;
  attr.type = code.type;
  attr.config = code.config;
  attr.config1 = code.config1;
  attr.config2 = code.config2;
  attr.exclude_user = code.exclude_user;
  attr.exclude_kernel = code.exclude_kernel;
  attr.exclude_hv = code.exclude_hv;
  attr.disabled = 1;
  const int fd = static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
  const int error = fd < 0 ? errno : 0;
  if (fd >= 0) close(fd);
  return error;
}

TEST(CounterConfig, WithoutTheKeyCasesRecordTheDefaultSet) {
  const CaseSpec c = one_case("cases:\n  - {workload: first-touch, mode: none}\n");
  EXPECT_EQ(c.counters, nullptr);
}

TEST(CounterConfig, TopLevelSetIsSharedAndACaseReplacesIt) {
  const Config config = config_from(
      "counters:\n"
      "  set: default\n"
      "  add: [\"perf::cpu-migrations\", \"syscalls:sys_enter_pwrite64\"]\n"
      "cases:\n"
      "  - {workload: first-touch, mode: none}\n"
      "  - {workload: first-touch, mode: fdatasync, counters: {set: none, add: [cycles]}}\n");
  ASSERT_EQ(config.cases.size(), 2u);
  const perf::CounterTable& shared = *config.cases[0].counters;
  const std::size_t defaults = perf::default_counter_set().size();
  ASSERT_EQ(shared.defs.size(), defaults + 2);
  EXPECT_EQ(shared.defs[defaults].name, "perf::cpu-migrations");
  EXPECT_EQ(shared.defs[defaults].source.kind, perf::SourceKind::kPfm);
  EXPECT_EQ(shared.defs[defaults].unit, "count");
  EXPECT_EQ(shared.defs[defaults].better, Better::kLower);
  EXPECT_EQ(shared.defs[defaults].help.rfind("libpfm4 event perf::cpu-migrations", 0), 0u);
  EXPECT_EQ(shared.defs[defaults + 1].source.kind, perf::SourceKind::kTracepoint);
  EXPECT_EQ(shared.defs[defaults + 1].help.rfind("tracepoint syscalls:sys_enter_pwrite64", 0), 0u);
  const perf::CounterTable& own = *config.cases[1].counters;
  ASSERT_EQ(own.defs.size(), 1u);
  EXPECT_EQ(own.defs[0].name, "cycles");
  EXPECT_EQ(own.defs[0].scope, Scope::kWriterThreads);
}

// The example in docs/config.md loads, so it cannot rot.
TEST(CounterConfig, TheDocumentedExampleLoads) {
  std::ifstream in(std::string(DAXBENCH_SOURCE_DIR) + "/docs/config.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const std::size_t section = doc.find("## Kernel counters");
  ASSERT_NE(section, std::string::npos);
  const std::size_t begin = doc.find("```yaml\n", section) + 8;
  const std::size_t end = doc.find("```", begin);
  const Config config = config_from(doc.substr(begin, end - begin));
  ASSERT_EQ(config.cases.size(), 2u);
  EXPECT_EQ(config.cases[0].counters->defs.size(), perf::default_counter_set().size() + 4);
  EXPECT_EQ(config.cases[1].counters->defs.size(), 1u);
}

TEST(CounterConfig, SystemSuffixCountsSystemWide) {
  const CaseSpec c = one_case(
      "counters: {set: none, add: [\"jbd2:jbd2_start_commit@system\"]}\n"
      "cases:\n  - {workload: first-touch, mode: none}\n");
  ASSERT_EQ(c.counters->defs.size(), 1u);
  const perf::CounterDef& def = c.counters->defs[0];
  EXPECT_EQ(def.name, "jbd2:jbd2_start_commit@system");
  EXPECT_EQ(def.source.event, "jbd2:jbd2_start_commit");
  EXPECT_EQ(def.scope, Scope::kSystemWide);
  EXPECT_EQ(def.help.rfind("system-wide: tracepoint jbd2:jbd2_start_commit", 0), 0u) << def.help;
}

TEST(CounterConfig, AnEventLibpfm4DoesNotKnowIsRejectedWithItsReason) {
  const perf::PfmEncoding encoding = perf::pfm_encode("no-such-event");
  ASSERT_FALSE(encoding.ok);
  const std::string error = error_of(
      "cases:\n  - {workload: first-touch, mode: none}\ncounters: {add: [no-such-event]}\n");
  EXPECT_NE(
      error.find("inline.yaml:3:18: counters.add: 'no-such-event': libpfm4: " + encoding.error),
      std::string::npos)
      << error;
}

TEST(CounterConfig, UnknownKeysAndSetsListTheValidOnes) {
  EXPECT_NE(error_of("counters: {sett: default}\ncases:\n  - {workload: first-touch, mode: none}\n")
                .find("inline.yaml:1:12: unknown key 'sett' in counters; valid: set, add (did "
                      "you mean 'set'?)"),
            std::string::npos);
  EXPECT_NE(error_of("counters: {set: defualt}\ncases:\n  - {workload: first-touch, mode: none}\n")
                .find("counters.set: unknown set 'defualt'; valid: default, none (did you mean "
                      "'default'?)"),
            std::string::npos);
  // In a case too, at the case's own line.
  EXPECT_NE(error_of("cases:\n  - {workload: first-touch, mode: none, counters: {ad: [cycles]}}\n")
                .find("inline.yaml:2:52: unknown key 'ad' in counters"),
            std::string::npos);
  EXPECT_NE(error_of("counters: {add: [\"cycles@cpu0\"]}\ncases:\n"
                     "  - {workload: first-touch, mode: none}\n")
                .find("unknown scope '@cpu0'; valid: @system"),
            std::string::npos);
  // Twice the same name would be two columns that cannot be told apart.
  EXPECT_NE(error_of("counters: {add: [task_clock]}\ncases:\n"
                     "  - {workload: first-touch, mode: none}\n")
                .find("'task_clock': task_clock is already in the set"),
            std::string::npos);
}

TEST(CounterConfig, AMissingTracepointIsRejectedWhenTracefsIsReadable) {
  const perf::Tracefs& fs = perf::tracefs();
  if (fs.path.empty() || access((fs.path + "/events").c_str(), R_OK | X_OK) != 0)
    GTEST_SKIP() << "tracefs is not readable here (" << fs.problem
                 << "): such a name is accepted and reported unavailable at run time";
  const std::string error = error_of(
      "counters: {add: [\"syscalls:sys_enter_no_such_call\"]}\ncases:\n"
      "  - {workload: first-touch, mode: none}\n");
  EXPECT_NE(error.find("inline.yaml:1:18: counters.add: 'syscalls:sys_enter_no_such_call': no "
                       "tracepoint syscalls:sys_enter_no_such_call in " +
                       fs.path + "/events"),
            std::string::npos)
      << error;
}

// The same kernel event, once as the built-in software counter and once through libpfm4, in
// the same repetition: equal, while the libpfm4 ones are read as a group.
TEST(CounterConfig, PfmPageFaultsCountExactlyWhatTheSoftwareCounterCounts) {
  for (const char* state : {"sparse", "zeroed"}) {
    SCOPED_TRACE(state);
    const RepetitionResult r =
        run_once(one_case("counters: {add: [\"perf::page-faults\", \"perf::context-switches\"]}\n"
                          "cases:\n  - {workload: first-touch, mode: none, working_set: 1M, "
                          "repetitions: 1, file_state: " +
                          std::string(state) + "}\n"));
    ASSERT_EQ(r.status, Status::kOk) << r.reason;
    const Metric& software = metric(r, "page_faults");
    const Metric& pfm = metric(r, "perf::page-faults");
    if (!permitted(software)) GTEST_SKIP() << software.status;
    ASSERT_EQ(software.status, "ok");
    ASSERT_EQ(pfm.status, "ok");
    EXPECT_GE(*pfm.value, 1);
    EXPECT_EQ(*pfm.value, *software.value);
    EXPECT_EQ(pfm.running_fraction, 1.0);  // software events are never multiplexed
    EXPECT_EQ(metric(r, "perf::context-switches").status, "ok");
    ::testing::Test::RecordProperty(std::string("page_faults_") + state,
                                    std::to_string(*pfm.value));
  }
}

TEST(CounterConfig, PfmCyclesIsOkWithAPmuOrUnavailableWithTheKernelsErrno) {
  const perf::PfmEncoding encoding = perf::pfm_encode("cycles");
  ASSERT_TRUE(encoding.ok) << encoding.error;
  const int error = kernel_errno(encoding.code);
  // With instructions beside it, the two are opened as one group.
  const RepetitionResult r = run_once(
      one_case("counters: {set: none, add: [cycles, instructions]}\n"
               "cases:\n  - {workload: random-update, mode: none, working_set: 1M, ops: 100000, "
               "warmup_s: 0, repetitions: 1}\n"));
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  const Metric& cycles = metric(r, "cycles");
  EXPECT_EQ(cycles.unit, "count");
  ::testing::Test::RecordProperty("cycles", cycles.status);
  if (error == 0) {
    ASSERT_EQ(cycles.status, "ok");
    EXPECT_GT(*cycles.value, 0);
    ASSERT_TRUE(cycles.running_fraction.has_value());
    EXPECT_GT(*cycles.running_fraction, 0);
    const Metric& instructions = metric(r, "instructions");
    if (instructions.status == "ok") {  // one group: scheduled together, the same fraction
      EXPECT_EQ(instructions.running_fraction, cycles.running_fraction);
    }
  } else {
    EXPECT_FALSE(cycles.value.has_value());
    EXPECT_EQ(cycles.status.rfind("unavailable: " + errno_name(error) + " (", 0), 0u)
        << cycles.status;
    if (error == ENOENT && !perf::has_hardware_pmu()) {
      EXPECT_EQ(cycles.status, "unavailable: ENOENT (no hardware PMU)");
      EXPECT_EQ(metric(r, "instructions").status, "unavailable: ENOENT (no hardware PMU)");
    }
  }
}

TEST(CounterConfig, AnAddedPwriteTracepointCountsExactlyOnePerStore) {
  if (perf::tracefs().path.empty()) GTEST_SKIP() << "no tracefs: " << perf::tracefs().problem;
  const RepetitionResult r = run_once(
      one_case("counters: {add: [\"syscalls:sys_enter_pwrite64\", "
               "\"syscalls:sys_enter_pwrite64@system\"]}\n"
               "cases:\n  - {workload: random-update, mode: pwrite-fdatasync, record_size: 64, "
               "commit_every: 3, working_set: 1M, ops: 150, warmup_s: 0.05, threads: 2, "
               "repetitions: 1}\n"));
  ASSERT_EQ(r.status, Status::kOk) << r.reason;
  const Metric& mine = metric(r, "syscalls:sys_enter_pwrite64");
  if (!permitted(mine)) GTEST_SKIP() << mine.status;
  ASSERT_EQ(r.ops, 300u);
  ASSERT_EQ(mine.status, "ok");
  EXPECT_EQ(counter(r, "stores"), 300);
  EXPECT_EQ(counter(r, "sys_pwrite"), 300);
  EXPECT_EQ(*mine.value, 300);
  EXPECT_EQ(*mine.per_op, 1.0);
  EXPECT_EQ(counter(r, "syscalls:sys_enter_fdatasync"), 100);
  const Metric& all = metric(r, "syscalls:sys_enter_pwrite64@system");
  ASSERT_EQ(all.status, "ok");
  EXPECT_GE(*all.value, 300);  // ≥: anyone else's pwrite counts too
  EXPECT_EQ(all.scope, Scope::kSystemWide);
}

}  // namespace
}  // namespace daxbench
