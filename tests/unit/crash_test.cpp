// The crash checker sees loss: records written through the real Writer check clean, and each
// kind of damage a power cut can do (a zeroed, torn, older, truncated or missing record) is
// counted where it happened. The harness's self-test rests on this.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "bench/base/rng.h"
#include "bench/io/file_prep.h"
#include "bench/lab/guest/crash_check.h"
#include "bench/lab/guest/manifest.h"
#include "bench/lab/guest/record.h"
#include "bench/modes/mode.h"

namespace daxbench::crash {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kNonce = 0x5eedfacecafef00dull;
constexpr std::uint64_t kSize = 256 * 1024;
constexpr std::uint64_t kSeed = 7;
constexpr std::uint64_t kRecords = 600;
constexpr std::uint64_t kKvLogStart = 4096 * 8;

TEST(CrashRecord, RoundTripsAndTellsTornFromAbsent) {
  RecordBytes r = encode_record(kNonce, 42, 9);
  RecordView v = validate_record(r, kNonce, 9);
  EXPECT_EQ(v.state, RecordState::kValid);
  EXPECT_EQ(v.seq, 42u);
  EXPECT_EQ(load_le64(r.data()), kRecordMagic);
  EXPECT_EQ(std::to_integer<int>(r[8]), 42);  // little-endian seq at byte 8

  EXPECT_EQ(validate_record(r, kNonce, 10).state, RecordState::kTorn);  // misdirected
  EXPECT_EQ(validate_record(r, kNonce + 1, 9).state, RecordState::kStale);
  for (std::size_t at : {8u, 20u, 40u, 60u}) {
    RecordBytes flipped = r;
    flipped[at] ^= std::byte{0x01};
    EXPECT_EQ(validate_record(flipped, kNonce, 9).state, RecordState::kTorn) << "byte " << at;
  }
  RecordBytes half = r;  // a cut after the first 32 bytes reached the medium
  std::fill(half.begin() + 32, half.end(), std::byte{0});
  EXPECT_EQ(validate_record(half, kNonce, 9).state, RecordState::kTorn);

  EXPECT_EQ(validate_record(RecordBytes{}, kNonce, 9).state, RecordState::kAbsent);
  RecordBytes no_magic = r;
  no_magic[0] = std::byte{0};
  EXPECT_EQ(validate_record(no_magic, kNonce, 9).state, RecordState::kAbsent);
}

std::string manifest_with(const std::string& field, const std::string& value) {
  std::map<std::string, std::string> cell = {{"id", "\"a\""},
                                             {"workload", "\"kv-put\""},
                                             {"mode", "\"fdatasync\""},
                                             {"file_state", "\"sparse\""},
                                             {"flush", "\"auto\""},
                                             {"file", "\"/x/a.dat\""},
                                             {"ack", "\"/x/a.ack\""},
                                             {"size", "1048576"},
                                             {"seed", "1"},
                                             {"max_seconds", "2.5"}};
  if (value.empty())
    cell.erase(field);
  else
    cell[field] = value;
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& [key, text] : cell) fields[key] = nlohmann::json::parse(text);
  return nlohmann::json{{"nonce", 18446744073709551615ull}, {"cells", {fields}}}.dump();
}

std::string manifest_error(const std::string& text) {
  try {
    parse_manifest(text);
  } catch (const ManifestError& e) {
    return e.what();
  }
  return "";
}

TEST(CrashManifest, ReadsEveryFieldAndTheFullNonceRange) {
  const CrashManifest m = parse_manifest(manifest_with("id", "\"a\""));
  EXPECT_EQ(m.nonce, 18446744073709551615ull);
  ASSERT_EQ(m.cells.size(), 1u);
  EXPECT_EQ(m.cells[0].workload->name, "kv-put");
  EXPECT_EQ(m.cells[0].mode->name, "fdatasync");
  EXPECT_EQ(m.cells[0].size, 1048576u);
  EXPECT_EQ(m.cells[0].max_seconds, 2.5);
  EXPECT_EQ(status_path(m.cells[0]), "/x/a.ack.status");
}

