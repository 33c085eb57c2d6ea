// The per-thread path from a workload to a durability mode: workloads call store() and
// commit(); the mode supplies do_store()/do_commit(). The wrappers count and time what
// every mode must report, so no mode can forget to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/base/histogram.h"
#include "bench/base/latency_sampler.h"
#include "bench/base/tsc.h"
#include "bench/flush/flush.h"
#include "bench/io/internal_counters.h"
#include "bench/io/mapped_file.h"

namespace daxbench {

struct Range {
  std::uint64_t offset;
  std::uint64_t length;
};

class Writer {
 public:
  Writer(MappedFile& file, const FlushOps* flush) : file_(file), flush_(flush) {
    dirty_.reserve(64);
  }
  virtual ~Writer() = default;
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void store(std::uint64_t offset, const void* src, std::size_t len) {
    if (offset + len > file_.size) [[unlikely]]
      throw std::out_of_range("store beyond the file: offset " + std::to_string(offset) + " + " +
                              std::to_string(len) + " > " + std::to_string(file_.size));
    digest_ += event_hash(counters_.stores + counters_.commits, offset, len);
    ++counters_.stores;
    counters_.bytes_stored += len;
    uncommitted_ = true;
    do_store(offset, src, len);
  }

  void commit() {
    if (commit_sampler_.take()) {
      const std::uint64_t start = tsc_now();
      do_commit();
      commit_latency_.add(tsc_now() - start);
    } else {
      do_commit();
    }
    digest_ += event_hash(counters_.stores + counters_.commits, kCommitMark, 0);
    ++counters_.commits;
    uncommitted_ = false;
    dirty_.clear();
  }

  bool has_uncommitted() const { return uncommitted_; }
  const InternalCounters& counters() const { return counters_; }
  const Histogram& commit_latency() const { return commit_latency_; }
  // A hash over every (offset, length) stored and every commit, with its position: equal
  // digests mean equal operation sequences, whatever the mode did with them.
  std::uint64_t op_digest() const { return digest_; }
  // Forget what the warm-up did; the operation sequence carries on. From here on the
  // commits `sampler` picks are timed (by default every one).
  void reset_measurements(LatencySampler sampler = {}) {
    counters_ = {};
    commit_latency_.clear();
    commit_sampler_ = sampler;
    digest_ = kDigestSeed;
  }

 protected:
  virtual void do_store(std::uint64_t offset, const void* src, std::size_t len) = 0;
  virtual void do_commit() = 0;

  // Helpers shared by the mapping modes.
  // The primitive's own copy where it has one (non-temporal stores, libpmem), else memcpy;
  // the copy reports the lines it flushed and stored non-temporally.
  void copy_into_mapping(std::uint64_t offset, const void* src, std::size_t len) {
    if (flush_ && flush_->copy) {
      const CopyCounts done = flush_->copy(file_.base + offset, src, len);
      counters_.lines_flushed += done.lines_flushed;
      counters_.lines_nt_stored += done.lines_nt_stored;
    } else {
      std::memcpy(file_.base + offset, src, len);
    }
    dirty_.push_back({offset, len});
  }
  // Flush every dirty range, then one drain: a commit of many ranges pays one fence. A
  // primitive with its own copy has written its lines back already, and `none` has none to.
  // The counts are what the primitive reports it did (the lines its loop issued the
  // instruction on, the fences its drain issued), so a primitive that skips a line or a
  // fence shows in the counters instead of being covered by a formula here.
  void flush_dirty_and_drain() {
    if (!flush_->copy && flush_->writes_back) {
      for (const Range& r : dirty_)
        counters_.lines_flushed += flush_->flush(file_.base + r.offset, r.length);
    }
    counters_.fences += flush_->drain();
  }

  MappedFile& file_;
  const FlushOps* flush_;
  std::vector<Range> dirty_;  // stored since the last commit
  InternalCounters counters_;

 private:
  static constexpr std::uint64_t kDigestSeed = 0xcbf29ce484222325ull;
  static constexpr std::uint64_t kCommitMark = ~std::uint64_t{0};
  // The digest is a sum of per-event hashes keyed by the event's position, so order counts
  // but no event waits for the previous one's hash: a chained hash put three dependent
  // multiplies on every operation's critical path (≈ 7 ns here), more than a 64 B store.
  static std::uint64_t event_hash(std::uint64_t position, std::uint64_t offset, std::uint64_t len) {
    return mix(mix(position * 0x9e3779b97f4a7c15ull ^ offset) ^ len);
  }
  static std::uint64_t mix(std::uint64_t h) {
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 31);
  }
  Histogram commit_latency_;
  LatencySampler commit_sampler_;
  std::uint64_t digest_ = kDigestSeed;
  bool uncommitted_ = false;
};

}  // namespace daxbench
