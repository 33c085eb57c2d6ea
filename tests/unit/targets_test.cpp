// Targets: each says what it is, and a target that cannot be what it was asked to be refuses
// with the reason before anything runs on it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "bench/run/runner.h"
#include "bench/targets/lab.h"
#include "bench/targets/mounts.h"
#include "bench/targets/target.h"
#include "test_support.h"

namespace daxbench {
namespace {

std::string refusal(const std::string& spec) {
  try {
    open_target(spec);
  } catch (const TargetError& e) {
    return e.what();
  }
  return "";
}

TEST(Targets, FsdaxRefusesAFolderWhoseFilesAreNotDaxAndSaysHowToFixIt) {
  if (testing::scratch_target().facts().dax) GTEST_SKIP() << "the temp dir is DAX here";
  std::string dir =
      (std::filesystem::temp_directory_path() / "daxbench-fsdax-test-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string why = refusal("fsdax:" + dir);
  EXPECT_NE(why.find("are not DAX"), std::string::npos) << why;
  EXPECT_NE(why.find("dax=always"), std::string::npos) << why;
  EXPECT_NE(why.find("file:" + dir), std::string::npos) << why;
  EXPECT_TRUE(std::filesystem::is_empty(dir));  // the refused target left nothing behind
  std::filesystem::remove(dir);
}

// The lab is a runner of cases on the host, not a place for files: the registry says so, and
// nothing opens it as a Target there. Inside its guest (lab/init sets the kind) it is one.
TEST(Targets, OnTheHostALabTargetsCasesRunElsewhereAndItOpensNoTarget) {
  if (std::getenv("DAXBENCH_LAB_KIND")) GTEST_SKIP() << "inside the lab's guest";
  EXPECT_TRUE(target_runs_cases_elsewhere("lab:ext4"));
  EXPECT_TRUE(target_runs_cases_elsewhere("lab:devdax"));
  EXPECT_FALSE(target_runs_cases_elsewhere(testing::scratch_spec()));
  EXPECT_FALSE(target_runs_cases_elsewhere("nosuch:x"));
  EXPECT_NE(refusal("lab:ext4").find("its cases run in the lab's guest"), std::string::npos)
      << refusal("lab:ext4");
  EXPECT_NE(refusal("lab:zfs").find("unknown kind 'zfs'"), std::string::npos) << refusal("lab:zfs");
}

TEST(Targets, FileTargetReportsItsFilesystemAndWhetherMapSyncIsAccepted) {
  const TargetFacts& facts = testing::scratch_target().facts();
  EXPECT_EQ(facts.filesystem, mount_of(facts.directory).filesystem);
  EXPECT_FALSE(facts.device);
  EXPECT_TRUE(facts.emulated.empty());
  if (facts.dax)
    EXPECT_EQ(facts.map_sync, "accepted");
  else
    EXPECT_TRUE(facts.map_sync.starts_with("refused: ")) << facts.map_sync;
}

TEST(Targets, DevdaxRefusesSomethingThatIsNotADeviceDaxDevice) {
  EXPECT_NE(refusal("devdax:/dev/null").find("not a device-DAX character device"),
            std::string::npos);
  EXPECT_NE(refusal("devdax:/dev/dax-no-such").find("ENOENT"), std::string::npos);
}

TEST(Targets, LabKindsAreCheckedAndDevicesHaveNoFiles) {
  EXPECT_NE(refusal("lab:btrfs").find("valid: lab:ext4, lab:xfs, lab:devdax"), std::string::npos);
  EXPECT_TRUE(target_has_files("lab:ext4"));
  EXPECT_TRUE(target_has_files("fsdax:/mnt/pmem"));
  EXPECT_FALSE(target_has_files("lab:devdax"));
  EXPECT_TRUE(target_has_files("lab:virtio-ext4"));
  EXPECT_TRUE(target_runs_cases_elsewhere("lab:virtio-ext4"));
  // Only the virtio-pmem kind has a domain of its own; the NVDIMM kinds take the config's.
  EXPECT_EQ(lab_kind_fixed_persistence("virtio-ext4"), "virtio");
  EXPECT_EQ(lab_kind_fixed_persistence("ext4"), "");
  EXPECT_EQ(lab_kind_filesystem("virtio-ext4"), "ext4");
  EXPECT_EQ(lab_kind_filesystem("virtio-xfs"), "xfs");
  EXPECT_EQ(lab_kind_fixed_persistence("virtio-xfs"), "virtio");
  EXPECT_EQ(lab_kind_filesystem("devdax"), "");
  EXPECT_FALSE(target_has_files("devdax:/dev/dax0.0"));
}

}  // namespace
}  // namespace daxbench
