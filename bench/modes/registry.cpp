// The list of modes (from modes.def), the default mapping, and the durability verdict.
#include <sys/mman.h>

#include <cerrno>

#include "bench/base/syscall_error.h"
#include "bench/modes/mode.h"

namespace daxbench {

#define DAXBENCH_MODE(symbol) extern const ModeDesc symbol;
#include "bench/modes/modes.def"
#undef DAXBENCH_MODE

namespace {
const ModeDesc* const kModes[] = {
#define DAXBENCH_MODE(symbol) &symbol,
#include "bench/modes/modes.def"
#undef DAXBENCH_MODE
};
}  // namespace

std::span<const ModeDesc* const> modes() {
  return kModes;
}

const ModeDesc* find_mode(std::string_view name) {
  for (const ModeDesc* mode : kModes)
    if (mode->name == name) return mode;
  return nullptr;
}

int map_file(MappedFile& file, int flags) {
  void* p = mmap(nullptr, file.size, PROT_READ | PROT_WRITE, flags, file.fd,
                 static_cast<off_t>(file.offset));
  if (p == MAP_FAILED) return errno;
  // Measure 4 KiB faults: a huge page would turn 512 faults into one and hide the fault path.
  // Not on a device aligned to huge pages: it refuses smaller faults (SIGBUS).
  if (file.page_size <= 4096) madvise(p, file.size, MADV_NOHUGEPAGE);
  file.base = static_cast<std::byte*>(p);
  return 0;
}

std::optional<std::string> Mode::map(MappedFile& file) {
  if (const int error = map_file(file, MAP_SHARED)) return errno_text("mmap", error);
  return std::nullopt;
}

void Mode::unmap(MappedFile& file) {
  if (file.base) munmap(file.base, file.size);
  file.base = nullptr;
}

bool is_durable(const ModeDesc& mode, const TargetFacts& target, std::string* why) {
  auto say = [why](const char* text) {
    if (why) *why = text;
  };
  switch (mode.durability) {
    case Durability::kNever:
      say("this mode promises no durability (baseline or unsafe control)");
      return false;
    case Durability::kBySyscall:
      if (!target.persistent) {
        say("the target keeps files in memory only (tmpfs): syncs cannot make them durable");
        return false;
      }
      say("the kernel writes data and metadata back in the commit's syscall");
      return true;
    case Durability::kWhenPmem:
      // A DAX target whose kernel refuses MAP_SYNC is an asynchronous region (virtio-pmem):
      // the stores reach the device, but only its flush (sent by fsync) makes them durable.
      if (target.dax && target.map_sync.starts_with("refused")) {
        say("DAX, but the kernel refuses MAP_SYNC here (an asynchronous region such as "
            "virtio-pmem): user-space flushes are not durable until fsync sends its flush");
        return false;
      }
      if (target.dax) {
        say("user-space flushes reach persistent memory on this DAX target");
        return true;
      }
      say("user-space flushes only reach the page cache on a non-DAX target");
      return false;
  }
  return false;
}

}  // namespace daxbench
