// The persistence model's parts without QEMU: the flush/fence decoder on real encodings, the
// page walk on a hand-built page table, and the model's rules (what a fence makes durable).
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <vector>

#include "bench/lab/model/page_walk.h"
#include "bench/lab/model/persistence_model.h"
#include "bench/lab/model/x86_persist_insn.h"

namespace daxbench::model {
namespace {

DecodedPersistInsn decode(std::vector<std::uint8_t> bytes) {
  return decode_persist_insn(bytes);
}

TEST(PersistInsnDecode, TellsTheFlushesAndFencesApart) {
  EXPECT_EQ(decode({0x66, 0x0F, 0xAE, 0x37}).kind, PersistInsn::kClwb);        // clwb (%rdi)
  EXPECT_EQ(decode({0x66, 0x0F, 0xAE, 0x3F}).kind, PersistInsn::kClflushopt);  // clflushopt (%rdi)
  EXPECT_EQ(decode({0x0F, 0xAE, 0x3F}).kind, PersistInsn::kClflush);           // clflush (%rdi)
  EXPECT_EQ(decode({0x0F, 0xAE, 0xF8}).kind, PersistInsn::kSfence);
  EXPECT_EQ(decode({0x0F, 0xAE, 0xF0}).kind, PersistInsn::kMfence);
  EXPECT_EQ(decode({0x0F, 0xAE, 0xE8}).kind, PersistInsn::kOther);        // lfence orders no store
  EXPECT_EQ(decode({0x0F, 0xAE, 0x37}).kind, PersistInsn::kOther);        // xsaveopt (%rdi)
  EXPECT_EQ(decode({0xF3, 0x0F, 0xAE, 0x37}).kind, PersistInsn::kOther);  // F3: not clwb
  EXPECT_EQ(decode({0x90}).kind, PersistInsn::kOther);
  EXPECT_EQ(decode({0x0F, 0xAE, 0xF8}).length, 3);
}

TEST(PersistInsnDecode, DecodesTheOperandForms) {
  // clflushopt 0x40(%rax,%rbx,8)
  const DecodedPersistInsn sib = decode({0x66, 0x0F, 0xAE, 0x7C, 0xD8, 0x40});
  EXPECT_EQ(sib.operand.base, 0);
  EXPECT_EQ(sib.operand.index, 3);
  EXPECT_EQ(sib.operand.scale, 8);
  EXPECT_EQ(sib.operand.disp, 0x40);
  EXPECT_EQ(sib.length, 6);
  // clflush (%r12): REX.B, SIB with no index
  const DecodedPersistInsn r12 = decode({0x41, 0x0F, 0xAE, 0x3C, 0x24});
  EXPECT_EQ(r12.kind, PersistInsn::kClflush);
  EXPECT_EQ(r12.operand.base, 12);
  EXPECT_EQ(r12.operand.index, kNoRegister);
  // clwb (%r14), prefix order 66 then REX
  EXPECT_EQ(decode({0x66, 0x41, 0x0F, 0xAE, 0x36}).operand.base, 14);
  // clwb -0x10(%rbp,%rcx,1), disp32
  const DecodedPersistInsn d32 = decode({0x66, 0x0F, 0xAE, 0xB4, 0x0D, 0xF0, 0xFF, 0xFF, 0xFF});
  EXPECT_EQ(d32.operand.disp, -16);
  EXPECT_EQ(d32.length, 9);
}

TEST(PersistInsnDecode, ComputesEffectiveAddresses) {
  const RegisterValues regs{
      .gpr = [](int r) { return std::uint64_t(r) * 0x1000; }, .fs_base = 0x7000'0000, .gs_base = 0};
  const DecodedPersistInsn sib = decode({0x66, 0x0F, 0xAE, 0x7C, 0xD8, 0x40});
  EXPECT_EQ(effective_address(sib.operand, 0, sib.length, regs), 0x0 + 3 * 0x1000 * 8 + 0x40);
  // clwb 0x10(%rip): relative to the next instruction
  const DecodedPersistInsn rip = decode({0x66, 0x0F, 0xAE, 0x35, 0x10, 0, 0, 0});
  EXPECT_TRUE(rip.operand.rip_relative);
  EXPECT_EQ(effective_address(rip.operand, 0x400000, rip.length, regs), 0x400000u + 8 + 0x10);
  // clwb %fs:(%rdi)
  const DecodedPersistInsn fs = decode({0x64, 0x66, 0x0F, 0xAE, 0x37});
  EXPECT_EQ(effective_address(fs.operand, 0, fs.length, regs), 0x7000'0000u + 7 * 0x1000);
}

TEST(PersistInsnDecode, KnowsNonTemporalStoresByMnemonic) {
  for (const char* m :
       {"movntiq", "movntil", "movnti", "movntdq", "vmovntdq", "movntps", "maskmovdqu"}) {
    EXPECT_TRUE(is_non_temporal_store(m)) << m;
  }
  for (const char* m : {"movntdqa", "vmovntdqa", "mov", "movdqa", ""}) {
    EXPECT_FALSE(is_non_temporal_store(m)) << m;
  }
}

// A page table in a map of 8-byte entries.
struct FakeMemory {
  std::map<std::uint64_t, std::uint64_t> entries;
  ReadPhysical64 reader() const {
    return [this](std::uint64_t pa) -> std::optional<std::uint64_t> {
      const auto it = entries.find(pa);
      if (it == entries.end()) return std::uint64_t{0};  // a zero entry: not present
      return it->second;
    };
  }
};

TEST(PageWalk, Translates4KAnd2MAnd1GPages) {
  const std::uint64_t va = 0x7F12'3456'7ABCull;
  const auto idx = [&](int level) { return (va >> (12 + 9 * (level - 1))) & 0x1FF; };
  FakeMemory m;
  m.entries[0x1000 + idx(4) * 8] = 0x2000 | 0x67;
  m.entries[0x2000 + idx(3) * 8] = 0x3000 | 0x67;
  m.entries[0x3000 + idx(2) * 8] = 0x4000 | 0x67;
  m.entries[0x4000 + idx(1) * 8] = 0x1'2345'6000ull | 0x8000'0000'0000'0067ull;  // NX set
  // CR3 carries a PCID in its low bits; the walk ignores them.
  EXPECT_EQ(translate(0x1000 | 0x5, va, m.reader()), 0x1'2345'6ABCull);
  // A 2 MiB page at the PD level.
  m.entries[0x3000 + idx(2) * 8] = 0x1'4000'0000ull | 0x80 | 0x67;
  EXPECT_EQ(translate(0x1000, va, m.reader()), 0x1'4000'0000ull | (va & 0x1F'FFFF));
  // A 1 GiB page at the PDPT level.
  m.entries[0x2000 + idx(3) * 8] = 0x1'0000'0000ull | 0x80 | 0x67;
  EXPECT_EQ(translate(0x1000, va, m.reader()), 0x1'0000'0000ull | (va & 0x3FFF'FFFF));
  // Not present.
  EXPECT_EQ(translate(0x9000, va, m.reader()), std::nullopt);
}

struct VectorImage final : DurableImage {
  explicit VectorImage(std::size_t n) : bytes(n) {}
  void write(std::uint64_t offset, std::span<const std::byte> b) override {
    std::memcpy(bytes.data() + offset, b.data(), b.size());
    ++writes;
  }
  std::vector<std::byte> bytes;
  int writes = 0;
};

struct ModelTest : ::testing::Test {
  std::vector<std::byte> live = std::vector<std::byte>(256);
  VectorImage image{256};
  PersistenceModel model{live, image, 2};
  void store(std::size_t at, std::uint8_t value, std::size_t n = 1) {
    std::memset(live.data() + at, value, n);
  }
  std::uint8_t durable(std::size_t at) const {
    return std::to_integer<std::uint8_t>(image.bytes[at]);
  }
};

TEST_F(ModelTest, AStoreAloneIsNeverDurable) {
  store(0, 0xAA, 64);
  model.fence(0);
  EXPECT_EQ(durable(0), 0);
}

TEST_F(ModelTest, WriteBackIsDurableAtTheSameCpusFenceWithItsContentAtTheFlush) {
  store(64, 0x11, 64);
  model.write_back_line(0, 64 + 5);  // any address in the line
  store(64, 0x22, 8);                // after the flush: not covered
  EXPECT_EQ(durable(64), 0);
  model.fence(1);  // another CPU's fence drains nothing of CPU 0
  EXPECT_EQ(durable(64), 0);
  EXPECT_EQ(model.pending_lines(0), 1u);
  model.fence(0);
  EXPECT_EQ(durable(64), 0x11);
  EXPECT_EQ(durable(127), 0x11);
  EXPECT_EQ(model.pending_lines(0), 0u);
}

TEST_F(ModelTest, ClflushIsDurableAtOnce) {
  store(128, 0x33, 64);
  model.flush_line_now(130);
  EXPECT_EQ(durable(128), 0x33);
  EXPECT_EQ(durable(191), 0x33);
  EXPECT_EQ(durable(127), 0);
}

TEST_F(ModelTest, NonTemporalBytesAreDurableAtTheFenceAndOnlyThoseBytes) {
  store(0, 0x44, 64);  // a cached store to the line
  store(8, 0x55, 8);   // then 8 bytes stored non-temporally
  model.non_temporal_store(0, 8, 8);
  model.fence(0);
  EXPECT_EQ(durable(8), 0x55);
  EXPECT_EQ(durable(15), 0x55);
  EXPECT_EQ(durable(0), 0);  // the cached bytes were never flushed
  EXPECT_EQ(durable(16), 0);
}

TEST_F(ModelTest, ALaterCaptureOfALineReplacesTheEarlierOne) {
  store(0, 0x01, 64);
  model.write_back_line(0, 0);
  store(0, 0x02, 64);
  model.write_back_line(0, 0);
  model.fence(0);
  EXPECT_EQ(durable(0), 0x02);
  EXPECT_EQ(model.totals().lines_made_durable, 1u);
}

}  // namespace
}  // namespace daxbench::model
