// The persistence model as a QEMU TCG plugin (API version 4, QEMU 10.0): it finds the flush,
// fence and non-temporal store instructions as they are translated, and when one executes it
// computes the guest-physical line it touches (operand decoding + page walk) and drives the
// PersistenceModel, whose durable image is a file beside the live pmem file.
//
// Arguments (-plugin FILE.so,live=…,durable=…,base=…):
//   live=PATH     the pmem backing file QEMU maps (read here, never written)
//   durable=PATH  the durable image: a copy of the live file made before the boot
//   base=ADDR     the NVDIMM's guest-physical base (the host checks it against the guest's
//                 /sys/bus/nd region resource: DAXBENCH-LAB PMEM-REGION)
//   direct_map=ADDR  where the guest kernel maps all physical memory (default: x86-64's
//                 0xffff888000000000, fixed only with nokaslr); page tables are read there
//   stats=PATH    where the instruction counts are written at QEMU's exit (optional)
//   counts=PATH   the observed-counts snapshot file (bench/lab/observed.h): rewritten with the
//                 counts so far whenever guest user code executes the marker CPUID (optional)
#include <glib.h>
extern "C" {
#include <qemu-plugin.h>
}

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/lab/model/page_walk.h"
#include "bench/lab/model/persistence_model.h"
#include "bench/lab/model/x86_persist_insn.h"
#include "bench/lab/observed.h"

extern "C" {
QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;
}

namespace daxbench::model {
namespace {

[[noreturn]] void die(const std::string& message) {
  const std::string line = "daxbench-pmem-model: error: " + message + "\n";
  qemu_plugin_outs(line.c_str());
  std::fprintf(stderr, "%s", line.c_str());
  std::abort();  // a model that cannot record is no model: the boot must fail, loudly
}

class FileImage final : public DurableImage {
 public:
  explicit FileImage(int fd) : fd_(fd) {}
  void write(std::uint64_t offset, std::span<const std::byte> bytes) override {
    const ssize_t n = ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n != static_cast<ssize_t>(bytes.size())) {
      die("pwrite of the durable image at " + std::to_string(offset) + ": " + std::strerror(errno));
    }
  }

