// The flush conformance checks (flush_conformance.h) and the expected lines of a range.
#include "tests/unit/flush_conformance.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <sstream>

#include "bench/modes/user_flush.h"

namespace daxbench::testing {
namespace {

struct alignas(kProbePage) ProbeBuffer {
  std::array<std::byte, kProbeSize> bytes{};
};

// "+0 +64 +128"; a long list keeps its first three and last two lines.
std::string offsets(const std::vector<std::uint64_t>& lines) {
  if (lines.empty()) return "none";
  std::ostringstream out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines.size() > 6 && i == 3) {
      out << " …";
      i = lines.size() - 3;
      continue;
    }
    out << (i ? " +" : "+") << lines[i];
  }
  return out.str();
}

std::string lines_word(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " line" : " lines");
}

std::string call(const char* fn, const ProbeRange& r) {
  return std::string(fn) + "(+" + std::to_string(r.offset) + ", " + std::to_string(r.len) + ") [" +
         r.what + "]";
}

void check_flush(const FlushOps& ops, std::vector<std::string>& failures) {
  auto buffer = std::make_unique<ProbeBuffer>();
  for (const ProbeRange& r : probe_ranges()) {
    const auto overlapped = lines_overlapped(r.offset, r.len);
    const std::size_t expected = ops.writes_back ? overlapped.size() : 0;
    const std::size_t issued = ops.flush(buffer->bytes.data() + r.offset, r.len);
    if (issued == expected) continue;
    std::string failure = std::string(ops.name) + ": " + call("flush", r) + " issued " +
                          std::to_string(issued) + " of the " + lines_word(expected) +
                          " it overlaps (" + offsets(overlapped) + ")";
    if (issued < expected)
      failure += ": " + lines_word(expected - issued) + " not flushed";
    else
      failure += ": " + lines_word(issued - expected) + " too many";
    failures.push_back(failure);
  }
}

void check_drain(const FlushOps& ops, std::vector<std::string>& failures) {
  for (int i = 0; i < 3; ++i) {
    const std::size_t fences = ops.drain();
    if (fences != 1) {
      failures.push_back(std::string(ops.name) + ": drain() issued " + std::to_string(fences) +
                         " fences; a drain must issue exactly one (SFENCE)");
      return;
    }
  }
}

// What a copy of `r` must report: every line covered whole stored non-temporally, every
// partial line stored normally and flushed; a library's copy, nothing.
CopyCounts expected_copy(const FlushOps& ops, std::uint64_t offset, std::uint64_t len) {
  if (ops.library) return {};
  const std::size_t whole = lines_covered_whole(offset, len).size();
  return {lines_overlapped(offset, len).size() - whole, whole};
}

void check_copy(const FlushOps& ops, std::vector<std::string>& failures) {
  auto buffer = std::make_unique<ProbeBuffer>();
  std::vector<std::byte> src(kProbeSize), before(kProbeSize);
  for (std::size_t i = 0; i < src.size(); ++i)
    src[i] = std::byte(static_cast<unsigned char>(i * 7 + 1));
  for (const ProbeRange& r : probe_ranges()) {
    std::byte* base = buffer->bytes.data();
    std::memset(base, 0xee, kProbeSize);
    std::memcpy(before.data(), base, kProbeSize);
    std::memcpy(before.data() + r.offset, src.data(), r.len);  // what memory must then hold
    const CopyCounts done = ops.copy(base + r.offset, src.data(), r.len);
    const std::string where = std::string(ops.name) + ": " + call("copy", r);
    const auto mismatch = std::mismatch(base, base + kProbeSize, before.data());
    if (mismatch.first != base + kProbeSize) {
      const auto at = static_cast<std::uint64_t>(mismatch.first - base);
      failures.push_back(where + ": byte +" + std::to_string(at) +
                         (at >= r.offset && at < r.offset + r.len ? " was not copied"
                                                                  : " outside the range changed"));
    }
    const CopyCounts want = expected_copy(ops, r.offset, r.len);
    if (done.lines_flushed != want.lines_flushed || done.lines_nt_stored != want.lines_nt_stored)
      failures.push_back(where + " reported " + lines_word(done.lines_flushed) + " flushed and " +
                         lines_word(done.lines_nt_stored) + " stored non-temporally, expected " +
                         std::to_string(want.lines_flushed) + " (partial lines of " +
                         offsets(lines_overlapped(r.offset, r.len)) + ") and " +
                         std::to_string(want.lines_nt_stored) + " (whole lines " +
                         offsets(lines_covered_whole(r.offset, r.len)) + ")");
  }
}

