// Runs one repetition of one case: prepare files, map, warm up, time, count, clean up.
#pragma once

#include <atomic>
#include <string>

#include "bench/config/config.h"
#include "bench/results/repetition_result.h"
#include "bench/targets/target.h"

namespace daxbench {

// Runs `spec` once on `target`. `stop` is polled between operations (Ctrl-C). Never throws
// for problems of the case itself: they become status unsupported/failed with the reason.
RepetitionResult run_repetition(const CaseSpec& spec, Target& target, const std::string& config_dir,
                                const std::atomic<bool>& stop);

}  // namespace daxbench
