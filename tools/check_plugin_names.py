#!/usr/bin/env python3
"""The plug-in-name check of the test command: a plug-in's name is spelled only in its own
file. Everything else asks the descriptor (a field of ModeDesc, WorkloadDesc, FlushOps,
TargetDesc, CrashWorkloadDesc), so a mode is one file plus one .def line and no other code
compares against its name (docs/architecture.md).

The registered names come from the .def files: each `DAXBENCH_X(symbol)` line names a
descriptor, the file that defines `symbol` is the plug-in's own file, and its `.name = "..."`
is the name. Then every C++ file under CHECKED_ROOTS is read, comments left out, and a string
literal that is exactly a registered name, outside a file that registers that name, is
reported as file:line. Configs, tests and docs are not read (they are about the plug-ins).
The exemptions are EXEMPT below, each once with its reason. Exit 1 on a violation, 2 if the
registry itself cannot be read.

usage: tools/check_plugin_names.py [ROOT]   (default: the tree this script is in)
"""
import os
import re
import sys

CHECKED_ROOTS = ("bench", "workloads", "analysis/stats", "analysis/python")
SOURCE_SUFFIXES = (".cpp", ".h")
DEF_LINE = re.compile(r"^\s*DAXBENCH_\w+\(\s*(\w+)\s*\)")
DEFINITION = r"\bconst\s+\w+\s+{symbol}\s*\{{"
NAME_FIELD = re.compile(r'\.name\s*=\s*"([^"]+)"')

# (file, name): why the literal there is not a plug-in's name compared outside its plug-in.
# A homonym (a syscall, a fio option, a JSON key, the word "none" of another vocabulary) or a
# place that is the plug-in's other half. One line per file and name.
EXEMPT = {
    # Homonyms: the same word, another vocabulary.
    ("bench/config/common_params.cpp", "none"): "the `background` parameter's choice",
    ("bench/config/config.cpp", "none"): "file_state on a device: the file state `none`",
    ("bench/config/sections.cpp", "none"): "`crash.concurrent_write: none`, the YAML switch",
    ("bench/config/config.cpp", "lab"): "the top-level `lab:` section of a config",
    ("bench/config/sections.cpp", "lab"): "the `lab:` section's name in its messages",
    ("bench/counters/counter_table.cpp", "none"): "the counter set `none`",
    ("bench/fio/fio_job.cpp", "fdatasync"): "fio's option fdatasync=N",
    ("bench/fio/fio_job.cpp", "libpmem"): "fio's engine name (ioengine=libpmem)",
    ("bench/lab/guest/manifest.cpp", "file"): "the manifest's JSON key `file`",
    ("bench/lab/host/crash_run.cpp", "file"): "the manifest's JSON key `file`",
    ("bench/lab/host/lab.cpp", "devdax"): "the lab's guest kind (lab:devdax), not the target",
    ("bench/lab/host/lab.cpp", "lab"): "the host half of the lab target (its kind in facts)",
    ("bench/micro/micro.h", "file"): "daxbench-micro's memory kind `file`",
    ("bench/micro/syscall_bench.cpp", "fdatasync"): "the syscall's name",
    ("bench/micro/syscall_bench.cpp", "msync"): "the syscall's name",
    ("bench/micro/unit_cost_bench.cpp", "fdatasync"): "the syscall's name",
    ("bench/micro/unit_cost_bench.cpp", "msync"): "the syscall's name",
    ("bench/modes/fsync_per_fault.cpp", "fdatasync"): "the syscall its sync_call parameter names",
    ("bench/modes/pwrite_fdatasync.cpp", "fdatasync"): "the syscall's name (SyscallError)",
    ("bench/run/session.cpp", "lab"): "context.json's `lab` key",
    ("bench/results/context.cpp", "clflush"): "a CPUID feature flag in context.json",
    ("bench/results/context.cpp", "clflushopt"): "a CPUID feature flag in context.json",
    ("bench/results/context.cpp", "clwb"): "a CPUID feature flag in context.json",
    ("bench/targets/lab.cpp", "devdax"): "the lab's guest kind (lab:devdax), not the target",
    # The persistence model names the x86 instructions it decodes in the guest (which the
    # flush plug-ins are named after); it stands on no layer and runs inside QEMU.
    ("bench/lab/model/x86_persist_insn.cpp", "clwb"): "the x86 mnemonic the decoder names",
    ("bench/lab/model/x86_persist_insn.cpp", "clflushopt"): "the x86 mnemonic the decoder names",
    ("bench/lab/model/x86_persist_insn.cpp", "clflush"): "the x86 mnemonic the decoder names",
    # The observed-count protocol names what the model's plugin counts: x86 instructions.
    ("bench/lab/observed.h", "clwb"): "the x86 mnemonic the plugin counts",
    ("bench/lab/observed.h", "clflushopt"): "the x86 mnemonic the plugin counts",
    ("bench/lab/observed.h", "clflush"): "the x86 mnemonic the plugin counts",
    # Not moved yet (issue 14, left): the places below still key on names.
    ("bench/micro/flush_bench.cpp", "*"):
        "daxbench-micro measures named instructions (clwb against ntstore) on purpose",
    ("bench/micro/raw_loop_bench.cpp", "*"):
        "the raw loops are hand-written mirrors of random-update with none and sealed-extent",
    ("bench/run/micro_run.cpp", "*"):
        "pairs the raw loops with their driver cases by name; moves with the raw loops",
}


