"""Cost attribution (docs/analysis.md, "Where the time goes"): a case's median time per
operation as its counted events per operation times each event's unit cost, plus the residual
the model does not explain. Unit costs are micro-benchmarks (micro.json) measured on the same
target in the same run, chosen by the case's conditions (file state, dirty pages per sync,
record size, flush primitive and fence interval); never a constant. An event whose matching
benchmark is absent is a missing term, named, never dropped."""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from daxbench_analysis.model.run import Case, Metric, Run, micro_entries

PAGE = 4096
LINE = 64
TARGET_EXPLAINED = 0.90   # issue 17: on the host, for modes whose cost is counted events
JOURNALS = ("jbd2:jbd2_end_commit", "xfs:xfs_log_force")   # one per filesystem
SYNC_CALLS = ("fdatasync", "fsync", "msync")
ALLOCATIONS = "ext4:ext4_allocate_blocks"   # per writer thread: allocations at writeback
UNAVAILABLE_TARGET = "unavailable: no unit costs measured on this target"


@dataclass
class Term:
    """One counted event per operation times its unit cost."""
    name: str            # "fdatasync alloc 1 pg": a sync that allocated, 1 dirty page
    events: str          # the counters it stands for: "sys_fdatasync x jbd2:jbd2_end_commit"
    per_op: float        # events per operation
    benchmark: str       # the micro-benchmark giving the unit cost
    unit_ns: float       # ns per event
    covers: str = ""     # what the unit cost already includes, so it is not counted twice

    @property
    def ns(self) -> float:
        return self.per_op * self.unit_ns


@dataclass
class Missing:
    """A counted event with no matching unit cost: reported, its time left in the residual."""
    events: str
    per_op: float
    wanted: str          # the benchmark that would give it, or what is unknown


@dataclass
class Attribution:
    case: Case
    status: str                          # "ok" or "unavailable: why"
    op_ns: float | None = None           # median over repetitions of threads x duration / ops
    terms: list[Term] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    finding: str | None = None           # the likely missing term when below the target
    notes: list[str] = field(default_factory=list)   # a choice the data forced, said once

    @property
    def explained_ns(self) -> float:
        return sum(t.ns for t in self.terms)

    @property
    def residual_ns(self) -> float | None:
        return None if self.op_ns is None else self.op_ns - self.explained_ns

    @property
    def explained(self) -> float | None:
        return None if not self.op_ns else self.explained_ns / self.op_ns

    @property
    def event_dominated(self) -> bool:
        """A mode whose cost the issue expects counted events to explain: one that syncs,
        traps or flushes (anything but a mode with none of those terms)."""
        return any(t.events != "page faults" for t in self.terms) or bool(self.missing)


def unit_costs(run: Run) -> dict[str, tuple[float | None, str | None, dict]]:
    """Benchmark name (without Google Benchmark's /iterations:N/manual_time tail) ->
    (ns_per_op, error, the entry). The median aggregate where there are repetitions."""
    chosen = micro_entries(run.micro)
    out = {}
    for bench in chosen:
        name = "/".join(p for p in (bench.get("run_name") or bench["name"]).split("/")
                        if not p.startswith("iterations:") and p not in ("manual_time",
                                                                          "real_time"))
        error = bench.get("error_message") if bench.get("error_occurred") else None
        ns = bench.get("ns_per_op")
        out.setdefault(name, (None if error or ns is None else float(ns), error, bench))
    return out


def micro_target(run: Run) -> str | None:
    """The target the micro-benchmarks ran on: context.json's micro block, else micro.json's
    own context (daxbench-micro names its target there)."""
    spec = (run.context.get("micro") or {}).get("target")
    return spec or ((run.micro or {}).get("context") or {}).get("target")


def op_ns(case: Case) -> float | None:
    """Median over ok repetitions of the time per operation as one writer sees it:
    threads x duration_ns / ops (each thread did ops/threads of them in duration_ns)."""
    threads = int(case.params.get("threads") or 1)
    values = [threads * r["duration_ns"] / r["ops"] for r in case.ok_records
              if r.get("ops") and r.get("duration_ns")]
    return statistics.median(values) if values else None


def per_op(case: Case, name: str) -> float | None:
    """Median over ok repetitions of a counter per operation; None when not counted."""
    values = case.samples(Metric(f"counter:{name}", name, "", "lower"))
    return statistics.median(values) if values else None


