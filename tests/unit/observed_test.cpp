// Observed instruction counts: the snapshot file the model's plugin writes and the driver reads
// (bench/lab/observed.h), the `lab: {model: true}` switch, and the counter group outside a lab
// guest (every counter unavailable, with the reason). The plugin's side runs in tests/e2e.
#include <gtest/gtest.h>

#include <cstdlib>

#include "bench/config/config.h"
#include "bench/counters/observed.h"
#include "bench/lab/observed.h"
#include "tests/unit/test_support.h"

namespace daxbench {
namespace {

lab::ObservedSnapshot full_snapshot(std::uint32_t seq) {
  lab::ObservedSnapshot s;
  s.seq = seq;
  std::uint64_t n = 1;
  for (std::string_view privilege : lab::kObservedPrivileges)
    for (const lab::ObservedKind& kind : lab::kObservedKinds)
      s.counts.insert_or_assign(lab::observed_key(privilege, kind.name), n++ * 1000);
  return s;
}

TEST(ObservedSnapshot, RoundTripsEveryPrivilegeAndKind) {
  const lab::ObservedSnapshot s = full_snapshot(4'000'000'001u);
  std::string problem;
  const auto parsed = lab::parse_observed_snapshot(lab::format_observed_snapshot(s), problem);
  ASSERT_TRUE(parsed) << problem;
  EXPECT_EQ(parsed->seq, s.seq);
  EXPECT_EQ(parsed->counts, s.counts);
  EXPECT_EQ(parsed->counts.size(),
            std::size(lab::kObservedPrivileges) * std::size(lab::kObservedKinds));
}

TEST(ObservedSnapshot, RefusesWhatIsNotAWholeSnapshot) {
  const std::string good = lab::format_observed_snapshot(full_snapshot(7));
  const auto problem_of = [](const std::string& text) {
    std::string problem;
    const bool parsed = lab::parse_observed_snapshot(text, problem).has_value();
    return parsed ? std::string("(parsed)") : problem;
  };
  EXPECT_EQ(problem_of(good), "(parsed)");
  EXPECT_EQ(problem_of(""), "the snapshot is empty");
  EXPECT_NE(problem_of("hello\n" + good).find("does not start with"), std::string::npos);
  // Cut short (a read of a file being rewritten), a line or a counter is missing.
  EXPECT_EQ(problem_of(good.substr(0, good.size() - 1)), "the snapshot ends inside a line");
  const std::size_t last_line = good.rfind('\n', good.size() - 2) + 1;
  EXPECT_NE(problem_of(good.substr(0, last_line)).find("the snapshot lacks user."),
            std::string::npos);
  EXPECT_EQ(problem_of(std::string(lab::kObservedHeader) + "\nuser.clwb 1\n"),
            "the snapshot has no seq line");
  EXPECT_NE(problem_of(good + "user.clwb 12x\n").find("malformed snapshot line 'user.clwb 12x'"),
            std::string::npos);
  EXPECT_NE(problem_of(good + "seq -1\n").find("malformed"), std::string::npos);
  EXPECT_EQ(problem_of(good + "seq 4294967296\n"), "snapshot seq out of range");
}

const std::string kCases =
    "cases:\n"
    "  - workload: log-append\n"
    "    mode: flush-only\n";

TEST(ObservedConfig, LabModelIsOffUnlessAskedForAndMarksEveryCase) {
  const Config off = testing::config_from(kCases);
  EXPECT_FALSE(off.lab.model);
  for (const CaseSpec& c : off.cases) EXPECT_FALSE(c.observed);
  const Config on = testing::config_from("lab: {model: true}\n" + kCases);
  EXPECT_TRUE(on.lab.model);
  ASSERT_FALSE(on.cases.empty());
  for (const CaseSpec& c : on.cases) EXPECT_TRUE(c.observed);
  EXPECT_FALSE(testing::config_from("lab: {model: false}\n" + kCases).lab.model);
  const auto error_of = [](const std::string& yaml) {
    try {
      testing::config_from(yaml);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("lab: {model: maybe}\n" + kCases).find("lab.model: expected true or false"),
            std::string::npos);
  EXPECT_NE(error_of("lab: {modle: true}\n" + kCases).find("unknown key 'modle' in lab"),
            std::string::npos);
  EXPECT_NE(error_of("lab: true\n" + kCases).find("lab: expected a mapping"), std::string::npos);
}

TEST(LabConfig, PersistenceIsAdrUnlessEadrIsAskedForAndNothingElseIsTaken) {
  EXPECT_EQ(testing::config_from(kCases).lab.persistence, "adr");
  EXPECT_EQ(testing::config_from("lab: {persistence: eadr}\n" + kCases).lab.persistence, "eadr");
  try {
    testing::config_from("lab: {persistence: cpu}\n" + kCases);
    ADD_FAILURE() << "persistence: cpu was taken";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(":1:"), std::string::npos) << what;  // file:line
    EXPECT_NE(what.find("adr, eadr"), std::string::npos) << what;
  }
}

TEST(ObservedCounts, OutsideALabGuestEveryCounterIsUnavailableWithTheReason) {
  ::unsetenv(lab::kEnvObservedCounts);
  ::setenv(lab::kEnvObservedProblem, "ENOENT (the persistence model was not built)", 1);
  perf::ObservedCounts observed;
  observed.start();  // no marker is executed: there is no plugin to answer it
  observed.stop();
  Metrics metrics;
  observed.add_metrics(100, metrics);
  ::unsetenv(lab::kEnvObservedProblem);
  ASSERT_EQ(metrics.items().size(),
            std::size(lab::kObservedPrivileges) * std::size(lab::kObservedKinds));
  for (const Metric& m : metrics.items()) {
    EXPECT_FALSE(m.value) << m.name;
    EXPECT_EQ(m.status, "unavailable: ENOENT (the persistence model was not built)") << m.name;
    EXPECT_FALSE(m.unit.empty()) << m.name;
  }
  const Metric* user_sfence = metrics.find("observed_user_sfence");
  ASSERT_TRUE(user_sfence);
  EXPECT_EQ(user_sfence->scope, Scope::kGuestUser);
  EXPECT_EQ(user_sfence->unit, "instructions");
  const Metric* kernel_bytes = metrics.find("observed_kernel_nt_store_bytes");
  ASSERT_TRUE(kernel_bytes);
  EXPECT_EQ(kernel_bytes->scope, Scope::kGuestKernel);
  EXPECT_EQ(kernel_bytes->unit, "bytes");

  perf::ObservedCounts no_lab;  // neither variable: not a lab guest at all
  Metrics none;
  no_lab.add_metrics(1, none);
  EXPECT_NE(none.items().front().status.find("lab: {model: true}"), std::string::npos);
}

}  // namespace
}  // namespace daxbench
