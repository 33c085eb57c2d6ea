// The list of workloads, built from workloads.def, and the payload bytes they all store.
#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "workloads/workload.h"

namespace daxbench {

#define DAXBENCH_WORKLOAD(symbol) extern const WorkloadDesc symbol;
#include "workloads/workloads.def"
#undef DAXBENCH_WORKLOAD

namespace {
const WorkloadDesc* const kWorkloads[] = {
#define DAXBENCH_WORKLOAD(symbol) &symbol,
#include "workloads/workloads.def"
#undef DAXBENCH_WORKLOAD
};
}  // namespace

std::span<const WorkloadDesc* const> workloads() {
  return kWorkloads;
}

ThreadView thread_view(const WorkloadDesc& workload, const ParamSet& params) {
  constexpr std::uint64_t kPage = 4096;
  const std::uint64_t size = params.size("working_set");
  const auto threads = static_cast<std::uint64_t>(params.integer("threads"));
  if (params.text("files") != "shared" || !(workload.flags & kPartitionsSharedFile))
    return {false, size};
  return {true, (size / threads) & ~(kPage - 1)};
}

const WorkloadDesc* find_workload(std::string_view name) {
  for (const WorkloadDesc* desc : kWorkloads)
    if (desc->name == name) return desc;
  return nullptr;
}

// Random bytes drawn once: refilling per record would put RNG time inside the measured
// operation, and only the sequence number is needed to tell records apart.
Payload::Payload(std::size_t max_record, Rng& rng)
    : bytes_(std::max(max_record, sizeof(std::uint64_t))) {
  for (std::size_t i = 0; i < bytes_.size(); i += sizeof(std::uint64_t)) {
    const std::uint64_t word = rng.next();
    std::memcpy(bytes_.data() + i, &word, std::min(sizeof word, bytes_.size() - i));
  }
}

const std::byte* Payload::next(std::size_t len) {
  if (len > bytes_.size())
    throw std::length_error("payload of " + std::to_string(len) + " bytes, at most " +
                            std::to_string(bytes_.size()) + " prepared");
  std::memcpy(bytes_.data(), &sequence_, std::min(len, sizeof sequence_));
  ++sequence_;
  return bytes_.data();
}

}  // namespace daxbench
