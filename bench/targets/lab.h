// `lab:ext4`, `lab:xfs`, `lab:devdax`, `lab:virtio-ext4|xfs` as the registry knows them. Inside the
// lab's guest the spec opens the guest's own target; on the host its cases run elsewhere, in a
// guest that bench/lab/host boots, so the registry says so (TargetDesc::runs_cases_elsewhere).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace daxbench {

// Throws TargetError unless `kind` is ext4, xfs, devdax, virtio-ext4 or virtio-xfs.
void check_lab_kind(std::string_view kind);

// The persistence a kind has whatever the config asks: "virtio" for a virtio-pmem kind (no
// NVDIMM, so no ADR/eADR and no persistence model), empty for an NVDIMM kind, whose domain
// is the config's (lab: {persistence}, crash: {persistence}).
std::string_view lab_kind_fixed_persistence(std::string_view kind);

// The filesystem a kind mounts with DAX, empty for devdax.
std::string_view lab_kind_filesystem(std::string_view kind);

// The kinds `crash: filesystems:` can name, the ones with a filesystem: those with the config's
// persistence (the NVDIMM ones, what `all` means) or, with `fixed_persistence`, the virtio ones.
std::vector<std::string> lab_crash_kinds(bool fixed_persistence);

// Whether this process runs inside the lab's guest of `kind` (lab/init says so).
bool inside_lab_guest(std::string_view kind);

}  // namespace daxbench
