// The list of flush primitives, built from flush.def.
#include "bench/flush/flush.h"

namespace daxbench {

#define DAXBENCH_FLUSH(symbol) extern const FlushOps symbol;
#include "bench/flush/flush.def"
#undef DAXBENCH_FLUSH

namespace {
const FlushOps* const kPrimitives[] = {
#define DAXBENCH_FLUSH(symbol) &symbol,
#include "bench/flush/flush.def"
#undef DAXBENCH_FLUSH
};
}  // namespace

std::span<const FlushOps* const> flush_primitives() {
  return kPrimitives;
}

const FlushOps* find_flush(std::string_view name) {
  for (const FlushOps* ops : kPrimitives)
    if (ops->name == name) return ops;
  return nullptr;
}

const FlushOps* best_flush() {
  for (const FlushOps* ops : kPrimitives)
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
