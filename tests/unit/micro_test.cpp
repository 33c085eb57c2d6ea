// daxbench-micro: the harness-overhead raw loops do exactly what the driver does per operation,
// and the quick set covers every registered flush primitive.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/micro/raw_loop.h"
#include "tests/unit/test_support.h"

namespace daxbench {
namespace {

using testing::config_from;
using testing::counter;
using testing::run_once;

constexpr std::uint64_t kOps = 2000;
constexpr std::uint64_t kWorkingSet = 1 << 20;

std::string raw_case_yaml(const std::string& mode) {
  return "defaults: {ops: " + std::to_string(kOps) +
         ", warmup_s: 0, repetitions: 1, working_set: 1M, seed: 1}\n"
         "cases:\n  - {workload: random-update, mode: " +
         mode + ", record_size: 64, commit_every: 1" +
         (mode == "sealed-extent" ? ", flush: clwb" : "") + "}\n";
}

struct RawRun {
  std::vector<std::byte> memory;
  std::uint64_t lines_flushed = 0, fences = 0;
};

RawRun run_raw(const FlushOps* flush) {
  RawRun run;
  // Line-aligned, as a mapping is, so a 64 B record covers exactly one line.
  run.memory.resize(kWorkingSet + kCacheLine);
  auto* base = run.memory.data();
  base += (kCacheLine - reinterpret_cast<std::uintptr_t>(base) % kCacheLine) % kCacheLine;
  micro::RawUpdateLoop loop(base, kWorkingSet, flush, 1);
  for (std::uint64_t i = 0; i < kOps; ++i) loop.op();
  run.lines_flushed = loop.lines_flushed;
  run.fences = loop.fences;
  std::vector<std::byte> aligned(base, base + kWorkingSet);
  run.memory = std::move(aligned);
  return run;
}

TEST(MicroRawLoop, SealedExtentFlushesAndFencesExactlyAsTheDriver) {
  const FlushOps* clwb = find_flush("clwb");
  if (!clwb || !clwb->available()) GTEST_SKIP() << "the CPU lacks clwb";
  const Config config = config_from(raw_case_yaml("sealed-extent"));
  ASSERT_EQ(config.cases.size(), 1u);
  const RepetitionResult driver = run_once(config.cases[0]);
  ASSERT_EQ(driver.status, Status::kOk) << driver.reason;
  ASSERT_EQ(driver.ops, kOps);
  const RawRun raw = run_raw(clwb);
  EXPECT_EQ(counter(driver, "lines_flushed"), static_cast<double>(raw.lines_flushed));
  EXPECT_EQ(counter(driver, "fences"), static_cast<double>(raw.fences));
  EXPECT_EQ(raw.lines_flushed, kOps);
  EXPECT_EQ(raw.fences, kOps);
}

TEST(MicroRawLoop, NoneFlushesAndFencesNothingAsTheDriver) {
  const Config config = config_from(raw_case_yaml("none"));
  const RepetitionResult driver = run_once(config.cases[0]);
  ASSERT_EQ(driver.status, Status::kOk) << driver.reason;
  const RawRun raw = run_raw(nullptr);
  EXPECT_EQ(counter(driver, "lines_flushed"), 0.0);
  EXPECT_EQ(counter(driver, "fences"), 0.0);
  EXPECT_EQ(raw.lines_flushed, 0u);
  EXPECT_EQ(raw.fences, 0u);
}

// The same RNG draws and payload: after the same operations the memory is byte for byte what
// the driver's workload stored.
TEST(MicroRawLoop, StoresTheSameBytesAtTheSameOffsetsAsTheWorkload) {
  const Config config = config_from(raw_case_yaml("none"));
  const CaseSpec& spec = config.cases[0];
  testing::RecordingWriter writer(kWorkingSet);
  auto workload = spec.workload->create(
      {spec.params, 0, kWorkingSet, 0, std::string(DAXBENCH_SOURCE_DIR) + "/configs"});
  for (std::uint64_t i = 0; i < kOps; ++i) workload->op(writer);
  std::vector<std::byte> expected(kWorkingSet);
  for (std::uint64_t at = 0; at < kWorkingSet; at += 8) {
    const std::uint64_t word = writer.read_u64(at);
    std::memcpy(expected.data() + at, &word, sizeof word);
  }
  const RawRun raw = run_raw(nullptr);
  EXPECT_TRUE(raw.memory == expected);
}

TEST(MicroBinary, QuickSetCoversEveryRegisteredFlushPrimitive) {
  const std::string command = std::string(DAXBENCH_MICRO_BINARY) +
                              " --set quick --benchmark_list_tests --target " +
                              testing::scratch_spec() + " 2>&1";
  std::FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string listing;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe)) listing += buf;
  ASSERT_EQ(pclose(pipe), 0) << listing;
  for (const FlushOps* ops : flush_primitives()) {
    for (const char* size : {"64", "4096"}) {
      const std::string name = "flush/" + std::string(ops->name) + "/size:" + size + "/";
      EXPECT_NE(listing.find("\n" + name), std::string::npos) << name << " missing:\n" << listing;
    }
    EXPECT_NE(listing.find("flush_unwritten/" + std::string(ops->name) + "/"), std::string::npos);
  }
  for (const char* name :
       {"\nsfence\n", "\nfault/sparse/", "\nsyscall/fdatasync/", "\nraw_loop/random-update/none/",
        "\nraw_loop/random-update/sealed-extent/"})
    EXPECT_NE(listing.find(name), std::string::npos) << name;
}

}  // namespace
}  // namespace daxbench

namespace daxbench {
namespace {

TEST(MicroConfig, ParsesSetAndMinTimeAndRejectsUnknownsWithLocationAndChoices) {
  const std::string cases = "cases:\n  - {workload: random-update, mode: none}\n";
  const Config config = testing::config_from("micro: {set: full, min_time: 0.2}\n" + cases);
  EXPECT_TRUE(config.micro.enabled);
  EXPECT_EQ(config.micro.set, "full");
  EXPECT_DOUBLE_EQ(config.micro.min_time, 0.2);
  EXPECT_FALSE(testing::config_from(cases).micro.enabled);
  auto error_of = [&](const std::string& micro) {
    try {
      testing::config_from(micro + cases);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("micro: {set: ful}\n")
                .find("inline.yaml:1:14: micro.set: unknown set 'ful'; "
                      "valid: full, quick (did you mean 'full'?)"),
            std::string::npos)
      << error_of("micro: {set: ful}\n");
  EXPECT_NE(
      error_of("micro: {sets: full}\n").find("unknown key 'sets' in micro; valid: set, min_time"),
      std::string::npos);
  EXPECT_NE(error_of("micro: {min_time: -1}\n").find("micro.min_time"), std::string::npos);
}

}  // namespace
}  // namespace daxbench
