"""The one-time cost of sealing against the cost per fault (issue 17): per target and working
set, S (what preparing a sealed-extent file cost beyond the sparse file its partner prepared)
against the extra cost of one write fault of a mode that syncs metadata at every fault, and N
= S / that cost: a file whose pages are faulted fewer than N times is cheaper left unsealed.
Both sides come from the same run and target; a side that is not there is said, never filled
in. The rules, and why the per-fault cost is what it is, are in docs/analysis.md."""
from __future__ import annotations

import math
from dataclasses import dataclass

from daxbench_analysis import stats
from daxbench_analysis.model.run import Case, Run

SEALED = "sealed-extent"
# The partners: modes that pay at every fault what the seal pays once. The state they are
# compared on: the unsealed file (every fault allocates).
PARTNER_STATE = "sparse"
PARTNER_WORKLOAD = "first-touch"   # one store per page: every operation is a fault


@dataclass(frozen=True)
class Estimate:
    """A median over repetitions with its 95% bootstrap interval (stats.summarize)."""
    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, samples: list[float]) -> "Estimate | None":
        if not samples:
            return None
        s = stats.summarize(samples)
        return cls(s.median, s.ci_low, s.ci_high, len(samples))


@dataclass
class BreakEven:
    target: str
    kernel: str | None
    working_set: int                 # bytes of one file
    partner: str                     # the mode paying per fault
    emulated: str | None
    seal_ns: Estimate | None         # S: per file, ns
    seal_steps: dict[str, float]     # median ns per step of the sealed file's preparation
    sparse_prep_ns: float | None     # median preparation of a sparse file of this size, per file
    fault_ns: Estimate | None        # the extra cost of one fault, ns
    missing: str | None = None       # why there is no N
    partner_case: bool = False       # the partner has a case of this size here (any status)

    @property
    def pages(self) -> int:
        return self.working_set // 4096

    @property
    def n(self) -> float | None:
        if self.missing or not self.seal_ns or not self.fault_ns or self.fault_ns.median <= 0:
            return None
        return self.seal_ns.median / self.fault_ns.median

    @property
    def n_interval(self) -> tuple[float, float] | None:
        """[S low / c high, S high / c low]: the ends of both intervals taken together (not a
        joint confidence level: wider than one). The upper end is infinite when the per-fault
        interval reaches 0."""
        if self.n is None:
            return None
        s, c = self.seal_ns, self.fault_ns
        if not all(math.isfinite(v) for v in (s.low, s.high, c.low, c.high)):
            return None
        low = s.low / c.high if c.high > 0 else math.inf
        high = s.high / c.low if c.low > 0 else math.inf
        return max(low, 0.0), high


# The check after the timed phase is no part of sealing: FIEMAP_FLAG_SYNC writes back what the
# run dirtied first, so its time is the workload's (on a page-cache target, every page a
# first-touch wrote), not the seal's. It stays in the record and in the step medians.
NOT_SEALING = {"fiemap-after"}


def per_file_prep_ns(record: dict) -> float | None:
    """The preparation of one file of the record (the mean over its files), sealing steps
    only."""
    prep = record.get("preparation")
    if not prep or not prep.get("files"):
        return None
    total = sum(step["ns"] for f in prep["files"] for step in f["steps"]
                if step["name"] not in NOT_SEALING)
    return total / len(prep["files"])


def _counter(record: dict, name: str) -> float | None:
    counter = (record.get("counters") or {}).get(name) or {}
    return counter.get("value") if counter.get("status") == "ok" else None


def fsync_per_fault_extra(case: Case) -> list[float]:
    """Per repetition fault_ns − trap_ns: a trapped store with its sync, less the same store
    trapped without it (the companion run of the same repetition). What is left is the sync an
    in-kernel fsync-per-fault would pay; the emulation's signal and mprotect cancel."""
    out = []
    for record in sorted(case.ok_records, key=lambda r: r["repetition"]):
        fault, trap = _counter(record, "fault_ns"), _counter(record, "trap_ns")
        if fault is not None and trap is not None:
            out.append(fault - trap)
    return out


def ns_per_op(case: Case) -> list[float]:
    return [r["duration_ns"] / r["ops"] for r in sorted(case.ok_records,
                                                         key=lambda r: r["repetition"])
            if r.get("ops")]