 private:
  int fd_;
};

// Privilege of the code that executed an instruction, from its address: the kernel's half
// of the x86-64 address space.
enum Privilege : int { kUser = 0, kKernel = 1 };
constexpr std::uint64_t kKernelHalf = 0xFFFF'8000'0000'0000ull;

// Counted per instruction kind: PersistInsn's values, then non-temporal stores.
constexpr int kCountNtStore = static_cast<int>(PersistInsn::kMfence) + 1;
constexpr int kCountKinds = kCountNtStore + 1;
std::string count_name(int kind) {
  return kind == kCountNtStore ? "nt_store" : persist_insn_name(static_cast<PersistInsn>(kind));
}

struct Site {  // one translated instruction the model acts on
  DecodedPersistInsn insn;
  std::uint64_t address = 0;
  Privilege privilege = kUser;
};

struct VcpuRegisters {
  std::array<qemu_plugin_register*, kRegisterCount> gpr{};
  qemu_plugin_register* fs_base = nullptr;
  qemu_plugin_register* gs_base = nullptr;
  qemu_plugin_register* cr3 = nullptr;
};

struct Plugin {
  std::string live_path, durable_path, stats_path, counts_path;
  int counts_fd = -1;
  std::mutex counts_mutex;  // one snapshot written at a time (several vCPUs may mark)
  std::uint64_t base = 0, direct_map = 0xFFFF'8880'0000'0000ull;
  std::size_t size = 0;
  std::unique_ptr<FileImage> image;
  std::unique_ptr<PersistenceModel> model;
  std::vector<VcpuRegisters> registers;
  std::mutex sites_mutex;
  std::deque<Site> sites;  // stable addresses: callbacks get pointers into it
  // counts[privilege][kind], and flushes whose address was outside the pmem or untranslatable
  std::array<std::array<std::atomic<std::uint64_t>, kCountKinds>, 2> counts{};
  std::array<std::atomic<std::uint64_t>, 2> nt_bytes{};  // per privilege
  std::atomic<std::uint64_t> outside_pmem{0}, untranslated{0};
};
Plugin* plugin = nullptr;

thread_local GByteArray* scratch = nullptr;
GByteArray* scratch_buffer() {
  if (!scratch) scratch = g_byte_array_new();
  return scratch;
}

std::uint64_t read_register(qemu_plugin_register* handle) {
  GByteArray* buf = scratch_buffer();
  g_byte_array_set_size(buf, 0);
  const int n = qemu_plugin_read_register(handle, buf);
  std::uint64_t value = 0;
  if (n > 0) std::memcpy(&value, buf->data, std::min<std::size_t>(sizeof value, buf->len));
  return value;
}

// The pmem offset a guest virtual address maps to, or nullopt (not mapped, or not pmem).
std::optional<std::uint64_t> pmem_offset(unsigned vcpu, std::uint64_t linear) {
  const std::uint64_t cr3 = read_register(plugin->registers.at(vcpu).cr3);
  const auto read_physical = [](std::uint64_t physical) -> std::optional<std::uint64_t> {
    GByteArray* buf = scratch_buffer();
    if (!qemu_plugin_read_memory_vaddr(plugin->direct_map + physical, buf, 8) || buf->len < 8) {
      return std::nullopt;
    }
    std::uint64_t entry = 0;
    std::memcpy(&entry, buf->data, sizeof entry);
    return entry;
  };
  const std::optional<std::uint64_t> physical = translate(cr3, linear, read_physical);
  if (!physical) {
    plugin->untranslated.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  if (*physical < plugin->base || *physical - plugin->base >= plugin->size) {
    plugin->outside_pmem.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  return *physical - plugin->base;
}

void count(const Site& site, int kind) {
  plugin->counts[site.privilege][kind].fetch_add(1, std::memory_order_relaxed);
}

void on_flush(unsigned vcpu, void* userdata) {
  const Site& site = *static_cast<const Site*>(userdata);
  const VcpuRegisters& regs = plugin->registers.at(vcpu);
  RegisterValues values{.gpr = [&regs](int r) { return read_register(regs.gpr.at(r)); }};
  if (site.insn.operand.segment == Segment::kFs) values.fs_base = read_register(regs.fs_base);
  if (site.insn.operand.segment == Segment::kGs) values.gs_base = read_register(regs.gs_base);
  const std::uint64_t linear =
      effective_address(site.insn.operand, site.address, site.insn.length, values);
  const bool immediate = site.insn.kind == PersistInsn::kClflush;
  count(site, static_cast<int>(site.insn.kind));
  const std::optional<std::uint64_t> offset = pmem_offset(vcpu, linear);
  if (!offset) return;
  if (immediate) {
    plugin->model->flush_line_now(*offset);
  } else {
    plugin->model->write_back_line(vcpu, *offset);
  }
}

void on_fence(unsigned vcpu, void* userdata) {
  const Site& site = *static_cast<const Site*>(userdata);
  count(site, static_cast<int>(site.insn.kind));
  plugin->model->fence(vcpu);
}

void on_nt_store(unsigned vcpu, qemu_plugin_meminfo_t info, std::uint64_t vaddr, void* userdata) {
  if (!qemu_plugin_mem_is_store(info)) return;
  const Site& site = *static_cast<const Site*>(userdata);
  count(site, kCountNtStore);
  const std::size_t size = std::size_t{1} << qemu_plugin_mem_size_shift(info);
  plugin->nt_bytes[site.privilege].fetch_add(size, std::memory_order_relaxed);
  const std::optional<std::uint64_t> offset = pmem_offset(vcpu, vaddr);
  if (offset) plugin->model->non_temporal_store(vcpu, *offset, size);
}

// The counts so far, by the names of bench/lab/observed.h (the guest's and the stats file's).
lab::ObservedSnapshot snapshot() {
  lab::ObservedSnapshot s;
  for (int p = 0; p < 2; ++p) {
    const std::string_view privilege = lab::kObservedPrivileges[p];
    for (int k = 0; k < kCountKinds; ++k) {
      if (k != static_cast<int>(PersistInsn::kOther))
        s.counts.insert_or_assign(lab::observed_key(privilege, count_name(k)),
                                  plugin->counts[p][k].load());
    }
    s.counts.insert_or_assign(lab::observed_key(privilege, "nt_store_bytes"),
                              plugin->nt_bytes[p].load());
  }
  return s;
}

// A user-mode CPUID, before it executes: with the marker leaf in EAX, the snapshot file gets
// the counts so far and ECX's sequence number, written before the vCPU goes on, so the guest's
// read right after the marker finds it. Any other CPUID is the program's own.
void on_cpuid(unsigned vcpu, void*) {
  const VcpuRegisters& regs = plugin->registers.at(vcpu);
  if (static_cast<std::uint32_t>(read_register(regs.gpr[0])) != lab::kObservedLeaf) return;
  lab::ObservedSnapshot s = snapshot();
  s.seq = static_cast<std::uint32_t>(read_register(regs.gpr[1]));
  const std::string text = lab::format_observed_snapshot(s);
  const std::lock_guard lock(plugin->counts_mutex);
  if (::pwrite(plugin->counts_fd, text.data(), text.size(), 0) !=
          static_cast<ssize_t>(text.size()) ||
      ::ftruncate(plugin->counts_fd, static_cast<off_t>(text.size())) != 0)
    die("writing the observed counts to " + plugin->counts_path + ": " + std::strerror(errno));
}

bool is_cpuid(const std::uint8_t* bytes, std::size_t n) {
  return n == 2 && bytes[0] == 0x0F && bytes[1] == 0xA2;
}

const Site* intern(const Site& site) {
  const std::lock_guard lock(plugin->sites_mutex);
  plugin->sites.push_back(site);
  return &plugin->sites.back();
}

// Only instructions that may be a non-temporal store are disassembled (capstone is slow):
// their opcodes, legacy or VEX, end in one of these bytes.
bool may_be_nt_store(const std::uint8_t* bytes, std::size_t n) {
  for (std::size_t i = 1; i < n; ++i) {
    const std::uint8_t b = bytes[i];
    if (b == 0xC3 || b == 0x2B || b == 0xE7 || b == 0xF7) return true;
  }
  return false;
}

void on_translate(qemu_plugin_id_t, qemu_plugin_tb* tb) {
  const std::size_t n = qemu_plugin_tb_n_insns(tb);
  for (std::size_t i = 0; i < n; ++i) {
    qemu_plugin_insn* insn = qemu_plugin_tb_get_insn(tb, i);
    std::array<std::uint8_t, 16> bytes{};
    const std::size_t len = qemu_plugin_insn_data(insn, bytes.data(), bytes.size());
    Site site;
    site.address = qemu_plugin_insn_vaddr(insn);
    site.privilege = site.address >= kKernelHalf ? kKernel : kUser;
    site.insn = decode_persist_insn(std::span(bytes.data(), len));
    if (site.privilege == kUser && plugin->counts_fd >= 0 && is_cpuid(bytes.data(), len)) {
      qemu_plugin_register_vcpu_insn_exec_cb(insn, on_cpuid, QEMU_PLUGIN_CB_R_REGS, nullptr);
      continue;
    }
    switch (site.insn.kind) {
      case PersistInsn::kClwb:
      case PersistInsn::kClflushopt:
      case PersistInsn::kClflush:
        qemu_plugin_register_vcpu_insn_exec_cb(insn, on_flush, QEMU_PLUGIN_CB_R_REGS,
                                               const_cast<Site*>(intern(site)));
        continue;
      case PersistInsn::kSfence:
      case PersistInsn::kMfence:
        qemu_plugin_register_vcpu_insn_exec_cb(insn, on_fence, QEMU_PLUGIN_CB_NO_REGS,
                                               const_cast<Site*>(intern(site)));
        continue;
      case PersistInsn::kOther:
        break;
    }
    if (!may_be_nt_store(bytes.data(), len)) continue;
    char* text = qemu_plugin_insn_disas(insn);
    const std::string_view disas = text ? text : "";
    const bool nt = is_non_temporal_store(disas.substr(0, disas.find(' ')));
    g_free(text);
    if (nt) {
      qemu_plugin_register_vcpu_mem_cb(insn, on_nt_store, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_MEM_W,
                                       const_cast<Site*>(intern(site)));
    }
  }
}

void on_vcpu_init(qemu_plugin_id_t, unsigned vcpu) {
  // Encoding order of the general-purpose registers, as the operand decoder numbers them.
  static constexpr std::array<std::string_view, kRegisterCount> kGpr = {
      "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
      "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  GArray* list = qemu_plugin_get_registers();
  VcpuRegisters regs;
  for (guint i = 0; i < list->len; ++i) {
    const auto& d = g_array_index(list, qemu_plugin_reg_descriptor, i);
    const std::string_view name = d.name;
    for (int r = 0; r < kRegisterCount; ++r) {
      if (name == kGpr[r]) regs.gpr[r] = d.handle;
    }
    if (name == "fs_base") regs.fs_base = d.handle;
    if (name == "gs_base") regs.gs_base = d.handle;
    if (name == "cr3") regs.cr3 = d.handle;
  }
  g_array_free(list, TRUE);
  for (int r = 0; r < kRegisterCount; ++r) {
    if (!regs.gpr[r])
      die("vCPU " + std::to_string(vcpu) + " has no register " + std::string(kGpr[r]));
  }
  if (!regs.fs_base || !regs.gs_base || !regs.cr3) die("no fs_base, gs_base or cr3 register");
  if (vcpu >= plugin->registers.size()) die("vCPU index beyond max_vcpus");
  plugin->registers[vcpu] = regs;
}

// The instruction counts and the model's totals, written whole then renamed. Only at a clean
// exit of QEMU: a power cut (SIGKILL) leaves none, and the durable image needs none.
void write_stats(qemu_plugin_id_t, void*) {
  if (plugin->stats_path.empty()) return;
  nlohmann::json stats;
  for (const auto& [key, value] : snapshot().counts) {
    const std::size_t dot = key.find('.');
    stats[key.substr(0, dot)][key.substr(dot + 1)] = value;
  }
  const ModelTotals t = plugin->model->totals();
  stats["lines_captured"] = t.lines_captured;
  stats["lines_immediate"] = t.lines_immediate;
  stats["nt_bytes"] = t.nt_bytes;
  stats["lines_made_durable"] = t.lines_made_durable;
  stats["outside_pmem"] = plugin->outside_pmem.load();
  stats["untranslated"] = plugin->untranslated.load();
  const std::string tmp = plugin->stats_path + ".tmp";
  std::ofstream(tmp) << stats.dump() << "\n";
  std::rename(tmp.c_str(), plugin->stats_path.c_str());
}

std::uint64_t parse_number(std::string_view key, const char* text) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 0);
  if (errno || end == text || *end) die(std::string(key) + "=" + text + " is not a number");
  return v;
}

int install(const qemu_info_t* info, int argc, char** argv) {
  if (!info->system_emulation) die("the model runs under system emulation only");
  if (std::string_view(info->target_name) != "x86_64") die("the model is for x86_64 guests");
  plugin = new Plugin;
  bool have_base = false;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const std::size_t eq = arg.find('=');
    const std::string_view key = arg.substr(0, eq);
    const char* value = eq == std::string_view::npos ? "" : argv[i] + eq + 1;
    if (key == "live") {
      plugin->live_path = value;
    } else if (key == "durable") {
      plugin->durable_path = value;
    } else if (key == "stats") {
      plugin->stats_path = value;
    } else if (key == "counts") {
      plugin->counts_path = value;
    } else if (key == "base") {
      plugin->base = parse_number(key, value);
      have_base = true;
    } else if (key == "direct_map") {
      plugin->direct_map = parse_number(key, value);
    } else {
      die("unknown argument '" + std::string(arg) +
          "' (live, durable, base, direct_map, stats, counts)");
    }
  }
  if (plugin->live_path.empty() || plugin->durable_path.empty() || !have_base) {
    die("live=, durable= and base= are required");
  }
  const int live = ::open(plugin->live_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (live < 0) die("open " + plugin->live_path + ": " + std::strerror(errno));
  struct stat st {};
  ::fstat(live, &st);
  plugin->size = static_cast<std::size_t>(st.st_size);
  void* map = ::mmap(nullptr, plugin->size, PROT_READ, MAP_SHARED, live, 0);
  if (map == MAP_FAILED) die("mmap " + plugin->live_path + ": " + std::strerror(errno));
  const int durable = ::open(plugin->durable_path.c_str(), O_RDWR | O_CLOEXEC);
  if (durable < 0) die("open " + plugin->durable_path + ": " + std::strerror(errno));
  struct stat dst {};
  ::fstat(durable, &dst);
  if (dst.st_size != st.st_size) die("the durable image's size differs from the live file's");
  plugin->image = std::make_unique<FileImage>(durable);
  if (!plugin->counts_path.empty()) {
    plugin->counts_fd =
        ::open(plugin->counts_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (plugin->counts_fd < 0) die("open " + plugin->counts_path + ": " + std::strerror(errno));
    // Every name the guest expects must be one the plugin counts.
    std::string problem;
    lab::ObservedSnapshot s = snapshot();
    if (!lab::parse_observed_snapshot(lab::format_observed_snapshot(s), problem))
      die("observed counts: " + problem);
  }
  const int vcpus = std::max(info->system.max_vcpus, 1);
  plugin->registers.resize(static_cast<std::size_t>(vcpus));
  plugin->model = std::make_unique<PersistenceModel>(
      std::span(static_cast<const std::byte*>(map), plugin->size), *plugin->image,
      static_cast<unsigned>(vcpus));
  return 0;
}

}  // namespace
}  // namespace daxbench::model

extern "C" QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t* info,
                                                      int argc, char** argv) {
  using namespace daxbench::model;
  const int rc = install(info, argc, argv);
  if (rc != 0) return rc;
  qemu_plugin_register_vcpu_init_cb(id, on_vcpu_init);
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, write_stats, nullptr);
  return 0;
}