TEST(CrashManifest, ABadFieldIsNamed) {
  EXPECT_EQ(manifest_error(manifest_with("mode", "")), "cells[0].mode: missing");
  EXPECT_TRUE(manifest_error(manifest_with("mode", "\"nope\""))
                  .starts_with("cells[0].mode: unknown mode 'nope'"));
  EXPECT_TRUE(manifest_error(manifest_with("size", "100")).starts_with("cells[0].size:"));
  EXPECT_TRUE(manifest_error(manifest_with("seed", "-1")).starts_with("cells[0].seed:"));
  EXPECT_TRUE(manifest_error(manifest_with("flush", "\"warp\"")).starts_with("cells[0].flush:"));
  EXPECT_TRUE(
      manifest_error(manifest_with("max_seconds", "0")).starts_with("cells[0].max_seconds:"));
  EXPECT_TRUE(
      manifest_error(manifest_with("file_state", "\"holey\"")).starts_with("cells[0].file_state:"));
  EXPECT_TRUE(manifest_error("{").starts_with("not JSON"));
  EXPECT_EQ(manifest_error("{\"cells\": []}"), "nonce: missing");
}

// Where each workload keeps the record of `seq`, recomputed here independently of it.
std::uint64_t record_offset(std::string_view workload, std::uint64_t seq) {
  if (workload == "log-append") return (seq - 1) * kRecordSize;
  if (workload == "kv-put") return kKvLogStart + (seq - 1) * kRecordSize;
  Rng slots(kSeed, 0);
  std::uint64_t slot = 0;
  for (std::uint64_t s = 1; s <= seq; ++s) slot = slots.below(kSize / kRecordSize);
  return slot * kRecordSize;
}

// The key (kv-put) or slot (random-update) of every seq 1..n.
std::vector<std::uint64_t> targets_of(std::string_view workload, std::uint64_t n) {
  Rng rng(kSeed, 0);
  std::vector<std::uint64_t> out(n + 1, 0);
  const std::uint64_t bound = workload == "kv-put" ? 4096 : kSize / kRecordSize;
  for (std::uint64_t s = 1; s <= n; ++s) out[s] = rng.below(bound);
  return out;
}

// Two seqs a < b of one slot/key, b its last acknowledged write.
std::pair<std::uint64_t, std::uint64_t> overwritten_pair(std::string_view workload) {
  const std::vector<std::uint64_t> of = targets_of(workload, kRecords);
  std::map<std::uint64_t, std::uint64_t> last;
  for (std::uint64_t s = 1; s <= kRecords; ++s) last[of[s]] = s;
  for (std::uint64_t a = 1; a <= kRecords; ++a)
    if (last[of[a]] != a) return {a, last[of[a]]};
  ADD_FAILURE() << "no slot written twice";
  return {0, 0};
}

// "random-update" → "randomupdate": test names allow no dashes.
std::string workload_name(const ::testing::TestParamInfo<const char*>& param) {
  std::string name = param.param;
  std::erase(name, '-');
  return name;
}

class CrashCheck : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "daxbench-crash-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    cell_.id = GetParam();
    cell_.workload = find_crash_workload(GetParam());
    cell_.mode = find_mode("none");
    cell_.file_state = "sparse";
    cell_.flush = "auto";
    cell_.file = dir_ / "data" / "cell.dat";
    cell_.ack = dir_ / "cell.ack";
    cell_.size = kSize;
    cell_.seed = kSeed;
    cell_.max_seconds = 1;
    ASSERT_NE(cell_.workload, nullptr);
    write_records(kRecords);
    acknowledge(kRecords);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Through the real Writer of mode `none`: exactly the path the writer child takes.
  void write_records(std::uint64_t n) {
    fs::create_directories(cell_.file.parent_path());
    MappedFile file;
    file.path = cell_.file.string();
    file.size = kSize;
    file.fd = create_prepared_file(cell_.file, kSize, "sparse");
    const ParamSet no_params;
    const TargetFacts no_facts;
    const std::unique_ptr<Mode> mode = cell_.mode->create({no_params, no_facts, nullptr});
    ASSERT_EQ(mode->map(file), std::nullopt);
    {
      const std::unique_ptr<Writer> writer = mode->make_writer(file);
      const auto workload = cell_.workload->create({kSize, kSeed, kNonce});
      for (std::uint64_t seq = 1; seq <= n; ++seq) workload->put(*writer, seq);
    }
    mode->unmap(file);
    close(file.fd);
  }

  void acknowledge(std::uint64_t seq) {
    std::byte bytes[8];
    store_le64(bytes, seq);
    std::ofstream(cell_.ack, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(bytes), sizeof bytes);
  }

  void overwrite(std::uint64_t offset, std::span<const std::byte> bytes) {
    const int fd = open(cell_.file.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)),
              static_cast<ssize_t>(bytes.size()));
    close(fd);
  }

  CellCheck check() {
    CellCheck c = check_cell(cell_, kNonce);
    EXPECT_EQ(c.counts.present_valid + c.counts.lost, c.counts.expected);
    return c;
  }

  std::string workload() const { return GetParam(); }

  fs::path dir_;
  CrashCell cell_;
};

