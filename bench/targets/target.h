// A target is where a case's files live and what that storage is. It owns one scratch folder
// and is the only place that creates files, so the suite never writes anywhere else.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "bench/io/mapped_file.h"

namespace daxbench {

struct TargetFacts {
  std::string spec;        // as given: "file:/var/tmp"
  std::string kind;        // registered target name: "file"
  std::string directory;   // the folder the scratch folder was made in
  std::string filesystem;  // from /proc/self/mountinfo: "ext4", "xfs", "tmpfs"
  std::string mount_point;
  std::string mount_source;
  std::string mount_options;
  bool persistent = true;          // false on tmpfs/ramfs: nothing there survives a power cut
  bool dax = false;                // stores through a mapping reach persistent memory directly
  std::string map_sync;            // "accepted", or "refused: <errno> (<why>)"
  std::string persistence_domain;  // where a flushed store is durable, as far as is known
  std::string warning;             // empty, or why numbers from here may mislead
  bool device = false;             // device-DAX: no filesystem, no files, no block map
  std::string emulated;            // "tcg" or "kvm" inside the lab's guest; empty on hardware
};

struct TargetError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Target {
 public:
  virtual ~Target() = default;
  virtual const TargetFacts& facts() const = 0;
  // A fresh file path inside the scratch folder; the caller creates and removes the file.
  virtual std::filesystem::path scratch_file(std::string_view name) const = 0;
  // Removes the scratch folder if it holds nothing the suite did not remove already.
  virtual void remove_scratch() = 0;

  // The file a case writes, `size` bytes in `file_state` (see file_prep.h), open in `fd`.
  // By default a new file in the scratch folder; a device hands out a region of itself.
  // Throws SyscallError, or TargetError when the target cannot hold such a file.
  virtual MappedFile create_file(std::string_view name, std::uint64_t size,
                                 std::string_view file_state);
  // Closes the file and removes it (or returns the region).
  virtual void release_file(MappedFile& file);
};

struct TargetDesc {
  std::string_view name;    // "file"
  std::string_view syntax;  // "file:DIR"
  std::string_view summary;
  std::unique_ptr<Target> (*open)(std::string_view argument);  // throws TargetError
  // False where the argument names a device (no files): file_state then has no meaning and
  // cases record it as "none". Null means files always.
  bool (*has_files)(std::string_view argument) = nullptr;
  // True where this process does not run the target's cases, so nothing here opens it: on
  // the host, a `lab:` target's cases all run in one guest (bench/lab/host), and only there
  // does the spec open a place for files. Null means the cases run here.
  bool (*runs_cases_elsewhere)(std::string_view argument) = nullptr;
  // True where the target's cases run on a kernel the config may choose (`lab: {kernels:
  // [...]}`): each of its cases then runs once per kernel. False: on this machine's kernel.
  bool boots_kernels = false;
};

std::span<const TargetDesc* const> targets();
// Opens "name:argument"; throws TargetError naming the registered targets when unknown.
std::unique_ptr<Target> open_target(std::string_view spec);
// The target a "name:argument" spec names; nullptr if unknown or not of that form.
const TargetDesc* find_target(std::string_view spec);
// Whether a known spec's target holds files (see TargetDesc::has_files).
bool target_has_files(std::string_view spec);
// Whether a known spec's cases run outside this process (see TargetDesc::runs_cases_elsewhere).
bool target_runs_cases_elsewhere(std::string_view spec);
// Whether a known spec's cases run on a kernel the config chooses (see TargetDesc::boots_kernels).
bool target_boots_kernels(std::string_view spec);

}  // namespace daxbench
