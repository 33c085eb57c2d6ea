// The repetition runner. Each writer thread owns its Writer, Workload and histograms; they
// meet only at two barriers (after warm-up, and at the end) so measurement never contends.
#include "bench/run/runner.h"

#include <unistd.h>

#include <barrier>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench/base/background.h"
#include "bench/base/latency_sampler.h"
#include "bench/base/syscall_error.h"
#include "bench/base/tsc.h"
#include "bench/counters/counter_table.h"
#include "bench/counters/event_set.h"
#include "bench/counters/observed.h"
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

// State shared by the steps of one repetition.
struct Repetition {
  Repetition(const CaseSpec& s, Target& t) : spec(s), target(t), params(s.params), prepared(t) {}
  const CaseSpec& spec;
  Target& target;
  const ParamSet& params;
  RepetitionResult result;
  const FlushOps* flush = nullptr;
  unsigned threads = 0;
  std::uint64_t serial = 0;  // names the repetition's files
  // Declared before the files so it outlives them: unmapping needs the mode.
  std::unique_ptr<Mode> mode;
  CaseFiles prepared;
  std::vector<std::unique_ptr<Writer>> writers;
  std::vector<std::unique_ptr<Workload>> generators;

  // Ends the repetition as `status` for `reason`; false, for the step to return.
  bool end(Status status, std::string reason) {
    result.status = status;
    result.reason = std::move(reason);
    return false;
  }
};

// False (the result says why) if the target or the flush cannot run the case at all.
bool supported(Repetition& r) {
  const ModeDesc& mode_desc = *r.spec.mode;
  const TargetFacts& facts = r.target.facts();
  if ((mode_desc.needs & kNeedsFilesystem) && facts.device)
    return r.end(Status::kUnsupported, facts.spec + " is a device with no filesystem; " +
                                           std::string(mode_desc.name) +
                                           " syncs or inspects a file");
  if (mode_desc.needs & kNeedsUserFlush) {
    std::string problem;
    r.flush = resolve_flush(r.spec.flush, problem);
    if (!r.flush) return r.end(Status::kUnsupported, "flush " + r.spec.flush + ": " + problem);
    r.result.flush = std::string(r.flush->name);
  }
  return true;
}

// The files and the mode mapping them; why not, if the mode cannot map one.
std::optional<std::string> prepare_files(Repetition& r, bool shared) {
  static std::atomic<std::uint64_t> file_serial{0};
  r.serial = file_serial.fetch_add(1);
  const std::uint64_t size = r.params.size("working_set");
  for (unsigned i = 0; i < (shared ? 1 : r.threads); ++i) {
    r.prepared.files.push_back(r.target.create_file(
        "case" + std::to_string(r.serial) + "-file" + std::to_string(i) + ".dat", size,
        r.params.text("file_state")));
  }
  r.mode = r.spec.mode->create({r.params, r.target.facts(), r.flush});
  r.prepared.mode = r.mode.get();
  for (MappedFile& f : r.prepared.files)
    if (auto why = r.mode->map(f)) return why;
  return std::nullopt;
}

// False (the result says why) if the files, the mode or the writers cannot be set up.
bool set_up(Repetition& r, const std::string& config_dir) {
  r.threads = static_cast<unsigned>(r.params.integer("threads"));
  const bool shared = r.params.text("files") == "shared";
  try {
    if (auto why = prepare_files(r, shared)) return r.end(Status::kUnsupported, *why);
    const WorkloadDesc& workload_desc = *r.spec.workload;
    const auto [sliced, view] = thread_view(workload_desc, r.params);
    for (unsigned t = 0; t < r.threads; ++t) {
      MappedFile& file = r.prepared.files[shared ? 0 : t];
      r.writers.push_back(r.mode->make_writer(file));
      r.generators.push_back(
          workload_desc.create({r.params, sliced ? t * view : 0, view, t, config_dir}));
    }
  } catch (const TargetError& e) {
    return r.end(Status::kUnsupported, e.what());
  } catch (const std::exception& e) {
    return r.end(Status::kFailed, std::string("setup: ") + e.what());
  }
  return true;
}

// What each thread's warm-up did, untimed: the auto sample rates come from it.
struct Warmup {
  std::uint64_t ops = 0, ticks = 0, commits = 0;
};

struct Measurement;
// Run by the last thread to finish its warm-up, before any starts its timed phase.
struct TimedStart {
  Measurement* m;
  void operator()() noexcept;
};

