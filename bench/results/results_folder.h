// The results folder: records.jsonl (one object per case × repetition, appended as each
// finishes), context.json, and summary.csv (one row per case).
#pragma once

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/config/config.h"
#include "bench/results/kept_records.h"
#include "bench/results/record_json.h"
#include "bench/results/record_store.h"
#include "bench/results/repetition_result.h"

namespace daxbench {

class ResultsFolder {
 public:
  // Creates `path` (it must not exist or be empty).
  explicit ResultsFolder(std::filesystem::path path);
  const std::filesystem::path& path() const { return path_; }

  void write_context(const nlohmann::ordered_json& context);
  // Appends one line and flushes it, so a finished case survives whatever happens next.
  void append_record(const CaseSpec& spec, const RepetitionResult& result,
                     const std::string& run_id, int repetition);
  // The same for a record made elsewhere (the lab's guest, fio), already in the schema.
  void append_json(nlohmann::ordered_json record);
  // One row per case seen so far, repetitions summarised; daxbench's records only (fio's
  // are shown beside them by print_table and the report, never mixed into a case's row).
  void write_summary() const;
  // The same, short, for a terminal: medians, interval, latency, and what is not durable.
  void print_table(std::FILE* out) const;

 private:
  // Makes the folder before the store opens its file in it.
  static std::filesystem::path created(std::filesystem::path path);

  std::filesystem::path path_;
  RecordStore store_;
  KeptRecords kept_;
};

// results/<UTC time>-<host>-<config>/, made unique with a -2, -3 ... suffix if needed.
std::filesystem::path default_results_path(const std::filesystem::path& root,
                                           const std::string& config_name);

}  // namespace daxbench
