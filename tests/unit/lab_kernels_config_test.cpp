// `lab: {kernels: [...]}`: the kernels axis multiplies the lab's cases (and only theirs), each
// kernel entry is checked before anything runs, and build-image.sh is told exactly what the
// entry names. The YAML here doubles as examples of the section.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "bench/config/config.h"

namespace daxbench {
namespace {

namespace fs = std::filesystem;

std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml, "sweep.yaml", {"file:/tmp", "lab:ext4"});
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "in: " << (haystack)

const std::string kCase = "cases:\n  - {workload: first-touch, mode: [map-sync, fdatasync]}\n";

TEST(LabKernels, MultiplyOnlyTheLabsCasesWithTheKernelFirstInTheShape) {
  const Config c = parse_config(
      "lab:\n  kernels: [linux-image-amd64, {name: rt, package: linux-image-rt-amd64}]\n" + kCase,
      "sweep.yaml", {"file:/tmp", "lab:ext4"});
  std::vector<std::string> ids;
  for (const CaseSpec& s : c.cases) ids.push_back(s.id + " [" + s.kernel + "]");
  EXPECT_EQ(ids, (std::vector<std::string>{
                     "first-touch/map-sync/file:/tmp/defaults []",
                     "first-touch/map-sync/lab:ext4/kernel=linux-image-amd64 [linux-image-amd64]",
                     "first-touch/map-sync/lab:ext4/kernel=rt [rt]",
                     "first-touch/fdatasync/file:/tmp/defaults []",
                     "first-touch/fdatasync/lab:ext4/kernel=linux-image-amd64 [linux-image-amd64]",
                     "first-touch/fdatasync/lab:ext4/kernel=rt [rt]",
                 }));
  ASSERT_EQ(c.lab.kernels.size(), 2u);
  EXPECT_EQ(c.lab.kernels[1].image_args(),
            (std::vector<std::string>{"--package", "linux-image-rt-amd64"}));
  EXPECT_EQ(c.lab.kernels[1].where, "sweep.yaml:2:32");
}

TEST(LabKernels, WithoutTheAxisIdsStayAsTheyWere) {
  const Config c = parse_config(kCase, "sweep.yaml", {"lab:ext4"});
  EXPECT_EQ(c.cases[0].id, "first-touch/map-sync/lab:ext4/defaults");
  EXPECT_EQ(c.cases[0].kernel, "");
}

TEST(LabKernels, AUserKernelsPathsResolveInTheConfigsFolderAndMustExist) {
  const fs::path dir = fs::temp_directory_path() / "daxbench-lab-kernels-test";
  fs::create_directories(dir / "linux" / "lib-modules");
  std::ofstream(dir / "linux" / "bzImage") << "x";
  std::ofstream(dir / "linux" / ".config") << "CONFIG_X=y\n";
  const std::string config_path = (dir / "sweep.yaml").string();
  const Config c = parse_config(
      "lab:\n  kernels:\n    - {name: tree, build: linux}\n"
      "    - {name: files, kernel: linux/bzImage, modules: linux/lib-modules, config: "
      "linux/.config}\n" +
          kCase,
      config_path, {"lab:ext4"});
  EXPECT_EQ(c.lab.kernels[0].image_args(),
            (std::vector<std::string>{"--build", (dir / "linux").string()}));
  EXPECT_EQ(c.lab.kernels[1].image_args(),
            (std::vector<std::string>{"--kernel", (dir / "linux/bzImage").string(), "--modules",
                                      (dir / "linux/lib-modules").string(), "--config",
                                      (dir / "linux/.config").string()}));
  std::string e;
  try {
    parse_config("lab:\n  kernels:\n    - {name: gone, build: no-such-tree}\n" + kCase, config_path,
                 {"lab:ext4"});
  } catch (const ConfigError& error) {
    e = error.what();
  }
  EXPECT_CONTAINS(e, ":3:27: lab.kernels[0].build: no such folder '" +
                         (dir / "no-such-tree").string() + "' (from 'no-such-tree')");
  fs::remove_all(dir);
}

TEST(LabKernels, BadEntriesAreRefusedWithFileLineAndWhatIsValid) {
  EXPECT_CONTAINS(
      error_of("lab:\n  kernels: [vmlinuz-6.1]\n" + kCase),
      "sweep.yaml:2:13: lab.kernels[0]: a kernel is a Debian package (linux-image-...)");
  EXPECT_CONTAINS(error_of("lab:\n  kernels: []\n" + kCase),
                  "sweep.yaml:2:12: lab.kernels: expected a list of kernels");
  EXPECT_CONTAINS(error_of("lab:\n  kernels: [{name: a, pakage: linux-image-amd64}]\n" + kCase),
                  "sweep.yaml:2:23: unknown key 'pakage' in lab.kernels[0]; valid: name, package, "
                  "build, kernel, modules, config (did you mean 'package'?)");
  EXPECT_CONTAINS(error_of("lab:\n  kernels: [{name: a}]\n" + kCase),
                  "lab.kernels[0]: name exactly one of package, build");
  EXPECT_CONTAINS(
      error_of("lab:\n  kernels: [{name: a, package: linux-image-amd64, modules: /tmp}]\n" + kCase),
      "lab.kernels[0]: modules and config go with kernel:");
  EXPECT_CONTAINS(error_of("lab:\n  kernels: [linux-image-amd64, linux-image-amd64]\n" + kCase),
                  "sweep.yaml:2:32: lab.kernels[1]: a second kernel named 'linux-image-amd64' "
                  "(the first is at sweep.yaml:2:13)");
  EXPECT_CONTAINS(
      error_of("lab:\n  kernels: [{name: 'a/b', package: linux-image-amd64}]\n" + kCase),
      "lab.kernels[0]: the name 'a/b' must be letters, digits");
  EXPECT_CONTAINS(error_of("lab:\n  kernls: [linux-image-amd64]\n" + kCase),
                  "unknown key 'kernls' in lab; valid: model, persistence, kernels");
}

}  // namespace
}  // namespace daxbench
