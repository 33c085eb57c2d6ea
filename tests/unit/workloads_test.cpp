// Unit tests of the workload registry, the payload, log-append and what every workload
// shares (seeded determinism), seen through a Writer that records every store and commit.
#include <gtest/gtest.h>

#include "workload_test_support.h"

namespace daxbench {
namespace {

using namespace workload_testing;

// --- registry and payload ---------------------------------------------------------------

TEST(WorkloadRegistry, ListsEveryWorkloadOnceAndFindsItByName) {
  std::vector<std::string_view> names;
  for (const WorkloadDesc* desc : workloads()) names.push_back(desc->name);
  EXPECT_EQ(names, (std::vector<std::string_view>{"log-append", "random-update", "first-touch",
                                                  "kv-put", "trace-replay"}));
  for (const WorkloadDesc* desc : workloads()) {
    EXPECT_EQ(find_workload(desc->name), desc);
    EXPECT_NE(desc->create, nullptr) << desc->name;
    EXPECT_FALSE(desc->summary.empty()) << desc->name;
  }
  EXPECT_EQ(find_workload("no-such-workload"), nullptr);
}

TEST(WorkloadRegistry, EveryDefaultParses) {
  for (const WorkloadDesc* desc : workloads()) {
    std::set<std::string_view> seen;
    for (const ParamSpec& spec : desc->params) {
      EXPECT_TRUE(seen.insert(spec.name).second)
          << desc->name << " declares " << spec.name << " twice";
      if (spec.default_value.empty()) continue;
      ParamValue value;
      EXPECT_EQ(parse_param(spec, spec.default_value, value), std::nullopt)
          << desc->name << "." << spec.name;
    }
  }
}

TEST(WorkloadRegistry, FlagsAreAsDesigned) {
  EXPECT_EQ(workload("log-append").flags, kPartitionsSharedFile);
  EXPECT_EQ(workload("random-update").flags, 0u);
  EXPECT_EQ(workload("first-touch").flags, unsigned{kPartitionsSharedFile | kFinite});
  EXPECT_EQ(workload("kv-put").flags, kPartitionsSharedFile);
  // kv-put commits twice per put whatever the user asks: commit_every would be a lie.
  for (const ParamSpec& spec : workload("kv-put").params) EXPECT_NE(spec.name, "commit_every");
}

TEST(Payload, NumbersEachRecordAndKeepsTheRandomTail) {
  Rng rng(1, 0);
  Payload numbered(64, rng);
  const std::byte* p = numbered.next(64);
  std::uint64_t seq;
  std::memcpy(&seq, p, 8);
  EXPECT_EQ(seq, 0u);
  const std::vector<std::byte> tail0(p + 8, p + 64);
  p = numbered.next(64);
  std::memcpy(&seq, p, 8);
  EXPECT_EQ(seq, 1u);
  EXPECT_EQ(std::vector<std::byte>(p + 8, p + 64), tail0);
  EXPECT_NE(std::count(tail0.begin(), tail0.end(), std::byte{0}), 56);
  EXPECT_THROW(numbered.next(65), std::length_error);
}

// --- log-append --------------------------------------------------------------------------

TEST(LogAppend, AppendsSequentiallyAndWrapsToTheViewStart) {
  const WorkloadDesc& desc = workload("log-append");
  const ParamSet params = make_params(desc, {{"record_size", "64"}});
  // Room for 10 records and a 32-byte tail that must not be used.
  const View view{4096, 10 * 64 + 32};
  const std::vector<Event> events = run(desc, params, 8192, view, 25);
  std::vector<std::uint64_t> offsets;
  for (const Event& e : events)
    if (!e.commit) {
      EXPECT_EQ(e.length, 64u);
      offsets.push_back(e.offset);
    }
  ASSERT_EQ(offsets.size(), 25u);
  for (std::size_t i = 0; i < offsets.size(); ++i)
    EXPECT_EQ(offsets[i], view.offset + (i % 10) * 64) << "record " << i;
}

TEST(LogAppend, CommitsEveryCommitEveryRecords) {
  const WorkloadDesc& desc = workload("log-append");
  const ParamSet params = make_params(desc, {{"commit_every", "3"}});
  const std::vector<Event> events = run(desc, params, 65536, {0, 65536}, 10);
  std::vector<bool> pattern;
  for (const Event& e : events) pattern.push_back(e.commit);
  // S S S C S S S C S S S C S: three records per commit, the last record not yet committed.
  const std::vector<bool> expected{false, false, false, true,  false, false, false,
                                   true,  false, false, false, true,  false};
  EXPECT_EQ(pattern, expected);
}

TEST(ThreadView, ASharedFileIsSlicedIntoPagesOnlyForPartitioningWorkloads) {
  const WorkloadDesc& log = workload("log-append");
  const ParamSet shared =
      make_params(log, {{"files", "shared"}, {"threads", "3"}, {"working_set", "1M"}});
  const ThreadView slice = thread_view(log, shared);
  EXPECT_TRUE(slice.sliced);
  EXPECT_EQ(slice.length, (1048576u / 3) & ~4095u);  // whole pages, so slices never share one
  EXPECT_FALSE(
      thread_view(log, make_params(log, {{"threads", "3"}, {"working_set", "1M"}})).sliced);
  const WorkloadDesc& update = workload("random-update");
  const ThreadView whole = thread_view(
      update, make_params(update, {{"files", "shared"}, {"threads", "3"}, {"working_set", "1M"}}));
  EXPECT_FALSE(whole.sliced);  // threads of random-update share every record
  EXPECT_EQ(whole.length, 1048576u);
}

// --- every workload ----------------------------------------------------------------------

TEST(AllWorkloads, SameSeedGivesTheSameOperationDigest) {
  const fs::path trace = write_temp_file("digest.trace", "store 0 64\ncommit\nstore 4096 8\n");
  for (const WorkloadDesc* desc : workloads()) {
    std::map<std::string, std::string> overrides;
    if (desc->name == "trace-replay") overrides["trace"] = trace.string();
    if (desc->name == "kv-put") overrides["keys"] = "1024";
    const ParamSet params = make_params(*desc, overrides);
    const std::uint64_t size = 1 << 20;
    ASSERT_EQ(desc->validate ? desc->validate(params, size, "") : std::nullopt, std::nullopt)
        << desc->name;
    const auto digest = [&](unsigned thread) {
      RecordingWriter writer(size);
      auto w = create(*desc, params, {0, size}, thread);
      for (int i = 0; i < 300 && w->op(writer); ++i) {
      }
      return writer.op_digest();
    };
    EXPECT_EQ(digest(0), digest(0)) << desc->name;
  }
}
}  // namespace
}  // namespace daxbench
