// Linked into the test driver `daxbench-mutants` only: adds the mutants of mutant_flush.h to
// its flush primitives before main, so a crash config run by it can name them as `flushes:`.
#include "bench/flush/flush.h"
#include "tests/unit/mutant_flush.h"

namespace {

[[maybe_unused]] const bool kMutantsAdded = [] {
  daxbench::add_fixture_flushes(daxbench::testing::mutant_flushes());
  return true;
}();

}  // namespace
