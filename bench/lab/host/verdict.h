// The power cuts' verdicts (docs/crash.md): what a cell must show at a cut, a cut's verdict on
// each crash image from what crash-check counted there, a cell's from its cuts, and which of
// them fail the run. Pure functions, so the tests pin them.
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

// The images a checker boots on after a cut (docs/crash.md, "Crash images"): `strict` (what
// the platform guaranteed; under eADR the live file itself), `mix-<k>` (each line that
// differs between strict and live taken from live with probability 1/2), `live` (the pmem
// file as the cut left it: every store that executed).
inline constexpr std::string_view kStrictImage = "strict";
inline constexpr std::string_view kLiveImage = "live";

enum class CrashExpectation {
  kDurable,        // must lose nothing it acknowledged, on every image
  kLosesMetadata,  // a mode that promises nothing, on a sparse or fallocated file: its block
                   // allocation is never made durable, so it must be seen to lose on every image
  kLosesCache,     // under ADR, nothing writes its lines back (the `none` mode, or a flushing
                   // mode with `flush: none` or a primitive with a planted fault, a test
                   // fixture): it must be seen to lose on the strict image;
                   // the other images hold lines the cache may or may not have evicted, and
                   // are not judged
};

// `flush` is the cell's primitive (auto or a name); `persistence` adr or eadr.
CrashExpectation crash_expectation(const std::string& mode, const std::string& file_state,
                                   const std::string& flush, const std::string& persistence);

// The record's `expectation`: durable, loses-metadata or loses-cache.
const char* expectation_name(CrashExpectation expectation);

// One image of one cut of one cell: PASS | FAIL | LOSS-EXPECTED | NO-LOSS-SEEN, ERROR (status
// failed), UNSUPPORTED, or "" for an image the expectation does not judge. A cell that must
// not lose fails on any lost record or on a tear besides the in-flight one.
std::string crash_cut_verdict(CrashExpectation expectation, std::string_view image,
                              const std::string& status, std::uint64_t lost, std::uint64_t torn,
                              std::uint64_t torn_in_flight);

// A cut over its images (or a cell over its cuts): the first verdict of kCutVerdictOrder that
// any has ("" ignored); UNSUPPORTED when none: FAIL if any failed; a control is LOSS-EXPECTED
// if any saw loss, NO-LOSS-SEEN if it ran and none did.
std::string crash_cell_verdict(const std::vector<std::string>& cut_verdicts);

// A cell verdict that makes the run's exit status non-zero.
bool crash_verdict_is_failure(const std::string& cell_verdict);

}  // namespace daxbench
