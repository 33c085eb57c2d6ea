// The power cuts' verdicts: what a cut of a cell shows, and what a cell's cuts add up to.
#include "bench/lab/host/verdict.h"

#include <algorithm>

#include "bench/modes/mode.h"

namespace daxbench {

bool crash_unsafe_control(const std::string& mode, const std::string& file_state) {
  const ModeDesc* desc = find_mode(mode);
  return desc && desc->durability == Durability::kNever && file_state != "zeroed";
}

std::string crash_cut_verdict(const std::string& mode, const std::string& file_state,
                              const std::string& status, std::uint64_t lost, std::uint64_t torn,
                              std::uint64_t torn_in_flight) {
  if (status == "unsupported") return "UNSUPPORTED";
  if (status != "ok") return "ERROR";
  if (crash_unsafe_control(mode, file_state)) return lost > 0 ? "LOSS-EXPECTED" : "NO-LOSS-SEEN";
  return lost > 0 || torn > torn_in_flight ? "FAIL" : "PASS";
}

std::string crash_cell_verdict(const std::vector<std::string>& cut_verdicts) {
  auto any = [&](std::string_view v) {
    return std::find(cut_verdicts.begin(), cut_verdicts.end(), v) != cut_verdicts.end();
  };
  for (const std::string_view v : kCutVerdictOrder)
    if (any(v)) return std::string(v);
  return "UNSUPPORTED";
}

bool crash_verdict_is_failure(const std::string& cell_verdict) {
  return cell_verdict == "FAIL" || cell_verdict == "NO-LOSS-SEEN" || cell_verdict == "ERROR";
}

}  // namespace daxbench
