// Counter names from a config → rows of a CounterTable: which source a name means, and the
// checks that can be made before anything runs.
#include "bench/counters/counter_table.h"

#include <unistd.h>

#include <algorithm>

#include "bench/counters/pfm.h"
#include "bench/counters/tracepoints.h"

namespace daxbench::perf {
namespace {

constexpr std::string_view kSystemSuffix = "@system";

bool is_identifier(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// "syscalls:sys_enter_fsync": lowercase sys:event, as tracefs names them. libpfm4's own names
// are either pmu::event or upper case (INST_RETIRED:ANY_P), so they never look like this —
// except a generic event with a modifier ("cycles:u"), which is tried on libpfm4 when no such
// tracepoint exists.
bool looks_like_tracepoint(std::string_view name) {
  if (name.find("::") != std::string_view::npos) return false;
  const std::size_t colon = name.find(':');
  return colon != std::string_view::npos && name.find(':', colon + 1) == std::string_view::npos &&
         is_identifier(name.substr(0, colon)) && is_identifier(name.substr(colon + 1));
}

enum class TracefsAnswer { kExists, kMissing, kCannotTell };

TracefsAnswer tracepoint_exists(std::string_view name) {
  const Tracefs& fs = tracefs();
  if (fs.path.empty() || access((fs.path + "/events").c_str(), R_OK | X_OK) != 0)
    return TracefsAnswer::kCannotTell;
  const TracepointId id = tracepoint_id(name);
  if (id.id) return TracefsAnswer::kExists;
  return id.unavailable.rfind("ENOENT", 0) == 0 ? TracefsAnswer::kMissing
                                                : TracefsAnswer::kCannotTell;
}

}  // namespace

std::vector<std::string> counter_set_names() {
  return {"default", "none"};
}

std::optional<std::span<const CounterDef>> builtin_counter_set(std::string_view name) {
  if (name == "default") return default_counter_set();
  if (name == "none") return std::span<const CounterDef>();
  return std::nullopt;
}

std::optional<std::string> add_counter(CounterTable& table, std::string_view spec) {
  std::string_view event = spec;
  Scope scope = Scope::kWriterThreads;
  if (const std::size_t at = spec.find('@'); at != std::string_view::npos) {
    if (spec.substr(at) != kSystemSuffix) {
      // Appended, not "..." + string: GCC 12's -Wrestrict misfires on that here.
      std::string problem = "unknown scope '";
      problem.append(spec.substr(at)).append("'; valid: @system (default: the writer threads)");
      return problem;
    }
    event = spec.substr(0, at);
    scope = Scope::kSystemWide;
  }
  if (event.empty()) return std::string("empty event name");
  for (const CounterDef& def : table.defs)
    if (def.name == spec) return std::string(spec) + " is already in the set";

  CounterSource source;
  std::string help;
  bool is_tracepoint = false;
  std::string tracepoint_problem;
  if (looks_like_tracepoint(event)) {
    switch (tracepoint_exists(event)) {
      case TracefsAnswer::kExists:
        is_tracepoint = true;
        break;
      case TracefsAnswer::kCannotTell:  // recorded unavailable at run time if it is missing
        is_tracepoint = true;
        break;
      case TracefsAnswer::kMissing:
        tracepoint_problem =
            "no tracepoint " + std::string(event) + " in " + tracefs().path + "/events";
        break;
    }
  }
  const std::string& name = table.strings.emplace_back(spec);
  const std::string& event_text = table.strings.emplace_back(event);
  if (is_tracepoint) {
    source = tracepoint(event_text);
    help = "tracepoint " + event_text;
  } else {
    const PfmEncoding encoding = pfm_encode(event_text);
    if (!encoding.ok) {
      table.strings.pop_back();
      table.strings.pop_back();
      if (!tracepoint_problem.empty())
        return tracepoint_problem + " (nor a libpfm4 event: " + encoding.error + ")";
      return "libpfm4: " + encoding.error + " (tracepoints are written sys:event, e.g. " +
             "syscalls:sys_enter_fsync)";
    }
    source = pfm(event_text);
    help = "libpfm4 event " + event_text;
    if (!encoding.fqn.empty() && encoding.fqn != event_text) help += " (" + encoding.fqn + ")";
  }
  help = scope == Scope::kSystemWide
             ? "system-wide: " + help + ", every CPU during the timed phase, whoever caused it"
             : help + ", in the writer threads";
  const std::string& help_text = table.strings.emplace_back(std::move(help));
  table.defs.push_back({name, source, scope, "count", Better::kLower, help_text});
  return std::nullopt;
}

}  // namespace daxbench::perf
