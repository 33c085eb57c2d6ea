// pfm_initialize once, then pfm_get_os_event_encoding(PFM_OS_PERF_EVENT_EXT) per event string.
#include "bench/counters/pfm.h"

// The kernel's header first: libpfm4's perfmon/perf_event.h then skips its own copy.
#include <linux/perf_event.h>
#include <perfmon/pfmlib_perf_event.h>

#include <cstdlib>
#include <mutex>

namespace daxbench::perf {
namespace {

int initialise() {
  static std::once_flag once;
  static int status = PFM_SUCCESS;
  std::call_once(once, [] { status = pfm_initialize(); });
  return status;
}

}  // namespace

PfmEncoding pfm_encode(std::string_view event) {
  PfmEncoding out;
  if (const int status = initialise(); status != PFM_SUCCESS) {
    out.error = std::string("pfm_initialize: ") + pfm_strerror(status);
    return out;
  }
  perf_event_attr attr{};
  attr.size = sizeof attr;
  char* fqn = nullptr;
  pfm_perf_encode_arg_t arg{};
  arg.attr = &attr;
  arg.fstr = &fqn;
  arg.size = sizeof arg;
  const std::string name(event);
  const int status =
      pfm_get_os_event_encoding(name.c_str(), PFM_PLM0 | PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg);
  if (status != PFM_SUCCESS) {
    out.error = pfm_strerror(status);
    return out;
  }
  if (fqn) {
    out.fqn = fqn;
    std::free(fqn);  // allocated by libpfm4 for us
  }
  out.ok = true;
  out.code.type = attr.type;
  out.code.config = attr.config;
  out.code.config1 = attr.config1;
  out.code.config2 = attr.config2;
  out.code.exclude_user = attr.exclude_user;
  out.code.exclude_kernel = attr.exclude_kernel;
  out.code.exclude_hv = attr.exclude_hv;
  return out;
}

}  // namespace daxbench::perf
