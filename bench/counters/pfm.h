// libpfm4 event strings ("cycles", "perf::page-faults", "INST_RETIRED:ANY_P") encoded into what
// perf_event_open needs; the only file that sees libpfm4's headers.
#pragma once

#include <string>
#include <string_view>

#include "bench/counters/perf_event.h"

namespace daxbench::perf {

struct PfmEncoding {
  bool ok = false;
  EventCode code;     // when ok
  std::string fqn;    // libpfm4's fully qualified name ("ivb::INST_RETIRED:ANY_P:k=1:u=1")
  std::string error;  // when not ok: libpfm4's own words ("event not found")
};

// Encodes `event` for user and kernel level (PFM_PLM0|PFM_PLM3: the syncs and faults measured
// here happen in the kernel). libpfm4 is initialised once per process, on first use. Encoding
// says nothing about whether the kernel can open it: that is learnt by opening.
PfmEncoding pfm_encode(std::string_view event);

}  // namespace daxbench::perf
