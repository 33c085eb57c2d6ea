// A case's prepared file as targets hand it out and modes map it: path, descriptor, size,
// and the mapping once there is one. Apart from writer.h so a target needs no Writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "bench/io/prep_steps.h"

namespace daxbench {

// One prepared file of a case and, for mapping modes, its mapping.
struct MappedFile {
  std::string path;
  int fd = -1;
  std::uint64_t size = 0;
  std::uint64_t offset = 0;        // where the region starts in `fd`: nonzero only on a device
  std::uint64_t page_size = 4096;  // device-DAX faults in whole pages of its alignment
  std::byte* base = nullptr;       // null for modes that do not map (pwrite-fdatasync)
  // How the file was made ready, step by step (empty for a device region: nothing is done);
  // the record's `preparation`.
  PrepSteps preparation;
};

}  // namespace daxbench
