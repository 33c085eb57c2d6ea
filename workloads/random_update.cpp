// random-update: in-place updates of record-aligned slots chosen uniformly or by scrambled
// zipfian; commits every commit_every records. Threads of a shared file update all of it.
#include <stdexcept>

#include "workloads/workload.h"
#include "workloads/zipf.h"

namespace daxbench {
namespace {

const ParamSpec kRandomUpdateParams[] = {
    record_size_param("64", "bytes per updated record"),
    kCommitEveryParam,
    kDistributionParam,
    kZipfThetaParam,
};

std::uint64_t slots_in_view(const WorkloadSetup& setup) {
  const std::uint64_t slots = setup.view_length / setup.params.size("record_size");
  if (slots == 0)
    throw std::invalid_argument("random-update: record_size " + setup.params.text("record_size") +
                                " exceeds the view of " + std::to_string(setup.view_length) +
                                " bytes");
  return slots;
}

class RandomUpdate final : public Workload {
 public:
  explicit RandomUpdate(const WorkloadSetup& setup)
      : record_size_(setup.params.size("record_size")),
        begin_(setup.view_offset),
        chooser_(setup.params, slots_in_view(setup)),
        rng_(static_cast<std::uint64_t>(setup.params.integer("seed")), setup.thread),
        payload_(record_size_, rng_),
        commits_(setup.params.integer("commit_every")) {}

  bool op(Writer& writer) override {
    const std::uint64_t offset = begin_ + chooser_.next(rng_) * record_size_;
    writer.store(offset, payload_.next(record_size_), record_size_);
    commits_.record_done(writer);
    return true;
  }

 private:
  std::uint64_t record_size_;
  std::uint64_t begin_;
  RecordChooser chooser_;
  Rng rng_;
  Payload payload_;
  CommitEvery commits_;
};

}  // namespace

extern const WorkloadDesc kRandomUpdateWorkload{
    .name = "random-update",
    .summary = "in-place updates of records chosen uniformly or by scrambled zipfian",
    .flags = 0,
    .params = kRandomUpdateParams,
    .create = [](const WorkloadSetup& setup) -> std::unique_ptr<Workload> {
      return std::make_unique<RandomUpdate>(setup);
    },
    .fio = {.rw = "randwrite", .norandommap = true},
};

}  // namespace daxbench
