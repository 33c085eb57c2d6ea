// Histogram merging, percentiles and bucket bounds.
#include "bench/base/histogram.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace daxbench {

void Histogram::merge(const Histogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  if (other.count_) {
    max_ = std::max(max_, other.max_);
    min_ = std::min(min_, other.min_);
  }
}

std::uint64_t Histogram::upper_bound(int index) {
  if (index < kLinear) return static_cast<std::uint64_t>(index);
  const int power = 6 + (index - kLinear) / (1 << kSubBits);
  const auto sub = static_cast<std::uint64_t>((index - kLinear) % (1 << kSubBits));
  const std::uint64_t width = std::uint64_t{1} << (power - kSubBits);
  const std::uint64_t lower = ((std::uint64_t{1} << kSubBits) + sub) * width;
  return lower + (width - 1);
}

std::uint64_t Histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  // q * count often lands a hair above the integer it stands for (0.07 * 100 is
  // 7.000000000000001), and ceil would then skip to the next rank: p7 of 1..100 came out as 8.
  // A few ulps of slack absorb that rounding.
  const double scaled_rank = q * static_cast<double>(count_);
  const double rounding_slack = scaled_rank * 4 * std::numeric_limits<double>::epsilon();
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(scaled_rank - rounding_slack)));
  std::uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(upper_bound(i), min_, max_);
  }
  return max_;
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> Histogram::buckets() const {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  for (int i = 0; i < kBuckets; ++i)
    if (counts_[i]) out.emplace_back(upper_bound(i), counts_[i]);
  return out;
}

}  // namespace daxbench
