// What the flush tests share: a page-aligned stand-in for a mapping, a byte pattern, a
// primitive by name, and the lines the shared line loop visits for a range (recorded).
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bench/flush/flush.h"
#include "bench/flush/line_loop.h"
#include "bench/io/mapped_file.h"

namespace daxbench::testing {

inline constexpr std::size_t kSize = 4 * 4096;

// A page-aligned stand-in for a mapping, so line counts do not depend on the allocator.
struct AlignedFile {
  struct alignas(4096) Bytes {
    std::array<std::byte, kSize> data{};
  };
  AlignedFile() : bytes(std::make_unique<Bytes>()) {
    file.path = "(memory)";
    file.size = kSize;
    file.base = bytes->data.data();
  }
  std::unique_ptr<Bytes> bytes;
  MappedFile file;
};

inline std::vector<std::byte> pattern(std::size_t len, unsigned seed) {
  std::vector<std::byte> out(len);
  for (std::size_t i = 0; i < len; ++i) out[i] = std::byte(static_cast<unsigned char>(seed + i));
  return out;
}

inline const FlushOps& primitive(std::string_view name) {
  const FlushOps* ops = find_flush(name);
  if (!ops) throw std::runtime_error("no flush primitive " + std::string(name));
  return *ops;
}

using Lines = std::vector<std::uint64_t>;

// The offsets (from the page-aligned base) of the lines for_each_line hands its instruction,
// in the order it hands them; also checks that it returns how many it handed.
inline Lines visit(std::uint64_t offset, std::uint64_t len) {
  static const AlignedFile mem;
  const auto base = reinterpret_cast<std::uintptr_t>(mem.file.base);
  Lines lines;
  const std::size_t n = for_each_line(mem.file.base + offset, len,
                                      [&](std::uintptr_t line) { lines.push_back(line - base); });
  EXPECT_EQ(n, lines.size()) << "for_each_line's count is not the lines it visited";
  return lines;
}

}  // namespace daxbench::testing
