"""daxbench beside fio, case by case: the fio records of a run (`"tool": "fio"`, each naming
the daxbench case it mirrors by case_id) paired with daxbench's own, their medians, the ratio
fio/daxbench with its 95% interval, and a verdict — "agree" within ±10%, otherwise the likely
reasons, from the rules in RULES. sections/fio.py and plots/fio.py present what this computes."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from daxbench_analysis import stats
from daxbench_analysis.model.run import LATENCY, THROUGHPUT, Case, Run

# fio and daxbench "agree" when fio/daxbench is within this band around 1: closer than two
# tools that time different things (fio per I/O, daxbench per thread interval) can be asked to be.
AGREE_BAND = 0.10
# fio 3.33's own bookkeeping per write (around each io_u) is 0.1-0.5 us on this host (the
# 2026-11-24 sweep: +104..+234 ns over daxbench with mmap/libpmem; machine-facts.md: ~0.5 us).
# It can explain a difference only where daxbench's whole operation is of that order: below
# this, it is at least a tenth of it.
FAST_OP_NS = 5_000.0

VERDICT_AGREE = "agree"
VERDICT_AGREE_CI = "agree (CI)"   # the median ratio is beyond ±10%, its 95% interval is not
VERDICT_DIFFER = "differ"


@dataclass
class Pair:
    """One daxbench case and the fio records that mirror it."""
    case_id: str
    label: str                  # "random-update msync" (+ mode parameters, shape)
    workload: str
    column: str                 # the label without the workload: "msync", "none record_size=4K"
    target: str
    mode: str                   # daxbench's mode (with any mode parameter): colour of a figure
    emulated: str | None
    engine: str | None          # fio's ioengine: mmap, psync, libpmem, dev-dax
    mapping: str | None         # the record's one-line note of how the case maps, its caveat
    env: dict = field(default_factory=dict)
    job: str = ""
    status: str = "ok"          # ok, unsupported (fio cannot express it), failed, no-daxbench
    reason: str | None = None
    daxbench: object = None     # stats.Summary of daxbench's ops/s, None without ok repetition
    fio: object = None          # the same of fio's
    ratio: float = math.nan     # median fio ops/s / median daxbench ops/s
    ratio_ci: tuple[float, float] = (math.nan, math.nan)
    op_p50: tuple[float | None, float | None] = (None, None)      # ns: daxbench op, fio clat
    commit_p50: tuple[float | None, float | None] = (None, None)  # ns: daxbench commit, fio sync
    fio_failed: int = 0         # fio repetitions that failed beside ok ones
    threads: int = 1
    verdict: str = ""
    reasons: list[str] = field(default_factory=list)

    @property
    def daxbench_op_ns(self) -> float:
        """daxbench's time per operation and thread, from its median throughput."""
        return self.threads * 1e9 / self.daxbench.median

    @property
    def fio_op_ns(self) -> float:
        """fio's time per write and thread, from its median throughput."""
        return self.threads * 1e9 / self.fio.median

    @property
    def fio_slower(self) -> bool:
        return self.ratio < 1 - AGREE_BAND


@dataclass(frozen=True)
class Rule:
    """A likely reason why fio and daxbench differ on a case. `fio_is` is the direction it
    pushes fio's ops/s relative to daxbench ("lower", or "either"): a rule is only offered
    where the case has its cause and the difference goes its way."""
    name: str
    fio_is: str
    applies: Callable[[Pair], bool]
    text: Callable[[Pair], str]
    why: str


def _env_forced(pair: Pair) -> bool:
    return str(pair.env.get("PMEM_IS_PMEM_FORCE", "")) == "1"


def _nontemporal(pair: Pair) -> bool:
    return any(line.replace(" ", "") == "direct=1" for line in pair.job.splitlines())


MSYNC_CAVEAT = ("msync: fio msyncs the whole mapping (MS_SYNC) at each sync, daxbench only "
                "the dirty range")

RULES = (
    Rule("whole-mapping msync", "lower",
         lambda p: p.mode.split(" ")[0] == "msync" and p.engine == "mmap",
         lambda p: "fio msyncs the whole mapping at each sync, daxbench only the dirty range",
         "fio's mmap engine turns fsync=N into msync(MS_SYNC) over its whole mapping "
         "(engines/mmap.c): the kernel walks the whole range every time."),
    Rule("per-I/O overhead", "lower",
         lambda p: p.daxbench_op_ns < FAST_OP_NS,
         # What this run measured, not the constant: fio's extra time per write.
         lambda p: (f"fio's per-I/O bookkeeping: {p.fio_op_ns:.0f} ns per write against "
                    f"daxbench's {p.daxbench_op_ns:.0f} ns op, "
                    f"+{p.fio_op_ns - p.daxbench_op_ns:.0f} ns per I/O"),
         "fio spends 0.1-0.5 us per I/O on its own bookkeeping (machine-facts, docs/fio.md): "
         "noise for a syncing mode, most of the time of a store that costs 100s of ns. The "
         "text quotes the extra time per write this run measured."),
    Rule("libpmem MAP_SYNC", "lower",
         lambda p: p.engine == "libpmem" and not _env_forced(p)
         and p.mode.split(" ")[0] in ("flush-only", "sealed-extent"),
         lambda p: ("fio's libpmem maps with MAP_SYNC where offered: its write faults sync "
                    "metadata, daxbench's " + p.mode.split(" ")[0] + " mapping does not"),
         "pmem_map_file tries MAP_SHARED_VALIDATE|MAP_SYNC first on a DAX file; daxbench's "
         "flush-only and sealed-extent map with plain MAP_SHARED."),
    Rule("libpmem copy", "either",
         lambda p: p.engine == "libpmem",
         lambda p: ("fio writes with pmem_memcpy, "
                    + ("non-temporal stores (direct=1)" if _nontemporal(p)
                       else "temporal stores + flush")
                    + ", daxbench stores then flushes with its own primitive"),
         "engines/libpmem.c calls pmem_memcpy with PMEM_F_MEM_NONTEMPORAL if direct=1, else "
         "PMEM_F_MEM_TEMPORAL: another copy loop and flush than daxbench's."),
    Rule("forced pmem", "either",
         _env_forced,
         lambda p: ("PMEM_IS_PMEM_FORCE=1 on a non-DAX file: libpmem flushes the CPU cache "
                    "over the page cache; a cost comparison only, neither is durable"),
         "libpmem refuses a non-DAX file unless forced; then its flushes write back DRAM."),
    Rule("emulated", "either",
         lambda p: bool(p.emulated),
         lambda p: f"{p.emulated.upper()} times: kernel paths are emulated, slowed unevenly",
         "In the lab's guest every instruction is emulated: times are not native for either."),
)


