// The fio cross-check: job generation per mapping against golden files and import of real
// fio 3.33 JSON (fixtures). The `fio:` config keys are fio_config_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench/config/config.h"
#include "bench/fio/fio_import.h"
#include "bench/fio/fio_job.h"

namespace daxbench::fio {
namespace {

namespace fs = std::filesystem;
const fs::path kSource = DAXBENCH_SOURCE_DIR;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Compares with the golden file. Updating is a separate step (docs/fio.md, "Golden job
// files"): with DAXBENCH_UPDATE_GOLDEN=1 a file that differs is rewritten and the test fails,
// so a check never passes by comparing a file with the text it was just given; review the
// difference (git diff tests/golden) and rerun without the variable.
void expect_golden(const std::string& name, const std::string& text) {
  const fs::path path = kSource / "tests/golden/fio" / name;
  const bool exists = fs::exists(path);
  if (exists && read_text(path) == text) return;
  if (std::getenv("DAXBENCH_UPDATE_GOLDEN")) {
    std::ofstream out(path);
    out << text;
    out.close();
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    ADD_FAILURE() << "golden updated: " << path << (exists ? " rewritten" : " created")
                  << "; review it (git diff tests/golden) and rerun without "
                     "DAXBENCH_UPDATE_GOLDEN";
    return;
  }
  ASSERT_TRUE(exists) << path << " is missing (DAXBENCH_UPDATE_GOLDEN=1 writes it)";
  EXPECT_EQ(read_text(path), text) << "golden file " << path;
}

CaseSpec one_case(const std::string& yaml, const std::string& target) {
  const Config config = parse_config(yaml, "inline.yaml", {target});
  EXPECT_EQ(config.cases.size(), 1u);
  return config.cases.at(0);
}

TargetView page_cache() {
  return {};
}
TargetView dax() {
  TargetView view;
  view.dax = true;
  return view;
}
TargetView device() {
  TargetView view;
  view.dax = view.device = true;
  view.device_path = "/dev/dax0.0";
  return view;
}

struct Mapping {
  const char* golden;
  const char* yaml;
  const char* target;
  TargetView view;
  const char* flush;
  const char* engine;
};

const Mapping kMappings[] = {
    {"mmap-none.fio",
     "defaults: {duration_s: 0.2, warmup_s: 0.05, working_set: 8M}\n"
     "cases: [{workload: random-update, mode: none}]\n",
     "file:/var/tmp", page_cache(), "", "mmap"},
    {"mmap-msync.fio",
     "cases: [{workload: random-update, mode: msync, record_size: 4K, commit_every: 4}]\n",
     "file:/var/tmp", page_cache(), "", "mmap"},
    {"psync-fdatasync.fio",
     "cases: [{workload: log-append, mode: pwrite-fdatasync, commit_every: 16, seed: 7}]\n",
     "file:/var/tmp", page_cache(), "", "psync"},
    {"psync-shared-threads.fio",
     "cases: [{workload: log-append, mode: pwrite-fdatasync, threads: 2, files: shared}]\n",
     "file:/var/tmp", page_cache(), "", "psync"},
    {"libpmem-dax-map-sync.fio",
     "cases: [{workload: random-update, mode: map-sync, file_state: zeroed}]\n", "lab:ext4", dax(),
     "clwb", "libpmem"},
    {"libpmem-dax-fsync.fio",
     "cases: [{workload: log-append, mode: map-sync, record_size: 4K, commit_every: 16, "
     "file_state: zeroed}]\n",
     "fsdax:/mnt/pmem", dax(), "clwb", "libpmem"},
    {"libpmem-force-flush-only.fio",
     "cases: [{workload: random-update, mode: flush-only, flush: clflushopt}]\n", "file:/var/tmp",
     page_cache(), "clflushopt", "libpmem"},
    {"libpmem-force-ntstore.fio",
     "cases: [{workload: random-update, mode: flush-only, flush: ntstore}]\n", "file:/var/tmp",
     page_cache(), "ntstore", "libpmem"},
    {"dev-dax.fio", "cases: [{workload: random-update, mode: map-sync, working_set: 2M}]\n",
     "lab:devdax", device(), "clwb", "dev-dax"},
};

TEST(Fio, EachMappingMakesItsGoldenJob) {
  for (const Mapping& m : kMappings) {
    SCOPED_TRACE(m.golden);
    const CaseSpec spec = one_case(m.yaml, m.target);
    Job job = plan_job(spec, m.view, m.flush);
    ASSERT_TRUE(job.supported) << job.reason;
    EXPECT_EQ(job.engine, m.engine);
    EXPECT_FALSE(job.mapping.empty());
    std::vector<std::string> files = {"/scratch/fio-file0.dat", "/scratch/fio-file1.dat"};
    if (m.view.device) files = {m.view.device_path};
    write_job_text(spec, files, job);
    expect_golden(m.golden, job.text);
  }
}

TEST(Fio, EnvironmentAndDurabilityFollowTheTarget) {
  const CaseSpec flush_only =
      one_case("cases: [{workload: random-update, mode: flush-only}]\n", "file:/var/tmp");
  const Job forced = plan_job(flush_only, page_cache(), "clwb");
  EXPECT_EQ(forced.env.at("PMEM_IS_PMEM_FORCE"), "1");
  EXPECT_FALSE(forced.durable);
  EXPECT_NE(forced.mapping.find("cost comparison only"), std::string::npos);
  EXPECT_TRUE(forced.prepopulates);
  const CaseSpec zeroed = one_case(
      "cases: [{workload: random-update, mode: flush-only, file_state: zeroed}]\n", "lab:ext4");
  const Job on_dax = plan_job(zeroed, dax(), "clwb");
  EXPECT_FALSE(on_dax.env.contains("PMEM_IS_PMEM_FORCE"));
  EXPECT_TRUE(on_dax.durable);
  const Job no_flush = plan_job(zeroed, dax(), "none");
  EXPECT_EQ(no_flush.env.at("PMEM_NO_FLUSH"), "1");
  EXPECT_FALSE(no_flush.durable);
  const CaseSpec msync = one_case(
      "cases: [{workload: random-update, mode: msync, record_size: 4K}]\n", "file:/var/tmp");
  const Job whole_mapping = plan_job(msync, page_cache(), "");
  EXPECT_TRUE(whole_mapping.durable);
  EXPECT_NE(whole_mapping.mapping.find("whole mapping"), std::string::npos);
}

// Every case fio cannot express says why; the reasons are pinned in one golden text file.
TEST(Fio, UnexpressibleCasesSayWhy) {
  struct Unsupported {
    const char* yaml;
    const char* target;
    TargetView view;
    const char* flush;
  };
  const Unsupported kCases[] = {
      {"cases: [{workload: random-update, mode: msync}]\n", "file:/var/tmp", page_cache(), ""},
      {"cases: [{workload: random-update, mode: fdatasync}]\n", "file:/var/tmp", page_cache(), ""},
      {"cases: [{workload: random-update, mode: fsync-per-fault}]\n", "lab:ext4", dax(), "clwb"},
      {"cases: [{workload: random-update, mode: map-sync}]\n", "file:/var/tmp", page_cache(),
       "clwb"},
      {"cases: [{workload: random-update, mode: flush-only, commit_every: 16, file_state: "
       "zeroed}]\n",
       "lab:ext4", dax(), "clwb"},
      {"cases: [{workload: random-update, mode: map-sync}]\n", "lab:ext4", dax(), "clwb"},
      {"cases: [{workload: random-update, mode: none}]\n", "lab:devdax", device(), ""},
      {"cases: [{workload: random-update, mode: map-sync, commit_every: 4}]\n", "lab:devdax",
       device(), "clwb"},
      {"cases: [{workload: random-update, mode: flush-only, flush: ntstore}]\n", "lab:devdax",
       device(), "ntstore"},
      {"cases: [{workload: random-update, mode: map-sync, threads: 2}]\n", "lab:devdax", device(),
       "clwb"},
      {"cases: [{workload: random-update, mode: pwrite-fdatasync}]\n", "lab:devdax", device(), ""},
      {"cases: [{workload: random-update, mode: none, distribution: zipfian}]\n", "file:/var/tmp",
       page_cache(), ""},
      {"cases: [{workload: random-update, mode: none, background: metadata}]\n", "file:/var/tmp",
       page_cache(), ""},
      {"cases: [{workload: random-update, mode: none, working_set: 2G}]\n", "file:/var/tmp",
       page_cache(), ""},
      {"cases: [{workload: first-touch, mode: none}]\n", "file:/var/tmp", page_cache(), ""},
      {"cases: [{workload: kv-put, mode: none}]\n", "file:/var/tmp", page_cache(), ""},
      {"cases: [{workload: trace-replay, mode: none, trace: sample.trace}]\n", "file:/var/tmp",
       page_cache(), ""},
  };
  std::string text;
  for (const Unsupported& u : kCases) {
    const Config config =
        parse_config(u.yaml, (kSource / "configs/inline.yaml").string(), {u.target});
    ASSERT_EQ(config.cases.size(), 1u) << u.yaml;
    const Job job = plan_job(config.cases[0], u.view, u.flush);
    EXPECT_FALSE(job.supported) << config.cases[0].id;
    EXPECT_TRUE(job.reason.starts_with("fio cannot express ")) << job.reason;
    text += config.cases[0].id + "\n  " + job.reason + "\n";
  }
  expect_golden("unsupported.txt", text);
}

CaseSpec psync_case() {
  return one_case("cases: [{workload: random-update, mode: pwrite-fdatasync}]\n", "file:/var/tmp");
}

Job planned(const CaseSpec& spec) {
  Job job = plan_job(spec, page_cache(), "");
  write_job_text(spec, {"/scratch/f.dat"}, job);
  return job;
}

TEST(Fio, ImportsWriteLatencyAndSyncLatencyFromRealOutput) {
  const std::string text = read_text(kSource / "tests/fixtures/fio/psync-fdatasync.json");
  std::string problem;
  const auto in = parse_output(text, problem);
  ASSERT_TRUE(in) << problem;
  EXPECT_EQ(in->version, "fio-3.33");
  EXPECT_EQ(in->ops, 1034u);
  EXPECT_NEAR(in->iops, 5144.278607, 1e-6);
  EXPECT_EQ(in->runtime_ns, 201'000'000u);
  ASSERT_TRUE(in->clat && in->sync);
  EXPECT_EQ(in->clat->count, 1034u);
  EXPECT_EQ(in->clat->p50, 6688);
  EXPECT_EQ(in->sync->count, 1034u);  // sync.lat_ns.N: sync.total_ios stays 0

  const CaseSpec spec = psync_case();
  const Job job = planned(spec);
  RunOutcome run;
  run.command = {"fio", "--output-format=json", "--output=x.json", "x.fio"};
  run.exit_code = 0;
  const auto r = make_record(spec, job, &run, text, "run-1", 2, "");
  EXPECT_EQ(r["tool"], "fio");
  EXPECT_EQ(r["status"], "ok");
  EXPECT_EQ(r["case_id"], spec.id);
  EXPECT_EQ(r["repetition"], 2);
  EXPECT_EQ(r["ops"], 1034);
  EXPECT_EQ(r["commits"], 1034);
  EXPECT_EQ(r["latency_ns"]["op"]["p99"], 11200);
  EXPECT_EQ(r["latency_ns"]["commit"]["count"], 1034);
  EXPECT_TRUE(r["durable"].get<bool>());
  EXPECT_EQ(r["fio"]["version"], "fio-3.33");
  EXPECT_EQ(r["fio"]["job"], job.text);
  EXPECT_EQ(r["fio"]["engine"], "psync");
  EXPECT_TRUE(r["fio"]["stderr"].is_null());
  EXPECT_TRUE(r["histogram"]["op"].is_null());
}

TEST(Fio, NoSyncMeansNoCommitLatencyAndDrainPerWriteCountsEveryWrite) {
  std::string problem;
  const CaseSpec none =
      one_case("cases: [{workload: random-update, mode: none}]\n", "file:/var/tmp");
  RunOutcome run;
  run.exit_code = 0;
  const auto r = make_record(none, planned(none), &run,
                             read_text(kSource / "tests/fixtures/fio/mmap-none.json"), "r", 0, "");
  EXPECT_EQ(r["status"], "ok");
  EXPECT_TRUE(r["latency_ns"]["commit"].is_null());
  EXPECT_EQ(r["commits"], 0);
  EXPECT_FALSE(r["durable"].get<bool>());

  const CaseSpec flush_only =
      one_case("cases: [{workload: random-update, mode: flush-only}]\n", "file:/var/tmp");
  Job job = plan_job(flush_only, page_cache(), "clwb");
  write_job_text(flush_only, {"/scratch/f.dat"}, job);
  const auto p =
      make_record(flush_only, job, &run,
                  read_text(kSource / "tests/fixtures/fio/libpmem-sync.json"), "r", 0, "");
  EXPECT_EQ(p["commits"], p["ops"]);
  EXPECT_EQ(p["fio"]["env"]["PMEM_IS_PMEM_FORCE"], "1");

  const CaseSpec msync = one_case(
      "cases: [{workload: random-update, mode: msync, record_size: 4K, commit_every: 4}]\n",
      "file:/var/tmp");
  const auto m = make_record(msync, planned(msync), &run,
                             read_text(kSource / "tests/fixtures/fio/mmap-msync.json"), "r", 0, "");
  EXPECT_EQ(m["ops"], 216);
  EXPECT_EQ(m["commits"], 54);  // 216 writes / fsync=4
}

TEST(Fio, AnErrorOrNoWritesIsAFailedRecordWithFiosMessage) {
  const CaseSpec spec = psync_case();
  const Job job = planned(spec);
  RunOutcome run;
  run.exit_code = 1;
  run.stderr_tail =
      "fio: mmap options dictate a minimum block size of 4096 bytes\n"
      "fio: io engine mmap init failed.\n";
  const auto bs = make_record(
      spec, job, &run, read_text(kSource / "tests/fixtures/fio/error-mmap-bs.json"), "r", 0, "");
  EXPECT_EQ(bs["status"], "failed");
  EXPECT_NE(bs["reason"].get<std::string>().find("minimum block size"), std::string::npos)
      << bs["reason"];
  EXPECT_EQ(bs["fio"]["stderr"], run.stderr_tail);
  EXPECT_EQ(bs["fio"]["exit_code"], 1);
  EXPECT_TRUE(bs["ops"].is_null());

  run.stderr_tail.clear();
  const auto not_pmem = make_record(
      spec, job, &run, read_text(kSource / "tests/fixtures/fio/error-libpmem-not-pmem.json"), "r",
      0, "");
  EXPECT_EQ(not_pmem["status"], "failed");
  EXPECT_NE(not_pmem["reason"].get<std::string>().find("EOPNOTSUPP"), std::string::npos)
      << not_pmem["reason"];

  // dev-dax on a missing device: exit 1, no message, error 0 and no writes.
  const auto zero = make_record(
      spec, job, &run, read_text(kSource / "tests/fixtures/fio/zero-io-devdax.json"), "r", 0, "");
  EXPECT_EQ(zero["status"], "failed");
  EXPECT_EQ(zero["reason"], "fio exited 1 after 0 writes and said nothing");
  run.exit_code = 0;
  const auto zero_ok_exit = make_record(
      spec, job, &run, read_text(kSource / "tests/fixtures/fio/zero-io-devdax.json"), "r", 0, "");
  EXPECT_EQ(zero_ok_exit["reason"], "fio did 0 writes and said nothing");

  RunOutcome missing;
  missing.exit_code = 127;
  missing.stderr_tail = "cannot execute fio: No such file or directory";
  const auto absent = make_record(spec, job, &missing, "", "r", 0, "");
  EXPECT_EQ(absent["status"], "failed");
  EXPECT_NE(absent["reason"].get<std::string>().find("No such file"), std::string::npos);

  const auto garbage = make_record(spec, job, &run, "fio: something odd\n", "r", 0, "");
  EXPECT_EQ(garbage["status"], "failed");
}

TEST(Fio, UnsupportedRecordHasTheReasonAndNoRun) {
  const CaseSpec spec = one_case("cases: [{workload: kv-put, mode: none}]\n", "file:/var/tmp");
  const Job job = plan_job(spec, page_cache(), "");
  const auto r = make_record(spec, job, nullptr, "", "r", 0, "");
  EXPECT_EQ(r["status"], "unsupported");
  EXPECT_EQ(r["reason"], job.reason);
  EXPECT_TRUE(r["fio"]["command"].is_null());
  EXPECT_TRUE(r["fio"]["job"].is_null());
}
}  // namespace
}  // namespace daxbench::fio
