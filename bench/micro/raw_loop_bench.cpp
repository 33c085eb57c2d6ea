// Harness overhead: the raw loops of random-update (64 B records, commit_every 1, uniform)
// in modes none and sealed-extent with clwb, on a zeroed file of the driver's working set.
// The driver's ops/s divided by these is what the Writer/Workload/timing machinery leaves.
#include <memory>
#include <string>

#include "bench/base/histogram.h"
#include "bench/base/latency_sampler.h"
#include "bench/base/tsc.h"
#include "bench/io/writer.h"
#include "bench/micro/micro.h"
#include "bench/micro/raw_loop.h"
#include "bench/modes/mode.h"

namespace daxbench::micro {
namespace {

constexpr std::uint64_t kSeed = 1;  // quick.yaml's and sweep.yaml's seed

// The zeroed file all raw loops share, or null after telling Google Benchmark why not.
Region* raw_region(benchmark::State& state, std::uint64_t working_set) {
  try {
    return &region(Memory::kFile, "raw-" + std::to_string(working_set), working_set);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return nullptr;
  }
}

void raw_update(benchmark::State& state, bool sealed, std::uint64_t working_set) {
  const FlushOps* flush = sealed ? find_flush("clwb") : nullptr;
  if (sealed && (!flush || !flush->available()))
    return state.SkipWithError("unsupported: the CPU lacks clwb (CPUID)");
  Region* r = raw_region(state, working_set);
  if (!r) return;
  state.SetLabel(sealed ? "sealed-extent clwb file" : "none file");
  RawUpdateLoop loop(r->base, working_set, flush, kSeed);
  const std::uint64_t begin = tsc_now();
  for (auto _ : state) loop.op();
  report(state, tsc_now() - begin, 1, loop.lines_flushed, loop.fences);
}

// What the driver adds to the raw loop, piece by piece, to explain the ratio: timing every
// operation (two rdtscp + a histogram add: what latency sampling avoids), the Writer of the
// registered `none` mode itself (bounds check, digest, counters, virtual calls; its commits
// timed 1 in kMaxSampleEvery, as auto sampling does for this case), and plain stores to the
// loop's own bookkeeping. The last explains why the driver's overhead grows with the working
// set: each cache-missing store holds a store-buffer entry until its line arrives, so every
// extra store per operation, even to L1, leaves fewer entries for misses in flight.
enum Extra : unsigned { kOpTiming = 1, kWriter = 2 };

void harness_cost(benchmark::State& state, unsigned extra, std::uint64_t working_set) {
  Region* r = raw_region(state, working_set);
  if (!r) return;
  state.SetLabel("none file");
  MappedFile file;
  file.base = r->base;
  file.size = working_set;
  const ParamSet no_params;  // `none` has no parameters
  const TargetFacts no_facts;
  const std::unique_ptr<Mode> none = find_mode("none")->create({no_params, no_facts, nullptr});
  const std::unique_ptr<Writer> writer = none->make_writer(file);
  writer->reset_measurements(LatencySampler(kMaxSampleEvery, kSeed, 1));
  Rng rng(kSeed, 0);
  Payload payload(RawUpdateLoop::kRecord, rng);
  const std::uint64_t slots = working_set / RawUpdateLoop::kRecord;
  Histogram latency;
  const std::uint64_t begin = tsc_now();
  for (auto _ : state) {
    const std::uint64_t t0 = (extra & kOpTiming) ? tsc_now() : 0;
    const std::uint64_t offset = rng.below(slots) * RawUpdateLoop::kRecord;
    if (extra & kWriter) {
      writer->store(offset, payload.next(RawUpdateLoop::kRecord), RawUpdateLoop::kRecord);
      writer->commit();
    } else {
      std::memcpy(r->base + offset, payload.next(RawUpdateLoop::kRecord), RawUpdateLoop::kRecord);
    }
    if (extra & kOpTiming) latency.add(tsc_now() - t0);
  }
  benchmark::DoNotOptimize(latency.count());
  report(state, tsc_now() - begin, 1, 0, 0);
}

void extra_stores(benchmark::State& state, int stores, std::uint64_t working_set) {
  Region* r = raw_region(state, working_set);
  if (!r) return;
  state.SetLabel("none file");
  RawUpdateLoop loop(r->base, working_set, nullptr, kSeed);
  static volatile std::uint64_t bookkeeping[16];  // stands in for counters, RNG state, digest
  std::uint64_t n = 0;
  const std::uint64_t begin = tsc_now();
  for (auto _ : state) {
    loop.op();
    ++n;
    for (int i = 0; i < stores; ++i) bookkeeping[i] = n;
  }
  benchmark::DoNotOptimize(bookkeeping[0] + 0);
  report(state, tsc_now() - begin, 1, 0, 0);
}

void rdtscp_alone(benchmark::State& state) {
  std::uint64_t sum = 0;
  const std::uint64_t begin = tsc_now();
  for (auto _ : state) sum += tsc_now();
  benchmark::DoNotOptimize(sum);
  report(state, tsc_now() - begin, 0, 0, 0);
}

}  // namespace

void register_raw_loop_benchmarks(const Options& options) {
  const std::string suffix =
      "/record_size:64/commit_every:1/working_set:" + std::to_string(options.working_set);
  benchmark::RegisterBenchmark(("raw_loop/random-update/none" + suffix).c_str(), raw_update, false,
                               options.working_set);
  benchmark::RegisterBenchmark(("raw_loop/random-update/sealed-extent/flush:clwb" + suffix).c_str(),
                               raw_update, true, options.working_set);
  benchmark::RegisterBenchmark("harness_cost/rdtscp", rdtscp_alone);
  for (unsigned extra : {unsigned{kOpTiming}, unsigned{kWriter}})
    benchmark::RegisterBenchmark(
        ("harness_cost/none/" + std::string(extra & kOpTiming ? "+op_timing" : "+writer") + suffix)
            .c_str(),
        harness_cost, extra, options.working_set);
  for (int stores : {8, 16})
    benchmark::RegisterBenchmark(
        ("harness_cost/none/+stores:" + std::to_string(stores) + suffix).c_str(), extra_stores,
        stores, options.working_set);
}

}  // namespace daxbench::micro
