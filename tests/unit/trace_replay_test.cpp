// Unit tests of trace-replay: replaying a trace file, and naming the line of a bad one.
#include <gtest/gtest.h>

#include "workload_test_support.h"

namespace daxbench {
namespace {

using namespace workload_testing;

// --- trace-replay ------------------------------------------------------------------------

TEST(TraceReplay, ReplaysStoresAndCommitsThenStartsOver) {
  const fs::path trace = write_temp_file("replay.trace",
                                         "# header comment\n"
                                         "\n"
                                         "store 0 64\n"
                                         "  store 0x1000 4096   # page\n"
                                         "commit\n"
                                         "store\t128\t0x40\r\n"
                                         "commit\n"
                                         "commit\n");
  const WorkloadDesc& desc = workload("trace-replay");
  const ParamSet params = make_params(desc, {{"trace", trace.string()}});
  ASSERT_EQ(desc.validate(params, 8192, ""), std::nullopt);

  RecordingWriter writer(16384);
  auto replay = create(desc, params, {4096, 8192});  // offsets are relative to the view
  const std::vector<Event> pass{{false, 4096, 64}, {false, 8192, 4096}, {true, 0, 0},
                                {false, 4224, 64}, {true, 0, 0},        {true, 0, 0}};
  std::vector<Event> expected;
  for (int op = 0; op < 3; ++op) ASSERT_TRUE(replay->op(writer));
  expected = pass;
  EXPECT_EQ(writer.events(), expected);
  // Each op() is one store line with its commits: after 3 ops one pass is done.
  for (int op = 0; op < 3; ++op) ASSERT_TRUE(replay->op(writer));
  expected.insert(expected.end(), pass.begin(), pass.end());
  EXPECT_EQ(writer.events(), expected);
}

TEST(TraceReplay, FollowsTheSampleTrace) {
  const fs::path configs = source_dir() / "configs";
  const WorkloadDesc& desc = workload("trace-replay");
  // Relative path, resolved against the config directory, as a config file would name it.
  const ParamSet params = make_params(desc, {{"trace", "sample.trace"}});
  ASSERT_EQ(desc.validate(params, 1 << 20, configs.string()), std::nullopt);
  EXPECT_NE(desc.validate(params, (1 << 20) - 1, configs.string()), std::nullopt)
      << "the sample is meant to use all of its 1 MiB";

  // The expected sequence, read from the sample independently of the workload's parser.
  std::vector<Event> expected;
  std::ifstream in(configs / "sample.trace");
  ASSERT_TRUE(in);
  for (std::string line; std::getline(in, line);) {
    line = line.substr(0, line.find('#'));
    char word[16] = {};
    char offset[32] = {}, length[32] = {};
    const int fields = std::sscanf(line.c_str(), "%15s %31s %31s", word, offset, length);
    if (fields <= 0) continue;
    if (std::string(word) == "commit") {
      expected.push_back({true, 0, 0});
    } else {
      ASSERT_EQ(fields, 3) << line;
      ASSERT_EQ(std::string(word), "store");
      expected.push_back({false, std::stoull(offset, nullptr, 0), std::stoull(length, nullptr, 0)});
    }
  }
  const auto stores =
      std::count_if(expected.begin(), expected.end(), [](const Event& e) { return !e.commit; });
  ASSERT_GE(stores, 10);
  std::set<std::uint64_t> lengths;
  for (const Event& e : expected)
    if (!e.commit) lengths.insert(e.length);
  EXPECT_EQ(lengths, (std::set<std::uint64_t>{64, 4096}));

  RecordingWriter writer(1 << 20);
  auto replay = create(desc, params, {0, 1 << 20}, 0, configs.string());
  for (int op = 0; op < stores; ++op) ASSERT_TRUE(replay->op(writer));
  EXPECT_EQ(writer.events(), expected);
}

TEST(TraceReplay, ValidateNamesTheFileAndLineOfAProblem) {
  const WorkloadDesc& desc = workload("trace-replay");
  const auto problem_with = [&](const std::string& name, const std::string& text,
                                std::uint64_t file_size = 1 << 20) {
    const fs::path path = write_temp_file(name, text);
    const auto problem =
        desc.validate(make_params(desc, {{"trace", path.string()}}), file_size, "");
    return problem ? *problem : std::string("(accepted)");
  };
  const auto at = [](const std::string& name, int line) {
    return (fs::path(::testing::TempDir()) / "daxbench_workloads_test" / name).string() + ":" +
           std::to_string(line) + ": ";
  };
  const auto starts_with = [](const std::string& text, const std::string& prefix) {
    return text.rfind(prefix, 0) == 0;
  };

  EXPECT_PRED2(starts_with, problem_with("bad1.trace", "store 0 64\ncommit\nstroe 64 64\n"),
               at("bad1.trace", 3));
  EXPECT_PRED2(starts_with, problem_with("bad2.trace", "# x\nstore 0x 64\n"), at("bad2.trace", 2));
  EXPECT_PRED2(starts_with, problem_with("bad3.trace", "store 0 64 7\n"), at("bad3.trace", 1));
  EXPECT_PRED2(starts_with, problem_with("bad4.trace", "store -1 64\n"), at("bad4.trace", 1));
  EXPECT_PRED2(starts_with, problem_with("bad5.trace", "store 0 0\n"), at("bad5.trace", 1));
  EXPECT_PRED2(starts_with, problem_with("bad6.trace", "commit\nstore 0 8\n"), at("bad6.trace", 1));
  EXPECT_PRED2(starts_with, problem_with("bad7.trace", "store 0 8\ncommit now\n"),
               at("bad7.trace", 2));
  // A store past the working set would grow the file: refused before anything runs.
  const std::string beyond = problem_with("beyond.trace", "store 0 8\nstore 4000 97\n", 4096);
  EXPECT_PRED2(starts_with, beyond, at("beyond.trace", 2));
  EXPECT_NE(beyond.find("beyond the file size 4096"), std::string::npos) << beyond;
  EXPECT_EQ(problem_with("edge.trace", "store 4000 96\n", 4096), "(accepted)");

  EXPECT_PRED2(starts_with, problem_with("early.trace", "# only a comment\n\ncommit # x\n"),
               at("early.trace", 3));
  const std::string nostore = problem_with("nostore.trace", "# nothing\n");
  EXPECT_NE(nostore.find("no store"), std::string::npos) << nostore;
  const std::string missing = desc.validate(make_params(desc, {{"trace", "does-not-exist.trace"}}),
                                            4096, "/nonexistent-dir")
                                  .value_or("");
  EXPECT_NE(missing.find("/nonexistent-dir/does-not-exist.trace"), std::string::npos) << missing;
}

}  // namespace
}  // namespace daxbench
