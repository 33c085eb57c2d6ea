// The record format: one RepetitionResult of one case as the JSON object records.jsonl holds.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "bench/config/config.h"
#include "bench/results/repetition_result.h"

namespace daxbench {

// Every parameter of the case, resolved (numbers for integer, size and real parameters).
nlohmann::ordered_json params_json(const CaseSpec& spec);
// The case id's parameters (case_shape) as an object of their canonical texts.
nlohmann::ordered_json shape_json(const CaseSpec& spec);

nlohmann::ordered_json record_json(const CaseSpec& spec, const RepetitionResult& result,
                                   const std::string& run_id, int repetition);

}  // namespace daxbench
