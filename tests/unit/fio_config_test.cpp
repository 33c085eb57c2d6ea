// The `fio:` config keys: the switch in a case, in defaults and the top-level section, fio
// on some targets only, and bad values rejected with file:line.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/config/config.h"

namespace daxbench::fio {
namespace {

TEST(Config, FioSwitchInCaseAndDefaultsAndTopLevelSection) {
  const Config c = parse_config(
      "fio: {binary: /usr/bin/fio}\n"
      "defaults: {fio: true}\n"
      "cases:\n"
      "  - {workload: random-update, mode: none}\n"
      "  - {workload: log-append, mode: none, fio: false}\n",
      "fio.yaml", {"file:/tmp"});
  ASSERT_EQ(c.cases.size(), 2u);
  EXPECT_TRUE(c.cases[0].fio);
  EXPECT_FALSE(c.cases[1].fio);
  EXPECT_EQ(c.fio.binary, "/usr/bin/fio");
  EXPECT_EQ(parse_config("cases: [{workload: log-append, mode: none}]\n", "x.yaml", {"file:/tmp"})
                .cases[0]
                .fio,
            false);
}

TEST(Config, FioOnSomeTargetsOnlyBySpecOrKind) {
  const Config c = parse_config(
      "cases:\n"
      "  - {workload: random-update, mode: none, fio: [file]}\n"
      "  - {workload: log-append, mode: none, fio: [lab:devdax]}\n",
      "x.yaml", {"file:/tmp", "lab:ext4", "lab:devdax"});
  std::vector<std::string> with_fio;
  for (const CaseSpec& spec : c.cases)
    if (spec.fio) with_fio.push_back(spec.id);
  EXPECT_EQ(with_fio, (std::vector<std::string>{"random-update/none/file:/tmp/defaults",
                                                "log-append/none/lab:devdax/file_state=none"}));
}

TEST(Config, ACaseListedAgainWithFioRunsOnceWithFio) {
  const Config c = parse_config(
      "cases:\n"
      "  - {workload: random-update, mode: [none, msync]}\n"
      "  - {workload: random-update, mode: none, fio: true}\n",
      "x.yaml", {"file:/tmp"});
  ASSERT_EQ(c.cases.size(), 2u);
  EXPECT_TRUE(c.cases[0].fio);
  EXPECT_FALSE(c.cases[1].fio);
}

TEST(Config, BadFioValuesAreRejectedWithFileLine) {
  auto error_of = [](const std::string& yaml) {
    try {
      parse_config(yaml, "bad.yaml", {"file:/tmp"});
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("cases:\n  - {workload: log-append, mode: none, fio: maybe}\n"),
            "bad.yaml:2:45: fio: expected true, false or a list of targets, got 'maybe'; valid: "
            "true, false");
  EXPECT_NE(
      error_of("cases:\n  - {workload: log-append, mode: none, fio: [nfs:/x]}\n")
          .find("bad.yaml:2:46: fio: unknown target 'nfs:/x'; valid: file, fsdax, devdax, lab"),
      std::string::npos);
  EXPECT_EQ(
      error_of("defaults:\n  fio: 1\ncases: [{workload: log-append, mode: none}]\n").substr(0, 16),
      "bad.yaml:2:8: fi");
  EXPECT_NE(error_of("fio: {binry: fio}\ncases: [{workload: log-append, mode: none}]\n")
                .find("bad.yaml:1:7: unknown key 'binry' in fio; valid: binary"),
            std::string::npos);
  EXPECT_NE(error_of("fio: true\ncases: [{workload: log-append, mode: none}]\n")
                .find("bad.yaml:1:6: fio: expected a mapping with key binary"),
            std::string::npos);
}

}  // namespace
}  // namespace daxbench::fio
