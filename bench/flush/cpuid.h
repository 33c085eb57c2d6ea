// CPU feature checks by CPUID, so a flush instruction the CPU lacks is never executed.
#pragma once

#include <string>

namespace daxbench {

struct CpuFeatures {
  bool clflush = false;
  bool clflushopt = false;
  bool clwb = false;
  bool movdir64b = false;
  bool invariant_tsc = false;
  std::string model;  // brand string
};

const CpuFeatures& cpu_features();

}  // namespace daxbench
