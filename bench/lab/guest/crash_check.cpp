// crash-check: reads each cell's ack file and data file (read-only) and lets the cell's
// workload count what survived.
#include "bench/lab/guest/crash_check.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <vector>

#include "bench/base/syscall_error.h"

namespace daxbench::crash {

extern const CrashWorkloadDesc kCrashLogAppend;  // the concurrent writer's record layout

namespace {

// Reads up to `want` bytes from the start of `fd` into `into`; returns how many there were.
std::uint64_t read_prefix(int fd, std::byte* into, std::uint64_t want, const std::string& what) {
  std::uint64_t done = 0;
  while (done < want) {
    const ssize_t n = pread(fd, into + done, want - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SyscallError("pread " + what, errno);
    if (n == 0) break;
    done += static_cast<std::uint64_t>(n);
  }
  return done;
}

}  // namespace

std::uint64_t read_acked(const std::filesystem::path& ack) {
  const int fd = open(ack.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::byte bytes[8];
  const std::uint64_t got = read_prefix(fd, bytes, sizeof bytes, ack.string());
  close(fd);
  return got == sizeof bytes ? load_le64(bytes) : 0;
}

CellCheck check_cell(const CrashCell& cell, std::uint64_t nonce) {
  CellCheck check;
  const std::uint64_t acked = read_acked(cell.ack);
  const CellLayout layout = cell_layout(cell);
  // A short or missing file reads as zeros past its end: what is not there is absent.
  std::vector<std::byte> bytes(layout.end(), std::byte{0});
  const int fd = open(cell.file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) throw SyscallError("open " + cell.file.string(), errno);
    check.file_missing = true;
  } else {
    struct stat st {};
    const int stat_error = fstat(fd, &st) == 0 ? 0 : errno;
    try {
      if (stat_error) throw SyscallError("fstat " + cell.file.string(), stat_error);
      check.file_bytes = static_cast<std::uint64_t>(st.st_size);
      read_prefix(fd, bytes.data(), bytes.size(), cell.file.string());
    } catch (...) {
      close(fd);
      throw;
    }
    close(fd);
  }
  const std::span<const std::byte> file(bytes);
  const auto workload = cell.workload->create({layout.workload_bytes, cell.seed, nonce});
  check.counts = workload->check(file.first(layout.workload_bytes), acked);
  if (cell.concurrent_write) {
    // Its records are a log-append of its own nonce, slots counted from its region's start.
    const auto log = kCrashLogAppend.create({layout.writer_bytes, 0, concurrent_nonce(nonce)});
    check.concurrent = log->check(file.subspan(layout.writer_offset, layout.writer_bytes),
                                  read_acked(cell.concurrent_write->written));
  }
  return check;
}

// What the cell's writer said of itself, if it could: "unsupported" explains a cell with
// nothing acknowledged. Never needed for the counts.
nlohmann::json writer_status(const CrashCell& cell) {
  std::ifstream in(status_path(cell));
  const nlohmann::json status = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!status.is_object()) return nullptr;
  return {{"status", status.value("status", "")}, {"reason", status.value("reason", "")}};
}

// The concurrent writer's side of a cell, or null for a cell without one.
nlohmann::json concurrent_record(const CrashCell& cell, const CellCheck& check) {
  if (!cell.concurrent_write || !check.concurrent) return nullptr;
  const CheckCounts& c = *check.concurrent;
  return {{"placement", cell.concurrent_write->placement},
          {"written", c.acknowledged},
          {"present_valid", c.present_valid},
          {"missing", c.lost},  // not "lost": nothing promised these records
          {"torn", c.torn},
          {"torn_in_flight", c.torn_in_flight},
          {"unacknowledged_present", c.unacknowledged_present}};
}

nlohmann::json check_record(const CrashCell& cell, const CellCheck& check) {
  const CheckCounts& c = check.counts;
  return {{"writer", writer_status(cell)},
          {"id", cell.id},
          {"workload", cell.workload->name},
          {"mode", cell.mode->name},
          {"file_state", cell.file_state},
          {"acknowledged", c.acknowledged},
          {"expected", c.expected},
          {"present_valid", c.present_valid},
          {"lost", c.lost},
          {"torn", c.torn},
          {"torn_in_flight", c.torn_in_flight},
          {"unacknowledged_present", c.unacknowledged_present},
          {"first_lost_seq", c.first_lost_seq ? nlohmann::json(*c.first_lost_seq) : nullptr},
          {"file_missing", check.file_missing},
          {"file_bytes", check.file_bytes},
          {"concurrent_write", concurrent_record(cell, check)}};
}

void run_crash_check(const CrashManifest& manifest, const std::filesystem::path& out) {
  std::ofstream lines(out);
  if (!lines) throw SyscallError("open " + out.string(), errno);
  for (const CrashCell& cell : manifest.cells)
    lines << check_record(cell, check_cell(cell, manifest.nonce)).dump() << '\n';
  if (!lines.flush()) throw SyscallError("write " + out.string(), errno);
}

}  // namespace daxbench::crash