TEST_P(CrashCheck, AcknowledgedRecordsCheckClean) {
  const CellCheck c = check();
  EXPECT_FALSE(c.file_missing);
  EXPECT_EQ(c.counts.acknowledged, kRecords);
  EXPECT_EQ(c.counts.lost, 0u);
  EXPECT_EQ(c.counts.torn, 0u);
  EXPECT_EQ(c.counts.unacknowledged_present, 0u);
  EXPECT_EQ(c.counts.first_lost_seq, std::nullopt);
  EXPECT_GT(c.counts.expected, kRecords / 2);
  if (workload() == "log-append") {
    EXPECT_EQ(c.counts.present_valid, kRecords);
  }
  // Serialised with nulls where nothing was lost, as the host reads it.
  const nlohmann::json line = check_record(cell_, c);
  EXPECT_TRUE(line["first_lost_seq"].is_null());
  EXPECT_EQ(line["present_valid"], c.counts.present_valid);
}

TEST_P(CrashCheck, RecordsBeyondTheAcknowledgedOnesAreNotLossButCounted) {
  acknowledge(kRecords - 5);
  const CellCheck c = check();
  EXPECT_EQ(c.counts.lost, 0u);
  // Later versions of a slot/key stand in for the acknowledged one they replaced.
  EXPECT_EQ(c.counts.unacknowledged_present, 5u);
}

TEST_P(CrashCheck, AZeroedRecordIsLostAtItsSeq) {
  const RecordBytes zeros{};
  overwrite(record_offset(workload(), kRecords), zeros);  // the last write is last for its slot
  const CellCheck c = check();
  EXPECT_EQ(c.counts.lost, 1u);
  EXPECT_EQ(c.counts.first_lost_seq, kRecords);
  EXPECT_EQ(c.counts.torn, 0u);
}

TEST_P(CrashCheck, AFlippedByteIsTornAndLost) {
  std::byte one{0x5a};
  overwrite(record_offset(workload(), kRecords) + 44, std::span(&one, 1));
  const CellCheck c = check();
  EXPECT_EQ(c.counts.torn, 1u);
  EXPECT_EQ(c.counts.lost, 1u);
  EXPECT_EQ(c.counts.first_lost_seq, kRecords);
}

// A cut can tear the record being written (a 64-byte store is not atomic): seq acked+1.
TEST_P(CrashCheck, ATornInFlightRecordIsNotLoss) {
  acknowledge(kRecords - 1);
  std::byte one{0x5a};
  overwrite(record_offset(workload(), kRecords) + 44, std::span(&one, 1));
  if (workload() == "kv-put") {  // the put's index entry comes after its value's commit
    const std::vector<std::uint64_t> keys = targets_of(workload(), kRecords);
    std::uint64_t previous = 0;
    for (std::uint64_t s = 1; s < kRecords; ++s)
      if (keys[s] == keys[kRecords]) previous = s;
    std::byte entry[8];
    store_le64(entry, previous);
    overwrite(keys[kRecords] * 8, entry);
  }
  const CellCheck c = check();
  EXPECT_EQ(c.counts.lost, 0u);
  EXPECT_EQ(c.counts.torn, 1u);
  EXPECT_EQ(c.counts.torn_in_flight, 1u);
}

