// The model's bookkeeping: per-CPU pending bytes, kept line by line in program order (a later
// capture or non-temporal store of a byte replaces an earlier one, as the fence would apply
// them in order), written into the durable image at the CPU's next fence.
#include "bench/lab/model/persistence_model.h"

#include <algorithm>
#include <cstring>

namespace daxbench::model {

PersistenceModel::PersistenceModel(std::span<const std::byte> live, DurableImage& image,
                                   unsigned vcpus)
    : live_(live), image_(image), pending_(vcpus == 0 ? 1 : vcpus) {}

void PersistenceModel::stage(PendingSet& set, std::uint64_t offset, std::size_t size) {
  while (size > 0) {
    const std::uint64_t line = offset & ~std::uint64_t{kLineSize - 1};
    const std::size_t at = offset - line;
    const std::size_t n = std::min(size, kLineSize - at);
    PendingLine& pending = set[line];
    std::memcpy(pending.bytes.data() + at, live_.data() + offset, n);
    const std::uint64_t bits = n == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << n) - 1);
    pending.mask |= bits << at;
    offset += n;
    size -= n;
  }
}

void PersistenceModel::write_back_line(unsigned vcpu, std::uint64_t offset) {
  const std::uint64_t line = offset & ~std::uint64_t{kLineSize - 1};
  if (line + kLineSize > live_.size()) return;
  const std::lock_guard lock(mutex_);
  stage(pending_.at(vcpu), line, kLineSize);
  ++totals_.lines_captured;
}

void PersistenceModel::flush_line_now(std::uint64_t offset) {
  const std::uint64_t line = offset & ~std::uint64_t{kLineSize - 1};
  if (line + kLineSize > live_.size()) return;
  const std::lock_guard lock(mutex_);
  image_.write(line, live_.subspan(line, kLineSize));
  ++totals_.lines_immediate;
}

void PersistenceModel::non_temporal_store(unsigned vcpu, std::uint64_t offset, std::size_t size) {
  if (offset >= live_.size()) return;
  if (size > live_.size() - offset) size = live_.size() - offset;
  const std::lock_guard lock(mutex_);
  stage(pending_.at(vcpu), offset, size);
  totals_.nt_bytes += size;
}

void PersistenceModel::write_line(std::uint64_t line, const PendingLine& pending) {
  // Contiguous runs of pending bytes, each one write (a whole line in the common case).
  std::size_t i = 0;
  while (i < kLineSize) {
    if (!(pending.mask >> i & 1)) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < kLineSize && (pending.mask >> end & 1)) ++end;
    image_.write(line + i, std::span(pending.bytes).subspan(i, end - i));
    i = end;
  }
}

void PersistenceModel::fence(unsigned vcpu) {
  const std::lock_guard lock(mutex_);
  PendingSet& set = pending_.at(vcpu);
  ++totals_.fences;
  for (const auto& [line, pending] : set) write_line(line, pending);
  totals_.lines_made_durable += set.size();
  set.clear();
}

std::size_t PersistenceModel::pending_lines(unsigned vcpu) const {
  const std::lock_guard lock(mutex_);
  return pending_.at(vcpu).size();
}

ModelTotals PersistenceModel::totals() const {
  const std::lock_guard lock(mutex_);
  return totals_;
}

}  // namespace daxbench::model
