// The power cuts' verdicts (docs/crash.md): a cut's from what crash-check counted, a cell's
// from its cuts, and which of them fail the run. Pure functions, so the tests pin them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace daxbench {

// The verdicts' orders, the one copy (context.json's registry.crash carries them to the
// analysis). A cell over its cuts: the first of these that any cut has (none: UNSUPPORTED).
inline constexpr std::string_view kCutVerdictOrder[] = {"FAIL", "LOSS-EXPECTED", "NO-LOSS-SEEN",
                                                        "PASS", "ERROR"};
// A crash-matrix row (a mode and file state over its workloads) in a report: worst first.
inline constexpr std::string_view kRowVerdictOrder[] = {
    "FAIL", "NO-LOSS-SEEN", "ERROR", "LOSS-EXPECTED", "PASS", "UNSUPPORTED"};

// A mode that promises nothing (Durability::kNever: flush-only, none) on a sparse or
// fallocated file: it must be seen to lose data.
bool crash_unsafe_control(const std::string& mode, const std::string& file_state);

// One cut of one cell: PASS | FAIL | LOSS-EXPECTED | NO-LOSS-SEEN, or ERROR (status failed) |
// UNSUPPORTED. A durable mode fails on any lost record or a tear besides the in-flight one.
std::string crash_cut_verdict(const std::string& mode, const std::string& file_state,
                              const std::string& status, std::uint64_t lost, std::uint64_t torn,
                              std::uint64_t torn_in_flight);

// A cell over all its cuts: FAIL if any cut failed; an unsafe control is LOSS-EXPECTED if any
// cut lost, NO-LOSS-SEEN if its cuts ran and none did; else PASS; ERROR or UNSUPPORTED when
// no cut ran.
std::string crash_cell_verdict(const std::vector<std::string>& cut_verdicts);

// A cell verdict that makes the run's exit status non-zero.
bool crash_verdict_is_failure(const std::string& cell_verdict);

}  // namespace daxbench
