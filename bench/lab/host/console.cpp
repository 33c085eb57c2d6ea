// Reading a guest's console: poll with a deadline, so a silent guest is seen, and stop on
// request between polls (Ctrl-C).
#include "bench/lab/host/console.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace daxbench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

Console::~Console() {
  close(fd_);
}

Console::Until Console::read(double seconds, const std::atomic<bool>& stop,
                             const std::function<bool(const std::string&)>& done) {
  const auto start = Clock::now();
  for (;;) {
    if (stop.load()) return Until::kStop;
    const double left = seconds - seconds_since(start);
    if (left <= 0) return Until::kTime;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::min(left * 1000, 250.0)) + 1) <= 0) continue;
    char buffer[4096];
    const ssize_t got = ::read(fd_, buffer, sizeof buffer);
    if (got <= 0) {
      if (!partial_.empty()) take(partial_);
      partial_.clear();
      return Until::kEof;
    }
    log_.write(buffer, got);
    log_.flush();
    partial_.append(buffer, static_cast<std::size_t>(got));
    bool matched = false;
    for (std::size_t nl; (nl = partial_.find('\n')) != std::string::npos;) {
      const std::string line = take(partial_.substr(0, nl));
      partial_.erase(0, nl + 1);
      if (!matched && done && done(line)) matched = true;
    }
    if (matched) return Until::kLine;
  }
}

std::string Console::tail() const {
  std::string out;
  for (const std::string& line : tail_) out += (out.empty() ? "" : " | ") + line;
  return out;
}

std::string Console::take(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  tail_.push_back(line);
  if (tail_.size() > kTailLines) tail_.pop_front();
  return line;
}

}  // namespace daxbench
