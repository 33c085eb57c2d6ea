// What the workload tests share: parameters filled as the config loader fills them, a
// workload run against a Writer that records every store and commit, and temp files.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/base/params.h"
#include "bench/config/common_params.h"
#include "test_support.h"
#include "workloads/workload.h"
#include "workloads/zipf.h"

namespace daxbench::workload_testing {

using testing::Event;
using testing::RecordingWriter;

namespace fs = std::filesystem;

inline const WorkloadDesc& workload(std::string_view name) {
  const WorkloadDesc* desc = find_workload(name);
  if (!desc) throw std::runtime_error("workload not registered: " + std::string(name));
  return *desc;
}

// Every common and workload parameter at its default, then `overrides`, all through
// parse_param() as the config loader would; an unknown or invalid override throws.
inline ParamSet make_params(const WorkloadDesc& desc,
                            const std::map<std::string, std::string>& overrides = {}) {
  ParamSet params;
  std::set<std::string> used;
  const auto fill = [&](std::span<const ParamSpec> specs) {
    for (const ParamSpec& spec : specs) {
      const std::string name(spec.name);
      std::string raw(spec.default_value);
      if (auto it = overrides.find(name); it != overrides.end()) {
        raw = it->second;
        used.insert(name);
      }
      if (raw.empty()) continue;  // required and not given
      ParamValue value;
      if (auto problem = parse_param(spec, raw, value))
        throw std::invalid_argument(name + ": " + *problem);
      params.set(spec.name, value);
    }
  };
  fill(common_params());
  fill(desc.params);
  for (const auto& [name, raw] : overrides)
    if (!used.contains(name)) throw std::invalid_argument("not a parameter: " + name);
  return params;
}

struct View {
  std::uint64_t offset;
  std::uint64_t length;
};

inline std::unique_ptr<Workload> create(const WorkloadDesc& desc, const ParamSet& params, View view,
                                        unsigned thread = 0, std::string config_dir = "") {
  return desc.create(WorkloadSetup{params, view.offset, view.length, thread, config_dir});
}

// Runs `ops` operations of a workload over a file of `file_size` bytes.
inline std::vector<Event> run(const WorkloadDesc& desc, const ParamSet& params,
                              std::uint64_t file_size, View view, int ops, unsigned thread = 0) {
  RecordingWriter writer(file_size);
  auto workload = create(desc, params, view, thread);
  for (int i = 0; i < ops; ++i) EXPECT_TRUE(workload->op(writer));
  return writer.events();
}

inline fs::path source_dir() {
#ifdef DAXBENCH_SOURCE_DIR
  return DAXBENCH_SOURCE_DIR;
#else
  // Built by hand: __FILE__ is tests/unit/workloads_test.cpp under the source directory.
  return fs::path(__FILE__).parent_path().parent_path().parent_path();
#endif
}

// A file in a fresh directory under the test temporary directory.
inline fs::path write_temp_file(const std::string& name, const std::string& text) {
  const fs::path dir = fs::path(::testing::TempDir()) / "daxbench_workloads_test";
  fs::create_directories(dir);
  const fs::path path = dir / name;
  std::ofstream(path) << text;
  return path;
}

// Share of all updates that land on the `top` most updated records.
inline double hottest_share(const std::vector<Event>& events, std::size_t top) {
  std::map<std::uint64_t, int> per_offset;
  int total = 0;
  for (const Event& e : events)
    if (!e.commit) ++per_offset[e.offset], ++total;
  std::vector<int> counts;
  for (const auto& [offset, count] : per_offset) counts.push_back(count);
  std::sort(counts.rbegin(), counts.rend());
  counts.resize(std::min(top, counts.size()));
  int hot = 0;
  for (int c : counts) hot += c;
  return static_cast<double>(hot) / total;
}

}  // namespace daxbench::workload_testing
