// daxbench case → fio job. The mapping is data in the plug-ins' own descriptors (rows per
// mode and kind of target, one per flush primitive, one per workload: bench/base/fio_rows.h);
// the code only looks rows up and checks the few parameters fio cannot take. What each engine
// does per write and per sync is cited from fio's engines/{mmap,libpmem,dev-dax}.c in
// docs/fio.md.
#include "bench/fio/fio_job.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <sstream>

#include "bench/flush/flush.h"
#include "bench/modes/mode.h"
#include "workloads/workload.h"

namespace daxbench::fio {
namespace {

// fio's name of each engine; "libpmem" here is fio's ioengine=libpmem, not the flush primitive.
std::string_view engine_name(Engine engine) {
  switch (engine) {
    case Engine::kNone:
      break;
    case Engine::kMmap:
      return "mmap";
    case Engine::kPsync:
      return "psync";
    case Engine::kLibpmem:
      return "libpmem";
    case Engine::kDevDax:
      return "dev-dax";
  }
  return {};
}

constexpr std::string_view kPrepopulateNote =
    "; fio's libpmem engine first writes the whole file with write(2) (prepopulate_file) and "
    "pmem_map_file fallocates it, so the file is fully written whatever file_state says";

// fio's mmap, libpmem and dev-dax engines refuse fsync=/fdatasync= when bs is not a whole
// number of pages ("mmap options dictate a minimum block size").
constexpr std::uint64_t kFioPage = 4096;
// fio's mmap engine maps at most 1 GiB (MMAP_TOTAL_SZ) and remaps beyond it.
constexpr std::uint64_t kMmapTotal = 1ull << 30;

bool matches(Where where, const TargetView& t) {
  switch (where) {
    case Where::kAny:
      return true;
    case Where::kPageCache:
      return !t.dax && !t.device;
    case Where::kDax:
      return t.dax && !t.device;
    case Where::kDevice:
      return t.device;
  }
  return false;
}

Job cannot(std::string why) {
  Job job;
  job.reason = "fio cannot express " + why;
  return job;
}

// A workload or parameter fio has no equivalent for; empty when there is none.
std::string unexpressible_shape(const CaseSpec& spec, const TargetView& target) {
  const WorkloadDesc& workload = *spec.workload;
  const ParamSet& p = spec.params;
  if (!workload.fio.refusal.empty()) return std::string(workload.fio.refusal);
  if (workload.fio.rw.empty())
    return std::string(workload.name) + ": no fio mapping for this workload";
  if (p.has("distribution") && p.text("distribution") == "zipfian")
    return "distribution: zipfian: fio's random_distribution=zipf:theta hashes ranks to blocks "
           "with its own hash, so its hot set is not daxbench's scrambled (YCSB) zipfian";
  if (p.text("background") == "metadata")
    return "background: metadata: no fio job runs daxbench's create/write/fsync/unlink loop "
           "beside the writers";
  if (target.device && p.integer("threads") > 1)
    return "threads > 1 on device-DAX: fio's dev-dax engine maps the device from offset 0 "
           "whatever offset= says (engines/dev-dax.c, prep_full), so per-thread regions "
           "cannot be given";
  return {};
}

std::string escape_filename(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == ':' || c == '\\') out += '\\';  // fio splits filename= on ':'
    out += c;
  }
  return out;
}

std::string microseconds(double seconds) {
  return std::to_string(static_cast<std::uint64_t>(std::llround(seconds * 1e6))) + "us";
}

}  // namespace

TargetView target_view(const TargetFacts& facts) {
  TargetView view;
  view.dax = facts.dax;
  view.device = facts.device;
  view.persistent = facts.persistent;
  if (facts.device) view.device_path = facts.directory;
  return view;
}

TargetView presumed_target_view(std::string_view spec) {
  TargetView view;
  if (spec.starts_with("fsdax:") || spec == "lab:ext4" || spec == "lab:xfs") view.dax = true;
  if (spec.starts_with("devdax:") || spec == "lab:devdax") {
    view.dax = view.device = true;
    view.device_path = spec.starts_with("devdax:") ? std::string(spec.substr(7)) : "/dev/dax0.0";
  }
  return view;
}

