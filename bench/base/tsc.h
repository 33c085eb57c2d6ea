// Time-stamp-counter timing: rdtscp to read, calibrated once against CLOCK_MONOTONIC.
#pragma once

#include <x86intrin.h>

#include <cstdint>

namespace daxbench {

// rdtscp waits for earlier instructions to finish, so a timed operation cannot leak past it.
inline std::uint64_t tsc_now() {
  unsigned aux;
  return __rdtscp(&aux);
}

struct TscCalibration {
  double ticks_per_ns = 0;
  double calibration_ms = 0;  // wall time the calibration took
  std::uint64_t to_ns(std::uint64_t ticks) const {
    return static_cast<std::uint64_t>(static_cast<double>(ticks) / ticks_per_ns + 0.5);
  }
  std::uint64_t from_ns(double ns) const { return static_cast<std::uint64_t>(ns * ticks_per_ns); }
};

// Measured on first use (~60 ms): the median ratio of three 20 ms windows.
const TscCalibration& tsc();

}  // namespace daxbench
