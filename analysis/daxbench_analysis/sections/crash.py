"""The crash sections of a report as blocks: the crash matrix (model/crash.py) with its legend,
and the concurrency cells' table. The 80-column layout merges lost/acked and drops what does
not fit."""
from __future__ import annotations

from daxbench_analysis.model.crash import concurrent_rows, crash_matrix
from daxbench_analysis.model.run import Run
from daxbench_analysis.sections.blocks import Block, Column, Heading, Paragraph, Strong, Table

TITLE = "Crash matrix (power cuts in the lab)"
CONCURRENT_TITLE = "Concurrent write() to the same file"
CRASH_LEGEND = ("lost/acked: acknowledged records lost after the power cut on the strict image "
                "(what the platform guaranteed), summed over cuts and workloads; the verdict "
                "covers every image (strict, mixes, live). dom: the persistence domain, adr "
                "(the lab's persistence model: only flushed and fenced lines survive) or eadr "
                "(the CPU cache is persistent), or virtio (lab:virtio-ext4's virtio-pmem: no "
                "ADR/eADR; the live file is the strict image). flush: the primitive of a mode that flushes "
                "itself (none: nothing written back). FAIL: a durable cell lost or tore an "
                "acknowledged record. LOSS-EXPECTED: a control lost data, as it must: a mode "
                "that promises nothing on a sparse/fallocated file, or under adr nothing "
                "written back. NO-LOSS-SEEN: it did not, so the harness could not see loss.")
CONCURRENT_LEGEND = ("A second process write()s its own records into the same file and never "
                     "syncs, while the mode's writer runs: inside the file (its second half) "
                     "or appended past its end (where); mapped: it stores them into the second "
                     "half through a plain MAP_SHARED mapping and never flushes. lost/acked "
                     "and verdict: the mode's writer, judged as in the matrix. kept/written: "
                     "the second process's records found after the cut on the strict image / "
                     "records it had written. Nothing promised those: they show whose syncs "
                     "make whose metadata durable, and (mapped) what writes a DAX-unaware "
                     "program's lines back.")


def verdict_cell(verdict: str):
    return Strong(verdict) if verdict in ("FAIL", "NO-LOSS-SEEN") else verdict


def crash_section(run: Run) -> list[Block]:
    if run.crash is None:
        return []
    matrix = crash_matrix(run)
    # fs without "lab:" (every crash target is a lab one): the row fits 80 columns.
    compact = Table([Column("mode", "left", 15, 0), Column("flush", "left", 5, 1),
                     Column("file state", "left", 10, 1), Column("fs", "left", 4, 1),
                     Column("dom", "left", 4, 1), Column("lost/acked", "right", 15, 1),
                     Column("cuts", "right", 4, 1), Column("verdict", "left")],
                    [[r["mode"], r["flush"], r["file_state"], r["target"].removeprefix("lab:"),
                      r["persistence"], f"{r['lost']}/{r['acknowledged']}", str(r["cuts"]),
                      r["verdict"]] for r in matrix], rule=False)
    table = Table([Column("mode", "left"), Column("flush", "left"), Column("file state", "left"),
                   Column("fs", "left"), Column("domain", "left"), Column("lost"),
                   Column("acknowledged"), Column("cuts"), Column("verdict", "left")],
                  [[r["mode"], r["flush"], r["file_state"], r["target"], r["persistence"],
                    str(r["lost"]), str(r["acknowledged"]), str(r["cuts"]),
                    verdict_cell(r["verdict"])] for r in matrix],
                  caption=f"{TITLE}. {CRASH_LEGEND}", compact=[compact])
    blocks: list[Block] = [Heading(TITLE), Paragraph(CRASH_LEGEND), table]
    rows = concurrent_rows(run)
    if rows:
        # fs without "lab:" (every crash target is a lab one): the row fits 80 columns.
        compact = Table([Column("mode", "left", 15, 0), Column("file state", "left", 10, 1),
                         Column("fs", "left", 4, 1), Column("dom", "left", 4, 1),
                         Column("where", "left", 6, 1), Column("lost/acked", "right", 10, 1),
                         Column("kept/written", "right", 11, 1), Column("verdict", "left")],
                        [[r["mode"], r["file_state"], r["target"].removeprefix("lab:"),
                          r["persistence"], r["placement"], f"{r['lost']}/{r['acknowledged']}",
                          f"{r['survived']}/{r['written']}", r["verdict"]] for r in rows],
                        rule=False)
        table = Table([Column("mode", "left"), Column("file state", "left"), Column("fs", "left"),
                       Column("domain", "left"), Column("where", "left"),
                       Column("workload", "left"), Column("lost/acked"), Column("kept/written"),
                       Column("cuts", optional=True), Column("verdict", "left")],
                      [[r["mode"], r["file_state"], r["target"], r["persistence"], r["placement"],
                        r["workload"], f"{r['lost']}/{r['acknowledged']}",
                        f"{r['survived']}/{r['written']}", str(r["cuts"]),
                        verdict_cell(r["verdict"])] for r in rows],
                      caption=f"{CONCURRENT_TITLE}. {CONCURRENT_LEGEND}", compact=[compact])
        blocks += [Heading(CONCURRENT_TITLE, 3), Paragraph(CONCURRENT_LEGEND), table]
    return blocks
