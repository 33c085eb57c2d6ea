// Sorting each record into daxbench's cases or fio's.
#include "bench/results/kept_records.h"

namespace daxbench {

void KeptRecords::keep(nlohmann::ordered_json record) {
  const std::string id = record["case_id"].get<std::string>();
  if (record.value("tool", "daxbench") == "fio") {
    fio[id].push_back(std::move(record));
    return;
  }
  auto [it, inserted] = cases.try_emplace(id);
  if (inserted) order.push_back(id);
  it->second.push_back(std::move(record));
}

}  // namespace daxbench
