// Unit tests of the workloads: what each one stores and commits, seen through a Writer that
// records every store and commit into a memory buffer instead of a mapped file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/base/params.h"
#include "bench/config/common_params.h"
#include "test_support.h"
#include "workloads/workload.h"
#include "workloads/zipf.h"

namespace daxbench {
namespace {

namespace fs = std::filesystem;

using testing::Event;
using testing::RecordingWriter;

const WorkloadDesc& workload(std::string_view name) {
  const WorkloadDesc* desc = find_workload(name);
  if (!desc) throw std::runtime_error("workload not registered: " + std::string(name));
  return *desc;
}

// Every common and workload parameter at its default, then `overrides`, all through
// parse_param() as the config loader would; an unknown or invalid override throws.
ParamSet make_params(const WorkloadDesc& desc,
                     const std::map<std::string, std::string>& overrides = {}) {
  ParamSet params;
  std::set<std::string> used;
  const auto fill = [&](std::span<const ParamSpec> specs) {
    for (const ParamSpec& spec : specs) {
      const std::string name(spec.name);
      std::string raw(spec.default_value);
      if (auto it = overrides.find(name); it != overrides.end()) {
        raw = it->second;
        used.insert(name);
      }
      if (raw.empty()) continue;  // required and not given
      ParamValue value;
      if (auto problem = parse_param(spec, raw, value))
        throw std::invalid_argument(name + ": " + *problem);
      params.set(spec.name, value);
    }
  };
  fill(common_params());
  fill(desc.params);
  for (const auto& [name, raw] : overrides)
    if (!used.contains(name)) throw std::invalid_argument("not a parameter: " + name);
  return params;
}

struct View {
  std::uint64_t offset;
  std::uint64_t length;
};

std::unique_ptr<Workload> create(const WorkloadDesc& desc, const ParamSet& params, View view,
                                 unsigned thread = 0, std::string config_dir = "") {
  return desc.create(WorkloadSetup{params, view.offset, view.length, thread, config_dir});
}

// Runs `ops` operations of a workload over a file of `file_size` bytes.
std::vector<Event> run(const WorkloadDesc& desc, const ParamSet& params, std::uint64_t file_size,
                       View view, int ops, unsigned thread = 0) {
  RecordingWriter writer(file_size);
  auto workload = create(desc, params, view, thread);
  for (int i = 0; i < ops; ++i) EXPECT_TRUE(workload->op(writer));
  return writer.events();
}

fs::path source_dir() {
#ifdef DAXBENCH_SOURCE_DIR
  return DAXBENCH_SOURCE_DIR;
#else
  // Built by hand: __FILE__ is tests/unit/workloads_test.cpp under the source directory.
  return fs::path(__FILE__).parent_path().parent_path().parent_path();
#endif
}

// A file in a fresh directory under the test temporary directory.
fs::path write_temp_file(const std::string& name, const std::string& text) {
  const fs::path dir = fs::path(::testing::TempDir()) / "daxbench_workloads_test";
  fs::create_directories(dir);
  const fs::path path = dir / name;
  std::ofstream(path) << text;
  return path;
}

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

// --- random-update -----------------------------------------------------------------------

TEST(RandomUpdate, SameSeedAndThreadGiveTheSameSequence) {
  const WorkloadDesc& desc = workload("random-update");
  for (const char* distribution : {"uniform", "zipfian"}) {
    const ParamSet params = make_params(desc, {{"distribution", distribution}});
    const View view{0, 1 << 20};
    const auto a = run(desc, params, view.length, view, 500, 3);
    const auto b = run(desc, params, view.length, view, 500, 3);
    const auto other_thread = run(desc, params, view.length, view, 500, 4);
    const auto other_seed =
        run(desc, make_params(desc, {{"distribution", distribution}, {"seed", "2"}}), view.length,
            view, 500, 3);
    EXPECT_EQ(a, b) << distribution;
    EXPECT_NE(a, other_thread) << distribution;
    EXPECT_NE(a, other_seed) << distribution;
  }
}

TEST(RandomUpdate, UpdatesRecordAlignedSlotsInsideTheView) {
  const WorkloadDesc& desc = workload("random-update");
  const ParamSet params = make_params(desc, {{"record_size", "100"}, {"commit_every", "4"}});
  const View view{1000, 100 * 50 + 99};  // 50 whole slots; the last 99 bytes are no slot
  const auto events = run(desc, params, 8192, view, 2000);
  std::set<std::uint64_t> slots;
  int stores = 0, commits = 0;
  for (const Event& e : events) {
    if (e.commit) {
      ++commits;
      continue;
    }
    ++stores;
    EXPECT_EQ(e.length, 100u);
    ASSERT_GE(e.offset, view.offset);
    EXPECT_EQ((e.offset - view.offset) % 100, 0u);
    EXPECT_LT((e.offset - view.offset) / 100, 50u);
    slots.insert(e.offset);
  }
  EXPECT_EQ(stores, 2000);
  EXPECT_EQ(commits, 500);
  EXPECT_EQ(slots.size(), 50u);  // 2000 uniform draws over 50 slots reach them all
}

// Share of all updates that land on the `top` most updated records.
double hottest_share(const std::vector<Event>& events, std::size_t top) {
  std::map<std::uint64_t, int> per_offset;
  int total = 0;
  for (const Event& e : events)
    if (!e.commit) ++per_offset[e.offset], ++total;
  std::vector<int> counts;
  for (const auto& [offset, count] : per_offset) counts.push_back(count);
  std::sort(counts.rbegin(), counts.rend());
  counts.resize(std::min(top, counts.size()));
  int hot = 0;
  for (int c : counts) hot += c;
  return static_cast<double>(hot) / total;
}

TEST(RandomUpdate, ZipfianConcentratesUpdatesOnHotRecords) {
  const WorkloadDesc& desc = workload("random-update");
  const View view{0, 10000 * 64};  // 10000 records
  const int ops = 100000;
  const auto zipfian =
      run(desc, make_params(desc, {{"distribution", "zipfian"}}), view.length, view, ops);
  const auto uniform =
      run(desc, make_params(desc, {{"distribution", "uniform"}}), view.length, view, ops);
  // The 100 hottest of 10000 records (1%): about sum_{1..100} k^-0.99 / zeta(10000) = 54% of
  // zipfian updates, against a little over 1% for uniform.
  EXPECT_GT(hottest_share(zipfian, 100), 0.40);
  EXPECT_LT(hottest_share(uniform, 100), 0.03);
}

TEST(RandomUpdate, ScrambleSpreadsHotRecordsOverTheFile) {
  const WorkloadDesc& desc = workload("random-update");
  const std::uint64_t records = 10000;
  const View view{0, records * 64};
  const auto events =
      run(desc, make_params(desc, {{"distribution", "zipfian"}}), view.length, view, 50000);
  std::map<std::uint64_t, int> per_record;
  for (const Event& e : events)
    if (!e.commit) ++per_record[e.offset / 64];
  std::vector<std::pair<int, std::uint64_t>> by_count;
  for (const auto& [record, count] : per_record) by_count.push_back({count, record});
  std::sort(by_count.rbegin(), by_count.rend());
  // Unscrambled, the ten hottest would be records 0..9; scrambled they are spread out.
  std::uint64_t lowest = records, highest = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    lowest = std::min(lowest, by_count[i].second);
    highest = std::max(highest, by_count[i].second);
  }
  EXPECT_GT(highest - lowest, records / 2);
}

// --- zipf.h ------------------------------------------------------------------------------

TEST(Zipf, ZetaMatchesTheExactSum) {
  for (double theta : {0.01, 0.5, 0.99, 0.999}) {
    for (std::uint64_t n : {1ull, 2ull, 1000ull, 1025ull, 5000ull, 1000000ull}) {
      double exact = 0;
      for (std::uint64_t i = n; i >= 1; --i) exact += std::pow(static_cast<double>(i), -theta);
      EXPECT_NEAR(zeta(n, theta) / exact, 1.0, 1e-12) << "n=" << n << " theta=" << theta;
    }
  }
}

// Setup is fast because its work does not grow with the records: the pow() calls are
// counted, not timed (how long they take is a benchmark's question, not a unit test's).
TEST(Zipf, SetupForSixteenMillionRecordsCostsNoMoreThanForTwoThousand) {
  const auto calls = [](std::uint64_t n) {
    std::uint64_t count = 0;
    const double value = zeta(n, 0.99, [&count](double x, double y) {
      ++count;
      return std::pow(x, y);
    });
    EXPECT_EQ(value, zeta(n, 0.99)) << n;  // counting changes nothing
    return count;
  };
  EXPECT_EQ(calls(1000), 1000u);  // below the cut-off, every term
  const std::uint64_t small = calls(2048);
  EXPECT_LE(small, kZetaExactTerms + 7);
  EXPECT_EQ(calls(16u << 20), small);
  EXPECT_EQ(calls(std::uint64_t{1} << 40), small);

  ZipfianGenerator zipf(16u << 20, 0.99);
  Rng rng(1, 0);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(zipf.next(rng), 16u << 20);
}

TEST(Zipf, RankFrequenciesFollowTheLaw) {
  const std::uint64_t n = 1000;
  const double theta = 0.99;
  ZipfianGenerator zipf(n, theta);
  Rng rng(7, 0);
  std::vector<int> hits(n);
  const int draws = 200000;
  for (int i = 0; i < draws; ++i) ++hits[zipf.next(rng)];
  const double zetan = zeta(n, theta);
  // P(rank 0) = 1/zeta(n) and P(rank 1) = 2^-theta/zeta(n) exactly in Gray's algorithm.
  EXPECT_NEAR(hits[0] / double(draws), 1 / zetan, 0.01);
  EXPECT_NEAR(hits[1] / double(draws), std::pow(2, -theta) / zetan, 0.01);
  EXPECT_GT(hits[0], hits[9]);
  EXPECT_GT(hits[9], hits[99]);
}

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