TEST_P(CrashCheck, ATruncatedFileLosesWhatWasCutOff) {
  const std::uint64_t kept = kSize / 8;  // short of kv-put's first value record too
  fs::resize_file(cell_.file, kept);
  const CellCheck c = check();
  EXPECT_EQ(c.file_bytes, kept);
  if (workload() == "log-append") {
    const std::uint64_t survivors = std::min(kRecords, kept / kRecordSize);
    EXPECT_EQ(c.counts.lost, kRecords - survivors);
    EXPECT_EQ(c.counts.first_lost_seq, survivors + 1);
  } else {
    EXPECT_GT(c.counts.lost, 0u);
  }
}

TEST_P(CrashCheck, AMissingFileLosesEverythingAcknowledged) {
  fs::remove(cell_.file);
  const CellCheck c = check();
  EXPECT_TRUE(c.file_missing);
  EXPECT_EQ(c.counts.present_valid, 0u);
  EXPECT_EQ(c.counts.lost, c.counts.expected);
  ASSERT_TRUE(c.counts.first_lost_seq);
  if (workload() == "log-append") {
    EXPECT_EQ(*c.counts.first_lost_seq, 1u);
  }
  EXPECT_EQ(check_record(cell_, c)["file_missing"], true);
}

TEST_P(CrashCheck, AMissingAckFileMeansNothingAcknowledged) {
  fs::remove(cell_.ack);
  const CellCheck c = check();
  EXPECT_EQ(c.counts.acknowledged, 0u);
  EXPECT_EQ(c.counts.lost, 0u);
  // Every record still in the file: one per slot written, for random-update.
  std::uint64_t in_file = kRecords;
  if (workload() == "random-update") {
    const std::vector<std::uint64_t> of = targets_of(workload(), kRecords);
    in_file = std::set<std::uint64_t>(of.begin() + 1, of.end()).size();
  }
  EXPECT_EQ(c.counts.unacknowledged_present, in_file);
}

INSTANTIATE_TEST_SUITE_P(Crash, CrashCheck,
                         ::testing::Values("log-append", "random-update", "kv-put"), workload_name);

class CrashCheckUpdates : public CrashCheck {};

TEST_P(CrashCheckUpdates, AnOlderVersionOfASlotIsLost) {
  const auto [older, newer] = overwritten_pair(workload());
  if (workload() == "random-update") {
    const std::uint64_t slot = record_offset(workload(), older) / kRecordSize;
    overwrite(slot * kRecordSize, encode_record(kNonce, older, slot));
  } else {  // kv-put: the key's index entry points at its older put
    std::byte entry[8];
    store_le64(entry, older);
    overwrite(targets_of(workload(), kRecords)[older] * 8, entry);
  }
  const CellCheck c = check();
  EXPECT_EQ(c.counts.lost, 1u);
  EXPECT_EQ(c.counts.first_lost_seq, newer);
  EXPECT_EQ(c.counts.torn, 0u);
}

TEST_P(CrashCheckUpdates, ANewerUnacknowledgedVersionIsNotLoss) {
  // The put in flight at the cut, complete: the next seq a writer would have written.
  const std::uint64_t next = kRecords + 1;
  const std::vector<std::uint64_t> of = targets_of(workload(), next);
  if (workload() == "random-update") {
    overwrite(of[next] * kRecordSize, encode_record(kNonce, next, of[next]));
  } else {
    overwrite(kKvLogStart + (next - 1) * kRecordSize, encode_record(kNonce, next, next - 1));
    std::byte entry[8];
    store_le64(entry, next);
    overwrite(of[next] * 8, entry);
  }
  const CellCheck c = check();
  EXPECT_EQ(c.counts.lost, 0u);
  EXPECT_EQ(c.counts.unacknowledged_present, 1u);
}

INSTANTIATE_TEST_SUITE_P(Crash, CrashCheckUpdates, ::testing::Values("random-update", "kv-put"),
                         workload_name);

}  // namespace
}  // namespace daxbench::crash
