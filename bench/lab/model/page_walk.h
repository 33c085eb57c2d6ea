// The guest's x86-64 4-level page walk (Intel SDM vol. 3, 4.5), done by the plugin itself:
// QEMU 10.0's plugin API reads registers and guest memory but does not translate a virtual
// address, and a flush instruction makes no memory access whose translation it could report.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

namespace daxbench::model {

// Reads the 8-byte entry at a guest-physical address; nullopt when it cannot be read.
using ReadPhysical64 = std::function<std::optional<std::uint64_t>(std::uint64_t physical)>;

// The guest-physical address `linear` maps to under `cr3` (4 KiB, 2 MiB and 1 GiB pages), or
// nullopt when an entry is not present or unreadable. Permissions are not checked: a flush
// needs only a mapping (on hardware an unmapped one faults before it flushes anything).
std::optional<std::uint64_t> translate(std::uint64_t cr3, std::uint64_t linear,
                                       const ReadPhysical64& read);

}  // namespace daxbench::model