def column_of(case: Case) -> str:
    """"msync", with mode parameters and a non-default workload shape: "none record_size=4K"."""
    shape = ",".join(f"{k}={v}" for k, v in case.shape.items()
                     if k not in case.registry.mode_params)
    return case.column + (f" {shape}" if shape else "")


def p50(case: Case, kind: str) -> float | None:
    samples = case.samples(LATENCY[f"{kind}_p50_ns"])
    return stats.median(samples) if samples else None


def verdict(ratio: float, ci: tuple[float, float]) -> str:
    if abs(ratio - 1) <= AGREE_BAND:
        return VERDICT_AGREE
    low, high = ci
    if math.isfinite(low) and math.isfinite(high) and low <= 1 + AGREE_BAND \
            and high >= 1 - AGREE_BAND:
        return VERDICT_AGREE_CI
    return VERDICT_DIFFER


def likely_reasons(pair: Pair) -> list[str]:
    """The rules that apply to the case and point the way fio differs; never a guess."""
    found = [rule.text(pair) for rule in RULES
             if (rule.fio_is == "either" or pair.fio_slower) and rule.applies(pair)]
    return found or ["no rule here explains it (see the mapping note)"]


def pair_case(run: Run, fio_case: Case) -> Pair:
    fio_first = fio_case.records[0]
    facts = fio_first.get("fio") or {}
    dax = run.cases.get(fio_case.case_id)
    column = column_of(fio_case)
    pair = Pair(fio_case.case_id, f"{fio_case.workload} {column}", fio_case.workload, column,
                fio_case.target, fio_case.column,
                fio_case.emulated or (dax.emulated if dax else None), facts.get("engine"),
                facts.get("mapping"), dict(facts.get("env") or {}), str(facts.get("job") or ""))
    pair.threads = int((dax or fio_case).params.get("threads") or 1)
    if dax is not None and dax.status == "ok":   # shown even where fio has nothing beside it
        pair.daxbench = stats.summarize(dax.samples(THROUGHPUT))
    if fio_case.status != "ok":
        pair.status, pair.reason = fio_case.status, fio_case.reason or "(no reason recorded)"
        return pair
    if dax is None or dax.status != "ok":
        pair.status = "no-daxbench"
        pair.reason = (f"daxbench {dax.status}: {dax.reason}" if dax
                       else "no daxbench record of this case")
        return pair
    dax_ops, fio_ops = dax.samples(THROUGHPUT), fio_case.samples(THROUGHPUT)
    if not fio_ops:
        pair.status, pair.reason = "failed", "fio's ok records hold no ops_per_sec"
        return pair
    pair.fio = stats.summarize(fio_ops)
    pair.ratio = pair.fio.median / pair.daxbench.median
    pair.ratio_ci = stats.ratio_ci(dax_ops, fio_ops)
    pair.op_p50 = (p50(dax, "op"), p50(fio_case, "op"))
    pair.commit_p50 = (p50(dax, "commit"), p50(fio_case, "commit"))
    pair.fio_failed = len(fio_case.records) - len(fio_case.ok_records)
    pair.verdict = verdict(pair.ratio, pair.ratio_ci)
    if abs(pair.ratio - 1) > AGREE_BAND:
        pair.reasons = likely_reasons(pair)
    return pair


def pairs(run: Run) -> list[Pair]:
    """Every case fio mirrored, by target in first-seen order, then in mode order."""
    found = [pair_case(run, case) for case in run.fio.values()]
    targets = list(dict.fromkeys(p.target for p in found))
    workloads = list(dict.fromkeys(p.workload for p in found))
    return sorted(found, key=lambda p: (targets.index(p.target), workloads.index(p.workload),
                                        run.mode_rank(p.mode.split(" ")[0]), p.label))


def by_target(found: list[Pair]) -> dict[str, list[Pair]]:
    out: dict[str, list[Pair]] = {}
    for pair in found:
        out.setdefault(pair.target, []).append(pair)
    return out


def caveats(found: list[Pair]) -> list[str]:
    """The notes a figure or table of these pairs must carry: fio's whole-mapping msync first
    whenever an msync case is there (in our words, whatever the record's note says), then each
    distinct mapping note of the fio records with the cases it is about."""
    by_note: dict[str, list[str]] = {}
    for pair in found:
        if pair.mapping:
            env = " ".join(f"{k}={v}" for k, v in sorted(pair.env.items()))
            how = f"{pair.engine}{' with ' + env if env else ''}: {pair.mapping}"
            by_note.setdefault(how, []).append(pair.label)
    notes = [f"{', '.join(labels)} as fio {how}" for how, labels in by_note.items()]
    if any(p.mode.split(" ")[0] == "msync" and p.engine == "mmap" for p in found):
        notes.insert(0, MSYNC_CAVEAT)
    return notes
