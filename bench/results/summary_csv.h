// summary.csv: one row per case, its repetitions summarised.
#pragma once

#include <filesystem>

#include "bench/results/kept_records.h"

namespace daxbench {

// daxbench's records only; fio's are shown by the table and the report, not here.
void write_summary_csv(const std::filesystem::path& file, const KeptRecords& records);

}  // namespace daxbench
