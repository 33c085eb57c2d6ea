// How a plug-in maps to fio (docs/fio.md): the rows a mode, a flush primitive and a workload
// carry in their own descriptors, read by bench/fio/fio_job.cpp. Plain data in the bottom
// layer so that every plug-in folder can hold its row and none needs to know fio's code.
#pragma once

#include <array>
#include <string_view>

namespace daxbench::fio {

// The fio engine a mode maps to; kNone: fio cannot express it, the row's note says why.
enum class Engine { kNone, kMmap, kPsync, kLibpmem, kDevDax };

// How a daxbench commit becomes fio options.
enum class Sync {
  kNone,         // no sync at all
  kFsync,        // fsync=N: a sync io_u every N writes (the mmap engine msyncs the mapping)
  kFdatasync,    // fdatasync=N
  kDrain,        // libpmem: sync=1 drains every write; fsync=N drains every N
  kPersistEach,  // dev-dax: every write is pmem_memcpy_persist, syncs do nothing
};

// Which targets a row is for.
enum class Where { kAny, kPageCache, kDax, kDevice };

// One row of a mode's mapping: the first row whose `where` matches the target is used. A mode
// that needs a filesystem is refused on a device before its rows are read; a mode with no
// matching row has no fio counterpart there.
struct ModeRow {
  Where where = Where::kAny;
  Engine engine = Engine::kNone;
  Sync sync = Sync::kNone;
  std::string_view note = {};  // how the case maps and what differs, or why it cannot
};

// How a flush primitive is asked of libpmem (the libpmem and dev-dax engines call it). An
// empty `note`: the primitive has no libpmem switch, so fio cannot mirror it.
struct FlushRow {
  std::array<std::string_view, 2> env = {};  // PMEM_* switches set to 1
  std::string_view option = {};              // an engine option ("key=value"), or empty
  bool on_device = true;                     // the dev-dax engine can honour it
  std::string_view note = {};
};

// A workload's fio pattern. An empty `rw`: no fio mapping, `refusal` says why (or, if that
// is empty too, the workload simply has none).
struct WorkloadRow {
  std::string_view rw = {};  // rw=
  bool norandommap = false;  // draws with replacement, as fio's norandommap=1
  std::string_view refusal = {};
};

}  // namespace daxbench::fio
