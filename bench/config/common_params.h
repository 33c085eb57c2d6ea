// The parameters every case has, whatever its mode and workload, and who declares the rest. Not in
// bench/base/params.h: their `flush` choices come from the flush registry, a plug-in floor above
// base.
#pragma once

#include <set>
#include <span>
#include <string>
#include <string_view>

#include "bench/base/params.h"

namespace daxbench {

std::span<const ParamSpec> common_params();

// Every parameter name a case can set: the common ones and every workload's and mode's.
std::set<std::string> all_param_names();
// Which plug-ins declare `name` ("workload kv-put, mode fsync-per-fault"), for "does not
// apply" errors.
std::string param_owners(std::string_view name);

}  // namespace daxbench
