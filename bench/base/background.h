// The `background: metadata` load: a thread that creates, writes, fsyncs and unlinks small
// files in the scratch folder while a case runs, to show tail-latency interference.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>

namespace daxbench {

class MetadataLoad {
 public:
  explicit MetadataLoad(std::filesystem::path scratch_file_prefix);
  ~MetadataLoad();  // stops and joins
  void stop();
  std::uint64_t operations() const { return operations_.load(); }
  const std::string& error() const { return error_; }  // set if a syscall failed

 private:
  void loop();
  std::filesystem::path prefix_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> operations_{0};
  std::string error_;
  std::thread thread_;
};

}  // namespace daxbench
