// Every record of the run, kept in memory by case id for the summary and the table.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace daxbench {

struct KeptRecords {
  // daxbench's records, by case id, and the ids in the order first seen.
  std::vector<std::string> order;
  std::map<std::string, std::vector<nlohmann::ordered_json>> cases;
  // fio's, by case id: shown beside daxbench's, never mixed into a case's row.
  std::map<std::string, std::vector<nlohmann::ordered_json>> fio;

  void keep(nlohmann::ordered_json record);
};

}  // namespace daxbench
