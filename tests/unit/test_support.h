// Helpers shared by the unit tests: cases from YAML text (so tests read like configs), a
// scratch target, and a Writer that records what a workload asked for.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/core/config.h"
#include "bench/core/runner.h"
#include "bench/targets/target.h"
#include "workloads/workload.h"

namespace daxbench::testing {

// One scratch target for the whole test binary (under $TMPDIR or /tmp).
inline Target& scratch_target() {
  static std::unique_ptr<Target> target =
      open_target("file:" + std::filesystem::temp_directory_path().string());
  return *target;
}

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
