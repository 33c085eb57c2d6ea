// `lab:ext4`, `lab:xfs`, `lab:devdax` as the registry knows them. Inside the lab's guest the
// spec opens the guest's own target; on the host its cases run elsewhere, in a guest that
// bench/lab/host boots, so the registry says so (TargetDesc::runs_cases_elsewhere).
#pragma once

#include <string>
#include <string_view>

namespace daxbench {

// Throws TargetError unless `kind` is ext4, xfs or devdax.
void check_lab_kind(std::string_view kind);

// Whether this process runs inside the lab's guest of `kind` (lab/init says so).
bool inside_lab_guest(std::string_view kind);

}  // namespace daxbench