// What the writer threads share: the settings of the run and what each thread leaves.
struct Measurement {
  Measurement(Repetition& r, const std::atomic<bool>& stop_flag);
  Repetition& rep;
  const std::atomic<bool>& stop;
  const std::uint64_t ops_limit, warmup_ticks, duration_ticks;
  const bool finite;
  const std::int64_t sample_every;
  const std::uint64_t seed;
  std::vector<Warmup> warmup;
  SampleRates rates;
  std::vector<Histogram> op_latency;
  std::vector<std::uint64_t> thread_ops, thread_ticks;
  // Kernel counters: per-thread ones are opened by each writer before its warm-up and count
  // only its timed phase; system-wide ones run from the barrier until every writer is done.
  perf::CounterSet kernel_counters;
  // `lab: {model: true}`: the instructions the lab's model saw the guest execute, from the
  // barrier until every writer is done, marked just inside the kernel counters' span.
  std::unique_ptr<perf::ObservedCounts> observed;
  std::atomic<bool> abort{false};
  std::mutex error_mutex;
  std::string error;
  std::barrier<TimedStart> warmed_up;
  std::unique_ptr<MetadataLoad> background;

  bool should_stop() const {
    return stop.load(std::memory_order_relaxed) || abort.load(std::memory_order_relaxed);
  }
  // One rate for all threads, so their merged histograms weigh every operation alike.
  void choose_rates() {
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
  }
};

Measurement::Measurement(Repetition& r, const std::atomic<bool>& stop_flag)
    : rep(r),
      stop(stop_flag),
      ops_limit(static_cast<std::uint64_t>(r.params.integer("ops"))),
      warmup_ticks(tsc().from_ns(r.params.real("warmup_s") * 1e9)),
      duration_ticks(tsc().from_ns(r.params.real("duration_s") * 1e9)),
      finite(r.spec.workload->flags & kFinite),
      sample_every(r.params.integer("latency_sample_every")),
      seed(static_cast<std::uint64_t>(r.params.integer("seed"))),
      warmup(r.threads),
      rates{static_cast<std::uint64_t>(sample_every), static_cast<std::uint64_t>(sample_every)},
      op_latency(r.threads),
      thread_ops(r.threads, 0),
      thread_ticks(r.threads, 0),
      kernel_counters(r.spec.counters ? std::span<const perf::CounterDef>(r.spec.counters->defs)
                                      : perf::default_counter_set(),
                      r.threads),
      warmed_up(r.threads, TimedStart{this}) {
  if (r.params.text("background") == "metadata")
    background =
        std::make_unique<MetadataLoad>(r.target.scratch_file("case" + std::to_string(r.serial)));
  if (r.spec.observed) observed = std::make_unique<perf::ObservedCounts>();
}

void TimedStart::operator()() noexcept {
  m->choose_rates();
  m->rep.mode->start_timed();
  m->kernel_counters.start_system();
  if (m->observed) m->observed->start();
}

// The untimed warm-up of one thread.
Warmup warm_up(Measurement& m, Writer& w, Workload& wl) {
  std::uint64_t warmup_ops = 0, warmup_span = 0;
  if (!m.finite && m.warmup_ticks > 0) {
    const std::uint64_t begin = tsc_now();
    // The clock is read every kWarmupBatch operations, so the warm-up's mean, which sets
    // the auto sample rates, is not inflated by a clock read per operation.
    while (tsc_now() - begin < m.warmup_ticks && !m.should_stop()) {
      for (int i = 0; i < kWarmupBatch; ++i) wl.op(w);
      warmup_ops += kWarmupBatch;
    }
    // Run on to the workload's own next commit, so the timed phase starts on a commit
    // boundary with its commit_every count at zero, as it would from a cold start. The
    // bound covers a trace that never commits.
    for (int extra = 0; w.has_uncommitted() && extra < kWarmupTailLimit && !m.should_stop();
         ++extra) {
      wl.op(w);
      ++warmup_ops;
    }
    if (w.has_uncommitted()) w.commit();
    warmup_span = tsc_now() - begin;
  }
  return {warmup_ops, warmup_span, w.counters().commits};
}

// The timed phase of thread t, after the barrier: its operations, some of them timed.
void timed_phase(Measurement& m, unsigned t, Writer& w, Workload& wl) {
  LatencySampler op_sampler(m.rates.op, m.seed, 2 * t);
  w.reset_measurements(LatencySampler(m.rates.commit, m.seed, 2 * t + 1));
  m.kernel_counters.start_thread(t);
  Histogram& latency = m.op_latency[t];
  // The clock is read for the duration and Ctrl-C checks every `check_every` operations
  // only, never less often than operations are timed (then the read is free).
  const std::uint64_t check_every = std::min<std::uint64_t>(m.rates.op, kCheckEveryMax);
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
      if ((!m.ops_limit && now - begin >= m.duration_ticks) || m.should_stop()) break;
    }
    if (m.ops_limit && ops >= m.ops_limit) break;
  }
  // Everything stored in the timed phase is committed inside it.
  if (w.has_uncommitted()) w.commit();
  m.thread_ticks[t] = tsc_now() - begin;
  m.kernel_counters.stop_thread(t);
  m.thread_ops[t] = ops;
}

