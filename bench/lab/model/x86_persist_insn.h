// Recognises, from an instruction's bytes, the x86 instructions the persistence model acts on
// (cache-line flushes and store fences) and decodes a flush's memory operand, so that the
// plugin can compute the flushed address from the registers when the instruction executes.
// Non-temporal stores are recognised by mnemonic instead (they do access memory, so the
// plugin's memory callback gives their address).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

namespace daxbench::model {

enum class PersistInsn : std::uint8_t {
  kOther,       // not an instruction the model acts on
  kClwb,        // 66 0F AE /6: write back, line stays cached; pending until a fence
  kClflushopt,  // 66 0F AE /7: write back and invalidate; pending until a fence
  kClflush,     // NP 0F AE /7: ordered with every store: durable when it executes
  kSfence,      // NP 0F AE F8
  kMfence,      // NP 0F AE F0
};

// General-purpose registers in the x86 encoding's order (rax = 0 … r15 = 15).
inline constexpr int kRegisterCount = 16;
inline constexpr int kNoRegister = -1;

enum class Segment : std::uint8_t { kDefault, kFs, kGs };

// base + index * scale + disp (+ the segment's base; + the next instruction's address when
// rip_relative). Registers are encoding numbers; kNoRegister when absent.
struct MemOperand {
  int base = kNoRegister;
  int index = kNoRegister;
  std::uint8_t scale = 1;
  std::int64_t disp = 0;
  bool rip_relative = false;
  Segment segment = Segment::kDefault;
};

struct DecodedPersistInsn {
  PersistInsn kind = PersistInsn::kOther;
  MemOperand operand;       // meaningful for the three flushes
  std::uint8_t length = 0;  // bytes of the whole instruction
};

// Decodes the instruction at the start of `bytes` (64-bit mode). Anything that is not one of
// PersistInsn's instructions, or that uses a form the model does not model (a 32-bit
// address-size prefix), is kOther.
DecodedPersistInsn decode_persist_insn(std::span<const std::uint8_t> bytes);

struct RegisterValues {
  std::function<std::uint64_t(int reg)> gpr;
  std::uint64_t fs_base = 0;
  std::uint64_t gs_base = 0;
};

// The linear address the operand names, for an instruction at `insn_address` of `length` bytes.
std::uint64_t effective_address(const MemOperand& operand, std::uint64_t insn_address,
                                std::uint8_t length, const RegisterValues& registers);

// True for a non-temporal store's mnemonic as QEMU's disassembler spells it (AT&T: movntiq,
// movntil; movnti, movntdq, movntps,
// movntpd, movntq, movntsd, movntss, their v- forms, maskmovq, maskmovdqu and vmaskmovdqu).
// movntdqa is a load and is not one.
bool is_non_temporal_store(std::string_view mnemonic);

const char* persist_insn_name(PersistInsn kind);

}  // namespace daxbench::model