namespace {

// The mode's row for this target, or why there is none. Each step below returns why fio
// cannot express the case (empty: it can), in the order the refusals were always checked.
std::string find_row(const CaseSpec& spec, const TargetView& target, const ModeRow*& row) {
  const std::string mode(spec.mode->name);
  if (std::string why = unexpressible_shape(spec, target); !why.empty()) return why;
  if (target.device && (spec.mode->needs & kNeedsFilesystem))
    return mode +
           " on device-DAX: the mode needs a filesystem (daxbench records it unsupported there "
           "too)";
  const std::span<const ModeRow> rows = spec.mode->fio;
  const auto found = std::find_if(rows.begin(), rows.end(),
                                  [&](const ModeRow& r) { return matches(r.where, target); });
  if (found == rows.end()) return mode + " on this target: no fio engine row for it";
  if (found->engine == Engine::kNone) return mode + ": " + std::string(found->note);
  row = &*found;
  return {};
}

// How the case's commits become fio's sync options.
std::string add_sync_options(const CaseSpec& spec, const ModeRow& row, Job& job) {
  const std::string mode(spec.mode->name);
  const std::int64_t every = spec.params.integer("commit_every");
  const std::string n = std::to_string(every);
  auto page_multiple = [&](const char* option) -> std::string {
    if (spec.params.size("record_size") % kFioPage == 0) return {};
    return mode + " with record_size " + spec.params.text("record_size") + ": " + option +
           " needs bs to be a whole number of pages in fio's " + job.engine +
           " engine (\"mmap options dictate a minimum block size of 4096 bytes\")";
  };
  switch (row.sync) {
    case Sync::kNone:
      break;
    case Sync::kFsync:
      if (auto why = page_multiple("fsync="); !why.empty()) return why;
      job.options.emplace_back("fsync", n);
      break;
    case Sync::kFdatasync:
      job.options.emplace_back("fdatasync", n);
      break;
    case Sync::kDrain:
      if (every == 1) {
        job.options.emplace_back("sync", "1");  // pmem_memcpy without NODRAIN: drain per write
      } else {
        if (auto why = page_multiple("fsync= (commit_every > 1)"); !why.empty())
          return why + "; sync=1 would drain every write instead";
        job.options.emplace_back("fsync", n);  // libpmem: a sync io_u is pmem_drain()
      }
      break;
    case Sync::kPersistEach:
      if (every != 1)
        return mode + " with commit_every " + n +
               " on device-DAX: fio's dev-dax engine persists every write and ignores syncs, so "
               "only commit_every 1 maps";
      break;
  }
  if (row.engine == Engine::kMmap && spec.params.size("working_set") > kMmapTotal)
    return "working_set above 1G with the mmap engine: it maps at most 1 GiB (MMAP_TOTAL_SZ) "
           "and remaps as it goes";
  return {};
}

// The flush primitive as libpmem's switches, for the engines that call libpmem.
std::string add_flush_switches(std::string_view flush, const FlushOps* ops, const ModeRow& row,
                               Job& job) {
  if (row.engine != Engine::kLibpmem && row.engine != Engine::kDevDax) return {};
  if (ops == nullptr || ops->fio.note.empty())
    return "flush " + std::string(flush) + ": no libpmem switch for it";
  const FlushRow& f = ops->fio;
  if (row.engine == Engine::kDevDax && !f.on_device)
    return "flush " + std::string(flush) +
           " on device-DAX: fio's dev-dax engine lets pmem_memcpy_persist choose temporal or "
           "non-temporal stores itself";
  for (std::string_view key : f.env)
    // insert_or_assign, not `env[key] = "1"`: GCC 12 reports a false -Wrestrict on the
    // latter once inlined here, and warnings are errors.
    if (!key.empty()) job.env.insert_or_assign(std::string(key), std::string("1"));
  if (!f.option.empty()) {
    const std::string option(f.option);
    const auto eq = option.find('=');
    job.options.emplace_back(option.substr(0, eq), option.substr(eq + 1));
  }
  job.mapping += "; flush " + std::string(flush) + ": " + std::string(f.note);
  return {};
}

// fio's libpmem engine writes the whole file before the job; where that changes what is
// measured, the case is not expressible.
std::string add_prepopulation(const CaseSpec& spec, const TargetView& target, const ModeRow& row,
                              Job& job) {
  if (row.engine != Engine::kLibpmem) return {};
  // On DAX the first write to a page of a sparse or fallocated file is the metadata fault
  // daxbench measures; fio's prepopulation would remove every one of them (170x faster
  // map-sync in the lab on a sparse 2 MiB file). On page cache it is a cost comparison
  // anyway, and the note says it.
  const std::string& state = spec.params.text("file_state");
  if (target.dax && state != "zeroed")
    return std::string(spec.mode->name) + " with file_state " + state +
           " on DAX: fio's libpmem engine writes the whole file with write(2) before the job "
           "(prepopulate_file) and pmem_map_file fallocates it, so none of the case's "
           "allocation faults would happen; file_state: zeroed maps";
  job.prepopulates = true;
  job.mapping += kPrepopulateNote;
  // libpmem refuses a mapping that is not pmem ("does not point to persistent memory").
  if (!target.dax) job.env["PMEM_IS_PMEM_FORCE"] = "1";
  return {};
}

// Durability of what fio does, which is not always the mirrored mode's promise.
void set_durability(const TargetView& target, const ModeRow& row, const FlushOps* ops, Job& job) {
  if (!target.persistent) {
    job.durable_reason = "the target is not persistent (tmpfs or ramfs)";
  } else if (row.sync == Sync::kNone) {
    job.durable_reason = "the fio job never syncs (as none)";
  } else if (row.sync == Sync::kFsync || row.sync == Sync::kFdatasync) {
    job.durable = true;
    job.durable_reason = "the kernel writes data and metadata back in msync/fdatasync";
  } else if (!target.dax) {
    job.durable_reason =
        "page cache: libpmem's flushes write back the CPU cache, not the page cache";
  } else if (!ops->writes_back) {  // kDrain and kPersistEach passed add_flush_switches
    job.durable_reason = "flush none: durable only where the CPU caches are persistent (eADR)";
  } else {
    job.durable = true;
    job.durable_reason = "persistent memory, flushed and drained by libpmem";
  }
}

}  // namespace

