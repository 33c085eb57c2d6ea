// trace-replay: replays stores and commit points read from a text trace, so users can bring
// their own workloads. Format: docs/trace-format.md.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "workloads/workload.h"

namespace daxbench {
namespace {

// One store line and the commit lines right after it, replayed together by one op().
struct TraceOp {
  std::uint64_t offset;  // relative to the view start
  std::uint64_t length;
  unsigned commits;
};

struct Trace {
  std::vector<TraceOp> ops;
  std::uint64_t max_length = 0;
};

// Like record_size, so one store never asks for a payload larger than a record may be.
constexpr std::uint64_t kMaxStoreLength = std::uint64_t{1} << 30;

const ParamSpec kTraceReplayParams[] = {
    {"trace", ParamKind::kText, "",
     "trace file (docs/trace-format.md); relative paths are resolved against the config's "
     "directory"},
};

std::string resolve_trace_path(const std::string& trace, const std::string& config_dir) {
  std::filesystem::path path(trace);
  if (path.is_relative() && !config_dir.empty()) path = std::filesystem::path(config_dir) / path;
  return path.string();
}

// Decimal or 0x-prefixed hexadecimal, nothing else: a typo must not become a silent 0.
std::optional<std::uint64_t> parse_number(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// The whitespace-separated words of a line, with any `#` comment removed.
std::vector<std::string_view> split_words(std::string_view line) {
  line = line.substr(0, line.find('#'));
  std::vector<std::string_view> words;
  constexpr std::string_view kSpace = " \t\r\v\f";
  std::size_t pos = line.find_first_not_of(kSpace);
  while (pos != std::string_view::npos) {
    const std::size_t end = std::min(line.find_first_of(kSpace, pos), line.size());
    words.push_back(line.substr(pos, end - pos));
    pos = line.find_first_not_of(kSpace, end);
  }
  return words;
}

// Parses the whole trace into `trace`; `file_size` bounds every store. Returns the first
// problem as "PATH:LINE: problem" ("PATH: problem" when it concerns the whole file).
std::optional<std::string> parse_trace(const std::string& path, std::uint64_t file_size,
                                       Trace& trace) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) return path + ": is a directory, not a trace";
  std::ifstream in(path);
  if (!in) return path + ": cannot open the trace: " + std::strerror(errno);

  trace = {};
  std::string line;
  for (std::uint64_t line_number = 1; std::getline(in, line); ++line_number) {
    const std::vector<std::string_view> words = split_words(line);
    if (words.empty()) continue;
    const auto problem = [&](const std::string& what) {
      return path + ":" + std::to_string(line_number) + ": " + what;
    };

    if (words[0] == "commit") {
      if (words.size() != 1) return problem("'commit' takes no arguments");
      if (trace.ops.empty()) return problem("'commit' before the first store");
      ++trace.ops.back().commits;
    } else if (words[0] == "store") {
      if (words.size() != 3) return problem("expected 'store OFFSET LENGTH'");
      const std::optional<std::uint64_t> offset = parse_number(words[1]);
      if (!offset) return problem("bad offset '" + std::string(words[1]) + "' (decimal or 0x hex)");
      const std::optional<std::uint64_t> length = parse_number(words[2]);
      if (!length) return problem("bad length '" + std::string(words[2]) + "' (decimal or 0x hex)");
      if (*length == 0 || *length > kMaxStoreLength)
        return problem("store length must be 1 to " + std::to_string(kMaxStoreLength) + " bytes");
      if (*offset > file_size || *length > file_size - *offset)
        return problem("store of " + std::to_string(*length) + " bytes at offset " +
                       std::to_string(*offset) + " ends beyond the file size " +
                       std::to_string(file_size) + " (working_set)");
      trace.ops.push_back({*offset, *length, 0});
      trace.max_length = std::max(trace.max_length, *length);
    } else {
      return problem("unknown operation '" + std::string(words[0]) +
                     "' (expected 'store' or 'commit')");
    }
  }
  if (in.bad()) return path + ": cannot read the trace: " + std::strerror(errno);
  if (trace.ops.empty()) return path + ": the trace has no store";
  return std::nullopt;
}

std::optional<std::string> validate_trace_replay(const ParamSet& params, std::uint64_t file_size,
                                                 const std::string& config_dir) {
  Trace trace;
  return parse_trace(resolve_trace_path(params.text("trace"), config_dir), file_size, trace);
}

// Each thread parses the trace again: simpler than sharing, and it happens before the run.
Trace load_trace(const WorkloadSetup& setup) {
  Trace trace;
  const std::string path = resolve_trace_path(setup.params.text("trace"), setup.config_dir);
  if (auto problem = parse_trace(path, setup.view_length, trace))
    throw std::invalid_argument("trace-replay: " + *problem);
  return trace;
}

class TraceReplay final : public Workload {
 public:
  explicit TraceReplay(const WorkloadSetup& setup)
      : trace_(load_trace(setup)),
        view_offset_(setup.view_offset),
        rng_(static_cast<std::uint64_t>(setup.params.integer("seed")), setup.thread),
        payload_(trace_.max_length, rng_) {}

  bool op(Writer& writer) override {
    const TraceOp& step = trace_.ops[next_];
    writer.store(view_offset_ + step.offset, payload_.next(step.length), step.length);
    for (unsigned i = 0; i < step.commits; ++i) writer.commit();
    if (++next_ == trace_.ops.size()) next_ = 0;  // the trace starts over
    return true;
  }

 private:
  Trace trace_;
  std::uint64_t view_offset_;
  Rng rng_;
  Payload payload_;
  std::size_t next_ = 0;
};

}  // namespace

extern const WorkloadDesc kTraceReplayWorkload{
    .name = "trace-replay",
    .summary = "stores and commits replayed from a text trace file (param trace)",
    .flags = 0,
    .params = kTraceReplayParams,
    .validate = validate_trace_replay,
    .create = [](const WorkloadSetup& setup) -> std::unique_ptr<Workload> {
      return std::make_unique<TraceReplay>(setup);
    },
    .fio = {.refusal =
                "trace-replay: the trace would need converting to fio's iolog v2 (read_iolog), "
                "which daxbench does not do"},
};

}  // namespace daxbench
