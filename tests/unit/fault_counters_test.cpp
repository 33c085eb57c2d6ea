// Page-fault counts in a repetition's record checked against the kernel's own log of every
// fault and where it landed (FaultLog): exact where the mechanism makes them exact.
#include "counter_test_support.h"

namespace daxbench {
namespace {

using namespace counter_testing;

// Every page fault of this thread and of the threads it starts from now on, each with its
// address and thread, and every data mapping made meanwhile (PERF_RECORD_MMAP2): the kernel's
// own account of where each fault was. One inherited sampling page-faults event per CPU (the
// kernel refuses to map the buffer of an inherited per-task event counting on any CPU);
// inherited events write into their parent's buffer, so the writer threads' faults are here.
class FaultLog {
 public:
  struct Count {
    std::uint64_t writers = 0;  // faults of the threads started meanwhile (the writers)
    std::uint64_t in_file = 0;  // of those, faults at an address mapped from a file in `dir`
  };

  FaultLog() {
    const long page = sysconf(_SC_PAGESIZE);
    size_ = static_cast<std::size_t>(page) * (1 + kDataPages);
    for (int cpu : perf::online_cpus()) {
      perf_event_attr attr{};
      attr.size = sizeof attr;
      attr.type = PERF_TYPE_SOFTWARE;
      attr.config = PERF_COUNT_SW_PAGE_FAULTS;  // as the suite's page_faults: no exclude_*
      attr.sample_period = 1;
      attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_ADDR;
      attr.inherit = 1;
      attr.mmap_data = 1;
      attr.mmap2 = 1;
      attr.disabled = 1;
      const int fd =
          static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, cpu, -1, PERF_FLAG_FD_CLOEXEC));
      if (fd < 0) {
        unavailable_ = errno_text("perf_event_open (sampled page-faults)", errno);
        return;
      }
      void* ring = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (ring == MAP_FAILED) {
        unavailable_ = errno_text("mmap of the sample buffer", errno);
        close(fd);
        return;
      }
      rings_.push_back({fd, static_cast<std::byte*>(ring)});
    }
    for (const Ring& r : rings_) ioctl(r.fd, PERF_EVENT_IOC_ENABLE, 0);
  }
  ~FaultLog() {
    for (const Ring& r : rings_) {
      munmap(r.base, size_);
      close(r.fd);
    }
  }
  FaultLog(const FaultLog&) = delete;
  FaultLog& operator=(const FaultLog&) = delete;

  // Why nothing is logged (perf sampling not permitted here), else "".
  const std::string& unavailable() const { return unavailable_; }
  // Why the log is incomplete (a bug of this test if it ever happens), else "".
  const std::string& problem() const { return problem_; }

  // Stops logging and counts the faults of every thread but this one.
  Count count(const std::filesystem::path& dir) {
    for (const Ring& r : rings_) ioctl(r.fd, PERF_EVENT_IOC_DISABLE, 0);
    struct Fault {
      std::uint32_t tid;
      std::uint64_t address;
    };
    struct Range {
      std::uint64_t begin, end;
    };
    std::vector<Fault> faults;
    std::vector<Range> file_ranges;
    const std::string prefix = std::filesystem::canonical(dir).string() + "/";  // as d_path
    for (const Ring& r : rings_) {
      auto* meta = reinterpret_cast<perf_event_mmap_page*>(r.base);
      const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
      const std::byte* data = r.base + (meta->data_offset ? meta->data_offset : page);
      const std::uint64_t data_size = meta->data_size ? meta->data_size : size_ - page;
      const std::uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
      if (head > data_size) problem_ = "the sample buffer wrapped: " + std::to_string(head) + " B";
      std::vector<std::byte> record;
      for (std::uint64_t at = meta->data_tail; at < head;) {
        perf_event_header header;
        copy_out(data, data_size, at, &header, sizeof header);
        if (header.size < sizeof header) break;
        record.resize(header.size);
        copy_out(data, data_size, at, record.data(), header.size);
        at += header.size;
        const std::byte* body = record.data() + sizeof header;
        if (header.type == PERF_RECORD_SAMPLE) {
          Fault f;  // u32 pid, u32 tid, u64 addr
          std::memcpy(&f.tid, body + 4, 4);
          std::memcpy(&f.address, body + 8, 8);
          faults.push_back(f);
        } else if (header.type == PERF_RECORD_MMAP2) {
          // u32 pid, tid; u64 addr, len, pgoff; 24 bytes of device/inode or build id; u32 prot,
          // flags; then the file name.
          std::uint64_t address, length;
          std::memcpy(&address, body + 8, 8);
          std::memcpy(&length, body + 16, 8);
          const char* name = reinterpret_cast<const char*>(body + 64);
          if (std::string(name, strnlen(name, record.size() - sizeof header - 64))
                  .rfind(prefix, 0) == 0)
            file_ranges.push_back({address, address + length});
        } else if (header.type == PERF_RECORD_LOST) {
          problem_ = "the kernel lost fault samples (PERF_RECORD_LOST)";
        } else if (header.type == PERF_RECORD_THROTTLE) {
          problem_ = "the kernel throttled the fault samples (perf_event_max_sample_rate)";
        }
      }
    }
    Count count;
    const auto me = static_cast<std::uint32_t>(syscall(SYS_gettid));
    for (const Fault& f : faults) {
      if (f.tid == me) continue;
      ++count.writers;
      for (const Range& range : file_ranges) {
        if (f.address >= range.begin && f.address < range.end) {
          ++count.in_file;
          break;
        }
      }
    }
    return count;
  }

