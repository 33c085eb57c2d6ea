// The results folder: makes it, and hands each record to the store, the summary and the table.
#include "bench/results/results_folder.h"

#include <ctime>
#include <fstream>
#include <stdexcept>

#include "bench/results/console_table.h"
#include "bench/results/context.h"
#include "bench/results/summary_csv.h"

namespace daxbench {

using json = nlohmann::ordered_json;

std::filesystem::path ResultsFolder::created(std::filesystem::path path) {
  namespace fs = std::filesystem;
  if (fs::exists(path) && !fs::is_empty(path))
    throw std::runtime_error("results folder '" + path.string() +
                             "' exists and is not empty: a run never mixes into another's folder");
  std::error_code error;
  fs::create_directories(path, error);
  if (error)
    throw std::runtime_error("cannot create results folder '" + path.string() +
                             "': " + error.message());
  return path;
}

ResultsFolder::ResultsFolder(std::filesystem::path path)
    : path_(created(std::move(path))), store_(path_ / "records.jsonl") {}

void ResultsFolder::write_context(const json& context) {
  // Written again at the end (with the lab's guests): a rename keeps the old one whole until
  // the new one is.
  const auto fresh = path_ / "context.json.new";
  std::ofstream(fresh) << context.dump(2) << '\n';
  std::filesystem::rename(fresh, path_ / "context.json");
}

void ResultsFolder::append_record(const CaseSpec& spec, const RepetitionResult& result,
                                  const std::string& run_id, int repetition) {
  append_json(record_json(spec, result, run_id, repetition));
}

void ResultsFolder::append_json(json record) {
  store_.append(record);
  kept_.keep(std::move(record));
}

void ResultsFolder::write_summary() const {
  write_summary_csv(path_ / "summary.csv", kept_);
}

void ResultsFolder::print_table(std::FILE* out) const {
  print_console_table(out, kept_);
}

std::filesystem::path default_results_path(const std::filesystem::path& root,
                                           const std::string& config_name) {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", std::gmtime(&now));
  const std::string base = std::string(stamp) + "-" + host_name() + "-" + config_name;
  std::filesystem::path path = root / base;
  for (int n = 2; std::filesystem::exists(path); ++n)
    path = root / (base + "-" + std::to_string(n));
  return path;
}

}  // namespace daxbench
