// Every registered flush primitive checked against what it must do (flush_conformance.h),
// and the test-only mutants (mutant_flush.h) shown to fail the same checks.
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "bench/flush/flush.h"
#include "tests/unit/flush_conformance.h"
#include "tests/unit/flush_test_support.h"
#include "tests/unit/mutant_flush.h"

namespace daxbench {
namespace {

using testing::AlignedFile;
using testing::check_primitive_conformance;
using testing::probe_ranges;
using testing::visit;

// ---- Every registered primitive conforms; the mutants do not ---------------------------------

std::string joined(const std::vector<std::string>& failures) {
  std::string out;
  for (const auto& f : failures) out += "\n  " + f;
  return out;
}

bool any_contains(const std::vector<std::string>& failures, std::string_view text) {
  for (const auto& f : failures)
    if (f.find(text) != std::string::npos) return true;
  return false;
}

TEST(FlushConformance, EveryRegisteredPrimitiveConforms) {
  int checked = 0;
  for (const FlushOps* ops : flush_primitives()) {
    if (!ops->available()) {
      std::cout << "skipping " << ops->name << ": not on this CPU\n";
      continue;
    }
    const auto failures = check_primitive_conformance(*ops);
    EXPECT_TRUE(failures.empty()) << ops->name << ":" << joined(failures);
    ++checked;
  }
  EXPECT_GE(checked, 4);  // clflush, ntstore, libpmem and none run on every x86-64 CPU
}

// Stated directly: a primitive's flush() reports the lines the shared loop visits (none for
// `none`), and its drain() one fence.
TEST(FlushConformance, EachPrimitiveReportsTheLinesTheSharedLoopVisitsAndOneFence) {
  for (const FlushOps* ops : flush_primitives()) {
    if (!ops->available()) continue;
    SCOPED_TRACE(std::string(ops->name));
    AlignedFile mem;
    for (const auto& r : probe_ranges()) {
      SCOPED_TRACE(r.what);
      const std::size_t visited = visit(r.offset, r.len).size();
      EXPECT_EQ(ops->flush(mem.file.base + r.offset, r.len), ops->writes_back ? visited : 0);
    }
    EXPECT_EQ(ops->drain(), 1u);
  }
}

TEST(FlushConformance, TheMutantThatSkipsTheLastLineIsCaught) {
  const auto failures = check_primitive_conformance(testing::kMutantSkipsLastLine);
  ASSERT_FALSE(failures.empty());
  std::cout << "caught, as it must be:" << joined(failures) << "\n";
  // A byte alone at +130: its line, +128, the last (and only) one, got no flush.
  EXPECT_TRUE(any_contains(failures,
                           "flush(+130, 1) [one byte] issued 0 of the 1 line it overlaps (+128): "
                           "1 line not flushed"))
      << joined(failures);
  EXPECT_TRUE(any_contains(failures,
                           "flush(+32, 100) [partial first and last lines] issued 2 of "
                           "the 3 lines it overlaps (+0 +64 +128)"))
      << joined(failures);
  EXPECT_TRUE(any_contains(failures, "commits counted lines_flushed")) << joined(failures);
  EXPECT_FALSE(any_contains(failures, "fence")) << "only the broken part fails" << joined(failures);
}

TEST(FlushConformance, TheMutantWhoseDrainIssuesNoFenceIsCaught) {
  const auto failures = check_primitive_conformance(testing::kMutantDrainsWithoutFence);
  ASSERT_FALSE(failures.empty());
  std::cout << "caught, as it must be:" << joined(failures) << "\n";
  EXPECT_TRUE(any_contains(failures, "drain() issued 0 fences")) << joined(failures);
  EXPECT_TRUE(any_contains(failures, "commits counted fences 0, expected 3 (one per commit)"))
      << joined(failures);
  EXPECT_FALSE(any_contains(failures, "flush("))
      << "only the broken part fails" << joined(failures);
}

// Why the lab observes instructions: a primitive whose count is right but whose loop skips a
// line passes every check of its count here. tests/e2e/test_observed.py catches it.
TEST(FlushConformance, TheMutantThatCountsASkippedLinePassesEveryCountCheck) {
  EXPECT_TRUE(check_primitive_conformance(testing::kMutantCountsASkippedLine).empty());
}

TEST(FlushConformance, TheMutantsAreTestFixturesNeverRegistered) {
  for (const FlushOps* mutant : testing::mutant_flushes()) {
    SCOPED_TRACE(std::string(mutant->name));
    EXPECT_EQ(find_flush(mutant->name), nullptr);
    for (const FlushOps* ops : flush_primitives()) EXPECT_NE(ops, mutant);
    std::string problem;
    EXPECT_EQ(resolve_flush(mutant->name, problem), nullptr);  // no config can ask for one
    EXPECT_NE(best_flush(), mutant);
  }
}

}  // namespace
}  // namespace daxbench
