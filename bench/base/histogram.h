// A log-bucketed latency histogram in fixed memory (HDR-style): exact below 64 ticks, then 32
// buckets per power of two, so any reported percentile is within 1/32 (3.1%) of the truth.
// One per thread per kind (operation, commit), merged at the end of a repetition.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <utility>
#include <vector>

namespace daxbench {

class Histogram {
 public:
  static constexpr int kLinear = 64;  // values below this have a bucket each
  static constexpr int kSubBits = 5;  // 32 sub-buckets per power of two above
  static constexpr int kBuckets = kLinear + (64 - 6) * (1 << kSubBits);

  void add(std::uint64_t value) {
    ++counts_[index(value)];
    ++count_;
    sum_ += value;
    if (value > max_) max_ = value;
    if (value < min_) min_ = value;
  }
  void merge(const Histogram& other);
  void clear() { *this = Histogram{}; }

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return count_ ? max_ : 0; }
  std::uint64_t min() const { return count_ ? min_ : 0; }
  double mean() const {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0;
  }
  // Nearest-rank percentile (q in [0, 1]): the upper bound of the bucket holding the
  // ceil(q * count)-th smallest value, clamped to the observed [min, max].
  std::uint64_t percentile(double q) const;
  // Non-empty buckets as (inclusive upper bound, count), ascending.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> buckets() const;
  // The same in another unit: `convert` maps an upper bound in ticks to the unit (ns). It is
  // monotonic but not one-to-one (at 2.5 ticks per ns, ticks 4 and 5 are both 2 ns), so
  // buckets whose converted bounds coincide are merged: the result stays strictly ascending,
  // and its counts still sum to count().
  template <typename Convert>
  std::vector<std::pair<std::uint64_t, std::uint64_t>> buckets_in(Convert convert) const {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
    for (const auto& [upper, n] : buckets()) {
      const std::uint64_t bound = convert(upper);
      if (!out.empty() && out.back().first == bound)
        out.back().second += n;
      else
        out.emplace_back(bound, n);
    }
    return out;
  }

  static int index(std::uint64_t value) {
    if (value < kLinear) return static_cast<int>(value);
    const int power = 63 - std::countl_zero(value);  // >= 6
    const int sub = static_cast<int>((value >> (power - kSubBits)) & ((1 << kSubBits) - 1));
    return kLinear + (power - 6) * (1 << kSubBits) + sub;
  }
  static std::uint64_t upper_bound(int index);

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  // 128 bits: a count_ of 64-bit values cannot wrap it. __extension__ keeps -Wpedantic quiet
  // about the GNU type, which ISO C++ lacks.
  __extension__ using WideSum = unsigned __int128;
  WideSum sum_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = ~std::uint64_t{0};
};

}  // namespace daxbench
