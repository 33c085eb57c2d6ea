// Flush and fence costs per primitive: store + flush + fence by size, fence interval, dirty or
// clean lines, sequential or random placement, on a file mapping and on DRAM; SFENCE alone;
// a flush of a line never written; and where non-temporal stores overtake store + CLWB.
#include <emmintrin.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "bench/base/rng.h"
#include "bench/base/tsc.h"
#include "bench/flush/flush.h"
#include "bench/micro/micro.h"

namespace daxbench::micro {
namespace {

constexpr std::uint64_t kRegionSize = 32ull << 20;  // beyond L2; placement matters
constexpr std::uint64_t kMaxSize = 64ull << 10;

struct FlushCase {
  const FlushOps* ops;
  std::uint64_t size;
  std::uint64_t fence_every;  // lines
  bool dirty;
  bool random;
  Memory memory;
};

// Empty when the primitive can run here; otherwise the reason for SkipWithError.
std::string unsupported(const FlushOps& ops) {
  return ops.available() ? "" : "unsupported: the CPU lacks " + std::string(ops.name) + " (CPUID)";
}

const std::byte* payload() {
  static const std::vector<std::byte> bytes = [] {
    std::vector<std::byte> b(kMaxSize);
    Rng rng(1, 0);
    for (auto& x : b) x = static_cast<std::byte>(rng.next());
    return b;
  }();
  return bytes.data();
}

struct RunCounts {
  std::uint64_t flushed = 0;
  std::uint64_t nt_stored = 0;
};

// One run of lines stored (if dirty) and written back as a Writer would with this primitive:
// a primitive with its own copy (FlushOps::copy: ntstore, libpmem) stores and writes back in
// one step; `none` (writes_back false) flushes nothing. Detected with `requires`, so this
// file builds against a registry with or without those fields.
template <typename Ops>
RunCounts store_run(const Ops& ops, std::byte* dst, const std::byte* src, std::uint64_t len,
                    bool dirty) {
  if constexpr (requires { ops.copy; }) {
    if (ops.copy && dirty) {
      const auto done = ops.copy(dst, src, len);
      return {done.lines_flushed, done.lines_nt_stored};
    }
  }
  if (dirty) std::memcpy(dst, src, len);
  if constexpr (requires { ops.writes_back; }) {
    if (!ops.writes_back) return {};
  }
  return {ops.flush(dst, len), 0};  // the lines the primitive issued its instruction on
}

// Picks each operation's place: the next block, or a random block-aligned one.
class Placement {
 public:
  Placement(std::uint64_t region, std::uint64_t size, bool random)
      : blocks_(region / size), size_(size), random_(random), rng_(7, 0) {}
  std::uint64_t next() {
    const std::uint64_t block = random_ ? rng_.below(blocks_) : next_++ % blocks_;
    return block * size_;
  }

 private:
  std::uint64_t blocks_, size_;
  bool random_;
  Rng rng_;
  std::uint64_t next_ = 0;
};

void store_flush_fence(benchmark::State& state, FlushCase c) {
  if (const std::string why = unsupported(*c.ops); !why.empty())
    return state.SkipWithError(why.c_str());
  Region* r;
  try {
    r = &region(c.memory, "flush", kRegionSize);
  } catch (const std::exception& e) {
    return state.SkipWithError(e.what());
  }
  if (!c.dirty) {  // clean: every line written back before timing, and never stored again
    c.ops->flush(r->base, r->size);
    c.ops->drain();
  }
  state.SetLabel(std::string(c.ops->name) + " " + std::string(memory_name(c.memory)));
  Placement place(r->size, c.size, c.random);
  const std::uint64_t lines = c.size / kCacheLine;
  std::uint64_t since_fence = 0, fences = 0;
  RunCounts total;
  const std::byte* src = payload();
  const std::uint64_t begin = tsc_now();
  for (auto _ : state) {
    std::byte* p = r->base + place.next();
    // Store and flush in runs up to the next fence point: one call per run, not per line.
    for (std::uint64_t done = 0; done < lines;) {
      const std::uint64_t run = std::min(c.fence_every - since_fence, lines - done);
      const RunCounts n = store_run(*c.ops, p + done * kCacheLine, src + done * kCacheLine,
                                    run * kCacheLine, c.dirty);
      total.flushed += n.flushed;
      total.nt_stored += n.nt_stored;
      done += run;
      since_fence += run;
      if (since_fence == c.fence_every) {
        fences += c.ops->drain();
        since_fence = 0;
      }
    }
  }
  if (since_fence) {  // the last lines are ordered too, so every flush is paid for
    fences += c.ops->drain();
  }
  report(state, tsc_now() - begin, static_cast<double>(lines), total.flushed, fences);
  state.counters["lines_nt_stored"] =
      benchmark::Counter(static_cast<double>(total.nt_stored), benchmark::Counter::kAvgIterations);
}

void sfence_alone(benchmark::State& state) {
  state.SetLabel("sfence");
  std::uint64_t fences = 0;
  const std::uint64_t begin = tsc_now();
  for (auto _ : state) {
    _mm_sfence();
    ++fences;
  }
  report(state, tsc_now() - begin, 0, 0, fences);
}

// A line no store ever reached (the pages were only read): what a flush of it costs.
void flush_unwritten(benchmark::State& state, const FlushOps* ops, Memory memory) {
  if (const std::string why = unsupported(*ops); !why.empty())
    return state.SkipWithError(why.c_str());
  Region* r;
  try {
    r = &region(memory, "unwritten", kRegionSize, false);
  } catch (const std::exception& e) {
    return state.SkipWithError(e.what());
  }
  state.SetLabel(std::string(ops->name) + " " + std::string(memory_name(memory)));
  std::uint64_t at = 0, flushed = 0, fences = 0;
  const std::uint64_t begin = tsc_now();
  for (auto _ : state) {
    flushed += store_run(*ops, r->base + at, nullptr, kCacheLine, false).flushed;
    fences += ops->drain();
    at = (at + kCacheLine) % r->size;
  }
  report(state, tsc_now() - begin, 1, flushed, fences);
}

// Our own non-temporal copy (SSE2 streaming stores), used when no `ntstore` primitive is
// registered. dst is line-aligned and len a multiple of 64.
void nt_copy(std::byte* dst, const std::byte* src, std::uint64_t len) {
  for (std::uint64_t i = 0; i < len; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i), v);
  }
}

