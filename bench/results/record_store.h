// records.jsonl: one line per record, appended and synced as each finishes.
#pragma once

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace daxbench {

class RecordStore {
 public:
  // Creates (truncates) `path`.
  explicit RecordStore(const std::filesystem::path& path);
  ~RecordStore();
  RecordStore(const RecordStore&) = delete;
  RecordStore& operator=(const RecordStore&) = delete;

  // Appends one line and syncs it, so a finished case survives whatever happens next.
  void append(const nlohmann::ordered_json& record);

 private:
  std::FILE* file_ = nullptr;
};

}  // namespace daxbench
