// The parameters every case has, whatever its mode and workload. Not in bench/base/params.h:
// their `flush` choices come from the flush registry, a plug-in floor above base.
#pragma once

#include <span>

#include "bench/base/params.h"

namespace daxbench {

std::span<const ParamSpec> common_params();

}  // namespace daxbench
