// first-touch: one store at the start of every page of the view, in sequential or seeded
// random order, so each operation takes the first-write fault path once; then it ends.
#include <algorithm>
#include <bit>
#include <stdexcept>

#include "workloads/workload.h"

namespace daxbench {
namespace {

constexpr std::uint64_t kPageSize = 4096;

constexpr std::string_view kOrders[] = {"sequential", "random"};

const ParamSpec kFirstTouchParams[] = {
    record_size_param("8", "bytes stored at the start of each page"),
    kCommitEveryParam,
    {"order", ParamKind::kChoice, "sequential", "order in which pages are touched", kOrders},
};

std::optional<std::string> validate_first_touch(const ParamSet& params, std::uint64_t /*file_size*/,
                                                const std::string& /*config_dir*/) {
  if (params.size("record_size") > kPageSize)
    return "record_size " + params.text("record_size") +
           " is larger than a page (4096): first-touch stores once per page";
  return std::nullopt;
}

// A seeded permutation of [0, n) that needs no table: a 4-round Feistel network over the
// smallest even number of bits covering n, cycle-walked back into range. A shuffled table
// would take 4 bytes per page per thread, gigabytes for terabyte working sets.
class PagePermutation {
 public:
  PagePermutation(std::uint64_t n, Rng& rng) : n_(n) {
    int bits = std::max(2, static_cast<int>(std::bit_width(n > 0 ? n - 1 : 0)));
    bits += bits % 2;
    half_bits_ = bits / 2;
    half_mask_ = (std::uint64_t{1} << half_bits_) - 1;
    for (std::uint64_t& key : keys_) key = rng.next();
  }

  // The domain is less than four times n, so walking takes under four steps on average; it
  // ends because i's cycle through the permutation comes back to i, which is in range.
  std::uint64_t at(std::uint64_t i) const {
    std::uint64_t x = i;
    do x = encrypt(x);
    while (x >= n_);
    return x;
  }

 private:
  std::uint64_t encrypt(std::uint64_t x) const {
    std::uint64_t left = x >> half_bits_;
    std::uint64_t right = x & half_mask_;
    for (std::uint64_t key : keys_) {
      const std::uint64_t mixed = left ^ (round(right ^ key) & half_mask_);
      left = right;
      right = mixed;
    }
    return (left << half_bits_) | right;
  }

  static std::uint64_t round(std::uint64_t v) {
    std::uint64_t state = v;
    return splitmix64(state);
  }

  std::uint64_t n_;
  int half_bits_;
  std::uint64_t half_mask_;
  std::uint64_t keys_[4];
};

// Pages whose start lies in the view and whose store ends inside it.
std::uint64_t pages_in_view(const WorkloadSetup& setup, std::uint64_t first_page) {
  const std::uint64_t record_size = setup.params.size("record_size");
  const std::uint64_t view_end = setup.view_offset + setup.view_length;
  if (first_page + record_size > view_end) return 0;
  return (view_end - record_size - first_page) / kPageSize + 1;
}

class FirstTouch final : public Workload {
 public:
  explicit FirstTouch(const WorkloadSetup& setup)
      : record_size_(setup.params.size("record_size")),
        first_page_((setup.view_offset + kPageSize - 1) / kPageSize * kPageSize),
        pages_(pages_in_view(setup, first_page_)),
        random_order_(setup.params.text("order") == "random"),
        rng_(static_cast<std::uint64_t>(setup.params.integer("seed")), setup.thread),
        payload_(record_size_, rng_),
        permutation_(pages_, rng_),
        commits_(setup.params.integer("commit_every")) {
    if (record_size_ > kPageSize)
      throw std::invalid_argument("first-touch: record_size exceeds a page");
  }

  bool op(Writer& writer) override {
    if (touched_ == pages_) return false;
    const std::uint64_t page = random_order_ ? permutation_.at(touched_) : touched_;
    writer.store(first_page_ + page * kPageSize, payload_.next(record_size_), record_size_);
    ++touched_;
    commits_.record_done(writer);
    // The last group may be short of commit_every: commit it, so what the workload did is
    // complete and durable when it reports that it is finished.
    if (touched_ == pages_ && writer.has_uncommitted()) writer.commit();
    return true;
  }

 private:
  std::uint64_t record_size_;
  std::uint64_t first_page_;  // file offset of the first page starting inside the view
  std::uint64_t pages_;
  bool random_order_;
  Rng rng_;
  Payload payload_;
  PagePermutation permutation_;
  CommitEvery commits_;
  std::uint64_t touched_ = 0;
};

}  // namespace

extern const WorkloadDesc kFirstTouchWorkload{
    .name = "first-touch",
    .summary = "one store at the start of each page, sequential or random order, then done",
    .flags = kPartitionsSharedFile | kFinite,
    .params = kFirstTouchParams,
    .validate = validate_first_touch,
    .create = [](const WorkloadSetup& setup) -> std::unique_ptr<Workload> {
      return std::make_unique<FirstTouch>(setup);
    },
    .fio =
        {.refusal =
             "first-touch: one store per page, each page once, in order or shuffled; fio's random "
             "map works in blocks of bs, not pages (rw=write:<4096-record_size> for the ordered "
             "case is not mapped)"},
};

}  // namespace daxbench