// Three commits through the Writer the user-space flushing modes use, of several stores
// each: the Writer's counters must be what the stores cover, one fence per commit.
void check_writer(const FlushOps& ops, std::vector<std::string>& failures) {
  auto buffer = std::make_unique<ProbeBuffer>();
  MappedFile file;
  file.path = "(memory)";
  file.size = kProbeSize;
  file.base = buffer->bytes.data();
  UserFlushWriter writer(file, &ops);
  const std::vector<std::vector<Range>> commits = {
      {{0, 64}, {128, 64}},
      {{kProbePage - 40, 80}, {2 * kProbePage + 32, 100}},
      {{3 * kProbePage + 8, 1}, {3 * kProbePage + 256, 128}}};
  std::vector<std::byte> src(kProbePage, std::byte{0x5a});
  std::uint64_t want_flushed = 0, want_nt = 0;
  for (const auto& stores : commits) {
    for (const Range& s : stores) {
      writer.store(s.offset, src.data(), s.length);
      if (ops.copy) {
        const CopyCounts c = expected_copy(ops, s.offset, s.length);
        want_flushed += c.lines_flushed;
        want_nt += c.lines_nt_stored;
      } else if (ops.writes_back) {
        want_flushed += lines_overlapped(s.offset, s.length).size();
      }
    }
    writer.commit();
  }
  const InternalCounters& got = writer.counters();
  const std::string where = std::string(ops.name) + ": a Writer's " +
                            std::to_string(commits.size()) + " commits counted ";
  if (got.lines_flushed != want_flushed)
    failures.push_back(where + "lines_flushed " + std::to_string(got.lines_flushed) +
                       ", expected " + std::to_string(want_flushed));
  if (got.lines_nt_stored != want_nt)
    failures.push_back(where + "lines_nt_stored " + std::to_string(got.lines_nt_stored) +
                       ", expected " + std::to_string(want_nt));
  if (got.fences != commits.size())
    failures.push_back(where + "fences " + std::to_string(got.fences) + ", expected " +
                       std::to_string(commits.size()) + " (one per commit)");
}

}  // namespace

const std::vector<ProbeRange>& probe_ranges() {
  static const std::vector<ProbeRange> ranges = {
      {0, 64, "one aligned line"},
      {256, 256, "aligned start, four lines"},
      {8, 64, "unaligned start"},
      {128, 0, "len 0, aligned"},
      {200, 0, "len 0, unaligned"},
      {130, 1, "one byte"},
      {32, 96, "ending on a line boundary"},
      {32, 100, "partial first and last lines"},
      {1000, 80, "two partial lines, none whole"},
      {kProbePage - 40, 80, "across a 4 KiB page boundary"},
      {kProbePage, kProbePage, "a whole page"},
      {2 * kProbePage - 1, kProbePage + 2, "a page and two bytes, across two page boundaries"},
  };
  return ranges;
}

std::vector<std::uint64_t> lines_overlapped(std::uint64_t offset, std::uint64_t len) {
  std::vector<std::uint64_t> lines;
  if (len == 0) return lines;
  for (std::uint64_t line = offset / kCacheLine; line <= (offset + len - 1) / kCacheLine; ++line)
    lines.push_back(line * kCacheLine);
  return lines;
}

std::vector<std::uint64_t> lines_covered_whole(std::uint64_t offset, std::uint64_t len) {
  std::vector<std::uint64_t> lines;
  for (std::uint64_t line : lines_overlapped(offset, len))
    if (line >= offset && line + kCacheLine <= offset + len) lines.push_back(line);
  return lines;
}

std::vector<std::string> check_primitive_conformance(const FlushOps& ops) {
  std::vector<std::string> failures;
  check_flush(ops, failures);
  check_drain(ops, failures);
  if (ops.copy) check_copy(ops, failures);
  check_writer(ops, failures);
  return failures;
}

}  // namespace daxbench::testing
