// The names records give a metric's direction and scope.
#include "bench/base/metric.h"

namespace daxbench {

std::string_view to_string(Better better) {
  switch (better) {
    case Better::kLower:
      return "lower";
    case Better::kHigher:
      return "higher";
    case Better::kNeither:
      return "neither";
  }
  return "neither";
}

std::string_view to_string(Scope scope) {
  switch (scope) {
    case Scope::kWriterThreads:
      return "writer-threads";
    case Scope::kSystemWide:
      return "system-wide";
    case Scope::kBackground:
      return "background-thread";
    case Scope::kGuestUser:
      return "guest-user";
    case Scope::kGuestKernel:
      return "guest-kernel";
  }
  return "writer-threads";
}

}  // namespace daxbench
