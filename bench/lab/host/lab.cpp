// A lab on the host: finds QEMU, builds (or reuses) the guest image and boots guests; lab/*.sh
// hold the QEMU details. The session hands all of a lab target's cases to lab_run.
#include "bench/lab/host/lab.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

#include "bench/base/syscall_error.h"
#include "bench/lab/protocol.h"
#include "bench/targets/lab.h"

namespace daxbench {
namespace {

namespace fs = std::filesystem;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

bool on_path(const std::string& program) {
  std::string path = env("PATH");
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find(':', start), path.size());
    const std::string dir = path.substr(start, end - start);
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

// Whether this QEMU can emulate without KVM: the lab's accelerator on machines without
// usable hardware virtualisation (docs/lab.md). Asked once per run (≈50 ms).
bool qemu_has_tcg(std::string& problem) {
  static const std::string answer = [] {
    std::FILE* out = popen("qemu-system-x86_64 -accel help 2>&1", "r");
    if (!out) return errno_text("popen qemu-system-x86_64 -accel help", errno);
    std::string text;
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, out)) text += buffer;
    pclose(out);
    for (std::size_t at = 0; (at = text.find("tcg", at)) != std::string::npos; at += 3)
      if ((at == 0 || text[at - 1] == '\n') && (at + 3 == text.size() || text[at + 3] == '\n'))
        return std::string();
    for (char& c : text)
      if (c == '\n') c = ' ';
    return "this qemu-system-x86_64 has no TCG accelerator (`-accel help`: " + text + ")";
  }();
  problem = answer;
  return answer.empty();
}

// What build-image.sh made of one kernel: the image folder, or why there is none.
struct BuiltImage {
  std::string folder;
  std::string problem;
  bool refused = false;  // exit 3: the kernel named cannot run the lab (its input's fault)
};

// build-image.sh's exit status for a kernel it refuses (lab/build-image.sh, "Exit status").
constexpr int kKernelRefused = 3;

// Runs build-image.sh; its last line of output is the image folder. Its messages go to our
// stderr as they come (the first build downloads and unpacks a kernel), and its last
// "error:" line becomes the reason when it fails, so a failed record names the cause.
BuiltImage build_image(const fs::path& script, const std::vector<std::string>& args) {
  BuiltImage built;
  std::string& problem = built.problem;
  std::string command = shell_quote(script.string());
  for (const std::string& arg : args) command.append(" ").append(shell_quote(arg));
  command.append(" 2>&1");
  std::FILE* out = popen(command.c_str(), "r");
  if (!out) {
    problem = errno_text("popen " + script.string(), errno);
    return built;
  }
  // One line held back: the last one is the folder, not a message.
  std::string held, line, error;
  auto take = [&](std::string text) {
    if (text.empty()) return;
    if (!held.empty()) std::fprintf(stderr, "%s\n", held.c_str());
    if (text.find("error: ") != std::string::npos) error = text;
    held = std::move(text);
  };
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, out)) {
    line += buffer;
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      take(std::move(line));
      line.clear();
    }
  }
  take(std::move(line));
  const int status = pclose(out);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (!held.empty()) std::fprintf(stderr, "%s\n", held.c_str());
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    built.refused = code == kKernelRefused;
    problem = built.refused ? (error.empty() ? "build-image.sh refused the kernel" : error)
                            : "the lab image build failed (" + script.string() + " exited " +
                                  std::to_string(code) + (error.empty() ? "" : ": " + error) + ")";
    return built;
  }
  built.folder = held;
  return built;
}

// Once per run, kernel and kind (a cache hit costs the script 0.1-0.6 s): the kinds of one
// kernel share its image.
const BuiltImage& image_of(const fs::path& script, const std::vector<std::string>& args) {
  static std::map<std::vector<std::string>, BuiltImage> built;
  auto it = built.find(args);
  if (it == built.end()) it = built.emplace(args, build_image(script, args)).first;
  return it->second;
}

// manifest.txt's `key: value` lines → what records and context.json say of the kernel.
nlohmann::ordered_json read_kernel_facts(const fs::path& image, const std::string& name) {
  std::map<std::string, std::string> manifest;
  std::ifstream in(image / "manifest.txt");
  for (std::string line; std::getline(in, line);)
    if (const std::size_t colon = line.find(": "); colon != std::string::npos)
      manifest.emplace(line.substr(0, colon), line.substr(colon + 2));
  auto field = [&](const std::string& key) -> nlohmann::ordered_json {
    auto it = manifest.find(key);
    return it == manifest.end() ? nullptr : nlohmann::ordered_json(it->second);
  };
  return {{"name", name.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(name)},
          {"release", field("kernel_release")},
          {"source", field("kernel_source")},
          {"kernel_sha256", field("kernel_sha256")},
          {"config_sha256", field("config_sha256")},
          {"image", image.filename().string()}};
}

}  // namespace

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

