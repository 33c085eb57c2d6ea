// records.jsonl: append, flush and fsync each line before the run goes on.
#include "bench/results/record_store.h"

#include <unistd.h>

#include <stdexcept>
#include <string>

namespace daxbench {

RecordStore::RecordStore(const std::filesystem::path& path) {
  file_ = std::fopen(path.c_str(), "w");
  if (!file_) throw std::runtime_error("cannot create " + path.string());
}

RecordStore::~RecordStore() {
  if (file_) std::fclose(file_);
}

void RecordStore::append(const nlohmann::ordered_json& record) {
  const std::string line = record.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
  fsync(fileno(file_));
}

}  // namespace daxbench
