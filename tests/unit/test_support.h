// Helpers shared by the unit tests: cases from YAML text (so tests read like configs), a
// scratch target chosen deliberately, and a Writer that records what a workload asked for.
#pragma once

#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/vfs.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/base/syscall_error.h"
#include "bench/config/config.h"
#include "bench/run/runner.h"
#include "bench/targets/target.h"
#include "workloads/workload.h"

namespace daxbench::testing {

// Where the cases of a test run. Most tests run them under $TMPDIR (or /tmp), whatever it is:
// tmpfs (Debian 13's /tmp) is fine for them. A test whose assertions are about a disk
// filesystem's page cache — FIEMAP extents (sealed-extent), unwritten extents, st_blocks,
// journal commits, files that persist, the fault path of a disk-backed mapping — says so with
// DISK_SCRATCH("because ...") at its start, and runs on disk_scratch() instead:
//   1. DAXBENCH_TEST_SCRATCH, if set (one that is tmpfs, ramfs or missing fails the test);
//   2. else $TMPDIR (or /tmp), if it is on a disk filesystem;
//   3. else /var/tmp, if it is (FHS: kept across reboots, so on disk);
//   4. else none: the test is skipped, saying which folders were tried and what they are.
// statfs(2) decides "on a disk filesystem": anything but tmpfs and ramfs.
struct DiskScratch {
  std::string dir;     // empty when none qualifies
  std::string why;     // the folder and how it was chosen, or why there is none
  bool asked = false;  // DAXBENCH_TEST_SCRATCH was set: no folder is a failure, not a skip
};

// Why `dir` cannot stand in for a disk filesystem, or "" if it can.
inline std::string not_on_disk(const std::string& dir) {
  struct statfs fs {};
  if (statfs(dir.c_str(), &fs) != 0) return errno_text("statfs " + dir, errno);
  if (!std::filesystem::is_directory(dir)) return dir + " is not a directory";
  if (fs.f_type == TMPFS_MAGIC) return dir + " is tmpfs";
  if (fs.f_type == RAMFS_MAGIC) return dir + " is ramfs";
  return "";
}

inline const DiskScratch& disk_scratch() {
  static const DiskScratch chosen = [] {
    DiskScratch d;
    if (const char* env = std::getenv("DAXBENCH_TEST_SCRATCH"); env && *env) {
      d.asked = true;
      const std::string problem = not_on_disk(env);
      if (problem.empty()) {
        d.dir = env;
        d.why = d.dir + " (DAXBENCH_TEST_SCRATCH)";
      } else {
        d.why = "DAXBENCH_TEST_SCRATCH=" + std::string(env) + " is no disk filesystem: " + problem;
      }
      return d;
    }
    std::vector<std::string> tried;
    for (const std::string& dir :
         {std::filesystem::temp_directory_path().string(), std::string("/var/tmp")}) {
      const std::string problem = not_on_disk(dir);
      if (problem.empty()) {
        d.dir = dir;
        d.why = dir + " (on a disk filesystem)";
        return d;
      }
      tried.push_back(problem);
    }
    d.why = "no scratch folder on a disk filesystem: ";
    for (std::size_t i = 0; i < tried.size(); ++i) d.why += (i ? ", " : "") + tried[i];
    d.why += "; set DAXBENCH_TEST_SCRATCH to a folder on ext4 or xfs";
    return d;
  }();
  return chosen;
}

inline Target& tmpdir_target() {
  static std::unique_ptr<Target> target =
      open_target("file:" + std::filesystem::temp_directory_path().string());
  return *target;
}

inline Target& disk_target() {
  static std::unique_ptr<Target> target = open_target("file:" + disk_scratch().dir);
  return *target;
}

// The target of the running test: tmpdir_target(), or disk_target() inside DISK_SCRATCH.
inline Target*& active_target() {
  static Target* active = nullptr;
  return active;
}

// One scratch target per kind for the whole test binary.
inline Target& scratch_target() {
  return active_target() ? *active_target() : tmpdir_target();
}

// Makes the rest of the test use disk_target(); see DISK_SCRATCH.
class UseDiskScratch {
 public:
  UseDiskScratch() {
    if (!disk_scratch().dir.empty()) active_target() = &disk_target();
  }
  ~UseDiskScratch() { active_target() = nullptr; }
  UseDiskScratch(const UseDiskScratch&) = delete;
  UseDiskScratch& operator=(const UseDiskScratch&) = delete;
};

// At the start of a TEST body: its cases run on a disk filesystem `because`, or the
// test is skipped (failed, if DAXBENCH_TEST_SCRATCH was set to something else) saying so.
#define DISK_SCRATCH(because)                                                             \
  const ::daxbench::testing::UseDiskScratch daxbench_disk_scratch_;                       \
  do {                                                                                    \
    const ::daxbench::testing::DiskScratch& chosen = ::daxbench::testing::disk_scratch(); \
    if (chosen.dir.empty() && chosen.asked) {                                             \
      FAIL() << chosen.why;                                                               \
    }                                                                                     \
    if (chosen.dir.empty()) {                                                             \
      GTEST_SKIP() << "needs a disk filesystem (" << (because) << "): " << chosen.why;    \
    }                                                                                     \
    ::testing::Test::RecordProperty("scratch", chosen.why);                               \
  } while (false)

inline std::string scratch_spec() {
  return scratch_target().facts().spec;
}

inline Config config_from(const std::string& yaml) {
  return parse_config(yaml, std::string(DAXBENCH_SOURCE_DIR) + "/tests/unit/inline.yaml",
                      {scratch_spec()});
}

inline RepetitionResult run_once(const CaseSpec& spec) {
  static const std::atomic<bool> never{false};
  return run_repetition(spec, scratch_target(), std::string(DAXBENCH_SOURCE_DIR) + "/configs",
                        never);
}

inline double counter(const RepetitionResult& r, std::string_view name) {
  const Metric* m = r.metrics.find(name);
  return m && m->value ? *m->value : -1;
}

struct Event {
  bool commit;
  std::uint64_t offset;
  std::uint64_t length;
  bool operator==(const Event&) const = default;
};

// Constructed before the Writer base, which keeps a reference to `file`.
struct BufferFile {
  explicit BufferFile(std::uint64_t size) : buffer(size) {
    file.path = "(memory)";
    file.size = size;
    file.base = buffer.data();
  }
  std::vector<std::byte> buffer;
  MappedFile file;
};

// Records stores and commits (into memory) instead of making them durable.
class RecordingWriter : private BufferFile, public Writer {
 public:
  explicit RecordingWriter(std::uint64_t size) : BufferFile(size), Writer(file, nullptr) {}

