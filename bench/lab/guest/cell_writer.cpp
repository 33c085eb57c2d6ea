// A crash cell's writer: the same mode, Writer and file preparation the benchmarks measure,
// so a cut tests exactly the code path whose cost is reported.
#include "bench/lab/guest/cell_writer.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "bench/base/syscall_error.h"
#include "bench/flush/flush.h"
#include "bench/io/file_prep.h"
#include "bench/lab/guest/ack_file.h"
#include "bench/lab/guest/concurrent_writer.h"
#include "bench/targets/target.h"

namespace daxbench::crash {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

ParamSet default_params(const ModeDesc& mode) {
  ParamSet params;
  for (const ParamSpec& spec : mode.params) {
    ParamValue value;
    if (auto error = parse_param(spec, spec.default_value, value))
      throw std::logic_error(std::string(spec.name) + " default: " + *error);
    params.set(spec.name, value);
  }
  return params;
}

// The facts of the folder the cell's file lives in, found as `daxbench run` finds them. The
// probe's scratch folder is gone before any record is written.
TargetFacts facts_of(const fs::path& directory) {
  return open_target("file:" + directory.string())->facts();
}

// Not synced: on the lab's 9p job folder a write reaches the host at once, and a local kill
// keeps the page cache. Written whole then renamed, so a reader never sees half of it.
void write_status(const CrashCell& cell, json status) {
  status["id"] = cell.id;
  const fs::path path = status_path(cell);
  const fs::path partial = path.string() + ".partial";
  const std::string text = status.dump() + "\n";
  const int fd = open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;  // a status file is a courtesy; the ack file is what counts
  const bool whole = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (whole) rename(partial.c_str(), path.c_str());
}

// Unmaps and closes the cell's file however the cell ends; never removes it.
struct OpenFile {
  MappedFile file;
  Mode* mode = nullptr;
  ~OpenFile() {
    if (mode && file.base) mode->unmap(file);
    if (file.fd >= 0) close(file.fd);
  }
};

// The cell's concurrent writer, waited for on every way out of the cell.
struct ConcurrentWriter {
  pid_t pid = -1;
  // True when it exited 0 (its deadline or a full region).
  bool wait() {
    int wait_status = 0;
    while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
    }
    pid = -1;
    return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
  }
  ~ConcurrentWriter() {
    if (pid <= 0) return;
    kill(pid, SIGKILL);
    wait();
  }
};

}  // namespace

int run_cell(const CrashCell& cell, std::uint64_t nonce,
             const std::function<void(CellOutcome)>& report) {
  json status = {{"status", "setup"},
                 {"workload", cell.workload->name},
                 {"mode", cell.mode->name},
                 {"file_state", cell.file_state},
                 {"records", 0}};
  bool reported = false;
  auto stop = [&](CellOutcome outcome, const char* name, const std::string& reason) {
    status["status"] = name;
    status["reason"] = reason;
    write_status(cell, status);
    if (!reported) report(outcome);
    return outcome == CellOutcome::kFailed ? 1 : 0;
  };
  try {
    fs::create_directories(cell.file.parent_path());
    fs::create_directories(cell.ack.parent_path());
    AckFile ack(cell.ack);
    const ModeDesc& mode_desc = *cell.mode;
    const TargetFacts facts = facts_of(cell.file.parent_path());
    std::string durable_why;
    status["durable"] = is_durable(mode_desc, facts, &durable_why);
    status["durable_why"] = durable_why;
    status["target"] = {{"filesystem", facts.filesystem},
                        {"dax", facts.dax},
                        {"map_sync", facts.map_sync},
                        {"persistent", facts.persistent}};
    const FlushOps* flush = nullptr;
    if (mode_desc.needs & kNeedsUserFlush) {
      std::string problem;
      flush = resolve_flush(cell.flush, problem);
      if (!flush)
        return stop(CellOutcome::kUnsupported, "unsupported",
                    "flush " + cell.flush + ": " + problem);
      status["flush"] = flush->name;
    }

    std::unique_ptr<Mode> mode;  // outlives the file: unmapping needs it
    OpenFile open_file;
    open_file.file.path = cell.file.string();
    open_file.file.size = cell.size;
    open_file.file.fd = create_prepared_file(cell.file, cell.size, cell.file_state);
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(cell.max_seconds));
    // Started before the mapping, so it inherits none; it is writing by the first commit.
    ConcurrentWriter concurrent;
    if (cell.concurrent_write) {
      status["concurrent_write"] = cell.concurrent_write->placement;
      concurrent.pid = start_concurrent_writer(cell, nonce, deadline);
    }
    const ParamSet params = default_params(mode_desc);
    mode = mode_desc.create({params, facts, flush});
    if (auto why = mode->map(open_file.file))
      return stop(CellOutcome::kUnsupported, "unsupported", *why);
    open_file.mode = mode.get();
    const std::unique_ptr<Writer> writer = mode->make_writer(open_file.file);
    const std::uint64_t workload_bytes = cell_layout(cell).workload_bytes;
    const std::unique_ptr<CrashWorkload> workload =
        cell.workload->create({workload_bytes, cell.seed, nonce});

    status["status"] = "started";
    write_status(cell, status);
    const std::uint64_t capacity = cell.workload->capacity(workload_bytes);
    std::uint64_t seq = 0;
    const char* why_stopped = "full";
    while (seq < capacity) {
      if (std::chrono::steady_clock::now() >= deadline) {
        why_stopped = "max_seconds";
        break;
      }
      workload->put(*writer, seq + 1);
      ack.publish(++seq);
      status["records"] = seq;
      if (!reported) {
        report(CellOutcome::kStarted);
        reported = true;
      }
    }
    if (concurrent.pid > 0 && !concurrent.wait())
      return stop(CellOutcome::kFailed, "failed", "the concurrent writer could not write");
    return stop(CellOutcome::kStarted, "finished", why_stopped);
  } catch (const std::exception& e) {
    return stop(CellOutcome::kFailed, "failed", e.what());
  }
}

}  // namespace daxbench::crash
