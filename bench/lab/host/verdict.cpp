// The power cuts' verdicts: what a cut of a cell shows on an image, and what a cell's cuts
// add up to.
#include "bench/lab/host/verdict.h"

#include <algorithm>

#include "bench/flush/flush.h"
#include "bench/modes/mode.h"

namespace daxbench {

CrashExpectation crash_expectation(const std::string& mode, const std::string& file_state,
                                   const std::string& flush, const std::string& persistence) {
  const ModeDesc* desc = find_mode(mode);
  if (!desc) return CrashExpectation::kDurable;
  const bool promises_nothing = desc->durability == Durability::kNever;
  if (promises_nothing && file_state != "zeroed") return CrashExpectation::kLosesMetadata;
  if (persistence == "adr") {
    const bool flushes_itself = (desc->needs & kNeedsUserFlush) && !desc->syncs_write_back_cache;
    const FlushOps* primitive = flush == "auto" ? nullptr : find_flush(flush);
    // A planted fault (a test fixture) leaves lines unwritten or unfenced, as `none` does.
    const bool writes_back = !primitive || (primitive->writes_back && !primitive->planted_fault);
    if ((promises_nothing && !flushes_itself) || (flushes_itself && !writes_back))
      return CrashExpectation::kLosesCache;
  }
  return CrashExpectation::kDurable;
}

const char* expectation_name(CrashExpectation expectation) {
  switch (expectation) {
    case CrashExpectation::kLosesMetadata:
      return "loses-metadata";
    case CrashExpectation::kLosesCache:
      return "loses-cache";
    case CrashExpectation::kDurable:
      break;
  }
  return "durable";
}

std::string crash_cut_verdict(CrashExpectation expectation, std::string_view image,
                              const std::string& status, std::uint64_t lost, std::uint64_t torn,
                              std::uint64_t torn_in_flight) {
  if (status == "unsupported") return "UNSUPPORTED";
  if (status != "ok") return "ERROR";
  switch (expectation) {
    case CrashExpectation::kLosesMetadata:
      return lost > 0 ? "LOSS-EXPECTED" : "NO-LOSS-SEEN";
    case CrashExpectation::kLosesCache:
      if (image != kStrictImage) return "";
      return lost > 0 ? "LOSS-EXPECTED" : "NO-LOSS-SEEN";
    case CrashExpectation::kDurable:
      break;
  }
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
