"""The one place that knows the driver's registry: the modes in their order, the parameters
that belong to a mode rather than to the workload, the crash verdict rules, and how a case's
shape (its parameters not at their default) is read.

The source is what the driver writes into the results (docs/results-schema.md):
`context["registry"]` (bench/run/registry_json.cpp; the verdict orders are
bench/lab/host/verdict.h's) and `record["shape"]`:
    {"modes": [{"name": "fdatasync", "durability": "syscall", "summary": "...",
                "params": [{"name": "sync_call", "kind": "choice", ...}, ...]}, ...],  # in order
     "workloads": [...], "flushes": [...], "targets": [...],
     "crash": {"cut_verdicts": ["FAIL", ...],   # a cell over its cuts: the first one present
               "row_verdicts": ["FAIL", ...]}}  # a row over its workloads: worst first
and `record["shape"]`: {"record_size": "4K", ...}, the case id's parameters as an object.

The FALLBACK_* tables and `parse_shape_id` are only for results folders written before the
driver wrote these (and for the history, which keeps no run's registry): copies of the C++
tables as they were then. tests/e2e/test_run.py checks that the driver's registry still
holds them in the same order, so an old folder and a new one read the same; a mode added
later needs no entry here (old folders cannot hold it)."""
from __future__ import annotations

import json
from dataclasses import dataclass

# FALLBACK (results folders without context["registry"]): the modes in the order every
# table and figure uses — the syscall modes first, then the user-space flushing modes, then
# the controls.
FALLBACK_MODE_ORDER = ("fdatasync", "msync", "pwrite-fdatasync", "fsync-per-fault", "map-sync",
                       "sealed-extent", "flush-only", "none")
# FALLBACK: parameters that belong to a mode, not to the workload: cases differing only in
# these and the mode are the same experiment seen through different mechanisms.
FALLBACK_MODE_PARAMS = ("flush", "sync_call", "reprotect", "fault_sync")
# FALLBACK: bench/lab/host/verdict.cpp's rules. A cell over its cuts: the first verdict of this
# list that any cut has (none: UNSUPPORTED). A crash-matrix row over its workloads: worst first.
FALLBACK_CUT_VERDICTS = ("FAIL", "LOSS-EXPECTED", "NO-LOSS-SEEN", "PASS", "ERROR")
FALLBACK_ROW_VERDICTS = ("FAIL", "NO-LOSS-SEEN", "ERROR", "LOSS-EXPECTED", "PASS", "UNSUPPORTED")
NO_CUT_VERDICT = "UNSUPPORTED"


@dataclass(frozen=True)
class Registry:
    modes: tuple[str, ...]            # presentation order
    mode_params: frozenset[str]       # every mode's parameter names
    cut_verdicts: tuple[str, ...]
    row_verdicts: tuple[str, ...]

    @classmethod
    def from_context(cls, context: dict | None) -> "Registry":
        """The driver's registry from context.json, each part absent there taken from FALLBACK."""
        written = (context or {}).get("registry")
        if not isinstance(written, dict):
            return FALLBACK
        modes = written.get("modes")
        crash = written.get("crash") or {}
        return cls(
            tuple(m["name"] for m in modes) if modes else FALLBACK.modes,
            frozenset(p["name"] if isinstance(p, dict) else p
                      for m in modes for p in m.get("params", [])) if modes
            else FALLBACK.mode_params,
            tuple(crash.get("cut_verdicts") or FALLBACK.cut_verdicts),
            tuple(crash.get("row_verdicts") or FALLBACK.row_verdicts))

    def mode_rank(self, mode: str) -> int:
        """A mode's place in the order; an unknown one (or a column "mode param=v") after all."""
        return self.modes.index(mode) if mode in self.modes else len(self.modes)

    def cell_verdict(self, cut_verdicts) -> str:
        """A crash cell over its cuts, as the driver decides it."""
        return next((v for v in self.cut_verdicts if v in cut_verdicts), NO_CUT_VERDICT)

    def row_verdict(self, cell_verdicts) -> str:
        """The worst of a crash-matrix row's cells; unknown ones joined as they are."""
        return next((v for v in self.row_verdicts if v in cell_verdicts),
                    ",".join(sorted(cell_verdicts)))


FALLBACK = Registry(FALLBACK_MODE_ORDER, frozenset(FALLBACK_MODE_PARAMS), FALLBACK_CUT_VERDICTS,
                    FALLBACK_ROW_VERDICTS)


def case_shape(record: dict) -> dict[str, str]:
    """The parameters of a record's case not at their default: `record["shape"]` when the
    driver writes it, else parsed back from the case id (FALLBACK)."""
    shape = record.get("shape")
    if isinstance(shape, dict):
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in shape.items()}
    prefix = f"{record['workload']}/{record['mode']}/{record['target']}/"
    return parse_shape_id(record["case_id"][len(prefix):])


def parse_shape_id(shape: str) -> dict[str, str]:
    """FALLBACK: `record_size=4K,commit_every=16` -> {"record_size": "4K", ...}; "defaults" ->
    {}. A value holding a comma (a trace path) is rejoined."""
    if shape in ("", "defaults"):
        return {}
    pairs: dict[str, str] = {}
    last = None
    for piece in shape.split(","):
        if "=" in piece:
            last, _, value = piece.partition("=")
            pairs[last] = value
        elif last is not None:
            pairs[last] += "," + piece
    return pairs
