// Test-only broken flush primitives: the faults the flush conformance checks, the power cuts
// and the lab's observed instruction counts exist to catch.
// They are fixtures of the tests, defined in tests/unit/ and listed nowhere in
// bench/flush/flush.def, so neither `daxbench`, its `list`, nor a config of it can reach them.
// Only the test driver `daxbench-mutants` (mutant_registrar.cpp) adds them, so that its power
// cuts show the model catching them (tests/e2e/test_crash_mutants.py), and its observed
// instruction counts the one no count check can (tests/e2e/test_observed.py).
#pragma once

#include <span>

#include "bench/flush/flush.h"

namespace daxbench::testing {

// CLFLUSH with the classic off-by-one in its own line loop: it stops before the line that
// holds the range's last byte (and so flushes nothing of a range inside one line). It
// reports the lines it did issue, as every primitive must.
extern const FlushOps kMutantSkipsLastLine;

// Flushes every line (the shared loop; CLWB, else CLFLUSHOPT, else CLFLUSH) but its drain
// issues no fence and says so.
extern const FlushOps kMutantDrainsWithoutFence;

// CLWB (else CLFLUSHOPT, else CLFLUSH) on every line but the range's last, yet it reports
// every line it overlaps: a count of what should have been done, not of what was. Its return
// value is right, so no check of the count catches it; only the lab's observed instruction
// counts do (tests/e2e/test_observed.py).
extern const FlushOps kMutantCountsASkippedLine;

std::span<const FlushOps* const> mutant_flushes();

}  // namespace daxbench::testing
