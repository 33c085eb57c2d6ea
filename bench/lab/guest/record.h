// The 64-byte record the crash workloads write and the checker validates: it says by itself
// whether it is this run's, intact, torn by a cut, or never written.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace daxbench::crash {

inline constexpr std::size_t kRecordSize = 64;
// "DAXCRASH" read as little-endian bytes: never all zero, so a zeroed block is never a record.
inline constexpr std::uint64_t kRecordMagic = 0x4853415243584144ull;

// Layout (little-endian u64s): magic, seq, slot, nonce, 3 payload words, checksum of the rest.
using RecordBytes = std::array<std::byte, kRecordSize>;

RecordBytes encode_record(std::uint64_t nonce, std::uint64_t seq, std::uint64_t slot);

enum class RecordState {
  kValid,   // this run's record, checksum and payload right, at the slot it names
  kTorn,    // the magic is there but the rest is not what was written
  kAbsent,  // no magic: zeros (never written, or lost) or unrelated bytes
  kStale,   // intact, but another run's nonce: not written by this run
};

struct RecordView {
  RecordState state = RecordState::kAbsent;
  std::uint64_t seq = 0;  // meaningful when kValid
};

// Validates the 64 bytes found at `slot` for run `nonce`. A record naming another slot is
// torn: a misdirected write is as much a corruption as a half-written one.
RecordView validate_record(std::span<const std::byte, kRecordSize> bytes, std::uint64_t nonce,
                           std::uint64_t slot);

void store_le64(std::byte* at, std::uint64_t value);
std::uint64_t load_le64(const std::byte* at);

}  // namespace daxbench::crash
