// An error from a syscall issued during a case: the case is recorded as failed with it.
#pragma once

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace daxbench {

// "EOPNOTSUPP" for 95: records say the errno by name, as the kernel's headers do.
inline std::string errno_name(int error) {
  const char* name = strerrorname_np(error);
  return name ? name : "errno " + std::to_string(error);
}

inline std::string errno_text(std::string_view call, int error) {
  return std::string(call) + ": " + errno_name(error) + " (" + std::strerror(error) + ")";
}

struct SyscallError : std::runtime_error {
  SyscallError(std::string_view call, int error) : std::runtime_error(errno_text(call, error)) {}
};

}  // namespace daxbench