Job plan_job(const CaseSpec& spec, const TargetView& target, std::string_view flush) {
  const ModeRow* row = nullptr;
  if (std::string why = find_row(spec, target, row); !why.empty()) return cannot(why);
  Job job;
  job.engine = engine_name(row->engine);
  job.mapping = row->note;
  const FlushOps* ops = find_flush(flush);
  if (std::string why = add_sync_options(spec, *row, job); !why.empty()) return cannot(why);
  if (std::string why = add_flush_switches(flush, ops, *row, job); !why.empty()) return cannot(why);
  if (std::string why = add_prepopulation(spec, target, *row, job); !why.empty())
    return cannot(why);
  set_durability(target, *row, ops, job);
  job.supported = true;
  return job;
}

void write_job_text(const CaseSpec& spec, const std::vector<std::string>& files, Job& job) {
  const ParamSet& p = spec.params;
  const auto threads = static_cast<unsigned>(p.integer("threads"));
  const bool shared = p.text("files") == "shared";
  const auto [sliced, view] = thread_view(*spec.workload, p);
  const WorkloadRow& pattern = spec.workload->fio;
  std::ostringstream out;
  out << "; daxbench case " << spec.id << "\n"
      << "; " << job.mapping << "\n";
  // fio reads no environment from a job file: to re-run it by hand, set these first.
  if (!job.env.empty()) {
    out << "; environment:";
    for (const auto& [key, value] : job.env) out << " " << key << "=" << value;
    out << "\n";
  }
  out << "[global]\n"
      << "ioengine=" << job.engine << "\n"
      << "rw=" << pattern.rw << "\n"
      << "bs=" << p.size("record_size") << "\n";
  // Uniform with replacement, as daxbench draws: fio's random map would visit each block once.
  if (pattern.norandommap) out << "norandommap=1\n";
  out << "randseed=" << p.integer("seed") << "\n";
  if (const std::int64_t ops = p.integer("ops"); ops > 0)
    out << "number_ios=" << ops << "\n";  // per job, as daxbench's ops is per thread
  // A log wraps at its end, as daxbench's circular log does.
  out << "time_based=1\n"
      << "runtime=" << microseconds(p.integer("ops") > 0 ? 3600 : p.real("duration_s")) << "\n";
  if (p.real("warmup_s") > 0) out << "ramp_time=" << microseconds(p.real("warmup_s")) << "\n";
  // The file is daxbench's, prepared as the case says: fio must neither create, extend,
  // preallocate nor drop it from the page cache.
  // Jobs as threads of one fio process, as daxbench's writers are: stopping that process
  // stops them all (fio's job processes would each get a process group of their own).
  out << "thread=1\n"
      << "invalidate=0\n"
      << "fallocate=none\n"
      << "allow_file_create=0\n"
      << "percentile_list=50:90:99:99.9\n"
      << "group_reporting=1\n";
  for (const auto& [key, value] : job.options) out << key << "=" << value << "\n";
  for (unsigned t = 0; t < threads; ++t) {
    out << "\n[thread" << t << "]\n"
        << "filename=" << escape_filename(files.at(shared ? 0 : t)) << "\n";
    if (sliced && shared) out << "offset=" << t * view << "\n";
    out << "size=" << view << "\n";
  }
  job.text = out.str();
}

double expected_seconds(const CaseSpec& spec, const Job& job) {
  const ParamSet& p = spec.params;
  double seconds = p.real("warmup_s") + p.real("duration_s") + 0.3;  // fio's own start-up
  // Prepopulation writes the file in bs-sized write(2) calls, ~2 us each here.
  if (job.prepopulates)
    seconds += 2e-6 * static_cast<double>(p.size("working_set") / p.size("record_size"));
  return seconds;
}

}  // namespace daxbench::fio
