// The list of flush primitives, built from flush.def.
#include "bench/flush/flush.h"

#include <vector>

namespace daxbench {

#define DAXBENCH_FLUSH(symbol) extern const FlushOps symbol;
#include "bench/flush/flush.def"
#undef DAXBENCH_FLUSH

namespace {
// A function's static, so fixtures added from another file's static initialiser find it built.
std::vector<const FlushOps*>& primitives() {
  static std::vector<const FlushOps*> list = {
#define DAXBENCH_FLUSH(symbol) &symbol,
#include "bench/flush/flush.def"
#undef DAXBENCH_FLUSH
  };
  return list;
}
}  // namespace

std::span<const FlushOps* const> flush_primitives() {
  return primitives();
}

void add_fixture_flushes(std::span<const FlushOps* const> fixtures) {
  for (const FlushOps* ops : fixtures)
    if (ops->planted_fault && !ops->auto_candidate && !find_flush(ops->name))
      primitives().push_back(ops);
}

const FlushOps* find_flush(std::string_view name) {
  for (const FlushOps* ops : primitives())
    if (ops->name == name) return ops;
  return nullptr;
}

const FlushOps* best_flush() {
  for (const FlushOps* ops : primitives())
    if (ops->auto_candidate && ops->available()) return ops;
  return nullptr;
}

const FlushOps* resolve_flush(std::string_view name, std::string& problem) {
  const FlushOps* ops = name == "auto" ? best_flush() : find_flush(name);
  if (!ops)
    problem = "no cache-flush instruction available on this CPU";
  else if (!ops->available())
    problem = "the CPU lacks " + std::string(ops->name) + " (CPUID)";
  return problem.empty() ? ops : nullptr;
}

}  // namespace daxbench
