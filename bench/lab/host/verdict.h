// The power cuts' verdicts (docs/crash.md): a cut's from what crash-check counted, a cell's
// from its cuts, and which of them fail the run. Pure functions, so the tests pin them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace daxbench {

// flush-only and none on a sparse or fallocated file: they must be seen to lose data.
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