class _Builder:
    """Collects a case's terms, looking each unit cost up and naming what is missing."""

    def __init__(self, costs: dict):
        self.costs = costs
        self.terms: list[Term] = []
        self.missing: list[Missing] = []
        self.notes: list[str] = []

    def add(self, name: str, events: str, count: float, benchmark: str, covers: str = "",
            counter: str | None = None, per_fault: bool = False):
        """counter: the unit cost is that counter of the benchmark, not its ns_per_op;
        per_fault: ns_per_op over the benchmark's page_faults per iteration (a first touch
        need not fault where one fault maps a large folio: docs/micro.md)."""
        if count <= 0:
            return
        ns, error, entry = self.costs.get(benchmark, (None, None, None))
        why = f"{benchmark} ({error})" if error else f"{benchmark} (not in micro.json)"
        if ns is not None and counter:
            ns = entry.get(counter)
            why = f"{benchmark} (no {counter})"
        if ns is not None and per_fault:
            faults = entry.get("page_faults")
            if not faults or faults < 0.5:
                ns, why = None, (f"{benchmark} (took {faults or 0:.3g} faults per touch: one "
                                 "fault mapped many pages there, not the case's fault)")
            else:
                ns /= faults
        if ns is None:
            self.missing.append(Missing(events, count, why))
        else:
            self.terms.append(Term(name, events, count, benchmark, ns, covers))

    def nearest_interval(self, prefix: str, suffix: str, every: float) -> int | None:
        """The measured fence interval of prefix<F>suffix nearest to `every` lines per fence,
        within 10% (a repetition's last, partial commit moves the ratio off 16 a little)."""
        found = []
        for name, (ns, _, _) in self.costs.items():
            if ns is not None and name.startswith(prefix) and name.endswith(suffix):
                middle = name[len(prefix):len(name) - len(suffix)]
                if middle.isdigit():
                    found.append(int(middle))
        near = [f for f in found if abs(f - every) <= 0.1 * every]
        return min(near, key=lambda f: abs(f - every)) if near else None


def _journal(case: Case) -> tuple[str, float] | None:
    """The journal counter of the case's filesystem: the first counted that is non-zero."""
    counted = [(n, v) for n in JOURNALS if (v := per_op(case, n)) is not None]
    return next(((n, v) for n, v in counted if v > 0), counted[0] if counted else None)


def _pages_per_sync(run: Run, case: Case, syncs: float) -> float | None:
    """Dirty pages at each sync: on a page-cache file every page written back is
    write-protected again, so its next store faults once: the case's own faults per sync.
    A case that dirties pages by pwrite takes no fault: then the faults per sync of a case
    of its group that stores through the mapping, the same operation sequence (op_digest)."""
    def faults_per_sync(c: Case) -> float | None:
        calls = sum(per_op(c, f"sys_{call}") or 0 for call in SYNC_CALLS)
        faults = (per_op(c, "page_faults_minor") or 0) + (per_op(c, "page_faults_major") or 0)
        return faults / calls if calls > 0 and faults > 0 else None
    own = faults_per_sync(case)
    if own is not None or (per_op(case, "sys_pwrite") or 0) == 0:
        return max(own or 1.0, 1.0)
    for other in run.groups().get(case.group_key, []):
        if other is not case and (per_op(other, "sys_pwrite") or 0) == 0:
            if (found := faults_per_sync(other)) is not None:
                return max(found, 1.0)
    return None


def _file_state(case: Case) -> str:
    return str(case.params.get("file_state", "zeroed"))


def _placement(case: Case) -> str:
    """rand for a workload that draws its offsets from a distribution (its parameters say
    so), seq otherwise: the flush benchmarks' placement."""
    return "rand" if "distribution" in case.params else "seq"


