// Unit tests of first-touch: which pages it touches, in which order.
#include <gtest/gtest.h>

#include "workload_test_support.h"

namespace daxbench {
namespace {

using namespace workload_testing;

// --- first-touch -------------------------------------------------------------------------

TEST(FirstTouch, TouchesEveryPageOnceInOrderThenEnds) {
  const WorkloadDesc& desc = workload("first-touch");
  const ParamSet params = make_params(desc, {{"commit_every", "2"}});
  RecordingWriter writer(8 * 4096);
  auto touch = create(desc, params, {2 * 4096, 5 * 4096});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(touch->op(writer)) << "page " << i;
  const std::size_t events_when_done = writer.events().size();
  EXPECT_FALSE(touch->op(writer));
  EXPECT_FALSE(touch->op(writer));
  EXPECT_EQ(writer.events().size(), events_when_done);  // a finished workload does nothing

  std::vector<Event> expected;
  for (std::uint64_t page = 0; page < 5; ++page) {
    expected.push_back({false, (2 + page) * 4096, 8});
    // Every two pages, and the short last group so the finished workload is all durable.
    if (page % 2 == 1 || page == 4) expected.push_back({true, 0, 0});
  }
  EXPECT_EQ(writer.events(), expected);
}

TEST(FirstTouch, RandomOrderIsASeededPermutationOfThePages) {
  const WorkloadDesc& desc = workload("first-touch");
  const std::uint64_t pages = 1000;
  const auto touch_all = [&](const char* seed, unsigned thread) {
    const ParamSet params = make_params(desc, {{"order", "random"}, {"seed", seed}});
    RecordingWriter writer(pages * 4096);
    auto touch = create(desc, params, {0, pages * 4096}, thread);
    std::vector<std::uint64_t> order;
    // Bounded, so a workload that never ends fails the size check below instead of hanging.
    while (order.size() <= pages && touch->op(writer))
      order.push_back(writer.stores().back().offset / 4096);
    return order;
  };
  const std::vector<std::uint64_t> order = touch_all("1", 0);
  ASSERT_EQ(order.size(), pages);
  std::vector<std::uint64_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (std::uint64_t i = 0; i < pages; ++i) ASSERT_EQ(sorted[i], i);  // each page exactly once
  EXPECT_FALSE(std::is_sorted(order.begin(), order.end()));
  EXPECT_EQ(touch_all("1", 0), order);
  EXPECT_NE(touch_all("1", 1), order);
  EXPECT_NE(touch_all("2", 0), order);
}

TEST(FirstTouch, UnalignedViewTouchesOnlyPagesStartingInsideIt) {
  const WorkloadDesc& desc = workload("first-touch");
  const ParamSet params = make_params(desc, {{"record_size", "64"}});
  RecordingWriter writer(8 * 4096);
  // [100, 3*4096 + 32): pages 1 and 2 start inside; page 3 starts inside but its 64-byte
  // store would leave the view.
  auto touch = create(desc, params, {100, 3 * 4096 - 68});
  while (touch->op(writer)) {
  }
  const std::vector<Event> stores = writer.stores();
  ASSERT_EQ(stores.size(), 2u);
  EXPECT_EQ(stores[0].offset, 4096u);
  EXPECT_EQ(stores[1].offset, 2 * 4096u);
}

TEST(FirstTouch, ValidateRejectsRecordsLargerThanAPage) {
  const WorkloadDesc& desc = workload("first-touch");
  EXPECT_EQ(desc.validate(make_params(desc, {{"record_size", "4K"}}), 1 << 20, ""), std::nullopt);
  const auto problem = desc.validate(make_params(desc, {{"record_size", "4097"}}), 1 << 20, "");
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("4096"), std::string::npos) << *problem;
}

}  // namespace
}  // namespace daxbench