 private:
  static constexpr std::size_t kDataPages = 128;  // 512 KiB: perf_event_mlock_kb's default
  struct Ring {
    int fd;
    std::byte* base;
  };
  static void copy_out(const std::byte* data, std::uint64_t size, std::uint64_t at, void* out,
                       std::size_t n) {
    auto* to = static_cast<std::byte*>(out);
    for (std::size_t i = 0; i < n; ++i) to[i] = data[(at + i) % size];
  }
  std::size_t size_ = 0;
  std::vector<Ring> rings_;
  std::string unavailable_, problem_;
};

// What is exact about page faults, and why:
// - Every fault is counted once in page_faults when it enters the handler; one that completes
//   is then counted once as minor or major (a retried fault as major); one that ends in a
//   signal is not. So page_faults = minor + major + faults trapped by fsync-per-fault, always.
// - The writer threads also fault on memory that is not the file: a stack page a signal frame
//   reaches for the first time, under ASan the shadow of the mapping (one shadow page per 8
//   pages), and whatever a loaded machine's reclaim, compaction or migration takes away from
//   them meanwhile. Those faults are real, are counted, and are not the file's: so the faults on
//   the file are told apart by their addresses (FaultLog), not bounded by a guess of how many
//   others there may be. The record's page_faults holds every fault on the file and nothing
//   the writers did not do.
// - fsync-per-fault protects the whole mapping and un-protects one page per trap, so on a
//   fresh file every page traps once (exactly `pages` traps) and then faults once more to be
//   mapped, its VMA being that one page: exactly `pages` completed faults on the file,
//   whatever the page cache holds.
// - Without protection, the count depends on the page cache. A kernel with large folios maps
//   every page of the folio that one write fault lands in: on the 6.18 host, first-touch on a
//   zeroed 8 MiB file took 8 faults for 2048 pages, and on a sparse file of a fresh ext4 or xfs
//   736 for 1024. Only 1 <= faults on the file <= pages holds for every kernel and filesystem.
TEST(KernelCounters, FirstTouchPageFaultsAreExactWhereTheMechanismMakesThemExact) {
  DISK_SCRATCH("the fault path of a disk-backed page cache; shmem's differs");
  const std::filesystem::path scratch = testing::scratch_target().scratch_file("x").parent_path();
  for (const char* state : {"sparse", "zeroed"}) {
    for (const char* mode : {"none", "fsync-per-fault"}) {
      SCOPED_TRACE(std::string(mode) + " on a " + state + " file");
      FaultLog log;
      if (!log.unavailable().empty())
        GTEST_SKIP() << "faults cannot be sampled here: " << log.unavailable();
      const RepetitionResult r =
          // duration_s only bounds the run: a loaded machine must not cut it short of every page.
          run_once(one_case(std::string("workload: first-touch, working_set: 1M, duration_s: 120, "
                                        "mode: ") +
                            mode + ", file_state: " + state));
      const FaultLog::Count faults = log.count(scratch);
      ASSERT_EQ(r.status, Status::kOk) << r.reason;
      ASSERT_EQ(r.ops, kPages);
      const Metric& all = metric(r, "page_faults");
      SKIP_IF_NOT_PERMITTED(all);
      ASSERT_EQ(all.status, "ok");
      const double completed = counter(r, "page_faults_minor") + counter(r, "page_faults_major");
      const double trapped = counter(r, "faults_trapped");
      EXPECT_EQ(*all.value, completed + trapped);
      if (std::string(mode) == "fsync-per-fault") {
        EXPECT_EQ(trapped, kPages);
        EXPECT_GE(completed, kPages);
      } else {
        EXPECT_GE(completed, 1);
      }
      ::testing::Test::RecordProperty(std::string(mode) + "_" + state + "_faults",
                                      std::to_string(completed));
      ASSERT_TRUE(log.problem().empty())
          << "the faults on the file could not be told apart: " << log.problem();
      // A trapped fault is a fault on the file too (it enters the handler, then the signal).
      ASSERT_GE(faults.in_file, trapped);
      const double file_completed = static_cast<double>(faults.in_file) - trapped;
      if (std::string(mode) == "fsync-per-fault") {
        EXPECT_EQ(file_completed, kPages);
      } else {
        EXPECT_GE(file_completed, 1);
        EXPECT_LE(file_completed, kPages);
      }
      EXPECT_GE(*all.value, static_cast<double>(faults.in_file));  // every fault on the file
      EXPECT_LE(*all.value, static_cast<double>(faults.writers));  // only the writers' faults
      ::testing::Test::RecordProperty(std::string(mode) + "_" + state + "_faults_elsewhere",
                                      std::to_string(completed - file_completed));
    }
  }
}

}  // namespace
}  // namespace daxbench
