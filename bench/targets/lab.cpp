// The lab target's descriptor and its guest side: inside the guest, lab/init names the local
// target that stands for the kind, and the same spec opens it under the lab's name, marked
// as emulated. The host side (booting guests) is bench/lab/host/lab.h.
#include "bench/targets/lab.h"

#include <array>
#include <cstdlib>
#include <memory>

#include "bench/lab/protocol.h"
#include "bench/targets/target.h"

namespace daxbench {
namespace {

namespace fs = std::filesystem;

// The NVDIMM kinds, then the virtio-pmem ones (their prefix, kVirtioPrefix, says which).
constexpr std::array<std::string_view, 5> kKinds = {"ext4", "xfs", "devdax", "virtio-ext4",
                                                    "virtio-xfs"};
constexpr std::string_view kVirtioPrefix = "virtio-";

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// Inside the guest: the guest's own target, reported under the lab's name.
class GuestSideTarget final : public Target {
 public:
  GuestSideTarget(std::string_view kind, std::unique_ptr<Target> inner) : inner_(std::move(inner)) {
    facts_ = inner_->facts();
    facts_.spec = "lab:" + std::string(kind);
    facts_.emulated = env(lab::kEnvEmulated).empty() ? "tcg" : env(lab::kEnvEmulated);
  }
  const TargetFacts& facts() const override { return facts_; }
  fs::path scratch_file(std::string_view name) const override { return inner_->scratch_file(name); }
  void remove_scratch() override { inner_->remove_scratch(); }
  MappedFile create_file(std::string_view name, std::uint64_t size,
                         std::string_view file_state) override {
    return inner_->create_file(name, size, file_state);
  }
  void release_file(MappedFile& file) override { inner_->release_file(file); }

 private:
  std::unique_ptr<Target> inner_;
  TargetFacts facts_;
};

}  // namespace

void check_lab_kind(std::string_view kind) {
  for (std::string_view known : kKinds)
    if (known == kind) return;
  std::string valid;
  for (std::string_view known : kKinds)
    valid += (valid.empty() ? "lab:" : ", lab:") + std::string(known);
  throw TargetError("lab target: unknown kind '" + std::string(kind) + "'; valid: " + valid);
}

std::string_view lab_kind_fixed_persistence(std::string_view kind) {
  return kind.starts_with(kVirtioPrefix) ? "virtio" : "";
}

std::string_view lab_kind_filesystem(std::string_view kind) {
  if (kind == "devdax") return "";
  return kind.starts_with(kVirtioPrefix) ? kind.substr(kVirtioPrefix.size()) : kind;
}

std::vector<std::string> lab_crash_kinds(bool fixed_persistence) {
  std::vector<std::string> kinds;
  for (std::string_view kind : kKinds)
    if (!lab_kind_filesystem(kind).empty() &&
        lab_kind_fixed_persistence(kind).empty() != fixed_persistence)
      kinds.emplace_back(kind);
  return kinds;
}

bool inside_lab_guest(std::string_view kind) {
  return env(lab::kEnvKind) == kind;
}

extern const TargetDesc kLabTarget{
    .name = "lab",
    .syntax = "lab:ext4|xfs|devdax|virtio-ext4|virtio-xfs",
    .summary =
        "the emulated persistent-memory VM (lab/): QEMU with an emulated NVDIMM, or "
        "virtio-pmem (virtio-ext4, virtio-xfs)",
    .open = [](std::string_view argument) -> std::unique_ptr<Target> {
      check_lab_kind(argument);
      if (!inside_lab_guest(argument))
        throw TargetError("lab:" + std::string(argument) +
                          ": on the host its cases run in the lab's guest, not in a target "
                          "opened here (bench/lab/host)");
      return std::make_unique<GuestSideTarget>(argument, open_target(env(lab::kEnvTarget)));
    },
    .has_files = [](std::string_view argument) { return !lab_kind_filesystem(argument).empty(); },
    .runs_cases_elsewhere = [](std::string_view argument) { return !inside_lab_guest(argument); },
    .boots_kernels = true,
};

}  // namespace daxbench
