// Unit tests of kv-put: the value and index stores of each put and their commits.
#include <gtest/gtest.h>

#include "workload_test_support.h"

namespace daxbench {
namespace {

using namespace workload_testing;

// --- kv-put ------------------------------------------------------------------------------

TEST(KvPut, EachPutIsValueCommitIndexCommit) {
  const WorkloadDesc& desc = workload("kv-put");
  const ParamSet params = make_params(desc, {{"keys", "100"}, {"record_size", "256"}});
  const View view{8192, 832 + 4 * 256 + 200};  // index 800 B, log at +832: room for 4 values
  const std::uint64_t log_begin = view.offset + 832;
  RecordingWriter writer(view.offset + view.length);
  auto kv = create(desc, params, view);
  std::vector<std::uint64_t> value_offsets;
  for (int put = 0; put < 12; ++put) {
    const std::size_t before = writer.events().size();
    ASSERT_TRUE(kv->op(writer));
    const std::vector<Event> events(writer.events().begin() + before, writer.events().end());
    ASSERT_EQ(events.size(), 4u) << "put " << put;
    const Event& value = events[0];
    const Event& index = events[2];
    EXPECT_FALSE(value.commit);
    EXPECT_TRUE(events[1].commit);
    EXPECT_FALSE(index.commit);
    EXPECT_TRUE(events[3].commit);

    EXPECT_EQ(value.length, 256u);
    EXPECT_GE(value.offset, log_begin);
    EXPECT_LE(value.offset + value.length, view.offset + view.length);
    EXPECT_EQ(index.length, 8u);
    EXPECT_GE(index.offset, view.offset);
    EXPECT_LT(index.offset, view.offset + 800);
    EXPECT_EQ((index.offset - view.offset) % 8, 0u);
    EXPECT_EQ(writer.read_u64(index.offset), value.offset);  // the index points at the value
    value_offsets.push_back(value.offset);
  }
  // Circular value log: four values fit, the fifth goes back to the log start.
  for (std::size_t i = 0; i < value_offsets.size(); ++i)
    EXPECT_EQ(value_offsets[i], log_begin + (i % 4) * 256) << "put " << i;
  EXPECT_EQ(writer.counters().commits, 24u);
}

TEST(KvPut, ZipfianKeysAreSkewed) {
  const WorkloadDesc& desc = workload("kv-put");
  const View view{0, 1 << 20};
  const auto index_share = [&](const char* distribution) {
    const ParamSet params = make_params(desc, {{"keys", "10000"}, {"distribution", distribution}});
    std::vector<Event> index_stores;
    for (const Event& e : run(desc, params, view.length, view, 20000))
      if (!e.commit && e.length == 8) index_stores.push_back(e);
    EXPECT_EQ(index_stores.size(), 20000u);
    return hottest_share(index_stores, 100);
  };
  EXPECT_GT(index_share("zipfian"), 0.40);
  EXPECT_LT(index_share("uniform"), 0.05);
}

TEST(KvPut, ValidateRequiresTheIndexAndTwoValues) {
  const WorkloadDesc& desc = workload("kv-put");
  const ParamSet params = make_params(desc, {{"keys", "65536"}, {"record_size", "256"}});
  EXPECT_EQ(desc.validate(params, 512 * 1024 + 512, ""), std::nullopt);
  const auto problem = desc.validate(params, 512 * 1024 + 511, "");
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("65536 keys"), std::string::npos) << *problem;
}

}  // namespace
}  // namespace daxbench
