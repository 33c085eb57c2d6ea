// Encoding and validation of crash records: byte-wise little-endian so a file checked on
// another machine reads the same.
#include "bench/lab/guest/record.h"

#include "bench/base/rng.h"

namespace daxbench::crash {
namespace {

constexpr std::size_t kPayloadWords = 3;
constexpr std::size_t kChecksumAt = 56;

std::array<std::uint64_t, kPayloadWords> payload(std::uint64_t nonce, std::uint64_t seq) {
  std::uint64_t state = nonce ^ (seq * 0xd1342543de82ef95ull);
  return {splitmix64(state), splitmix64(state), splitmix64(state)};
}

std::uint64_t checksum(const std::byte* record) {
  std::uint64_t h = 0x243f6a8885a308d3ull;
  for (std::size_t at = 0; at < kChecksumAt; at += 8) {
    std::uint64_t word = h ^ load_le64(record + at);
    h = splitmix64(word);
  }
  return h;
}

}  // namespace

void store_le64(std::byte* at, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) at[i] = static_cast<std::byte>(value >> (8 * i));
}

std::uint64_t load_le64(const std::byte* at) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | std::to_integer<std::uint64_t>(at[i]);
  return value;
}

RecordBytes encode_record(std::uint64_t nonce, std::uint64_t seq, std::uint64_t slot) {
  RecordBytes r{};
  store_le64(&r[0], kRecordMagic);
  store_le64(&r[8], seq);
  store_le64(&r[16], slot);
  store_le64(&r[24], nonce);
  const auto words = payload(nonce, seq);
  for (std::size_t i = 0; i < kPayloadWords; ++i) store_le64(&r[32 + 8 * i], words[i]);
  store_le64(&r[kChecksumAt], checksum(r.data()));
  return r;
}

RecordView validate_record(std::span<const std::byte, kRecordSize> bytes, std::uint64_t nonce,
                           std::uint64_t slot) {
  const std::byte* r = bytes.data();
  if (load_le64(r) != kRecordMagic) return {};
  if (load_le64(r + kChecksumAt) != checksum(r)) return {RecordState::kTorn};
  const std::uint64_t seq = load_le64(r + 8);
  if (load_le64(r + 24) != nonce) return {RecordState::kStale};
  const auto words = payload(nonce, seq);
  for (std::size_t i = 0; i < kPayloadWords; ++i)
    if (load_le64(r + 32 + 8 * i) != words[i]) return {RecordState::kTorn};
  if (load_le64(r + 16) != slot) return {RecordState::kTorn};
  return {RecordState::kValid, seq};
}

}  // namespace daxbench::crash
