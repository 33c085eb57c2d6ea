// The persistence model under ADR (the memory controller is the persistence domain): what of
// the guest's stores to the pmem range the platform guarantees would survive a power cut.
// A store reaches the CPU cache only; CLWB/CLFLUSHOPT capture a line's content for a later
// write-back, which an SFENCE or MFENCE of the same CPU guarantees; CLFLUSH is ordered with
// the stores before it and so guarantees the line at once; a non-temporal store's bytes are
// guaranteed at the next fence. What is guaranteed is written into the durable image.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

namespace daxbench::model {

inline constexpr std::size_t kLineSize = 64;

// Where guaranteed bytes go. The plugin's image is a file written with pwrite: a write is
// complete or not done when QEMU is killed, never half a line.
class DurableImage {
 public:
  virtual ~DurableImage() = default;
  virtual void write(std::uint64_t offset, std::span<const std::byte> bytes) = 0;
};

struct ModelTotals {
  std::uint64_t lines_captured = 0;      // clwb/clflushopt that made a line pending
  std::uint64_t lines_immediate = 0;     // clflush: durable at once
  std::uint64_t nt_bytes = 0;            // bytes stored non-temporally
  std::uint64_t fences = 0;              // sfence/mfence
  std::uint64_t lines_made_durable = 0;  // pending lines written into the image by fences
};

class PersistenceModel {
 public:
  // `live` is the pmem's content as the guest sees it now (QEMU maps the same file shared,
  // so a store is there as soon as it executed). Offsets are bytes into it.
  PersistenceModel(std::span<const std::byte> live, DurableImage& image, unsigned vcpus);

  // clwb/clflushopt of the line holding `offset` by `vcpu`: its content as of now becomes
  // pending for that CPU. A store to the line after this is not covered.
  void write_back_line(unsigned vcpu, std::uint64_t offset);
  // clflush: the line's content as of now is durable.
  void flush_line_now(std::uint64_t offset);
  // A non-temporal store of `size` bytes at `offset` that has executed: pending for `vcpu`.
  void non_temporal_store(unsigned vcpu, std::uint64_t offset, std::size_t size);
  // sfence/mfence by `vcpu`: its pending lines and bytes become durable.
  void fence(unsigned vcpu);

  std::size_t pending_lines(unsigned vcpu) const;
  ModelTotals totals() const;
  std::size_t size() const { return live_.size(); }

 private:
  struct PendingLine {
    std::array<std::byte, kLineSize> bytes{};
    std::uint64_t mask = 0;  // bit i: bytes[i] is pending
  };
  using PendingSet = std::unordered_map<std::uint64_t, PendingLine>;  // by line offset

  void stage(PendingSet& set, std::uint64_t offset, std::size_t size);
  void write_line(std::uint64_t line, const PendingLine& pending);

  std::span<const std::byte> live_;
  DurableImage& image_;
  mutable std::mutex mutex_;
  std::vector<PendingSet> pending_;  // per vCPU
  ModelTotals totals_;
};

}  // namespace daxbench::model
