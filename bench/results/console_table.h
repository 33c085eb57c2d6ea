// The end-of-run table for a terminal: medians, interval, latency, and what is not durable.
#pragma once

#include <cstdio>

#include "bench/results/kept_records.h"

namespace daxbench {

// One line per daxbench case, with fio's run of the same case (if any) on the line under it.
void print_console_table(std::FILE* out, const KeptRecords& records);

}  // namespace daxbench