  const std::vector<Event>& events() const { return events_; }
  std::vector<Event> stores() const {
    std::vector<Event> only;
    std::copy_if(events_.begin(), events_.end(), std::back_inserter(only),
                 [](const Event& e) { return !e.commit; });
    return only;
  }
  std::uint64_t read_u64(std::uint64_t offset) const {
    std::uint64_t value;
    std::memcpy(&value, buffer.data() + offset, sizeof value);
    return value;
  }

 protected:
  void do_store(std::uint64_t offset, const void* src, std::size_t len) override {
    std::memcpy(buffer.data() + offset, src, len);
    events_.push_back({false, offset, len});
  }
  void do_commit() override { events_.push_back({true, 0, 0}); }

 private:
  std::vector<Event> events_;
};

// What thread 0 of `spec` asks for in its first `ops` operations, whatever the mode.
inline std::vector<Event> record_ops(const CaseSpec& spec, std::uint64_t ops) {
  const std::uint64_t size = spec.params.size("working_set");
  RecordingWriter writer(size);
  auto workload = spec.workload->create(
      {spec.params, 0, size, 0, std::string(DAXBENCH_SOURCE_DIR) + "/configs"});
  for (std::uint64_t i = 0; i < ops && workload->op(writer); ++i) {
  }
  if (writer.has_uncommitted()) writer.commit();
  return writer.events();
}

}  // namespace daxbench::testing