def attribute(run: Run, case: Case) -> Attribution:
    if not case.ok_records:
        return Attribution(case, f"unavailable: {case.status}: {case.reason}")
    if case.target != micro_target(run) or not run.micro:
        return Attribution(case, UNAVAILABLE_TARGET)
    b = _Builder(unit_costs(run))
    state = _file_state(case)
    allocating = state in ("sparse", "fallocated")

    # Sync calls: the journal commits a sync waits for are inside its unit cost (the
    # benchmark on fresh pages commits the journal itself), so they are no term of their own;
    # they only say how many of the calls allocated.
    syncs = {call: per_op(case, f"sys_{call}") or 0.0 for call in SYNC_CALLS}
    total_syncs = sum(syncs.values())
    fresh_syncs = 0.0
    pages = None
    if total_syncs > 0:
        pages = _pages_per_sync(run, case, total_syncs)
        journal = _journal(case)
        if pages is None:
            b.missing.append(Missing("sync calls", total_syncs,
                                     "dirty pages per sync (no case of the group stores "
                                     "through the mapping)"))
        elif journal is None and allocating and not per_op(case, ALLOCATIONS):
            b.missing.append(Missing("sync calls", total_syncs,
                                     "journal commits (to tell allocating syncs): "
                                     f"{' / '.join(JOURNALS)} not counted"))
        else:
            k = round(pages)
            # Which syncs allocated: ext4's own count of block allocations in the syncing
            # thread (delayed allocation happens at writeback) where it saw any, else the
            # journal commits (a filesystem without a journal commits none).
            allocations = per_op(case, ALLOCATIONS)
            if allocating and allocations:
                fresh_share = min(allocations / total_syncs / max(k, 1), 1.0)
                journal_name = ALLOCATIONS
            else:
                fresh_share = min((journal[1] if journal else 0.0) / total_syncs, 1.0) \
                    if allocating else 0.0
                journal_name = journal[0] if journal else "journal"
                if allocating and journal and journal[1] == 0:
                    b.notes.append(_no_journal_note(b.costs, k, journal[0]))
            fresh_syncs = total_syncs * fresh_share
            written, folio_note = _written_variant(b.costs, case, total_syncs, k)
            if folio_note:
                b.notes.append(folio_note)
            for call, n in syncs.items():
                b.add(f"{call} alloc {k} pg", f"sys_{call} x {journal_name}",
                      n * fresh_share, f"unit/{call}/fresh/dirty_pages:{k}",
                      "its journal commit")
                b.add(f"{call} {k} pg{' (4 KiB folios)' if '4k' in written else ''}",
                      f"sys_{call}", n * (1 - fresh_share),
                      f"unit/{call}/{written}/dirty_pages:{k}")

    # pwrite: into a hole once per page a sync then allocates, over written data otherwise.
    pwrites = per_op(case, "sys_pwrite") or 0.0
    if pwrites > 0:
        stores = per_op(case, "stores") or 0.0
        size = (per_op(case, "bytes_stored") or 0.0) / stores if stores else 0.0
        size = int(round(size))
        fresh = min(pwrites, fresh_syncs * round(pages or 1))
        b.add(f"pwrite {size} B hole", "sys_pwrite", fresh, f"unit/pwrite/fresh/size:{size}")
        b.add(f"pwrite {size} B", "sys_pwrite", pwrites - fresh,
              f"unit/pwrite/written/size:{size}")

    # fsync-per-fault's traps: the trap benchmark includes the handler's mprotect and
    # MADV_POPULATE_WRITE (its fault), so neither is a term beside it; the sync is above.
    traps = per_op(case, "faults_trapped") or 0.0
    if traps > 0:
        trap_state = "fresh" if allocating else "written"
        b.add(f"trap ({trap_state} page)", "faults_trapped", traps, f"unit/trap/{trap_state}",
              "its mprotect and madvise")
        extra = (per_op(case, "sys_mprotect") or 0.0) - traps
        if extra > 1e-9:
            b.missing.append(Missing("sys_mprotect beyond one per trap", extra,
                                     "an mprotect benchmark of the whole mapping"))

    # Page faults the kernel counted (trapped ones are the traps above): faults on pages a
    # sync allocated are first touches of the case's file state; the rest fall on pages with
    # their block, re-armed by writeback: the zeroed file's first touch is the nearest.
    faults = (per_op(case, "page_faults_minor") or 0.0) + (per_op(case, "page_faults_major")
                                                            or 0.0)
    if faults > 0:
        first = faults if total_syncs == 0 else min(faults, fresh_syncs * round(pages or 1))
        b.add(f"fault ({state})", "page faults", first,
              f"fault/{state}/map_shared/memory:file", per_fault=True)
        written = _written_variant(b.costs, case, total_syncs, 1)[0] if total_syncs else "written"
        b.add("fault (written page)", "page faults", faults - first,
              f"unit/fdatasync/{written}/dirty_pages:1", "the store that took it",
              counter="ns_per_fault")

    # User-space flushes: one benchmark operation is one store of the record size, its lines
    # written back with the case's primitive and a fence every F lines as in the case, so it
    # covers lines_flushed and fences together (and the store itself).
    lines = (per_op(case, "lines_flushed") or 0.0) + (per_op(case, "lines_nt_stored") or 0.0)
    fences = per_op(case, "fences") or 0.0
    if case.flush and (lines > 0 or fences > 0):
        stores = per_op(case, "stores") or 0.0
        size = int(round((per_op(case, "bytes_stored") or 0.0) / stores)) if stores else 0
        store_lines = stores * max(size // LINE, 1)
        exact = store_lines / fences if fences else 0.0
        prefix = f"flush/{case.flush}/size:{size}/fence_every:"
        suffix = f"/dirty/{_placement(case)}/memory:file"
        every = b.nearest_interval(prefix, suffix, exact) or max(int(round(exact)), 1)
        b.add(f"{case.flush} {size} B, fence/{every} lines", "lines_flushed + fences", stores,
              f"{prefix}{every}{suffix}", "the store of the record and its share of a fence")

    result = Attribution(case, "ok", op_ns(case), b.terms, b.missing, notes=b.notes)
    result.finding = _finding(case, result, pages)
    return result


WRITTEN_VARIANTS = ("written", "written_4k_folios")   # large folios / 4 KiB folios


def _written_variant(costs: dict, case: Case, syncs: float, k: int) -> tuple[str, str | None]:
    """The sync benchmark of written pages whose folios match the case's: what one sync writes
    back is the folios its stores dirtied, whole (a 64 B store into a 2 MiB folio dirties 2 MiB),
    so the variant whose dirtied_bytes per call is nearest (in ratio) the case's dirtied_bytes
    per sync. Without that counter (an older run) the large-folio one, and a note says so."""
    if (per_op(case, "sys_pwrite") or 0) > 0 and \
            f"unit/fdatasync/written_4k_folios/dirty_pages:{k}" in costs:
        # write(2) marks only the blocks it wrote dirty (the folio's buffers), while a store
        # through a mapping dirties the whole folio at its write fault: write_bytes counts the
        # folio either way, but a sync after pwrite writes back only the blocks — measured
        # here: pwrite-fdatasync on a zeroed file ~3x cheaper per sync than fdatasync.
        return "written_4k_folios", None
    dirtied = per_op(case, "dirtied_bytes")
    if dirtied is None or syncs <= 0:
        return "written", ("dirtied_bytes not counted: syncs charged as of the benchmark's "
                           "large-folio file, whatever the case's folios")
    per_sync = max(dirtied / syncs, 1.0)
    found = []
    for variant in WRITTEN_VARIANTS:
        entry = costs.get(f"unit/fdatasync/{variant}/dirty_pages:{k}", (None, None, None))[2]
        if entry and entry.get("dirtied_bytes"):
            found.append((abs(math.log(per_sync / float(entry["dirtied_bytes"]))), variant,
                          float(entry["dirtied_bytes"])))
    if not found:
        return "written", None
    distance, variant, bench = min(found)
    note = None
    if distance > math.log(2):
        note = (f"the case dirtied {per_sync / 1024:.0f} KiB per sync, the nearest benchmark "
                f"({variant}) {bench / 1024:.0f} KiB: its sync writes back a different amount")
    return variant, note


def _no_journal_note(costs: dict, k: int, journal: str) -> str:
    """No journal commit beside syncs on a file that allocates: the split cannot be made (a
    filesystem without a journal), so every sync is charged as a sync of written pages; how
    much the fresh-page benchmark differs says what that choice can move."""
    fresh = costs.get(f"unit/fdatasync/fresh/dirty_pages:{k}", (None,))[0]
    written = costs.get(f"unit/fdatasync/written/dirty_pages:{k}", (None,))[0]
    differ = (f"; fdatasync on fresh pages differs by {fresh / written - 1:+.0%} here"
              if fresh and written else "")
    return (f"{journal} counted 0 beside the syncs of an allocating file (a filesystem "
            f"without a journal?): every sync is charged as one of written pages{differ}")


def _finding(case: Case, a: Attribution, pages: float | None) -> str | None:
    """Where the model falls short of the target for a mode of counted events, the likely
    missing term, from what the case counted."""
    if a.explained is None or not a.event_dominated:
        return None
    if abs(a.explained - 1) <= 1 - TARGET_EXPLAINED:
        return None
    if a.missing:
        return "no unit cost for " + "; ".join(f"{m.events} ({m.wanted})" for m in a.missing)
    msync_calls = per_op(case, "sys_msync") or 0
    if msync_calls and pages:
        span = (per_op(case, "msync_bytes") or 0) / msync_calls / PAGE
        if span > 2 * pages:
            return (f"msync's walk of its span: {span:.0f} pages per call, {pages:.0f} dirty "
                    "(the benchmark msyncs only its dirty pages)")
    if a.explained > 1:
        return ("over-explained: a unit cost measured under heavier conditions than the "
                "case's (e.g. a fresh file per benchmark vs the case's cached one)")
    return ("uncounted work: the stores into the mapping, writeback beyond the benchmark's "
            "conditions, the harness")


def attributions(run: Run) -> list[Attribution]:
    """Every daxbench case of the run, in group order (groups, then mode order). A finding of
    uncounted work quotes the group's floor: the fastest case with no counted event but page
    faults (a mode that syncs, traps and flushes nothing): its op time is the workload's loop
    and the harness alone, which no term covers."""
    out = []
    drift = sync_drift(run)
    for cases in run.groups().values():
        group = [attribute(run, case) for case in cases]
        floors = [a.op_ns for a in group if a.status == "ok" and a.op_ns and
                  not a.event_dominated]
        for a in group:
            if drift and a.finding and any(t.events.startswith("sys_") for t in a.terms):
                a.finding = drift   # what the sync cost when the case ran: not its unit cost
                continue
            if floors and a.finding and a.finding.startswith("uncounted"):
                a.finding += (f" (the group's floor, a case of no counted event, takes "
                              f"{min(floors):.0f} ns per op; the residual is "
                              f"{a.residual_ns:.0f} ns)")
        out += group
    return out


def sync_drift(run: Run) -> str | None:
    """The one sync timed inside the cases themselves — fsync-per-fault's handler times its
    fdatasync (`fault_sync_ns`) — against the benchmark of the same call, measured after the
    cases: where they differ by more than 10%, the benchmark's sync is not the cases' (their
    condition differs, or the latency moved between the phases), and that, not an uncounted
    event, is what the sync cases miss. None when they agree or there is nothing to compare."""
    target = micro_target(run)
    timed = [r["counters"]["fault_sync_ns"]["value"] for case in run.cases.values()
             if case.target == target for r in case.ok_records
             if (r.get("counters", {}).get("fault_sync_ns") or {}).get("value")]
    costs = unit_costs(run)
    bench = [costs.get(f"unit/fdatasync/{state}/dirty_pages:1", (None,))[0]
             for state in ("fresh", "written")]
    bench = [ns for ns in bench if ns]
    if not timed or not bench:
        return None
    in_case, measured = statistics.median(timed), statistics.median(bench)
    if abs(in_case / measured - 1) <= 1 - TARGET_EXPLAINED:
        return None
    return (f"the syncs timed inside the cases (fault_sync_ns, median {in_case / 1e3:.0f} us) "
            f"took {in_case / measured:.2g}x the benchmark's fdatasync of 1 page "
            f"({measured / 1e3:.0f} us): a sync condition the benchmark does not reproduce "
            "(the case's larger file, its scattered allocations), or the target's sync "
            "latency moved between the cases and the benchmarks after them")


def csv_rows(items: list[Attribution]) -> list[dict]:
    """attribution.csv (docs/results-schema.md): one row per case and term, then one for its
    residual; unavailable cases one row saying why; missing terms one row each."""
    rows = []
    for a in items:
        base = {"case_id": a.case.case_id, "mode": a.case.column, "target": a.case.target,
                "status": a.status, "op_ns": _num(a.op_ns), "explained": _num(a.explained)}
        if a.status != "ok":
            rows.append({**base, "term": "", "events": "", "per_op": "", "benchmark": "",
                         "unit_ns": "", "ns": ""})
            continue
        for t in a.terms:
            rows.append({**base, "term": t.name, "events": t.events, "per_op": _num(t.per_op),
                         "benchmark": t.benchmark, "unit_ns": _num(t.unit_ns),
                         "ns": _num(t.ns)})
        for m in a.missing:
            rows.append({**base, "term": "missing", "events": m.events,
                         "per_op": _num(m.per_op), "benchmark": m.wanted, "unit_ns": "",
                         "ns": ""})
        rows.append({**base, "term": "residual", "events": "", "per_op": "", "benchmark": "",
                     "unit_ns": "", "ns": _num(a.residual_ns)})
    return rows


CSV_COLUMNS = ("case_id", "mode", "target", "status", "op_ns", "explained", "term", "events",
               "per_op", "benchmark", "unit_ns", "ns")


def _num(x: float | None) -> str:
    return "" if x is None or not math.isfinite(x) else f"{x:.6g}"
