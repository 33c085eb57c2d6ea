// fio's JSON output (--output-format=json) → a record in daxbench's results schema, with
// `"tool": "fio"` (docs/results-schema.md, "fio records").
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "bench/config/config.h"
#include "bench/fio/fio_job.h"
#include "bench/fio/fio_run.h"

namespace daxbench::fio {

// What the record takes from fio's JSON: every job summed (group_reporting makes it one).
struct Latency {
  std::uint64_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;  // ns
};

struct Imported {
  std::string version;  // "fio-3.33"
  int error = 0;        // the first job's error (an errno), 0 when none
  std::uint64_t ops = 0;
  std::uint64_t runtime_ns = 0;  // the write direction's runtime (ms in fio's JSON)
  double iops = 0;
  double bw_bytes = 0;
  std::optional<Latency> clat;  // write completion latency
  std::optional<Latency> sync;  // sync.lat_ns (sync.total_ios stays 0 in fio 3.33)
};

// Parses fio's JSON; nullopt with `problem` set when it is not fio's JSON at all. fio may
// print warnings before the JSON object: they are skipped.
std::optional<Imported> parse_output(const std::string& text, std::string& problem);

// The record of one fio repetition of `spec`. `job` is the plan (with its text when it ran),
// `run` what happened (null when fio never ran: unsupported), `output` fio's JSON text.
// Status: unsupported when the job is not supported; failed when fio could not start, timed
// out, exited non-zero, reported an error or did 0 writes; ok otherwise.
nlohmann::ordered_json make_record(const CaseSpec& spec, const Job& job, const RunOutcome* run,
                                   const std::string& output, const std::string& run_id,
                                   int repetition, const std::string& emulated);

}  // namespace daxbench::fio
