// The timed steps of preparing a case's file (allocation, zero-fill, fsync, a seal's FIEMAP
// reads): the one-time cost a record carries beside its per-operation figures.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace daxbench {

// One step: what it was, how long it took (CLOCK_MONOTONIC, ns) and the bytes it covered.
struct PrepStep {
  std::string name;
  std::uint64_t ns = 0;
  std::uint64_t bytes = 0;
  bool operator==(const PrepStep&) const = default;
};

using PrepSteps = std::vector<PrepStep>;

// Runs `call` and, if it returns (a throw records nothing: the step was not done), appends
// it to `steps` timed with steady_clock, which is CLOCK_MONOTONIC on Linux: independent of the
// TSC calibration, and a step lasts micro- to milliseconds, so its resolution is plenty.
template <class Call>
decltype(auto) timed_step(PrepSteps* steps, std::string name, std::uint64_t bytes, Call&& call) {
  const auto begin = std::chrono::steady_clock::now();
  auto append = [&] {
    if (!steps) return;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now() - begin)
                        .count();
    steps->push_back({std::move(name), static_cast<std::uint64_t>(ns), bytes});
  };
  if constexpr (std::is_void_v<decltype(call())>) {
    std::forward<Call>(call)();
    append();
  } else {
    decltype(auto) result = std::forward<Call>(call)();
    append();
    return result;
  }
}

}  // namespace daxbench
