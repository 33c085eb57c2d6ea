// kv-put: a put is two ordering points, as in a persistent key-value store: the value is
// appended to a log and committed, then its 8-byte index entry is written and committed, so
// the index never points at a value that is not durable yet.
#include <stdexcept>

#include "workloads/workload.h"
#include "workloads/zipf.h"

namespace daxbench {
namespace {

constexpr std::uint64_t kIndexEntrySize = sizeof(std::uint64_t);
// The value log starts on a fresh cache line, so flushing an index entry never writes back
// a value's line too, and the lines flushed per put stay what the record size implies.
constexpr std::uint64_t kLogAlignment = 64;

const ParamSpec kKvPutParams[] = {
    record_size_param("256", "bytes per value"),
    {"keys",
     ParamKind::kInteger,
     "65536",
     "keys in the index (8 bytes each, at the view start)",
     {},
     1,
     1e12},
    kDistributionParam,
    kZipfThetaParam,
};

std::uint64_t log_start(std::uint64_t keys) {
  return (keys * kIndexEntrySize + kLogAlignment - 1) / kLogAlignment * kLogAlignment;
}

std::optional<std::string> validate_kv_put(const ParamSet& params, std::uint64_t view,
                                           const std::string& /*config_dir*/) {
  const auto keys = static_cast<std::uint64_t>(params.integer("keys"));
  const std::uint64_t needed = log_start(keys) + 2 * params.size("record_size");
  if (needed > view)
    return "the index of " + std::to_string(keys) + " keys plus two values of " +
           params.text("record_size") + " bytes need " + std::to_string(needed) +
           " bytes, more than a thread's " + std::to_string(view) + "-byte part of the file";
  return std::nullopt;
}

class KvPut final : public Workload {
 public:
  explicit KvPut(const WorkloadSetup& setup)
      : record_size_(setup.params.size("record_size")),
        keys_(static_cast<std::uint64_t>(setup.params.integer("keys"))),
        index_begin_(setup.view_offset),
        log_begin_(setup.view_offset + log_start(keys_)),
        log_end_(setup.view_offset + setup.view_length),
        head_(log_begin_),
        chooser_(setup.params, keys_),
        rng_(static_cast<std::uint64_t>(setup.params.integer("seed")), setup.thread),
        payload_(record_size_, rng_) {
    if (log_start(keys_) + 2 * record_size_ > setup.view_length)
      throw std::invalid_argument("kv-put: the index and two values do not fit the view of " +
                                  std::to_string(setup.view_length) + " bytes");
  }

  bool op(Writer& writer) override {
    const std::uint64_t key = chooser_.next(rng_);
    if (head_ + record_size_ > log_end_) head_ = log_begin_;
    const std::uint64_t value_offset = head_;
    head_ += record_size_;

    writer.store(value_offset, payload_.next(record_size_), record_size_);
    writer.commit();
    writer.store(index_begin_ + key * kIndexEntrySize, &value_offset, kIndexEntrySize);
    writer.commit();
    return true;
  }

 private:
  std::uint64_t record_size_;
  std::uint64_t keys_;
  std::uint64_t index_begin_;
  std::uint64_t log_begin_;
  std::uint64_t log_end_;
  std::uint64_t head_;  // where the next value goes
  RecordChooser chooser_;
  Rng rng_;
  Payload payload_;
};

}  // namespace

extern const WorkloadDesc kKvPutWorkload{
    .name = "kv-put",
    .summary = "value append + commit, then 8-byte index entry + commit (two ordering points)",
    .flags = kPartitionsSharedFile,
    .params = kKvPutParams,
    .validate = validate_kv_put,
    .create = [](const WorkloadSetup& setup) -> std::unique_ptr<Workload> {
      return std::make_unique<KvPut>(setup);
    },
    .fio = {.refusal =
                "kv-put: two dependent ordering points per put (value append, then index slot) are "
                "not a fio I/O pattern"},
};

}  // namespace daxbench
