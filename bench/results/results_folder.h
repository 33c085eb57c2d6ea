// The results folder: records.jsonl (one object per case × repetition, appended as each
// finishes), context.json, and summary.csv (one row per case).
#pragma once

#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/config/config.h"
#include "bench/results/repetition_result.h"

namespace daxbench {

// Every parameter of the case, resolved (numbers for integer, size and real parameters).
nlohmann::ordered_json params_json(const CaseSpec& spec);
// The case id's parameters (case_shape) as an object of their canonical texts.
nlohmann::ordered_json shape_json(const CaseSpec& spec);

nlohmann::ordered_json record_json(const CaseSpec& spec, const RepetitionResult& result,
                                   const std::string& run_id, int repetition);

class ResultsFolder {
 public:
  // Creates `path` (it must not exist or be empty).
  explicit ResultsFolder(std::filesystem::path path);
  ~ResultsFolder();
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
  void print_fio_row(std::FILE* out, const std::string& id) const;

  std::filesystem::path path_;
  std::FILE* records_ = nullptr;
  std::vector<std::string> order_;
  std::map<std::string, std::vector<nlohmann::ordered_json>> cases_;  // records by case id
  std::map<std::string, std::vector<nlohmann::ordered_json>> fio_;    // fio's, by case id
};

// results/<UTC time>-<host>-<config>/, made unique with a -2, -3 ... suffix if needed.
std::filesystem::path default_results_path(const std::filesystem::path& root,
                                           const std::string& config_name);

}  // namespace daxbench
