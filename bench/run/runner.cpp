// The repetition runner. Each writer thread owns its Writer, Workload and histograms; they
// meet only at two barriers (after warm-up, and at the end) so measurement never contends.
#include "bench/run/runner.h"

#include <unistd.h>

#include <barrier>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "bench/base/background.h"
#include "bench/base/latency_sampler.h"
#include "bench/base/syscall_error.h"
#include "bench/base/tsc.h"
#include "bench/counters/counter_table.h"
#include "bench/counters/event_set.h"
#include "bench/io/file_prep.h"
#include "bench/modes/mode.h"
#include "workloads/workload.h"

namespace daxbench {
namespace {

constexpr int kWarmupTailLimit = 1'000'000;
// At most this many untimed operations between two looks at the clock and at Ctrl-C: a few
// hundred nanoseconds of overshoot for the fastest operations.
constexpr std::uint64_t kCheckEveryMax = 64;
constexpr int kWarmupBatch = 8;

// Files of one repetition; unmaps and releases them however the repetition ends.
struct CaseFiles {
  explicit CaseFiles(Target& t) : target(t) {}
  Target& target;
  std::vector<MappedFile> files;
  Mode* mode = nullptr;
  ~CaseFiles() {
    for (MappedFile& f : files) {
      if (mode && f.base) mode->unmap(f);
      target.release_file(f);
    }
  }
};

}  // namespace

RepetitionResult run_repetition(const CaseSpec& spec, Target& target, const std::string& config_dir,
                                const std::atomic<bool>& stop) {
  RepetitionResult result;
  const ParamSet& params = spec.params;
  const ModeDesc& mode_desc = *spec.mode;
  const WorkloadDesc& workload_desc = *spec.workload;
  result.durable = is_durable(mode_desc, target.facts(), &result.durable_why);
  result.emulated = target.facts().emulated;

  if ((mode_desc.needs & kNeedsFilesystem) && target.facts().device) {
    result.status = "unsupported";
    result.reason = target.facts().spec + " is a device with no filesystem; " +
                    std::string(mode_desc.name) + " syncs or inspects a file";
    return result;
  }
  const FlushOps* flush = nullptr;
  if (mode_desc.needs & kNeedsUserFlush) {
    std::string problem;
    flush = resolve_flush(spec.flush, problem);
    if (!flush) {
      result.status = "unsupported";
      result.reason = "flush " + spec.flush + ": " + problem;
      return result;
    }
    result.flush = std::string(flush->name);
  }

  const auto threads = static_cast<unsigned>(params.integer("threads"));
  const bool shared = params.text("files") == "shared";
  const std::uint64_t size = params.size("working_set");
  static std::atomic<std::uint64_t> file_serial{0};
  const std::uint64_t serial = file_serial.fetch_add(1);

  // Declared before the files so it outlives them: unmapping needs the mode.
  std::unique_ptr<Mode> mode;
  CaseFiles prepared(target);
  std::vector<std::unique_ptr<Writer>> writers;
  std::vector<std::unique_ptr<Workload>> generators;
  try {
    for (unsigned i = 0; i < (shared ? 1 : threads); ++i) {
      prepared.files.push_back(
          target.create_file("case" + std::to_string(serial) + "-file" + std::to_string(i) + ".dat",
                             size, params.text("file_state")));
    }
    mode = mode_desc.create({params, target.facts(), flush});
    prepared.mode = mode.get();
    for (MappedFile& f : prepared.files) {
      if (auto why = mode->map(f)) {
        result.status = "unsupported";
        result.reason = *why;
        return result;
      }
    }
    const auto [sliced, view] = thread_view(workload_desc, params);
    for (unsigned t = 0; t < threads; ++t) {
      MappedFile& file = prepared.files[shared ? 0 : t];
      writers.push_back(mode->make_writer(file));
      generators.push_back(
          workload_desc.create({params, sliced ? t * view : 0, view, t, config_dir}));
    }
  } catch (const TargetError& e) {
    result.status = "unsupported";
    result.reason = e.what();
    return result;
  } catch (const std::exception& e) {
    result.status = "failed";
    result.reason = std::string("setup: ") + e.what();
    return result;
  }

  const double warmup_s = params.real("warmup_s");
  const std::uint64_t ops_limit = static_cast<std::uint64_t>(params.integer("ops"));
  const std::uint64_t warmup_ticks = tsc().from_ns(warmup_s * 1e9);
  const std::uint64_t duration_ticks = tsc().from_ns(params.real("duration_s") * 1e9);
  const bool finite = workload_desc.flags & kFinite;

  const std::int64_t sample_every = params.integer("latency_sample_every");
  const auto seed = static_cast<std::uint64_t>(params.integer("seed"));
  // What each thread's warm-up did, untimed: the auto sample rates come from it.
  struct Warmup {
    std::uint64_t ops = 0, ticks = 0, commits = 0;
  };
  std::vector<Warmup> warmup(threads);
  SampleRates rates{static_cast<std::uint64_t>(sample_every),
                    static_cast<std::uint64_t>(sample_every)};
  std::vector<Histogram> op_latency(threads);
  std::vector<std::uint64_t> thread_ops(threads, 0), thread_ticks(threads, 0);
  // Kernel counters: per-thread ones are opened by each writer before its warm-up and count
  // only its timed phase; system-wide ones run from the barrier until every writer is done.
  perf::CounterSet kernel_counters(spec.counters
                                       ? std::span<const perf::CounterDef>(spec.counters->defs)
                                       : perf::default_counter_set(),
                                   threads);
  std::atomic<bool> abort{false};
  std::mutex error_mutex;
  std::string error;
  auto should_stop = [&] {
    return stop.load(std::memory_order_relaxed) || abort.load(std::memory_order_relaxed);
  };
  // One rate for all threads, so their merged histograms weigh every operation alike.
  auto choose_rates = [&] {
    if (sample_every != 0) return;
    Warmup all;
    for (const Warmup& w : warmup) {
      all.ops += w.ops;
      all.ticks += w.ticks;
      all.commits += w.commits;
    }
    // With no warm-up there is nothing to go on, and every event is timed.
    rates = all.ops
                ? choose_sample_rates(double(all.ticks) / double(all.ops),
                                      double(all.commits) / double(all.ops), timing_cost_ticks())
                : SampleRates{};
  };
  std::barrier warmed_up(threads, [&]() noexcept {
    choose_rates();
    mode->start_timed();
    kernel_counters.start_system();
  });

  std::unique_ptr<MetadataLoad> background;
  if (params.text("background") == "metadata")
    background =
        std::make_unique<MetadataLoad>(target.scratch_file("case" + std::to_string(serial)));

  auto worker = [&](unsigned t) {
    Writer& w = *writers[t];
    Workload& wl = *generators[t];
    bool arrived = false;
    try {
      kernel_counters.open_thread(t);
      std::uint64_t warmup_ops = 0, warmup_span = 0;
      if (!finite && warmup_ticks > 0) {
        const std::uint64_t begin = tsc_now();
        // The clock is read every kWarmupBatch operations, so the warm-up's mean, which sets
        // the auto sample rates, is not inflated by a clock read per operation.
        while (tsc_now() - begin < warmup_ticks && !should_stop()) {
          for (int i = 0; i < kWarmupBatch; ++i) wl.op(w);
          warmup_ops += kWarmupBatch;
        }
        // Run on to the workload's own next commit, so the timed phase starts on a commit
        // boundary with its commit_every count at zero, as it would from a cold start. The
        // bound covers a trace that never commits.
        for (int extra = 0; w.has_uncommitted() && extra < kWarmupTailLimit && !should_stop();
             ++extra) {
          wl.op(w);
          ++warmup_ops;
        }
        if (w.has_uncommitted()) w.commit();
        warmup_span = tsc_now() - begin;
      }
      warmup[t] = {warmup_ops, warmup_span, w.counters().commits};
      arrived = true;
      warmed_up.arrive_and_wait();
      LatencySampler op_sampler(rates.op, seed, 2 * t);
      w.reset_measurements(LatencySampler(rates.commit, seed, 2 * t + 1));
      kernel_counters.start_thread(t);
      Histogram& latency = op_latency[t];
      // The clock is read for the duration and Ctrl-C checks every `check_every` operations
      // only, never less often than operations are timed (then the read is free).
      const std::uint64_t check_every = std::min<std::uint64_t>(rates.op, kCheckEveryMax);
      std::uint64_t ops = 0, until_check = check_every;
      const std::uint64_t begin = tsc_now();
      for (;;) {
        const bool timed = op_sampler.take();
        const std::uint64_t t0 = timed ? tsc_now() : 0;
        if (!wl.op(w)) break;
        std::uint64_t now = 0;
        if (timed) {
          now = tsc_now();
          latency.add(now - t0);
        }
        ++ops;
        if (--until_check == 0) {
          until_check = check_every;
          if (!timed) now = tsc_now();
          if ((!ops_limit && now - begin >= duration_ticks) || should_stop()) break;
        }
        if (ops_limit && ops >= ops_limit) break;
      }
      // Everything stored in the timed phase is committed inside it.
      if (w.has_uncommitted()) w.commit();
      thread_ticks[t] = tsc_now() - begin;
      kernel_counters.stop_thread(t);
      thread_ops[t] = ops;
    } catch (const std::exception& e) {
      {
        std::lock_guard lock(error_mutex);
        if (error.empty()) error = e.what();
      }
      abort.store(true);
      if (!arrived) warmed_up.arrive_and_drop();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  for (std::thread& th : pool) th.join();
  kernel_counters.stop_system();
  if (background) background->stop();

  if (!error.empty()) {
    result.status = "failed";
    result.reason = error;
    return result;
  }
  if (stop.load()) {
    result.status = "interrupted";
    result.reason = "stopped by signal";
    return result;
  }

  InternalCounters counters;
  for (unsigned t = 0; t < threads; ++t) {
    result.ops += thread_ops[t];
    result.op_latency.merge(op_latency[t]);
    result.commit_latency.merge(writers[t]->commit_latency());
    counters += writers[t]->counters();
    // Combine per-thread digests in thread order, so the result does not depend on timing.
    result.op_digest = result.op_digest * 0x100000001b3ull ^ writers[t]->op_digest();
    result.duration_ns = std::max(result.duration_ns, tsc().to_ns(thread_ticks[t]));
  }
  result.commits = counters.commits;
  result.sample_rates = rates;
  result.ops_per_sec = result.duration_ns ? static_cast<double>(result.ops) * 1e9 /
                                                static_cast<double>(result.duration_ns)
                                          : 0;
  add_counter_metrics(counters, result.ops, result.metrics);
  kernel_counters.add_metrics(result.ops, result.metrics);
  if (background) {
    if (!background->error().empty()) {
      result.status = "failed";
      result.reason = background->error();
      return result;
    }
    result.metrics.add({"background_ops", static_cast<double>(background->operations()),
                        std::nullopt, "count", Better::kNeither, "ok",
                        "create/write/fsync/unlink cycles of the background load",
                        Scope::kBackground});
  }
  try {
    mode->add_metrics(result.metrics, result.ops);
  } catch (const std::exception& e) {
    result.status = "failed";
    result.reason = e.what();
    return result;
  }
  // A mode that proves its promise after the run (sealed-extent: the block map is unchanged)
  // names the metric; a broken seal makes the repetition not durable.
  if (const Metric* seal =
          mode_desc.seal_metric.empty() ? nullptr : result.metrics.find(mode_desc.seal_metric)) {
    result.extent_map_unchanged = seal->value == 1.0;
    if (!*result.extent_map_unchanged) {
      result.durable = false;
      result.durable_why = mode_desc.seal_broken;
    }
  }
  writers.clear();
  return result;
}

}  // namespace daxbench
