"""The "daxbench vs fio" section as blocks: per target, each mirrored case's median ops/s from
both tools, fio/daxbench with its 95% interval, op and sync p50, the verdict and its likely
reasons (model/fio.py); then the cases fio cannot express or failed on, and how each case
maps. The 80-column layout splits the table in two, under a line per workload. Empty when the
run has no fio record."""
from __future__ import annotations

import math

from daxbench_analysis.model import fio
from daxbench_analysis.model.run import Run
from daxbench_analysis.numbers import format_ratio, humanize
from daxbench_analysis.sections.blocks import (Block, Column, Heading, ItemList, Paragraph, Span,
                                               Table)

TITLE = "daxbench vs fio"
LEGEND = ("Medians over repetitions; fio/dax: median fio ops/s over median daxbench ops/s, "
          "with the 95% bootstrap interval of that ratio. agree: within ±10%; agree (CI): "
          "the median is beyond ±10%, its interval is not; differ: the likely reasons follow "
          "(rules in docs/analysis.md). op p50: daxbench's operation vs fio's write "
          "completion latency (clat); sync p50: daxbench's commit vs fio's sync call.")
# (header, width) of the compact tables' number columns, after the case label.
RATIO_COLUMNS = (("engine", 7), ("daxbench", 8), ("fio", 7), ("fio/dax", 7), ("95% CI", 9),
                 ("verdict", 10))
LATENCY_COLUMNS = (("engine", 7), ("dax op", 8), ("fio op", 8), ("dax sync", 8),
                   ("fio sync", 8))
FULL_COLUMNS = (Column("case", "left"), Column("engine", "left"), Column("daxbench ops/s"),
                Column("fio ops/s"), Column("fio/daxbench"), Column("95% CI"),
                Column("op p50 (ns) daxbench / fio", short="op p50 (ns)"),
                Column("sync p50 (ns) daxbench / fio", short="sync p50 (ns)"),
                Column("verdict", "left"))


def ci_text(ci: tuple[float, float]) -> str:
    low, high = ci
    if not (math.isfinite(low) and math.isfinite(high)):
        return "-"
    # Two decimals below 10: a ratio's interval never widens its column (0.08, not 0.0817).
    return "-".join(f"{v:.2f}" if v < 9.995 else format_ratio(v)[:-1] for v in (low, high))


def ns(value: float | None) -> str:
    return "-" if value is None else humanize(value)


def ratio_row(pair: fio.Pair) -> list[str]:
    return [pair.engine or "?", humanize(pair.daxbench.median), humanize(pair.fio.median),
            format_ratio(pair.ratio), ci_text(pair.ratio_ci), pair.verdict]


def latency_row(pair: fio.Pair) -> list[str]:
    return [pair.engine or "?", ns(pair.op_p50[0]), ns(pair.op_p50[1]), ns(pair.commit_p50[0]),
            ns(pair.commit_p50[1])]


def full_row(pair: fio.Pair) -> list[str]:
    engine, dax, fio_ops, ratio, ci, verdict = ratio_row(pair)
    return [pair.label, engine, dax, fio_ops, ratio, ci,
            f"{ns(pair.op_p50[0])} / {ns(pair.op_p50[1])}",
            f"{ns(pair.commit_p50[0])} / {ns(pair.commit_p50[1])}", verdict]


def compact_table(pairs: list[fio.Pair], row, columns: tuple, **options) -> Table:
    """Per workload a line with its name, then a row per case: the mode (and shape) and
    right-aligned columns."""
    rows: list[list] = []
    workload = None
    for pair in pairs:
        if pair.workload != workload:
            workload = pair.workload
            rows.append([Span(workload)])
        rows.append(["  " + pair.column, *row(pair)])
    return Table([Column("case", "left", gap=0)] + [Column(h, width=w) for h, w in columns],
                 rows, **options)


def target_heading(target: str, found: list[fio.Pair]) -> str:
    accel = next((p.emulated for p in found if p.emulated), None)
    return target + (f" [EMULATED ({accel.upper()})]" if accel else "")


def not_compared(found: list[fio.Pair]) -> list[tuple[str, list[fio.Pair]]]:
    """(heading, pairs) of the cases without a ratio, in a fixed order."""
    groups = (("fio cannot express", "unsupported"), ("fio failed", "failed"),
              ("daxbench did not run", "no-daxbench"))
    return [(heading, [p for p in found if p.status == status]) for heading, status in groups
            if any(p.status == status for p in found)]


def caption(run: Run, target: str, group: list[fio.Pair]) -> str:
    explained = [p for p in group if p.status == "ok" and p.reasons]
    text = f"{TITLE} on {target_heading(target, group)}. {LEGEND}"
    if explained:
        text += " Likely reasons: " + " ".join(
            f"{p.label}: {'; '.join(p.reasons)}." for p in explained)
    for heading, pairs in not_compared(group):
        text += f" {heading}: " + "; ".join(f"{p.label} ({p.reason})" for p in pairs) + "."
    text += " " + " ".join(note.rstrip(".") + "." for note in fio.caveats(group))
    return text + f" {run.provenance(target).replace(' | ', '; ')}."


def target_blocks(run: Run, target: str, group: list[fio.Pair]) -> list[Block]:
    ran = [p for p in group if p.status == "ok"]
    blocks: list[Block] = [Heading(f"target {target_heading(target, group)}", 3)]
    compact = None
    if ran:
        failed = [f"  ({p.label}: {p.fio_failed} fio repetition(s) failed)"
                  for p in ran if p.fio_failed]
        compact = [compact_table(ran, ratio_row, RATIO_COLUMNS),
                   compact_table(ran, latency_row, LATENCY_COLUMNS, title="latency p50 (ns)",
                                 footnotes=failed)]
    blocks.append(Table(list(FULL_COLUMNS),
                        [full_row(p) for p in ran] if ran else None,
                        caption=caption(run, target, group), compact=compact))
    explained = [p for p in ran if p.reasons]
    if explained:
        blocks.append(ItemList("Likely reasons (fio/daxbench beyond ±10%):", [
            f"{p.label} ({format_ratio(p.ratio)}): " + "; ".join(p.reasons) for p in explained]))
    for heading, pairs in not_compared(group):
        blocks.append(ItemList(f"{heading}:", [f"{p.label}: {p.reason or ''}" for p in pairs]))
    notes = fio.caveats(group)
    if notes:
        blocks.append(ItemList("How the cases map (fio records):", notes))
    return blocks


def fio_section(run: Run) -> list[Block]:
    found = fio.pairs(run)
    if not found:
        return []
    blocks: list[Block] = [Heading(TITLE), Paragraph(LEGEND)]
    for target, group in fio.by_target(found).items():
        blocks += target_blocks(run, target, group)
    return blocks
