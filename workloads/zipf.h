// Record choice shared by random-update and kv-put: uniform, or YCSB's scrambled zipfian
// (Gray et al., "Quickly generating billion-record synthetic databases", SIGMOD 1994).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "bench/base/params.h"
#include "bench/base/rng.h"

namespace daxbench {

inline constexpr std::uint64_t kZetaExactTerms = 1024;

// zeta(n, theta) = sum_{i=1..n} i^-theta. Summing 16M pow() calls per thread would cost
// seconds at start-up, so only the head is summed term by term; the tail, where i^-theta is
// smooth, comes from Euler–Maclaurin with two correction terms, whose remainder is far below
// double precision once i >= kZetaExactTerms. So its cost does not grow with n: `power` (pow)
// is called at most kZetaExactTerms + 7 times, which a test counts.
template <class Power>
double zeta(std::uint64_t n, double theta, Power&& power) {
  double sum = 0;
  const std::uint64_t exact = std::min(n, kZetaExactTerms);
  for (std::uint64_t i = 1; i <= exact; ++i) sum += power(static_cast<double>(i), -theta);
  if (n <= exact) return sum;

  const double a = static_cast<double>(exact + 1);
  const double b = static_cast<double>(n);
  const auto f = [&](double x) { return power(x, -theta); };
  const auto f1 = [&](double x) { return -theta * power(x, -theta - 1); };
  const auto f3 = [&](double x) {
    return -theta * (theta + 1) * (theta + 2) * power(x, -theta - 3);
  };
  // The integral of x^-theta from a to b, written with expm1 because 1 - theta may be tiny.
  const double s = 1 - theta;
  const double integral = power(a, s) * std::expm1(s * std::log(b / a)) / s;
  sum += integral + (f(a) + f(b)) / 2 + (f1(b) - f1(a)) / 12 - (f3(b) - f3(a)) / 720;
  return sum;
}

inline double zeta(std::uint64_t n, double theta) {
  return zeta(n, theta, [](double x, double y) { return std::pow(x, y); });
}

// Ranks 0 (hottest) .. items-1 with P(rank k) proportional to 1/(k+1)^theta, 0 < theta < 1.
class ZipfianGenerator {
 public:
  ZipfianGenerator(std::uint64_t items, double theta)
      : items_(checked_items(items, theta)),
        theta_(theta),
        alpha_(1 / (1 - theta)),
        zetan_(zeta(items, theta)),
        eta_((1 - std::pow(2.0 / static_cast<double>(items), 1 - theta)) /
             (1 - zeta(2, theta) / zetan_)) {}

  std::uint64_t next(Rng& rng) {
    const double u = rng.unit();
    const double uz = u * zetan_;
    if (uz < 1) return 0;
    if (uz < 1 + std::pow(0.5, theta_)) return std::min<std::uint64_t>(1, items_ - 1);
    const auto rank = static_cast<std::uint64_t>(static_cast<double>(items_) *
                                                 std::pow(eta_ * u - eta_ + 1, alpha_));
    return std::min(rank, items_ - 1);  // guards the rounding of u close to 1
  }

  std::uint64_t items() const { return items_; }

 private:
  // Checked before the constants below are derived from them.
  static std::uint64_t checked_items(std::uint64_t items, double theta) {
    if (items == 0) throw std::invalid_argument("zipfian over zero items");
    if (!(theta > 0 && theta < 1)) throw std::invalid_argument("zipfian theta must be in (0, 1)");
    return items;
  }

  std::uint64_t items_;
  double theta_;
  double alpha_;
  double zetan_;
  double eta_;
};

// FNV-1a over the 8 bytes of a rank, as YCSB's ScrambledZipfianGenerator does, so the hot
// ranks land on records spread over the whole file instead of its first pages.
inline std::uint64_t fnv1a64(std::uint64_t value) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (int i = 0; i < 8; ++i, value >>= 8) hash = (hash ^ (value & 0xff)) * 0x100000001b3ull;
  return hash;
}

class ScrambledZipfianGenerator {
 public:
  ScrambledZipfianGenerator(std::uint64_t items, double theta) : zipf_(items, theta) {}
  std::uint64_t next(Rng& rng) { return fnv1a64(zipf_.next(rng)) % zipf_.items(); }

 private:
  ZipfianGenerator zipf_;
};

// Chooses one of `items` records as the params `distribution` and `zipf_theta` say.
class RecordChooser {
 public:
  RecordChooser(const ParamSet& params, std::uint64_t items) : items_(items) {
    if (items == 0) throw std::invalid_argument("no record to choose from");
    const std::string& distribution = params.text("distribution");
    if (distribution == "zipfian") {
      zipfian_.emplace(items, params.real("zipf_theta"));
    } else if (distribution != "uniform") {
      throw std::invalid_argument("unknown distribution: " + distribution);
    }
  }

  std::uint64_t next(Rng& rng) { return zipfian_ ? zipfian_->next(rng) : rng.below(items_); }

 private:
  std::uint64_t items_;
  std::optional<ScrambledZipfianGenerator> zipfian_;
};

}  // namespace daxbench
