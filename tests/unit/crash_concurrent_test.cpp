// The concurrency cell without a power cut: a real cell writer and its real second process run
// for a moment on a local file (with write(), or through a plain mapping); the checker must
// count the second process's records apart from the cell's, see every one it wrote (nothing
// was cut), and see one it is made to miss.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "bench/lab/guest/cell_writer.h"
#include "bench/lab/guest/crash_check.h"
#include "bench/lab/guest/record.h"

namespace daxbench::crash {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kNonce = 0xfeedc0ffee15600dull;
constexpr std::uint64_t kSize = 256 * 1024;

class CrashConcurrentWrite : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("daxbench-concurrent-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    cell_.id = "c";
    cell_.workload = find_crash_workload("log-append");
    cell_.mode = find_mode("pwrite-fdatasync");
    cell_.file_state = "sparse";
    cell_.flush = "auto";
    cell_.file = dir_ / "c.dat";
    cell_.ack = dir_ / "c.ack";
    cell_.size = kSize;
    cell_.seed = 1;
    cell_.max_seconds = 0.3;
    cell_.concurrent_write = ConcurrentWrite{GetParam(), dir_ / "c.written"};
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string placement() const { return GetParam(); }

  fs::path dir_;
  CrashCell cell_;
};

TEST_P(CrashConcurrentWrite, BothSidesAreCountedApart) {
  int reports = 0;
  EXPECT_EQ(run_cell(cell_, kNonce, [&](CellOutcome o) { reports += o == CellOutcome::kStarted; }),
            0);
  EXPECT_EQ(reports, 1);
  const CellLayout layout = cell_layout(cell_);
  // inside and mapped share the second half; append writes past the end.
  const bool second_half = placement() != "append";
  EXPECT_EQ(layout.workload_bytes, second_half ? kSize / 2 : kSize);
  EXPECT_EQ(layout.writer_offset, second_half ? kSize / 2 : kSize);
  EXPECT_EQ(layout.writer_bytes, kSize / 2);

  CellCheck c = check_cell(cell_, kNonce);
  ASSERT_TRUE(c.concurrent.has_value());
  EXPECT_GT(c.counts.acknowledged, 0u);
  EXPECT_EQ(c.counts.lost, 0u);
  EXPECT_EQ(c.counts.torn, 0u);
  EXPECT_GT(c.concurrent->acknowledged, 1u);  // it wrote (paced: some hundreds in 0.3 s)
  EXPECT_EQ(c.concurrent->present_valid, c.concurrent->acknowledged);
  EXPECT_EQ(c.concurrent->lost, 0u);
  EXPECT_EQ(c.concurrent->torn, 0u);
  // Appending grows the file by exactly what it wrote; inside and mapped leave its size alone.
  EXPECT_EQ(c.file_bytes, second_half ? kSize : kSize + c.concurrent->acknowledged * kRecordSize);

  // Its first record is where the layout says, under its own nonce, not the cell's.
  std::byte found[kRecordSize];
  const int fd = open(cell_.file.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pread(fd, found, kRecordSize, static_cast<off_t>(layout.writer_offset)),
            static_cast<ssize_t>(kRecordSize));
  EXPECT_EQ(
      validate_record(std::span<const std::byte, kRecordSize>(found), concurrent_nonce(kNonce), 0)
          .state,
      RecordState::kValid);
  EXPECT_EQ(validate_record(std::span<const std::byte, kRecordSize>(found), kNonce, 0).state,
            RecordState::kStale);

  // Zero its first record: missing on its side only.
  const std::byte zeros[kRecordSize] = {};
  ASSERT_EQ(pwrite(fd, zeros, kRecordSize, static_cast<off_t>(layout.writer_offset)),
            static_cast<ssize_t>(kRecordSize));
  close(fd);
  c = check_cell(cell_, kNonce);
  EXPECT_EQ(c.counts.lost, 0u);
  EXPECT_EQ(c.concurrent->lost, 1u);
  EXPECT_EQ(c.concurrent->first_lost_seq, 1u);
  const nlohmann::json line = check_record(cell_, c);
  EXPECT_EQ(line["concurrent_write"]["placement"], placement());
  EXPECT_EQ(line["concurrent_write"]["missing"], 1);
  EXPECT_EQ(line["concurrent_write"]["written"], c.concurrent->acknowledged);
}

INSTANTIATE_TEST_SUITE_P(Crash, CrashConcurrentWrite,
                         ::testing::Values("inside", "append", "mapped"),
                         [](const ::testing::TestParamInfo<const char*>& param_info) {
                           return std::string(param_info.param);
                         });

TEST(CrashConcurrentWriteManifest, PlacementAndRoomAreChecked) {
  auto manifest = [](const std::string& concurrent, std::uint64_t size) {
    return nlohmann::json{{"nonce", 1},
                          {"cells",
                           {{{"id", "a"},
                             {"workload", "kv-put"},
                             {"mode", "fdatasync"},
                             {"file_state", "sparse"},
                             {"flush", "auto"},
                             {"file", "/x/a.dat"},
                             {"ack", "/x/a.ack"},
                             {"size", size},
                             {"seed", 1},
                             {"max_seconds", 1},
                             {"concurrent_write", nlohmann::json::parse(concurrent)}}}}}
        .dump();
  };
  auto error = [](const std::string& text) -> std::string {
    try {
      parse_manifest(text);
    } catch (const ManifestError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(error(manifest(R"({"placement": "inside", "written": "/x/a.w"})", 1 << 20)), "");
  EXPECT_EQ(error(manifest(R"({"placement": "middle", "written": "/x/a.w"})", 1 << 20)),
            "cells[0].concurrent_write.placement: 'middle' is not one of inside, append, mapped");
  EXPECT_EQ(error(manifest(R"({"placement": "mapped", "written": "/x/a.w"})", 1 << 20)), "");
  EXPECT_EQ(error(manifest(R"({"placement": "inside"})", 1 << 20)),
            "cells[0].concurrent_write.written: missing");
  EXPECT_EQ(error(manifest(R"({"placement": "inside", "written": "/x/a.ack"})", 1 << 20)),
            "cells[0].concurrent_write.written: '/x/a.ack' used twice");
  // kv-put's index takes 32 KiB: half of 64 KiB holds no put.
  EXPECT_EQ(error(manifest(R"({"placement": "inside", "written": "/x/a.w"})", 65536)),
            "cells[0].size: 65536 bytes hold no kv-put record in the half left by the concurrent "
            "writer");
  EXPECT_EQ(error(manifest(R"({"placement": "append", "written": "/x/a.w"})", 65536)), "");
  // mapped shares inside's second half, so the same file leaves kv-put no room.
  EXPECT_EQ(error(manifest(R"({"placement": "mapped", "written": "/x/a.w"})", 65536)),
            "cells[0].size: 65536 bytes hold no kv-put record in the half left by the concurrent "
            "writer");
}

}  // namespace
}  // namespace daxbench::crash
