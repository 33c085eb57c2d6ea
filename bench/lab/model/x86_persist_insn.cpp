// Decoding of the flush and fence instructions (Intel SDM vol. 2: CLWB, CLFLUSHOPT, CLFLUSH,
// SFENCE, MFENCE share opcode 0F AE, told apart by the 66 prefix and ModRM) and of a memory
// operand's ModRM/SIB/displacement in 64-bit mode.
#include "bench/lab/model/x86_persist_insn.h"

#include <array>
#include <cstring>

namespace daxbench::model {
namespace {

struct Prefixes {
  bool operand_size = false;  // 66
  bool address_size = false;  // 67
  bool rep = false;           // F2 / F3: a different instruction (e.g. F3 0F AE /6 is umonitor)
  Segment segment = Segment::kDefault;
  std::uint8_t rex = 0;
  std::size_t length = 0;
};

Prefixes read_prefixes(std::span<const std::uint8_t> bytes) {
  Prefixes p;
  while (p.length < bytes.size()) {
    const std::uint8_t b = bytes[p.length];
    if (b == 0x66) {
      p.operand_size = true;
    } else if (b == 0x67) {
      p.address_size = true;
    } else if (b == 0xF2 || b == 0xF3) {
      p.rep = true;
    } else if (b == 0x64) {
      p.segment = Segment::kFs;
    } else if (b == 0x65) {
      p.segment = Segment::kGs;
    } else if (b == 0x2E || b == 0x36 || b == 0x3E || b == 0x26 || b == 0xF0) {
      // cs/ss/ds/es overrides have base 0 in 64-bit mode; lock is invalid on 0F AE anyway.
    } else {
      break;
    }
    ++p.length;
  }
  // REX must come last, right before the opcode.
  if (p.length < bytes.size() && (bytes[p.length] & 0xF0) == 0x40) {
    p.rex = bytes[p.length];
    ++p.length;
  }
  return p;
}

std::int64_t read_disp(std::span<const std::uint8_t> bytes, std::size_t at, int size) {
  if (size == 1) return static_cast<std::int8_t>(bytes[at]);
  std::int32_t d = 0;
  std::memcpy(&d, &bytes[at], sizeof d);
  return d;
}

}  // namespace

DecodedPersistInsn decode_persist_insn(std::span<const std::uint8_t> bytes) {
  DecodedPersistInsn out;
  const Prefixes p = read_prefixes(bytes);
  std::size_t at = p.length;
  if (p.rep || p.address_size || at + 3 > bytes.size()) return out;
  if (bytes[at] != 0x0F || bytes[at + 1] != 0xAE) return out;
  at += 2;
  const std::uint8_t modrm = bytes[at++];
  const int mod = modrm >> 6;
  const int reg = (modrm >> 3) & 7;
  const int rm = modrm & 7;
  if (mod == 3) {
    // Register forms are the fences (no operand); 66-prefixed ones are other instructions.
    if (p.operand_size) return out;
    if (reg == 7) out.kind = PersistInsn::kSfence;
    if (reg == 6) out.kind = PersistInsn::kMfence;
    out.length = static_cast<std::uint8_t>(at);
    if (out.kind == PersistInsn::kOther) out.length = 0;
    return out;
  }
  if (reg == 6 && p.operand_size) {
    out.kind = PersistInsn::kClwb;
  } else if (reg == 7) {
    out.kind = p.operand_size ? PersistInsn::kClflushopt : PersistInsn::kClflush;
  } else {
    return out;  // fxsave, xsaveopt, … : memory forms that are not flushes
  }
  const bool rex_b = p.rex & 1, rex_x = p.rex & 2;
  MemOperand& op = out.operand;
  op.segment = p.segment;
  int disp_size = mod == 1 ? 1 : (mod == 2 ? 4 : 0);
  if (rm == 4) {  // SIB follows
    if (at >= bytes.size()) return {};
    const std::uint8_t sib = bytes[at++];
    const int scale = sib >> 6, index = (sib >> 3) & 7, base = sib & 7;
    op.scale = static_cast<std::uint8_t>(1u << scale);
    const int index_reg = index | (rex_x ? 8 : 0);
    op.index = index_reg == 4 ? kNoRegister : index_reg;  // rsp cannot be an index
    if (base == 5 && mod == 0) {
      disp_size = 4;  // disp32, no base
    } else {
      op.base = base | (rex_b ? 8 : 0);
    }
  } else if (rm == 5 && mod == 0) {
    op.rip_relative = true;
    disp_size = 4;
  } else {
    op.base = rm | (rex_b ? 8 : 0);
  }
  if (at + static_cast<std::size_t>(disp_size) > bytes.size()) return {};
  if (disp_size) op.disp = read_disp(bytes, at, disp_size);
  at += static_cast<std::size_t>(disp_size);
  out.length = static_cast<std::uint8_t>(at);
  return out;
}

std::uint64_t effective_address(const MemOperand& operand, std::uint64_t insn_address,
                                std::uint8_t length, const RegisterValues& registers) {
  std::uint64_t ea = static_cast<std::uint64_t>(operand.disp);
  if (operand.rip_relative) ea += insn_address + length;
  if (operand.base != kNoRegister) ea += registers.gpr(operand.base);
  if (operand.index != kNoRegister) ea += registers.gpr(operand.index) * operand.scale;
  if (operand.segment == Segment::kFs) ea += registers.fs_base;
  if (operand.segment == Segment::kGs) ea += registers.gs_base;
  return ea;
}

bool is_non_temporal_store(std::string_view mnemonic) {
  // QEMU's disassembler prints AT&T syntax, where movnti carries its operand size.
  static constexpr std::array<std::string_view, 15> kStores = {
      "movnti",   "movntil",  "movntiq",  "movntdq",    "movntps",
      "movntpd",  "movntq",   "movntsd",  "movntss",    "vmovntdq",
      "vmovntps", "vmovntpd", "maskmovq", "maskmovdqu", "vmaskmovdqu"};
  for (std::string_view s : kStores) {
    if (mnemonic == s) return true;
  }
  return false;
}

const char* persist_insn_name(PersistInsn kind) {
  switch (kind) {
    case PersistInsn::kClwb:
      return "clwb";
    case PersistInsn::kClflushopt:
      return "clflushopt";
    case PersistInsn::kClflush:
      return "clflush";
    case PersistInsn::kSfence:
      return "sfence";
    case PersistInsn::kMfence:
      return "mfence";
    case PersistInsn::kOther:
      break;
  }
  return "other";
}

}  // namespace daxbench::model
