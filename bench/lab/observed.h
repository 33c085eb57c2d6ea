// Observed instruction counts (docs/lab.md, "Observed instruction counts"): how the driver in a
// lab guest asks the persistence model's plugin for its counts of executed flush, fence and
// non-temporal store instructions, and the snapshot file the plugin answers in. Both sides
// include this, so the marker, the file's format and the counters' names cannot drift apart.
//
// The driver executes CPUID with EAX = kObservedLeaf and ECX = a sequence number. The plugin
// sees that instruction when it is translated (user mode only) and, just before it executes,
// rewrites the snapshot file with its counts so far and that sequence number. The file lies in
// the job folder, which the guest mounts over 9p without a page cache (cache=mmap), so the
// driver's pread right after the marker reads what the plugin wrote: the vCPU did not run on
// until the plugin had written it.
#pragma once

#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace daxbench::lab {

// "DAXB": a leaf no CPU defines. Executed only when the host says the plugin is on, since a
// CPUID exits to the hypervisor under KVM and has no business in a measured phase elsewhere.
inline constexpr std::uint32_t kObservedLeaf = 0x4441'5842;

// Set in the guest's job by the host: the snapshot file's path, or (when the config asked for
// the model but the host cannot run it) why there are no observed counts.
inline constexpr const char* kEnvObservedCounts = "DAXBENCH_OBSERVED_COUNTS";
inline constexpr const char* kEnvObservedProblem = "DAXBENCH_OBSERVED_PROBLEM";

// What the plugin counts, per privilege (user, kernel), in the snapshot's order.
struct ObservedKind {
  std::string_view name;  // the x86 mnemonic, or nt_store / nt_store_bytes
  std::string_view unit;
  std::string_view help;
};
inline constexpr ObservedKind kObservedKinds[] = {
    {"clwb", "instructions", "CLWB instructions executed"},
    {"clflushopt", "instructions", "CLFLUSHOPT instructions executed"},
    {"clflush", "instructions", "CLFLUSH instructions executed"},
    {"sfence", "instructions", "SFENCE instructions executed"},
    {"mfence", "instructions", "MFENCE instructions executed"},
    {"nt_store", "instructions",
     "non-temporal store instructions executed (MOVNTI, MOVNTDQ, ... one per memory access)"},
    {"nt_store_bytes", "bytes", "bytes written by non-temporal stores"},
};
inline constexpr std::string_view kObservedPrivileges[] = {"user", "kernel"};

// The snapshot: a header line, the sequence number of the marker that wrote it, then one
// `PRIVILEGE.KIND COUNT` line per privilege and kind.
inline constexpr std::string_view kObservedHeader = "daxbench-observed-counts 1";

struct ObservedSnapshot {
  std::uint32_t seq = 0;
  std::map<std::string, std::uint64_t> counts;  // "user.clwb" → count
};

inline std::string observed_key(std::string_view privilege, std::string_view kind) {
  return std::string(privilege) + "." + std::string(kind);
}

inline std::string format_observed_snapshot(const ObservedSnapshot& s) {
  std::string out = std::string(kObservedHeader) + "\nseq " + std::to_string(s.seq) + "\n";
  for (const auto& [key, count] : s.counts) out += key + " " + std::to_string(count) + "\n";
  return out;
}

// The snapshot in `text`, or nullopt with `problem` saying what is wrong: a missing header,
// a malformed line, or a privilege and kind of the table above that it lacks.
inline std::optional<ObservedSnapshot> parse_observed_snapshot(std::string_view text,
                                                               std::string& problem) {
  ObservedSnapshot s;
  bool have_seq = false, first = true;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    if (eol == std::string_view::npos) {
      problem = "the snapshot ends inside a line";
      return std::nullopt;
    }
    const std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol + 1);
    if (first) {
      if (line != kObservedHeader) {
        problem = "the snapshot does not start with '" + std::string(kObservedHeader) + "'";
        return std::nullopt;
      }
      first = false;
      continue;
    }
    const std::size_t space = line.find(' ');
    const std::string_view key = line.substr(0, space);
    const std::string_view number = space == std::string_view::npos ? "" : line.substr(space + 1);
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (key.empty() || number.empty() || error != std::errc{} ||
        end != number.data() + number.size()) {
      problem = "malformed snapshot line '" + std::string(line) + "'";
      return std::nullopt;
    }
    if (key == "seq") {
      if (value > UINT32_MAX) {
        problem = "snapshot seq out of range";
        return std::nullopt;
      }
      s.seq = static_cast<std::uint32_t>(value);
      have_seq = true;
    } else {
      s.counts.insert_or_assign(std::string(key), value);
    }
  }
  if (first || !have_seq) {
    problem = first ? "the snapshot is empty" : "the snapshot has no seq line";
    return std::nullopt;
  }
  for (std::string_view privilege : kObservedPrivileges) {
    for (const ObservedKind& kind : kObservedKinds) {
      if (!s.counts.contains(observed_key(privilege, kind.name))) {
        problem = "the snapshot lacks " + observed_key(privilege, kind.name);
        return std::nullopt;
      }
    }
  }
  return s;
}

}  // namespace daxbench::lab