fs::path lab_scripts_dir() {
  const std::string configured = env("DAXBENCH_LAB_DIR");
  return configured.empty() ? fs::path(DAXBENCH_SOURCE_DIR) / "lab" : fs::path(configured);
}

Lab::Lab(std::string_view kind, const LabKernel* kernel)
    : kind_(kind), kernel_name_(kernel ? kernel->name : ""), lab_dir_(lab_scripts_dir()) {
  check_lab_kind(kind);
  facts_.spec = "lab:" + kind_;
  facts_.kind = "lab";
  const std::string_view filesystem = lab_kind_filesystem(kind_);
  const bool virtio = !lab_kind_fixed_persistence(kind_).empty();
  facts_.directory = filesystem.empty() ? "/dev/dax0.0 (in the guest)" : "/mnt/pmem (in the guest)";
  facts_.filesystem = filesystem.empty() ? "none (device-DAX)" : std::string(filesystem);
  facts_.dax = true;
  facts_.device = filesystem.empty();
  facts_.map_sync = "probed in the guest";
  facts_.persistence_domain =
      virtio ? "the emulated pmem's backing file on the host, through virtio-pmem (durable on the "
               "host once fsync's flush request is answered)"
             : "the emulated pmem's backing file on the host";
  facts_.emulated = "decided at boot (tcg unless KVM really works)";

  // Only the platform may make the lab unsupported; anything of ours that is missing or
  // fails is a broken lab, recorded as failed.
  std::string why;
  if (!on_path("qemu-system-x86_64")) {
    problem_ = {Status::kUnsupported,
                "qemu-system-x86_64 is not installed (./run.sh installs qemu-system-x86)", false};
  } else if (!qemu_has_tcg(why)) {
    problem_ = {Status::kUnsupported, why, false};
  } else if (access((lab_dir_ / "launch.sh").c_str(), X_OK) != 0 ||
             access((lab_dir_ / "build-image.sh").c_str(), X_OK) != 0) {
    problem_ = {Status::kFailed,
                "the lab is broken: its scripts are missing or not executable in " +
                    lab_dir_.string() + " (launch.sh, build-image.sh)",
                false};
  } else {
    // No kernel named: the lab's default (DAXBENCH_LAB_KERNEL or linux-image-amd64), whose
    // refusal is no config's fault, so it fails the cases as a broken lab does. --kinds: the
    // configuration is checked for what this kind needs (Debian's -rt kernel has no DEV_DAX,
    // yet runs ext4 and xfs); the image is the same for every kind.
    std::vector<std::string> args = kernel ? kernel->image_args() : std::vector<std::string>{};
    args.insert(args.end(), {"--kinds", kind_});
    const BuiltImage& built = image_of(lab_dir_ / "build-image.sh", args);
    image_dir_ = built.folder;
    if (kernel && built.refused)
      problem_ = {Status::kFailed,
                  kernel->where + ": lab kernel '" + kernel->name + "': " + built.problem, true};
    else if (image_dir_.empty() || !fs::is_directory(image_dir_))
      problem_ = {
          Status::kFailed,
          "the lab is broken: " +
              (built.problem.empty() ? "build-image.sh named no image folder" : built.problem),
          false};
    else
      kernel_facts_ = read_kernel_facts(image_dir_, kernel_name_);
  }
  if (!problem_.empty())
    facts_.warning = "lab " + std::string(to_string(problem_.status)) + ": " + problem_.reason;
}

Lab::~Lab() = default;

fs::path Lab::make_pmem_folder() const {
  std::string pattern = (image_dir_ / "run-XXXXXX").string();
  if (!mkdtemp(pattern.data()))
    throw TargetError("lab target: " + errno_text("mkdtemp in " + image_dir_.string(), errno));
  return pattern;
}

std::unique_ptr<ChildProcess> Lab::launch(const fs::path& job_dir, const fs::path& pmem_file,
                                          const fs::path& console_log,
                                          const std::vector<std::string>& extra_args) const {
  const std::string script = (lab_dir_ / "launch.sh").string();
  ChildOptions options;
  options.argv = {script,   "--kind",           kind_,   "--image",       image_dir_.string(),
                  "--pmem", pmem_file.string(), "--job", job_dir.string()};
  options.argv.insert(options.argv.end(), extra_args.begin(), extra_args.end());
  // Never the terminal: QEMU's serial console on stdio would put it in raw mode.
  options.out = ChildStream::kPipe;
  options.err = ChildStream::kPipe;
  options.copy = console_log;
  options.exec_error = std::string(lab::kLabMarker) + " FAILED cannot run " + script;
  options.tail_lines = 15;  // quoted in a failed case's reason
  try {
    return std::make_unique<ChildProcess>(options);
  } catch (const SyscallError& e) {
    throw TargetError(e.what());
  }
}

}  // namespace daxbench