def first_touch_extra(case: Case, baseline: Case | None) -> tuple[list[float], str | None]:
    """A mode whose kernel syncs at each fault (map-sync): its ns per first store less
    `none`'s on the same file state, per repetition (paired by repetition)."""
    if baseline is None or not baseline.ok_records:
        return [], "no ok `none` first-touch case beside it to subtract"
    base = {r["repetition"]: r["duration_ns"] / r["ops"] for r in baseline.ok_records
            if r.get("ops")}
    out = [r["duration_ns"] / r["ops"] - base[r["repetition"]]
           for r in sorted(case.ok_records, key=lambda r: r["repetition"])
           if r.get("ops") and r["repetition"] in base]
    return out, None if out else "no repetition of it pairs with one of `none`"


# partner mode -> how its per-fault extra cost is measured (case, `none` beside it).
PARTNERS = {
    "fsync-per-fault": lambda case, _none: (fsync_per_fault_extra(case), None),
    "map-sync": first_touch_extra,
}


def size_bytes(value) -> int:
    """A working set as records give it (bytes), or as text ("4K", "1G": hand-made records)."""
    text = str(value).strip()
    if text and text[-1] in "KMG":
        return int(float(text[:-1]) * 1024 ** ("KMG".index(text[-1]) + 1))
    return int(float(text or 0))


def _key(case: Case) -> tuple:
    return (case.target, case.kernel, size_bytes(case.params.get("working_set", 0)))


def _state(case: Case) -> str:
    return str(case.params.get("file_state", ""))


def _not_ok(case: Case) -> str:
    return f"{case.mode} {case.status} on {case.target}: {case.reason or 'no reason given'}"


def break_evens(run: Run) -> list[BreakEven]:
    """One row per (target, kernel, working set) that has a sealed-extent case, per partner
    mode, in the order the sealed-extent cases first appear."""
    sealed: dict[tuple, list[Case]] = {}
    for case in run.cases.values():
        if case.mode == SEALED:
            sealed.setdefault(_key(case), []).append(case)
    rows = []
    for key, cases in sealed.items():
        target, kernel, size = key
        records = [r for c in cases for r in c.ok_records]
        seal_steps: dict[str, list[float]] = {}
        for record in records:
            for f in record["preparation"]["files"] if record.get("preparation") else []:
                for step in f["steps"]:
                    seal_steps.setdefault(step["name"], []).append(step["ns"])
        near = {c.mode: c for c in run.cases.values()
                if _key(c) == key and c.workload == PARTNER_WORKLOAD
                and _state(c) == PARTNER_STATE and c.params.get("threads", 1) == 1}
        # What a sparse file of this size cost to prepare here, whoever prepared it (a case
        # refused at its mapping keeps its steps): the part of S a file pays sealed or not.
        sparse_prep = [p for c in run.cases.values()
                       if _key(c) == key and c.mode != SEALED and _state(c) == PARTNER_STATE
                       for p in map(per_file_prep_ns, c.records) if p is not None]
        base = stats.median(sparse_prep) if sparse_prep else None
        seal = [p for p in map(per_file_prep_ns, records) if p is not None]
        for partner, measure in PARTNERS.items():
            row = BreakEven(target, kernel, size, partner, cases[0].emulated,
                            Estimate.of([s - (base or 0.0) for s in seal]),
                            {k: stats.median(v) for k, v in seal_steps.items()}, base, None)
            rows.append(row)
            case = near.get(partner)
            row.partner_case = case is not None
            if not seal:
                row.missing = "no ok sealed-extent repetition with its preparation"
            elif case is None:
                row.missing = (f"no {partner} {PARTNER_WORKLOAD} case on a {PARTNER_STATE} "
                               f"file of this size on {target}")
            elif not case.ok_records:
                row.missing = _not_ok(case)
            if row.missing:
                continue
            extra, why = measure(case, near.get("none"))
            row.fault_ns = Estimate.of(extra)
            if row.fault_ns is None:
                row.missing = why or f"{partner} recorded no per-fault cost (fault_ns, trap_ns)"
            elif row.fault_ns.median <= 0:
                row.missing = (f"{partner}'s extra cost per fault is not above 0 "
                               f"({row.fault_ns.median:.0f} ns): no break-even")
    return rows
