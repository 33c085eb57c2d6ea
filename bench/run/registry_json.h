// The driver's registry as context.json's `registry` (docs/results-schema.md): the modes in
// presentation order with their durability and parameters, the workloads, flush primitives
// and targets, and the crash verdicts' orders, so the analysis copies none of them.
#pragma once

#include <nlohmann/json.hpp>

namespace daxbench {

nlohmann::ordered_json registry_json();

}  // namespace daxbench
