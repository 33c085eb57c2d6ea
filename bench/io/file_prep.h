// Creating a case's file in the state the case asks for, before anything is timed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "bench/io/prep_steps.h"

namespace daxbench {

// Creates `path` (which must not exist) of `size` bytes in `state`, fsync'ed so every case
// starts from durable metadata:
//   sparse     — ftruncate only: no blocks, the first write to each page allocates;
//   fallocated — fallocate: blocks reserved but unwritten, the first write converts them;
//   zeroed     — zeros written and fsync'ed: allocated, written, the block map is final.
// Each step done is appended to `steps` (when given) as it finishes, timed, with the bytes it
// covered: `ftruncate`, then `fallocate` or `zero-fill`, then `fsync`, each of `size` bytes.
// Returns the open fd (O_RDWR). Throws SyscallError.
int create_prepared_file(const std::filesystem::path& path, std::uint64_t size,
                         std::string_view state, PrepSteps* steps = nullptr);

}  // namespace daxbench
