"""The crash cells of a run (crash.jsonl), as data: the crash matrix — one row per mode x flush
x file state x filesystem x persistence domain, lost/acknowledged (on the strict image) summed
over cuts and workloads, the worst workload's
verdict — and the concurrency cells, where a second process write()s the same file without
syncing. The verdict rules are the registry's (model/registry.py)."""
from __future__ import annotations

from daxbench_analysis.model.registry import FALLBACK, Registry
from daxbench_analysis.model.run import Run


def crash_cell_verdict(cut_verdicts: list[str], registry: Registry = FALLBACK) -> str:
    """A cell over its cuts, as the driver decides it (bench/lab/host/verdict.cpp)."""
    return registry.cell_verdict(cut_verdicts)


def is_concurrent(record: dict) -> bool:
    return isinstance(record.get("concurrent_write"), dict)


def crash_key(r: dict) -> tuple:
    """A matrix row's key. Records before the persistence model carry no domain or flush."""
    return (r.get("mode", "?"), r.get("flush", "auto"), r.get("file_state", "?"),
            r.get("target", "?"), r.get("persistence", "-"))


def crash_matrix(run: Run) -> list[dict]:
    """One row per mode x flush x file state x filesystem x domain: lost/acknowledged summed over cuts and
    workloads, the cuts that ran, and the worst of its workloads' verdicts. Concurrency cells
    are left out: their writer shares the file, so they have their own table."""
    cells: dict[tuple, dict] = {}
    for r in run.crash or []:
        if is_concurrent(r):
            continue
        key = crash_key(r)
        row = cells.setdefault(key, {"mode": key[0], "flush": key[1], "file_state": key[2],
                                     "target": key[3], "persistence": key[4], "acknowledged": 0, "lost": 0, "torn": 0,
                                     "torn_in_flight": 0, "cuts": set(), "verdicts": {}})
        if r.get("status", "ok") == "ok":
            for field in ("acknowledged", "lost", "torn", "torn_in_flight"):
                row[field] += r.get(field) or 0
            row["cuts"].add(r.get("cut"))
        row["verdicts"].setdefault(r.get("workload", "?"), []).append(str(r.get("verdict", "?")))
    rows = []
    for key in sorted(cells):
        row = cells[key]
        per_workload = {run.registry.cell_verdict(v) for v in row.pop("verdicts").values()}
        row["verdict"] = run.registry.row_verdict(per_workload)
        row["cuts"] = len(row["cuts"])
        rows.append(row)
    return rows


def concurrent_rows(run: Run) -> list[dict]:
    """One row per concurrency cell (mode x file state x filesystem x placement x workload):
    the mode's writer (lost/acknowledged, its verdict) and the second process (records that
    survived / records its write() had returned for), summed over cuts."""
    cells: dict[tuple, dict] = {}
    for r in run.crash or []:
        if not is_concurrent(r):
            continue
        write = r["concurrent_write"]
        key = (r.get("mode", "?"), r.get("file_state", "?"), r.get("target", "?"),
               write.get("placement", "?"), r.get("workload", "?"), r.get("persistence", "-"))
        row = cells.setdefault(key, dict(zip(
            ("mode", "file_state", "target", "placement", "workload", "persistence"), key),
            acknowledged=0, lost=0, written=0, survived=0, cuts=0, verdicts=[]))
        if r.get("status", "ok") == "ok":
            row["acknowledged"] += r.get("acknowledged") or 0
            row["lost"] += r.get("lost") or 0
            row["written"] += write.get("written") or 0
            row["survived"] += write.get("present_valid") or 0
            row["cuts"] += 1
        row["verdicts"].append(str(r.get("verdict", "?")))
    rows = []
    for key in sorted(cells):
        row = cells[key]
        row["verdict"] = run.registry.cell_verdict(row.pop("verdicts"))
        rows.append(row)
    return rows