// One writer thread: warm-up, barrier, timed phase. The first error stops every thread.
void run_thread(Measurement& m, unsigned t) {
  Writer& w = *m.rep.writers[t];
  Workload& wl = *m.rep.generators[t];
  bool arrived = false;
  try {
    m.kernel_counters.open_thread(t);
    m.warmup[t] = warm_up(m, w, wl);
    arrived = true;
    m.warmed_up.arrive_and_wait();
    timed_phase(m, t, w, wl);
  } catch (const std::exception& e) {
    {
      std::lock_guard lock(m.error_mutex);
      if (m.error.empty()) m.error = e.what();
    }
    m.abort.store(true);
    if (!arrived) m.warmed_up.arrive_and_drop();
  }
}

// Runs the threads to the end; false (the result says why) if one failed or a signal came.
bool run_threads(Measurement& m) {
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < m.rep.threads; ++t) pool.emplace_back(run_thread, std::ref(m), t);
  for (std::thread& th : pool) th.join();
  if (m.observed) m.observed->stop();
  m.kernel_counters.stop_system();
  if (m.background) m.background->stop();
  if (!m.error.empty()) return m.rep.end(Status::kFailed, m.error);
  if (m.stop.load()) return m.rep.end(Status::kInterrupted, "stopped by signal");
  return true;
}

// The threads' operations, latencies and counters merged into the result.
void add_totals(Measurement& m) {
  RepetitionResult& result = m.rep.result;
  InternalCounters counters;
  for (unsigned t = 0; t < m.rep.threads; ++t) {
    Writer& w = *m.rep.writers[t];
    result.ops += m.thread_ops[t];
    result.op_latency.merge(m.op_latency[t]);
    result.commit_latency.merge(w.commit_latency());
    counters += w.counters();
    // Combine per-thread digests in thread order, so the result does not depend on timing.
    result.op_digest = result.op_digest * 0x100000001b3ull ^ w.op_digest();
    result.duration_ns = std::max(result.duration_ns, tsc().to_ns(m.thread_ticks[t]));
  }
  result.commits = counters.commits;
  result.sample_rates = m.rates;
  result.ops_per_sec = result.duration_ns ? static_cast<double>(result.ops) * 1e9 /
                                                static_cast<double>(result.duration_ns)
                                          : 0;
  add_counter_metrics(counters, result.ops, result.metrics);
  m.kernel_counters.add_metrics(result.ops, result.metrics);
  if (m.observed) m.observed->add_metrics(result.ops, result.metrics);
}

// The background load's and the mode's metrics, and the mode's seal; false if one failed.
bool add_mode_metrics(Measurement& m) {
  RepetitionResult& result = m.rep.result;
  if (m.background) {
    if (!m.background->error().empty()) return m.rep.end(Status::kFailed, m.background->error());
    result.metrics.add({"background_ops", static_cast<double>(m.background->operations()),
                        std::nullopt, "count", Better::kNeither, "ok",
                        "create/write/fsync/unlink cycles of the background load",
                        Scope::kBackground});
  }
  try {
    m.rep.mode->add_metrics(result.metrics, result.ops);
  } catch (const std::exception& e) {
    return m.rep.end(Status::kFailed, e.what());
  }
  // A mode that proves its promise after the run (sealed-extent: the block map is unchanged)
  // names the metric; a broken seal makes the repetition not durable.
  const ModeDesc& mode_desc = *m.rep.spec.mode;
  if (const Metric* seal =
          mode_desc.seal_metric.empty() ? nullptr : result.metrics.find(mode_desc.seal_metric)) {
    result.extent_map_unchanged = seal->value == 1.0;
    if (!*result.extent_map_unchanged) {
      result.durable = false;
      result.durable_reason = mode_desc.seal_broken;
    }
  }
  return true;
}

// Supported check, set-up, the threads and the totals; the result says how far it got.
void run_steps(Repetition& r, const std::string& config_dir, const std::atomic<bool>& stop) {
  if (!supported(r) || !set_up(r, config_dir)) return;
  Measurement m(r, stop);
  if (!run_threads(m)) return;
  add_totals(m);
  if (add_mode_metrics(m)) r.writers.clear();
}

// What was done to prepare the files, however the repetition ended: an unsupported mapping
// keeps the file it could not map; no file made, no preparation.
void keep_preparation(Repetition& r) {
  if (r.prepared.files.empty()) return;
  r.result.preparation.emplace();
  for (const MappedFile& f : r.prepared.files) r.result.preparation->push_back(f.preparation);
}

}  // namespace

RepetitionResult run_repetition(const CaseSpec& spec, Target& target, const std::string& config_dir,
                                const std::atomic<bool>& stop) {
  Repetition r(spec, target);
  r.result.durable = is_durable(*spec.mode, target.facts(), &r.result.durable_reason);
  r.result.emulated = target.facts().emulated;
  run_steps(r, config_dir, stop);
  keep_preparation(r);
  return std::move(r.result);
}

}  // namespace daxbench
