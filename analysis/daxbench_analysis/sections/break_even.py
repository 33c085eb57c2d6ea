"""The "one-time cost of sealing" section as blocks: per target and partner mode, per working
set, what sealing a file cost (S), the extra cost of one fault of the partner, and N = S / that
cost with its range (model/break_even.py); then the rows that have no N, and why. Empty when
the run has no sealed-extent case."""
from __future__ import annotations

import math

from daxbench_analysis.model.break_even import BreakEven, break_evens
from daxbench_analysis.model.run import Run
from daxbench_analysis.numbers import humanize
from daxbench_analysis.sections.blocks import Block, Column, Heading, ItemList, Paragraph, Table

TITLE = "The one-time cost of sealing"
LEGEND = ("S: what sealing one sealed-extent file cost (ftruncate, zero-fill, fsync, the FIEMAP "
          "read that records the seal; CLOCK_MONOTONIC) less what a sparse file of that size "
          "cost to prepare beside it (the FIEMAP check after the run is left out: it writes "
          "back what the run dirtied); "
          "per fault: the extra cost of one write fault of the partner on a sparse file "
          "(fsync-per-fault: fault_ns - trap_ns of the same repetition, the sync alone; "
          "map-sync: first-touch ns per page less none's); N = S / per fault. A file whose "
          "pages are faulted fewer than N times in all is cheaper unsealed under the partner; "
          "more, and sealing has paid for itself. Medians over repetitions with 95% bootstrap "
          "intervals; N's range combines both intervals' ends. N counts the sync only: the "
          "block allocation a sparse file's fault also pays is left out, so the true "
          "break-even is at most N.")
COLUMNS = [Column("size", "left"), Column("S ms (95% CI)"), Column("fault us (95% CI)"),
           Column("N (range)"), Column("pages")]


def with_interval(median: float, low: float, high: float, scale: float) -> str:
    if not all(math.isfinite(v) for v in (low, high)):
        return humanize(median / scale)
    return f"{humanize(median / scale)} ({humanize(low / scale)}-{humanize(high / scale)})"


def size_text(size: int) -> str:
    for unit, factor in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


def row(b: BreakEven) -> list[str]:
    seal = with_interval(b.seal_ns.median, b.seal_ns.low, b.seal_ns.high, 1e6) if b.seal_ns \
        else "-"
    fault = with_interval(b.fault_ns.median, b.fault_ns.low, b.fault_ns.high, 1e3) \
        if b.fault_ns and not b.missing else "-"
    n = "-"
    if b.n is not None:
        low, high = b.n_interval or (math.nan, math.nan)
        n = with_interval(b.n, low, high, 1.0).replace("inf", "unbounded")
    return [size_text(b.working_set), seal, fault, n, str(b.pages)]


def heading(b: BreakEven) -> str:
    where = b.target + (f" kernel {b.kernel}" if b.kernel else "")
    if b.emulated:
        where += f" [EMULATED ({b.emulated.upper()})]"
    return f"{where}: sealed-extent vs {b.partner}"


def shown_groups(groups: dict[str, list[BreakEven]]) -> dict[str, list[BreakEven]]:
    """The partner groups with an N at some size; for a target with none, its first group
    (its S was still measured). The others only repeat S: their reasons are listed."""
    shown = {title: g for title, g in groups.items() if any(b.n is not None for b in g)}
    for title, group in groups.items():
        if not any(g[0].target == group[0].target and g[0].kernel == group[0].kernel
                   for g in shown.values()):
            shown[title] = group
    return {title: g for title, g in groups.items() if title in shown}


def missing_items(found: list[BreakEven]) -> list[str]:
    """Per partner group and reason, the sizes that have no N for it."""
    by_reason: dict[tuple[str, str], list[str]] = {}
    for b in found:
        if b.missing:
            by_reason.setdefault((heading(b), b.missing), []).append(size_text(b.working_set))
    return [f"{title} ({', '.join(sizes)}): {reason}"
            for (title, reason), sizes in by_reason.items()]


def break_even_section(run: Run) -> list[Block]:
    found = break_evens(run)
    if not found:
        return []
    if not any(b.partner_case for b in found):
        # sealed-extent ran, but nothing to weigh its seal against: said, not tabulated.
        return [Heading(TITLE), Paragraph(
            "sealed-extent ran, but no fsync-per-fault or map-sync first-touch case on a "
            "sparse file of its size beside it: no break-even (configs/sweep.yaml has them).")]
    blocks: list[Block] = [Heading(TITLE), Paragraph(LEGEND)]
    groups: dict[str, list[BreakEven]] = {}
    for b in found:
        groups.setdefault(heading(b), []).append(b)
    # One table per target and partner, under its heading: markdown and LaTeX draw no Span
    # rows, and each table's caption must stand alone.
    for title, group in shown_groups(groups).items():
        blocks.append(Heading(title, 3))
        rows = [row(b) for b in sorted(group, key=lambda b: b.working_set)]
        caption = (f"{TITLE}, {title}. {LEGEND} "
                   f"{run.provenance(group[0].target).replace(' | ', '; ')}.")
        blocks.append(Table(COLUMNS, rows, caption=caption))
    missing = missing_items(found)
    if missing:
        blocks.append(ItemList("No N (a side is missing; nothing is filled in):", missing))
    return blocks
