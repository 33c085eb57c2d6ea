// log-append: records appended one after another through the thread's view, wrapping to its
// start when full (a circular log); commits every commit_every records.
#include <stdexcept>

#include "workloads/workload.h"

namespace daxbench {
namespace {

const ParamSpec kLogAppendParams[] = {
    record_size_param("64", "bytes per appended record"),
    kCommitEveryParam,
};

class LogAppend final : public Workload {
 public:
  explicit LogAppend(const WorkloadSetup& setup)
      : record_size_(setup.params.size("record_size")),
        begin_(setup.view_offset),
        end_(setup.view_offset + setup.view_length),
        head_(begin_),
        rng_(static_cast<std::uint64_t>(setup.params.integer("seed")), setup.thread),
        payload_(record_size_, rng_),
        commits_(setup.params.integer("commit_every")) {
    if (record_size_ > setup.view_length)
      throw std::invalid_argument("log-append: record_size " + std::to_string(record_size_) +
                                  " exceeds the thread's view of " +
                                  std::to_string(setup.view_length) + " bytes");
  }

  bool op(Writer& writer) override {
    if (head_ + record_size_ > end_) head_ = begin_;
    writer.store(head_, payload_.next(record_size_), record_size_);
    head_ += record_size_;
    commits_.record_done(writer);
    return true;
  }

 private:
  std::uint64_t record_size_;
  std::uint64_t begin_;
  std::uint64_t end_;
  std::uint64_t head_;  // where the next record goes
  Rng rng_;
  Payload payload_;
  CommitEvery commits_;
};

}  // namespace

extern const WorkloadDesc kLogAppendWorkload{
    .name = "log-append",
    .summary = "append records sequentially (circular log), commit every commit_every records",
    .flags = kPartitionsSharedFile,
    .params = kLogAppendParams,
    .create = [](const WorkloadSetup& setup) -> std::unique_ptr<Workload> {
      return std::make_unique<LogAppend>(setup);
    },
    .fio = {.rw = "write"},
};

}  // namespace daxbench
