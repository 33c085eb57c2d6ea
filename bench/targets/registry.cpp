// The list of targets (from targets.def) and opening one by its "name:argument" spec.
#include "bench/targets/target.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include "bench/io/file_prep.h"

namespace daxbench {

#define DAXBENCH_TARGET(symbol) extern const TargetDesc symbol;
#include "bench/targets/targets.def"
#undef DAXBENCH_TARGET

namespace {
const TargetDesc* const kTargets[] = {
#define DAXBENCH_TARGET(symbol) &symbol,
#include "bench/targets/targets.def"
#undef DAXBENCH_TARGET
};
}  // namespace

std::span<const TargetDesc* const> targets() {
  return kTargets;
}

const TargetDesc* find_target(std::string_view spec) {
  const std::size_t colon = spec.find(':');
  if (colon == std::string_view::npos) return nullptr;  // "file" alone names no place
  const std::string_view name = spec.substr(0, colon);
  for (const TargetDesc* target : kTargets)
    if (target->name == name) return target;
  return nullptr;
}

bool target_has_files(std::string_view spec) {
  const TargetDesc* desc = find_target(spec);
  return !desc || !desc->has_files || desc->has_files(spec.substr(spec.find(':') + 1));
}

bool target_runs_cases_elsewhere(std::string_view spec) {
  const TargetDesc* desc = find_target(spec);
  return desc && desc->runs_cases_elsewhere &&
         desc->runs_cases_elsewhere(spec.substr(spec.find(':') + 1));
}

bool target_boots_kernels(std::string_view spec) {
  const TargetDesc* desc = find_target(spec);
  return desc && desc->boots_kernels;
}

MappedFile Target::create_file(std::string_view name, std::uint64_t size,
                               std::string_view file_state) {
  MappedFile file;
  file.path = scratch_file(name).string();
  file.size = size;
  // A file the filesystem cannot hold would fail in zero-fill (ENOSPC) or, sparse, kill the
  // run with SIGBUS at a fault: refused here, as a size this target cannot hold.
  struct statvfs fs {};
  const std::string folder = std::filesystem::path(file.path).parent_path().string();
  if (statvfs(folder.c_str(), &fs) == 0) {
    const std::uint64_t free_bytes = std::uint64_t{fs.f_bavail} * fs.f_frsize;
    if (free_bytes < size)
      throw TargetError(folder + " has " + std::to_string(free_bytes) +
                        " bytes free; a working_set of " + std::to_string(size) +
                        " bytes does not fit");
  }
  file.fd = create_prepared_file(file.path, size, file_state, &file.preparation);
  return file;
}

void Target::release_file(MappedFile& file) {
  if (file.fd >= 0) close(file.fd);
  file.fd = -1;
  if (!file.path.empty()) unlink(file.path.c_str());
}

std::unique_ptr<Target> open_target(std::string_view spec) {
  const TargetDesc* desc = find_target(spec);
  if (!desc) {
    std::string valid;
    for (const TargetDesc* target : kTargets)
      valid += (valid.empty() ? "" : ", ") + std::string(target->syntax);
    throw TargetError("unknown target '" + std::string(spec) + "'; valid: " + valid);
  }
  return desc->open(spec.substr(spec.find(':') + 1));
}

}  // namespace daxbench
