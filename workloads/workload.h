// A workload is what stores happen, identical for every mode: each thread gets its own
// generator, seeded from the case seed and its thread index, that performs one operation
// per op() call through a Writer. One file per workload plus one line in workloads.def.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bench/base/fio_rows.h"
#include "bench/base/params.h"
#include "bench/base/rng.h"
#include "bench/io/writer.h"

namespace daxbench {

struct WorkloadSetup {
  const ParamSet& params;
  std::uint64_t view_offset;  // this thread's part of the file: [view_offset, +view_length)
  std::uint64_t view_length;
  unsigned thread;         // 0-based
  std::string config_dir;  // relative paths in params (trace files) are resolved here
};

class Workload {
 public:
  virtual ~Workload() = default;
  // Performs one operation, including the commits it implies. Returns false, doing nothing,
  // when a finite workload (first-touch) has no operation left.
  virtual bool op(Writer& writer) = 0;
};

// Helper for workloads that commit every `commit_every` records.
class CommitEvery {
 public:
  explicit CommitEvery(std::int64_t every) : every_(every) {}
  void record_done(Writer& writer) {
    if (++pending_ >= every_) {
      writer.commit();
      pending_ = 0;
    }
  }

 private:
  std::int64_t every_;
  std::int64_t pending_ = 0;
};

// Payload bytes for stores: random per thread, with the first 8 bytes of each record set to
// its sequence number so no two records are identical.
class Payload {
 public:
  Payload(std::size_t max_record, Rng& rng);
  const std::byte* next(std::size_t len);

 private:
  std::vector<std::byte> bytes_;
  std::uint64_t sequence_ = 0;
};

enum WorkloadFlags : unsigned {
  kPartitionsSharedFile = 1u << 0,  // with files: shared, each thread gets its own slice
  kFinite = 1u << 1,                // runs out of operations (no warm-up: it would use them)
};

struct WorkloadDesc {
  std::string_view name;
  std::string_view summary;
  unsigned flags = 0;
  std::span<const ParamSpec> params = {};
  // Checks parameters that depend on each other; returns the problem, or nullopt. `view` is
  // the bytes each thread writes (thread_view below); `config_dir` resolves relative paths.
  // The config loader already checks that record_size fits in `view`.
  std::optional<std::string> (*validate)(const ParamSet& params, std::uint64_t view,
                                         const std::string& config_dir) = nullptr;
  std::unique_ptr<Workload> (*create)(const WorkloadSetup& setup) = nullptr;
  // Its fio pattern, or why fio has none (bench/base/fio_rows.h).
  fio::WorkloadRow fio = {};
};

std::span<const WorkloadDesc* const> workloads();

// The part of its file each thread writes: all of it, or with `files: shared` and a workload
// that partitions, a page-aligned slice per thread. One definition for the loader and runner.
struct ThreadView {
  bool sliced;
  std::uint64_t length;
};
ThreadView thread_view(const WorkloadDesc& workload, const ParamSet& params);

const WorkloadDesc* find_workload(std::string_view name);

// Shared parameter specs, so the same name means the same thing in every workload.
inline constexpr std::string_view kDistributions[] = {"uniform", "zipfian"};
constexpr ParamSpec record_size_param(std::string_view default_value, std::string_view help) {
  return {"record_size", ParamKind::kSize, default_value, help, {}, 1, 1 << 30};
}
inline constexpr ParamSpec kCommitEveryParam{
    "commit_every", ParamKind::kInteger, "1", "records per commit", {}, 1, 1e9};
inline constexpr ParamSpec kDistributionParam{"distribution", ParamKind::kChoice, "uniform",
                                              "which records are chosen", kDistributions};
inline constexpr ParamSpec kZipfThetaParam{
    "zipf_theta", ParamKind::kReal, "0.99", "skew of the zipfian distribution", {}, 0.01, 0.999};

}  // namespace daxbench
