"""The crash sections of the reports (crash.jsonl): the crash matrix — one row per mode x file
state x filesystem, lost/acknowledged summed over cuts and workloads, the worst workload's
verdict — and the concurrency cells: what survives of each side when a second process
write()s the same file without syncing."""
from __future__ import annotations

import textwrap

from daxbench_analysis import report  # module only: report.py calls into this one
from daxbench_analysis.runfolder import Run

# Worst first: a cell's row shows the worst verdict among its workloads.
CRASH_ROW_ORDER = ("FAIL", "NO-LOSS-SEEN", "ERROR", "LOSS-EXPECTED", "PASS", "UNSUPPORTED")
CRASH_CUT_ORDER = ("FAIL", "LOSS-EXPECTED", "NO-LOSS-SEEN", "PASS", "ERROR")


def crash_cell_verdict(cut_verdicts: list[str]) -> str:
    """A cell over its cuts, as the driver decides it (bench/core/crash_run.cpp)."""
    return next((v for v in CRASH_CUT_ORDER if v in cut_verdicts), "UNSUPPORTED")


def is_concurrent(record: dict) -> bool:
    return isinstance(record.get("concurrent_write"), dict)


def crash_matrix(run: Run) -> list[dict]:
    """One row per mode x file state x filesystem: lost/acknowledged summed over cuts and
    workloads, the cuts that ran, and the worst of its workloads' verdicts. Concurrency cells
    are left out: their writer shares the file, so they have their own table."""
    cells: dict[tuple, dict] = {}
    for r in run.crash or []:
        if is_concurrent(r):
            continue
        key = (r.get("mode", "?"), r.get("file_state", "?"), r.get("target", "?"))
        row = cells.setdefault(key, {"mode": key[0], "file_state": key[1], "target": key[2],
                                     "acknowledged": 0, "lost": 0, "torn": 0,
                                     "torn_in_flight": 0, "cuts": set(), "verdicts": {}})
        if r.get("status", "ok") == "ok":
            for field in ("acknowledged", "lost", "torn", "torn_in_flight"):
                row[field] += r.get(field) or 0
            row["cuts"].add(r.get("cut"))
        row["verdicts"].setdefault(r.get("workload", "?"), []).append(str(r.get("verdict", "?")))
    rows = []
    for key in sorted(cells):
        row = cells[key]
        per_workload = {crash_cell_verdict(v) for v in row.pop("verdicts").values()}
        row["verdict"] = next((v for v in CRASH_ROW_ORDER if v in per_workload),
                              ",".join(sorted(per_workload)))
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
               write.get("placement", "?"), r.get("workload", "?"))
        row = cells.setdefault(key, dict(zip(
            ("mode", "file_state", "target", "placement", "workload"), key),
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
        row["verdict"] = crash_cell_verdict(row.pop("verdicts"))
        rows.append(row)
    return rows


CRASH_LEGEND = ("lost/acked: acknowledged records lost after the power cut, summed over cuts "
                "and workloads. FAIL: a durable mode lost or tore an acknowledged record. "
                "LOSS-EXPECTED: an unsafe control (flush-only, none on sparse/fallocated) lost "
                "data, as it must. NO-LOSS-SEEN: it did not, so the harness could not see loss. "
                "Under emulation unflushed cache lines are never lost: zeroed files test the "
                "block map only.")

CONCURRENT_LEGEND = ("A second process write()s its own records into the same file and never "
                     "syncs, while the mode's writer runs: inside the file (its second half) "
                     "or appended past its end (where). lost/acked and verdict: the mode's "
                     "writer, judged as in the matrix. kept/written: the second process's "
                     "records found after the cut / records its write() had returned for. "
                     "Nothing promised those: they show whose syncs make whose metadata "
                     "durable.")


def text_section(run: Run) -> list[str]:
    if run.crash is None:
        return []
    title = "Crash matrix (power cuts in the lab)"
    lines = ["", "", title, "=" * len(title),
             *textwrap.wrap(CRASH_LEGEND, report.WIDTH, break_on_hyphens=False), ""]
    lines.append(f"{'mode':<17} {'file state':<11} {'fs':<9} {'lost/acked':>17} {'cuts':>4}"
                 "  verdict")
    for row in crash_matrix(run):
        lost = f"{row['lost']}/{row['acknowledged']}"
        lines.append(f"{row['mode']:<17} {row['file_state']:<11} {row['target']:<9} {lost:>17} "
                     f"{row['cuts']:>4}  {row['verdict']}")
    rows = concurrent_rows(run)
    if rows:
        title = "Concurrent write() to the same file"
        lines += ["", title, "-" * len(title),
                  *textwrap.wrap(CONCURRENT_LEGEND, report.WIDTH, break_on_hyphens=False), ""]
        # fs without "lab:" (every crash target is a lab one): the row fits 80 columns.
        lines.append(f"{'mode':<15} {'file state':<10} {'fs':<4} {'where':<6} "
                     f"{'lost/acked':>11} {'kept/written':>12}  verdict")
        for row in rows:
            writer = f"{row['lost']}/{row['acknowledged']}"
            other = f"{row['survived']}/{row['written']}"
            fs = row["target"].removeprefix("lab:")
            lines.append(f"{row['mode']:<15} {row['file_state']:<10} {fs:<4} "
                         f"{row['placement']:<6} {writer:>11} {other:>12}  {row['verdict']}")
    return lines


def markdown_section(run: Run) -> list[str]:
    if run.crash is None:
        return []
    lines = ["", "## Crash matrix (power cuts in the lab)", "", report.md_escape(CRASH_LEGEND), "",
             "| mode | file state | fs | lost | acknowledged | cuts | verdict |",
             "|---|---|---|---:|---:|---:|---|"]
    for row in crash_matrix(run):
        lines.append(f"| {report.md_escape(row['mode'])} | {row['file_state']} | "
                     f"{row['target']} | {row['lost']} | {row['acknowledged']} | {row['cuts']} | "
                     f"{strong(row['verdict'])} |")
    rows = concurrent_rows(run)
    if rows:
        lines += ["", "### Concurrent write() to the same file", "",
                  report.md_escape(CONCURRENT_LEGEND), "",
                  "| mode | file state | fs | where | workload | lost/acked | "
                  "kept/written | cuts | verdict |",
                  "|---|---|---|---|---|---:|---:|---:|---|"]
        for row in rows:
            lines.append(f"| {report.md_escape(row['mode'])} | {row['file_state']} | "
                         f"{row['target']} | {row['placement']} | "
                         f"{report.md_escape(row['workload'])} | "
                         f"{row['lost']}/{row['acknowledged']} | "
                         f"{row['survived']}/{row['written']} | {row['cuts']} | "
                         f"{strong(row['verdict'])} |")
    return lines


def strong(verdict: str) -> str:
    return f"**{verdict}**" if verdict in ("FAIL", "NO-LOSS-SEEN") else verdict


def latex_section(run: Run) -> list[str]:
    if run.crash is None:
        return []
    esc = report.tex_escape
    lines = ["", r"\begin{table}", r"\centering", r"\begin{tabular}{lllrrrl}", r"\toprule",
             r"mode & file state & fs & lost & acknowledged & cuts & verdict \\", r"\midrule"]
    for row in crash_matrix(run):
        lines.append(" & ".join(esc(row[k]) for k in ("mode", "file_state", "target", "lost",
                                                        "acknowledged", "cuts", "verdict"))
                     + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}",
              r"\caption{" + esc("Crash matrix (power cuts in the lab). " + CRASH_LEGEND) + "}",
              r"\end{table}"]
    rows = concurrent_rows(run)
    if rows:
        lines += ["", r"\begin{table}", r"\centering", r"\begin{tabular}{lllllrrl}", r"\toprule",
                  r"mode & file state & fs & where & workload & lost/acked & "
                  r"kept/written & verdict \\", r"\midrule"]
        for row in rows:
            cells = [row["mode"], row["file_state"], row["target"], row["placement"],
                     row["workload"], f"{row['lost']}/{row['acknowledged']}",
                     f"{row['survived']}/{row['written']}", row["verdict"]]
            lines.append(" & ".join(esc(c) for c in cells) + r" \\")
        lines += [r"\bottomrule", r"\end{tabular}",
                  r"\caption{" + esc("Concurrent write() to the same file. " + CONCURRENT_LEGEND)
                  + "}", r"\end{table}"]
    return lines
