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

}  // namespace daxbench
