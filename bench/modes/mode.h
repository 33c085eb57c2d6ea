// A durability mode: how a store becomes durable. Each mode is one file defining a ModeDesc
// (name, needs, durability, parameters, factory) and one line in modes.def.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "bench/base/fio_rows.h"
#include "bench/base/metric.h"
#include "bench/base/params.h"
#include "bench/io/writer.h"
#include "bench/targets/target.h"

namespace daxbench {

// What a mode needs from the case; checked before anything runs. Whether a filesystem accepts
// MAP_SYNC is not a declared need: map-sync asks the kernel, so the record carries its errno.
enum ModeNeeds : unsigned {
  kNeedsUserFlush = 1u << 0,   // flushes cache lines itself: needs an available flush primitive
  kNeedsFilesystem = 1u << 1,  // syncs, writes or inspects a file: device-DAX has none
};

// When a committed store is durable.
enum class Durability {
  kNever,      // a baseline or unsafe control: promises nothing
  kBySyscall,  // the kernel writes it back: durable on any persistent target
  kWhenPmem,   // user-space flushing: durable only where the mapping is persistent memory
};

struct ModeSetup {
  const ParamSet& params;
  const TargetFacts& target;
  const FlushOps* flush;  // null for modes that do not flush from user space
};

// One instance per case repetition. Lifecycle: map each file, make one writer per thread,
// start_timed after warm-up, add_metrics after the timed phase, unmap.
class Mode {
 public:
  virtual ~Mode() = default;
  // Maps `file` (or not, for non-mapping modes). Returns why not, if the target cannot.
  virtual std::optional<std::string> map(MappedFile& file);
  virtual void unmap(MappedFile& file);
  virtual std::unique_ptr<Writer> make_writer(MappedFile& file) = 0;
  virtual void start_timed() {}
  virtual void add_metrics(Metrics& /*out*/, std::uint64_t /*ops*/) {}
};

// mmap(file.size, PROT_READ|PROT_WRITE, flags) into file.base; returns 0 or the errno.
int map_file(MappedFile& file, int flags);

struct ModeDesc {
  std::string_view name;
  std::string_view summary;
  unsigned needs = 0;
  Durability durability = Durability::kNever;
  std::span<const ParamSpec> params = {};
  // The mode prepares its own files in this state (sealed-extent: zeros + fsync), so
  // file_state does not apply to it, and power-cut cells of other file states are skipped.
  std::string_view fixed_file_state = {};
  // A second run per repetition with the mode's on/off parameter `param` off: its `metric`
  // is recorded as trap_ns beside the first run's figures (fsync-per-fault: fault_sync, to
  // isolate the trap's cost). Empty: no second run.
  struct Companion {
    std::string_view param;
    std::string_view metric;
  } companion = {};
  // A bool metric add_metrics writes that says the mode's promise held (sealed-extent: the
  // block map did not change); 0 makes the repetition not durable, `seal_broken` says why.
  std::string_view seal_metric = {};
  std::string_view seal_broken = {};
  // Power cuts: with no crash.concurrent_write.modes given, this mode's cells also run with a
  // concurrent writer (modes whose promise a second process's allocations could break).
  bool crash_concurrent_default = false;
  // Its syncs make the kernel write the file's dirty cache lines back (fsync-per-fault: the
  // fdatasync at each write fault reaches dax_writeback_one), so `flush: none` leaves it no
  // cache control: under the persistence model it loses only what followed the last sync,
  // or nothing. Power cuts run it with its own flush only.
  bool syncs_write_back_cache = false;
  // Its fio counterpart per kind of target, first match wins (bench/base/fio_rows.h); none:
  // fio has no counterpart anywhere, and `fio: true` records why.
  std::span<const fio::ModeRow> fio = {};
  std::unique_ptr<Mode> (*create)(const ModeSetup& setup) = nullptr;
};

std::span<const ModeDesc* const> modes();
const ModeDesc* find_mode(std::string_view name);

// Whether the mode's promise holds on this target, and why (for the record).
bool is_durable(const ModeDesc& mode, const TargetFacts& target, std::string* why);

}  // namespace daxbench