// Non-temporal stores + SFENCE against store + CLWB + SFENCE, one fence per operation.
void crossover(benchmark::State& state, bool non_temporal, std::uint64_t size, Memory memory) {
  const FlushOps* clwb = find_flush("clwb");
  const FlushOps* nt = find_flush("ntstore");
  const FlushOps* used = non_temporal ? nt : clwb;  // null: our own NT copy
  if (used) {
    if (const std::string why = unsupported(*used); !why.empty())
      return state.SkipWithError(why.c_str());
  } else if (!non_temporal) {
    return state.SkipWithError("unsupported: no clwb primitive registered");
  }
  Region* r;
  try {
    r = &region(memory, "flush", kRegionSize);
  } catch (const std::exception& e) {
    return state.SkipWithError(e.what());
  }
  state.SetLabel(
      std::string(non_temporal ? (nt ? "ntstore (registry)" : "nt-sse2 (own)") : "clwb") + " " +
      std::string(memory_name(memory)));
  Placement place(r->size, size, false);
  const std::uint64_t lines = size / kCacheLine;
  std::uint64_t fences = 0;
  RunCounts total;
  const std::byte* src = payload();
  const std::uint64_t begin = tsc_now();
  for (auto _ : state) {
    std::byte* p = r->base + place.next();
    if (used) {
      const RunCounts n = store_run(*used, p, src, size, true);
      total.flushed += n.flushed;
      total.nt_stored += n.nt_stored;
      fences += used->drain();
    } else {
      nt_copy(p, src, size);
      _mm_sfence();
      total.nt_stored += lines;
      ++fences;
    }
  }
  report(state, tsc_now() - begin, static_cast<double>(lines), total.flushed, fences);
  state.counters["lines_nt_stored"] =
      benchmark::Counter(static_cast<double>(total.nt_stored), benchmark::Counter::kAvgIterations);
}

}  // namespace

void register_flush_benchmarks(const Options& options) {
  const bool quick = options.quick();
  const std::vector<std::uint64_t> sizes =
      quick ? std::vector<std::uint64_t>{64, 4096}
            : std::vector<std::uint64_t>{64, 256, 1024, 4096, 16384, 65536};
  // 16 and 1024 lines per fence: a commit of 16 records of 64 B or of 4 KiB, the fence
  // intervals cost attribution matches random-update's and log-append's commit_every 16 with.
  const std::vector<std::uint64_t> intervals = quick
                                                   ? std::vector<std::uint64_t>{1, 16, 64, 1024}
                                                   : std::vector<std::uint64_t>{1, 8, 16, 64, 1024};
  const std::vector<Memory> memories = quick ? std::vector<Memory>{Memory::kFile}
                                             : std::vector<Memory>{Memory::kFile, Memory::kDram};
  for (const FlushOps* ops : flush_primitives())
    for (Memory memory : memories)
      for (std::uint64_t size : sizes)
        for (std::uint64_t every : intervals)
          for (bool dirty : {true, false})
            for (bool random : {false, true}) {
              if (quick && !dirty) continue;
              const std::string name =
                  "flush/" + std::string(ops->name) + "/size:" + std::to_string(size) +
                  "/fence_every:" + std::to_string(every) + "/" + (dirty ? "dirty" : "clean") +
                  "/" + (random ? "rand" : "seq") + "/memory:" + std::string(memory_name(memory));
              benchmark::RegisterBenchmark(name.c_str(), store_flush_fence,
                                           FlushCase{ops, size, every, dirty, random, memory});
            }
  benchmark::RegisterBenchmark("sfence", sfence_alone);
  for (const FlushOps* ops : flush_primitives())
    for (Memory memory : memories)
      benchmark::RegisterBenchmark(("flush_unwritten/" + std::string(ops->name) +
                                    "/memory:" + std::string(memory_name(memory)))
                                       .c_str(),
                                   flush_unwritten, ops, memory);
  if (quick) return;
  for (Memory memory : memories)
    for (std::uint64_t size = 64; size <= kMaxSize; size *= 2)
      for (bool nt : {false, true})
        benchmark::RegisterBenchmark(
            ("nt_vs_clwb/" + std::string(nt ? "nt" : "clwb") + "/size:" + std::to_string(size) +
             "/memory:" + std::string(memory_name(memory)))
                .c_str(),
            crossover, nt, size, memory);
}

}  // namespace daxbench::micro
