// What the kernel-counter tests share: one case from a config line, a metric looked up in
// a record, and the skips for a machine without tracefs or without permission.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench/base/syscall_error.h"
#include "bench/counters/event_set.h"
#include "bench/counters/perf_event.h"
#include "bench/counters/tracepoints.h"
#include "test_support.h"

namespace daxbench::counter_testing {

using testing::config_from;
using testing::counter;
using testing::run_once;

inline constexpr std::uint64_t kPages = 256;  // working_set 1M

#define SKIP_WITHOUT_TRACEFS()                                                              \
  do {                                                                                      \
    if (perf::tracefs().path.empty())                                                       \
      GTEST_SKIP() << "no tracefs, so no tracepoint counters: " << perf::tracefs().problem; \
  } while (false)

// Not root (or perf_event_paranoid too high): the counter is recorded unavailable, as it must
// be, and there is nothing to compare.
#define SKIP_IF_NOT_PERMITTED(metric)                          \
  do {                                                         \
    if ((metric).status.find("EACCES") != std::string::npos || \
        (metric).status.find("EPERM") != std::string::npos)    \
      GTEST_SKIP() << (metric).name << " " << (metric).status; \
  } while (false)

inline CaseSpec one_case(const std::string& fields) {
  const Config config = config_from("cases:\n  - {" + fields + ", repetitions: 1}\n");
  EXPECT_EQ(config.cases.size(), 1u);
  return config.cases.at(0);
}

inline const Metric& metric(const RepetitionResult& r, std::string_view name) {
  const Metric* m = r.metrics.find(name);
  if (!m) throw std::runtime_error("no metric " + std::string(name) + " in the record");
  return *m;
}

// The counter is in the record, ok, and equal to `expected`.
inline void expect_count(const RepetitionResult& r, std::string_view name, double expected) {
  const Metric& m = metric(r, name);
  EXPECT_EQ(m.status, "ok") << name;
  EXPECT_EQ(counter(r, name), expected) << name;
}

}  // namespace daxbench::counter_testing
