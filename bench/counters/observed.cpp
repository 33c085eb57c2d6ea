// Reading the persistence model's instruction counts from inside the lab guest: a marker
// instruction the plugin acts on, then a read of the snapshot file it rewrote.
#include "bench/counters/observed.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "bench/base/syscall_error.h"

namespace daxbench::perf {
namespace {

// The marker: CPUID with the leaf the plugin looks for and the sequence number it copies into
// the snapshot. CPUID serialises the CPU, so no instruction before it is still in flight.
void marker(std::uint32_t seq) {
  std::uint32_t a = lab::kObservedLeaf, b = 0, c = seq, d = 0;
  asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : : "memory");
}

// Distinct in every process and repetition, so a snapshot left from another marker (a plugin
// that did not act on this one) is never taken for its answer.
std::uint32_t next_seq() {
  static std::atomic<std::uint32_t> next{static_cast<std::uint32_t>(::getpid()) << 12};
  return ++next;
}

}  // namespace

ObservedCounts::ObservedCounts() {
  const char* path = std::getenv(lab::kEnvObservedCounts);
  if (!path || !*path) {
    const char* problem = std::getenv(lab::kEnvObservedProblem);
    unavailable_ = problem && *problem
                       ? std::string(problem)
                       : "ENOENT (observed counts exist only in a lab guest under the "
                         "persistence model: lab: {model: true})";
    return;
  }
  fd_ = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd_ < 0)
    unavailable_ =
        errno_name(errno) + " (open " + std::string(path) + ": " + std::strerror(errno) + ")";
}

ObservedCounts::~ObservedCounts() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<lab::ObservedSnapshot> ObservedCounts::mark() {
  if (!unavailable_.empty()) return std::nullopt;
  const std::uint32_t seq = next_seq();
  marker(seq);
  std::array<char, 4096> buf{};
  const ssize_t n = ::pread(fd_, buf.data(), buf.size(), 0);
  if (n < 0) {
    unavailable_ = errno_name(errno) + " (reading the snapshot: " + std::strerror(errno) + ")";
    return std::nullopt;
  }
  std::string problem;
  auto snapshot = lab::parse_observed_snapshot(
      std::string_view(buf.data(), static_cast<std::size_t>(n)), problem);
  if (!snapshot) {
    unavailable_ = "EPROTO (" + problem + ")";
  } else if (snapshot->seq != seq) {
    unavailable_ = "EPROTO (the snapshot is of marker " + std::to_string(snapshot->seq) + ", not " +
                   std::to_string(seq) + ": the plugin did not answer the marker)";
    snapshot.reset();
  }
  return snapshot;
}

void ObservedCounts::start() {
  begin_ = mark();
}

void ObservedCounts::stop() {
  if (begin_ && !end_) end_ = mark();
}

void ObservedCounts::add_metrics(std::uint64_t ops, Metrics& out) const {
  std::string why = unavailable_;
  if (why.empty() && (!begin_ || !end_)) why = "ENODATA (the timed phase was not marked)";
  for (std::size_t p = 0; p < std::size(lab::kObservedPrivileges); ++p) {
    const std::string_view privilege = lab::kObservedPrivileges[p];
    for (const lab::ObservedKind& kind : lab::kObservedKinds) {
      Metric m;
      m.name = "observed_" + std::string(privilege) + "_" + std::string(kind.name);
      m.unit = std::string(kind.unit);
      m.better = Better::kLower;
      m.scope = p == 0 ? Scope::kGuestUser : Scope::kGuestKernel;
      m.help = std::string(kind.help) + " in " + std::string(privilege) +
               " mode by the whole lab guest, as the persistence model counted them";
      if (why.empty()) {
        const std::string key = lab::observed_key(privilege, kind.name);
        const double value = static_cast<double>(end_->counts.at(key) - begin_->counts.at(key));
        m.value = value;
        if (ops) m.per_op = value / static_cast<double>(ops);
      } else {
        m.status = "unavailable: " + why;
      }
      out.add(std::move(m));
    }
  }
}

}  // namespace daxbench::perf
