// Parsing and checking the crash manifest: every field is checked before any file is made,
// so a bad manifest fails at once and says which field is wrong.
#include "bench/lab/guest/manifest.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "bench/base/rng.h"
#include "bench/flush/flush.h"

namespace daxbench::crash {
namespace {

using nlohmann::json;

constexpr std::string_view kFileStates[] = {"sparse", "fallocated", "zeroed"};

[[noreturn]] void fail(const std::string& field, const std::string& problem) {
  throw ManifestError(field + ": " + problem);
}

const json& member(const json& object, const std::string& where, const char* key) {
  const std::string field = where.empty() ? key : where + "." + key;
  if (!object.contains(key)) fail(field, "missing");
  return object.at(key);
}

std::uint64_t unsigned_field(const json& object, const std::string& where, const char* key) {
  const json& v = member(object, where, key);
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
    fail(where.empty() ? key : where + "." + key, "expected a non-negative integer");
  return v.get<std::uint64_t>();
}

std::string text_field(const json& object, const std::string& where, const char* key) {
  const json& v = member(object, where, key);
  if (!v.is_string()) fail(where + "." + key, "expected a string");
  const std::string text = v.get<std::string>();
  if (text.empty()) fail(where + "." + key, "empty");
  return text;
}

template <typename Span, typename Name>
std::string names_of(const Span& items, Name name) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + std::string(name(item));
  return out;
}

CrashCell parse_cell(const json& c, const std::string& where) {
  if (!c.is_object()) fail(where, "expected an object");
  CrashCell cell;
  cell.id = text_field(c, where, "id");
  const std::string workload = text_field(c, where, "workload");
  cell.workload = find_crash_workload(workload);
  if (!cell.workload)
    fail(where + ".workload",
         "unknown crash workload '" + workload + "' (registered: " +
             names_of(crash_workloads(), [](const CrashWorkloadDesc* w) { return w->name; }) + ")");
  const std::string mode = text_field(c, where, "mode");
  cell.mode = find_mode(mode);
  if (!cell.mode)
    fail(where + ".mode", "unknown mode '" + mode + "' (registered: " +
                              names_of(modes(), [](const ModeDesc* m) { return m->name; }) + ")");
  cell.file_state = text_field(c, where, "file_state");
  if (std::ranges::find(kFileStates, cell.file_state) == std::end(kFileStates))
    fail(where + ".file_state",
         "'" + cell.file_state + "' is not one of sparse, fallocated, zeroed");
  if (!cell.mode->fixed_file_state.empty() && cell.mode->fixed_file_state != cell.file_state)
    fail(where + ".file_state",
         "mode " + mode + " always prepares its files " + std::string(cell.mode->fixed_file_state));
  cell.flush = text_field(c, where, "flush");
  if (cell.flush != "auto" && !find_flush(cell.flush))
    fail(where + ".flush",
         "unknown flush '" + cell.flush + "' (auto or: " +
             names_of(flush_primitives(), [](const FlushOps* f) { return f->name; }) + ")");
  cell.file = text_field(c, where, "file");
  cell.ack = text_field(c, where, "ack");
  cell.size = unsigned_field(c, where, "size");
  if (c.contains("concurrent_write")) {
    const std::string at = where + ".concurrent_write";
    const json& w = c.at("concurrent_write");
    if (!w.is_object()) fail(at, "expected an object with placement and written");
    ConcurrentWrite write;
    write.placement = text_field(w, at, "placement");
    if (std::ranges::find(kPlacements, write.placement) == std::end(kPlacements))
      fail(at + ".placement", "'" + write.placement + "' is not one of " +
                                  names_of(kPlacements, [](std::string_view p) { return p; }));
    write.written = text_field(w, at, "written");
    cell.concurrent_write = std::move(write);
  }
  const CellLayout layout = cell_layout(cell);
  if (cell.workload->capacity(layout.workload_bytes) == 0)
    fail(where + ".size",
         std::to_string(cell.size) + " bytes hold no " + workload + " record" +
             (cell.concurrent_write ? " in the half left by the concurrent writer" : ""));
  if (cell.concurrent_write && layout.writer_bytes < kRecordSize)
    fail(where + ".size",
         std::to_string(cell.size) + " bytes leave the concurrent writer no record");
  cell.seed = unsigned_field(c, where, "seed");
  const json& seconds = member(c, where, "max_seconds");
  if (!seconds.is_number() || seconds.get<double>() <= 0)
    fail(where + ".max_seconds", "expected a positive number");
  cell.max_seconds = seconds.get<double>();
  return cell;
}

}  // namespace

CrashManifest parse_manifest(const std::string& text) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    throw ManifestError(std::string("not JSON: ") + e.what());
  }
  if (!root.is_object()) throw ManifestError("expected an object with nonce and cells");
  CrashManifest manifest;
  manifest.nonce = unsigned_field(root, "", "nonce");
  const json& cells = member(root, "", "cells");
  if (!cells.is_array() || cells.empty()) fail("cells", "expected a non-empty array");
  std::set<std::string> ids, paths;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const std::string where = "cells[" + std::to_string(i) + "]";
    CrashCell cell = parse_cell(cells[i], where);
    if (!ids.insert(cell.id).second) fail(where + ".id", "'" + cell.id + "' used twice");
    if (!paths.insert(cell.file.lexically_normal().string()).second)
      fail(where + ".file", "'" + cell.file.string() + "' used twice");
    if (!paths.insert(cell.ack.lexically_normal().string()).second)
      fail(where + ".ack", "'" + cell.ack.string() + "' used twice");
    if (cell.concurrent_write &&
        !paths.insert(cell.concurrent_write->written.lexically_normal().string()).second)
      fail(where + ".concurrent_write.written",
           "'" + cell.concurrent_write->written.string() + "' used twice");
    manifest.cells.push_back(std::move(cell));
  }
  return manifest;
}

CrashManifest load_manifest(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw ManifestError(path.string() + ": cannot read");
  std::stringstream text;
  text << in.rdbuf();
  return parse_manifest(text.str());
}

CellLayout cell_layout(const CrashCell& cell) {
  if (!cell.concurrent_write) return {cell.size};
  const std::uint64_t half = cell.size / 2 / kRecordSize * kRecordSize;
  if (cell.concurrent_write->placement == "append") return {cell.size, cell.size, half};
  return {half, half, half};  // inside and mapped: the second half
}

std::uint64_t concurrent_nonce(std::uint64_t nonce) {
  std::uint64_t mixed = nonce ^ 0xc0c0a11e57u;
  return splitmix64(mixed) | 1;
}

std::filesystem::path status_path(const CrashCell& cell) {
  return cell.ack.string() + ".status";
}

}  // namespace daxbench::crash
