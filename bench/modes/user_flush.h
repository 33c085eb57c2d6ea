// What the user-space flushing modes share: a store is a copy into the mapping; a commit
// flushes every dirty line and fences once. The modes differ only in how they map and prepare.
#pragma once

#include <memory>

#include "bench/modes/mode.h"

namespace daxbench {

class UserFlushWriter final : public Writer {
 public:
  using Writer::Writer;

 private:
  void do_store(std::uint64_t offset, const void* src, std::size_t len) override {
    copy_into_mapping(offset, src, len);
  }
  void do_commit() override { flush_dirty_and_drain(); }
};

// fio's dev-dax engine persists every write, so on device-DAX it mirrors any mode that flushes
// from user space with a commit per record: one row, shared.
inline constexpr fio::ModeRow kFioDevDaxRow{
    fio::Where::kDevice, fio::Engine::kDevDax, fio::Sync::kPersistEach,
    "device-DAX: pmem_memcpy_persist (flush + drain) per write, as a commit per record"};

class UserFlushMode : public Mode {
 public:
  explicit UserFlushMode(const FlushOps* flush) : flush_(flush) {}
  std::unique_ptr<Writer> make_writer(MappedFile& file) override {
    return std::make_unique<UserFlushWriter>(file, flush_);
  }

 private:
  const FlushOps* flush_;
};

}  // namespace daxbench
