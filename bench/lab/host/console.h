// A lab guest's console, read from the host: logged whole to a file, split into lines handed
// to a matcher, its last lines kept to quote in a failure's reason.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

namespace daxbench {

class Console {
 public:
  Console(int fd, const std::filesystem::path& log) : fd_(fd), log_(log) {}
  ~Console();  // closes the console
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  enum class Until { kLine, kTime, kEof, kStop };
  // Reads for up to `seconds`, handing each line to `done` until it returns true.
  Until read(double seconds, const std::atomic<bool>& stop,
             const std::function<bool(const std::string&)>& done);

  // The last lines, joined with " | ".
  std::string tail() const;

 private:
  static constexpr std::size_t kTailLines = 15;
  std::string take(std::string line);

  int fd_;
  std::ofstream log_;
  std::string partial_;
  std::deque<std::string> tail_;
};

}  // namespace daxbench
