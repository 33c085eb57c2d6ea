// TSC calibration against CLOCK_MONOTONIC.
#include "bench/base/tsc.h"

#include <time.h>

#include <algorithm>
#include <array>

namespace daxbench {
namespace {

std::uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

TscCalibration calibrate() {
  constexpr std::uint64_t kWindowNs = 20'000'000;
  std::array<double, 3> ratios{};
  const std::uint64_t begin = monotonic_ns();
  for (double& ratio : ratios) {
    const std::uint64_t t0 = monotonic_ns();
    const std::uint64_t c0 = tsc_now();
    std::uint64_t t1 = t0;
    while (t1 - t0 < kWindowNs) t1 = monotonic_ns();
    const std::uint64_t c1 = tsc_now();
    ratio = static_cast<double>(c1 - c0) / static_cast<double>(t1 - t0);
  }
  std::sort(ratios.begin(), ratios.end());
  return {ratios[1], static_cast<double>(monotonic_ns() - begin) / 1e6};
}

}  // namespace

const TscCalibration& tsc() {
  static const TscCalibration calibration = calibrate();
  return calibration;
}

}  // namespace daxbench
