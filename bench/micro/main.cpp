// daxbench-micro: the micro-benchmarks (Google Benchmark) that give the physical cost of a
// flush, a fence, a fault and a sync on this machine, and the raw loops that bound the driver.
// Our own flags (--target, --set, --working-set) are taken out before Google Benchmark's.
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/base/tsc.h"
#include "bench/flush/flush.h"
#include "bench/micro/micro.h"

namespace daxbench::micro {
namespace {

std::unique_ptr<Target> g_target;

void usage(std::ostream& out) {
  out << "usage: daxbench-micro [--target file:DIR|fsdax:DIR] [--set full|quick]\n"
         "                      [--working-set BYTES] [Google Benchmark flags]\n";
}

// Removes our flags from argv; returns false (and says why) on a bad one.
bool take_options(int& argc, char** argv, Options& options) {
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    std::string* into = nullptr;
    std::string working_set;
    std::string_view name;
    for (std::string_view flag : {"--target", "--set", "--working-set"}) {
      if (arg == flag ||
          (arg.starts_with(flag) && arg.size() > flag.size() && arg[flag.size()] == '='))
        name = flag;
    }
    if (name.empty()) {
      rest.push_back(argv[i]);
      continue;
    }
    into = name == "--target" ? &options.target_spec
           : name == "--set"  ? &options.set
                              : &working_set;
    if (arg.size() > name.size()) {
      *into = std::string(arg.substr(name.size() + 1));
    } else if (i + 1 < argc) {
      *into = argv[++i];
    } else {
      std::cerr << "daxbench-micro: " << name << " needs a value\n";
      return false;
    }
    if (name == "--working-set") {
      char* end = nullptr;
      options.working_set = std::strtoull(working_set.c_str(), &end, 10);
      if (!end || *end || options.working_set < 4096) {
        std::cerr << "daxbench-micro: --working-set: expected bytes (>= 4096), got '" << working_set
                  << "'\n";
        return false;
      }
    }
  }
  if (options.set != "full" && options.set != "quick") {
    std::cerr << "daxbench-micro: --set: unknown set '" << options.set << "'; valid: full, quick\n";
    return false;
  }
  argc = static_cast<int>(rest.size());
  for (int i = 0; i < argc; ++i) argv[i] = rest[i];
  argv[argc] = nullptr;
  return true;
}

}  // namespace

Target& target() {
  return *g_target;
}

}  // namespace daxbench::micro

int main(int argc, char** argv) {
  using namespace daxbench;
  micro::Options options;
  options.target_spec = "file:" + std::filesystem::temp_directory_path().string();
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h")
      micro::usage(std::cout);
  if (!micro::take_options(argc, argv, options)) {
    micro::usage(std::cerr);
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  try {
    micro::g_target = open_target(options.target_spec);
  } catch (const std::exception& e) {
    std::cerr << "daxbench-micro: " << e.what() << '\n';
    return 2;
  }
  const TargetFacts& facts = micro::target().facts();
  // Google Benchmark's own context says library_build_type (Debian's is a debug build); ours
  // says how the timed code was built, which is what the numbers depend on.
  benchmark::AddCustomContext("daxbench_build_type", DAXBENCH_BUILD_TYPE);
  benchmark::AddCustomContext("daxbench_set", options.set);
  benchmark::AddCustomContext("target", facts.spec);
  benchmark::AddCustomContext("target_filesystem", facts.filesystem);
  benchmark::AddCustomContext("target_dax", facts.dax ? "true" : "false");
  benchmark::AddCustomContext("target_map_sync", facts.map_sync);
  benchmark::AddCustomContext("tsc_ticks_per_ns", std::to_string(tsc().ticks_per_ns));
  std::string primitives;
  for (const FlushOps* ops : flush_primitives()) {
    if (!primitives.empty()) primitives += ',';
    primitives += ops->name;
    if (!ops->available()) primitives += "(unavailable)";
  }
  benchmark::AddCustomContext("flush_primitives", primitives);

  micro::register_flush_benchmarks(options);
  micro::register_fault_benchmarks(options);
  micro::register_syscall_benchmarks(options);
  micro::register_raw_loop_benchmarks(options);
  micro::register_unit_cost_benchmarks(options);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  micro::release_regions();
  micro::target().remove_scratch();
  return 0;
}