class RegistryError(Exception):
    pass


def source_files(root):
    for top in CHECKED_ROOTS:
        for folder, dirs, names in os.walk(os.path.join(root, top)):
            dirs.sort()
            for name in sorted(names):
                if name.endswith(SOURCE_SUFFIXES + (".def",)):
                    yield os.path.relpath(os.path.join(folder, name), root)


def read(root, rel):
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        return f.read()


def registered_names(root, files):
    """{name: {files that register it}} from every .def file's descriptors."""
    texts = {rel: read(root, rel) for rel in files if not rel.endswith(".def")}
    names = {}
    for def_file in (rel for rel in files if rel.endswith(".def")):
        for number, line in enumerate(read(root, def_file).splitlines(), 1):
            match = DEF_LINE.match(line)
            if not match:
                continue
            symbol = match.group(1)
            pattern = re.compile(DEFINITION.format(symbol=re.escape(symbol)))
            owners = [rel for rel, text in texts.items() if pattern.search(text)]
            if len(owners) != 1:
                raise RegistryError(f"{def_file}:{number}: {symbol} is defined in "
                                    f"{len(owners)} files, expected one")
            text = texts[owners[0]]
            name = NAME_FIELD.search(text, pattern.search(text).end())
            if not name:
                raise RegistryError(f"{def_file}:{number}: {symbol} ({owners[0]}) has no "
                                    '.name = "..."')
            names.setdefault(name.group(1), set()).add(owners[0])
    if not names:
        raise RegistryError("no DAXBENCH_*(symbol) line in any .def file under "
                            + ", ".join(CHECKED_ROOTS))
    return names


def string_literals(text):
    """(line, literal) for each "..." outside comments and character literals."""
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += text.count("\n", i, end)
            i = end
        elif c == "'":
            j = i + 1
            while j < n and text[j] != "'" and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            i = j + 1
        elif c == '"':
            j, chars = i + 1, []
            while j < n and text[j] != '"' and text[j] != "\n":
                if text[j] == "\\":
                    chars.append(text[j:j + 2])
                    j += 2
                else:
                    chars.append(text[j])
                    j += 1
            yield line, "".join(chars)
            i = j + 1
        else:
            i += 1


def exempt(rel, name):
    return (rel, name) in EXEMPT or (rel, "*") in EXEMPT


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = list(source_files(root))
    try:
        names = registered_names(root, files)
    except RegistryError as e:
        print(f"check_plugin_names: {e}", file=sys.stderr)
        return 2
    problems = []
    checked = 0
    for rel in files:
        if rel.endswith(".def"):
            continue
        checked += 1
        for line, literal in string_literals(read(root, rel)):
            owners = names.get(literal)
            if owners is None or rel in owners or exempt(rel, literal):
                continue
            problems.append(f'{rel}:{line}: "{literal}" is the name of a plug-in defined in '
                            f"{', '.join(sorted(owners))}: ask its descriptor instead "
                            "(or add an exemption with its reason to tools/check_plugin_names.py)")
    for p in problems:
        print(p)
    if problems:
        print(f"check_plugin_names: {len(problems)} plug-in name(s) spelled outside their "
              "plug-in's file", file=sys.stderr)
        return 1
    print(f"check_plugin_names: {checked} files, {len(names)} registered names, each spelled "
          "only by its own plug-in", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
