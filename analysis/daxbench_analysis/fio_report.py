"""The "daxbench vs fio" section of report.txt (80 columns), report.md and report.tex: per
target, each mirrored case's median ops/s from both tools, fio/daxbench with its 95% interval,
op and sync p50, the verdict and its likely reasons; then the cases fio cannot express or
failed on, and how each case maps. Empty when the run has no fio record."""
from __future__ import annotations

import math
import textwrap

from daxbench_analysis import fio
from daxbench_analysis import report  # module only: report.py calls into this one
from daxbench_analysis.runfolder import Run
from daxbench_analysis.tables import format_ratio, humanize

TITLE = "daxbench vs fio"
LEGEND = ("Medians over repetitions; fio/dax: median fio ops/s over median daxbench ops/s, "
          "with the 95% bootstrap interval of that ratio. agree: within ±10%; agree (CI): "
          "the median is beyond ±10%, its interval is not; differ: the likely reasons follow "
          "(rules in docs/analysis.md). op p50: daxbench's operation vs fio's write "
          "completion latency (clat); sync p50: daxbench's commit vs fio's sync call.")
# (header, width) of the text table's number columns, after the case label.
TEXT_COLUMNS = (("engine", 7), ("daxbench", 8), ("fio", 7), ("fio/dax", 7), ("95% CI", 9),
                ("verdict", 10))
LATENCY_COLUMNS = (("engine", 7), ("dax op", 8), ("fio op", 8), ("dax sync", 8),
                   ("fio sync", 8))
GAP = "  "


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


def fixed_table(pairs: list[fio.Pair], row, columns: tuple) -> list[str]:
    """Per workload a line with its name, then a row per case: the mode (and shape) and
    right-aligned columns. A label too long for the room left beside them gets a line of its
    own and its numbers go on the next, so nothing is cut."""
    rows: list[tuple[str, list[str] | None]] = []
    workload = None
    for pair in pairs:
        if pair.workload != workload:
            workload = pair.workload
            rows.append((workload, None))
        rows.append(("  " + pair.column, row(pair)))
    numbers_width = sum(len(GAP) + width for _, width in columns)
    room = report.WIDTH - numbers_width
    label_width = min(max([len("case"), *(len(label) for label, c in rows if c)]), room)

    def line(label: str, cells: list[str]) -> str:
        return (label.ljust(label_width) + "".join(
            GAP + cell.rjust(width) for cell, (_, width) in zip(cells, columns))).rstrip()

    header = line("case", [name for name, _ in columns])
    out = [header, "-" * len(header)]
    for label, cells in rows:
        if cells is None:
            out.append(report.truncate(label, report.WIDTH))
        elif len(label) > label_width:
            out += [report.truncate(label, report.WIDTH), line("", cells)]
        else:
            out.append(line(label, cells))
    return out


def bullet(text: str) -> list[str]:
    return textwrap.wrap(text, report.WIDTH, initial_indent="- ", subsequent_indent="    ",
                         break_on_hyphens=False)


def target_heading(target: str, found: list[fio.Pair]) -> str:
    accel = next((p.emulated for p in found if p.emulated), None)
    return target + (f" [EMULATED ({accel.upper()})]" if accel else "")


def not_compared(found: list[fio.Pair]) -> list[tuple[str, list[fio.Pair]]]:
    """(heading, pairs) of the cases without a ratio, in a fixed order."""
    groups = (("fio cannot express", "unsupported"), ("fio failed", "failed"),
              ("daxbench did not run", "no-daxbench"))
    return [(heading, [p for p in found if p.status == status]) for heading, status in groups
            if any(p.status == status for p in found)]


def text_section(run: Run) -> list[str]:
    found = fio.pairs(run)
    if not found:
        return []
    lines = ["", "", TITLE, "=" * len(TITLE), *textwrap.wrap(LEGEND, report.WIDTH)]
    for target, group in fio.by_target(found).items():
        ran = [p for p in group if p.status == "ok"]
        heading = f"target {target_heading(target, group)}"
        lines += ["", heading, "-" * len(heading)]
        if ran:
            lines += fixed_table(ran, ratio_row, TEXT_COLUMNS)
            lines += ["", "latency p50 (ns)"]
            lines += fixed_table(ran, latency_row, LATENCY_COLUMNS)
            failed = [p for p in ran if p.fio_failed]
            lines += [f"  ({p.label}: {p.fio_failed} fio repetition(s) failed)" for p in failed]
        explained = [p for p in ran if p.reasons]
        if explained:
            lines += ["", "likely reasons (fio/daxbench beyond ±10%):"]
            for pair in explained:
                lines += bullet(f"{pair.label} ({format_ratio(pair.ratio)}): "
                                + "; ".join(pair.reasons))
        for heading, pairs in not_compared(group):
            lines += ["", f"{heading}:"]
            for pair in pairs:
                lines += bullet(f"{pair.label}: {pair.reason}")
        notes = fio.caveats(group)
        if notes:
            lines += ["", "how the cases map (fio records):"]
            for note in notes:
                lines += bullet(note)
    return lines


def markdown_section(run: Run) -> list[str]:
    found = fio.pairs(run)
    if not found:
        return []
    esc = report.md_escape
    lines = ["", f"## {TITLE}", "", esc(LEGEND)]
    for target, group in fio.by_target(found).items():
        ran = [p for p in group if p.status == "ok"]
        lines += ["", f"### target {esc(target_heading(target, group))}", ""]
        if ran:
            lines += ["| case | engine | daxbench ops/s | fio ops/s | fio/daxbench | 95% CI | "
                      "op p50 (ns) daxbench / fio | sync p50 (ns) daxbench / fio | verdict |",
                      "|---|---|---:|---:|---:|---:|---:|---:|---|"]
            for p in ran:
                engine, dax, fio_ops, ratio, ci, verdict = ratio_row(p)
                lines.append(
                    f"| {esc(p.label)} | {engine} | {dax} | {fio_ops} | {ratio} | {ci} | "
                    f"{ns(p.op_p50[0])} / {ns(p.op_p50[1])} | "
                    f"{ns(p.commit_p50[0])} / {ns(p.commit_p50[1])} | {verdict} |")
        explained = [p for p in ran if p.reasons]
        if explained:
            lines += ["", "Likely reasons (fio/daxbench beyond ±10%):", ""]
            lines += [f"- {esc(p.label)}: " + esc("; ".join(p.reasons)) for p in explained]
        for heading, pairs in not_compared(group):
            lines += ["", heading + ":", ""]
            lines += [f"- {esc(p.label)}: {esc(p.reason or '')}" for p in pairs]
        notes = fio.caveats(group)
        if notes:
            lines += ["", "How the cases map:", ""] + [f"- {esc(note)}" for note in notes]
    return lines


def latex_section(run: Run) -> list[str]:
    found = fio.pairs(run)
    if not found:
        return []
    esc = report.tex_escape
    lines = []
    for target, group in fio.by_target(found).items():
        ran = [p for p in group if p.status == "ok"]
        caption = f"{TITLE} on {target_heading(target, group)}. {LEGEND}"
        explained = [p for p in ran if p.reasons]
        if explained:
            caption += " Likely reasons: " + " ".join(
                f"{p.label}: {'; '.join(p.reasons)}." for p in explained)
        for heading, pairs in not_compared(group):
            caption += f" {heading}: " + "; ".join(
                f"{p.label} ({p.reason})" for p in pairs) + "."
        caption += " " + " ".join(note.rstrip(".") + "." for note in fio.caveats(group))
        caption += f" {run.provenance(target).replace(' | ', '; ')}."
        lines += ["", r"\begin{table}[htbp]", r"\centering", r"\footnotesize"]
        if ran:
            lines += [r"\begin{tabular}{llrrrrrrl}", r"\toprule",
                      r"case & engine & daxbench ops/s & fio ops/s & fio/daxbench & 95\% CI & "
                      r"op p50 (ns) & sync p50 (ns) & verdict \\",
                      r"\midrule"]
            for p in ran:
                engine, dax, fio_ops, ratio, ci, verdict = ratio_row(p)
                cells = [p.label, engine, dax, fio_ops, ratio, ci,
                         f"{ns(p.op_p50[0])} / {ns(p.op_p50[1])}",
                         f"{ns(p.commit_p50[0])} / {ns(p.commit_p50[1])}", verdict]
                lines.append(" & ".join(esc(c) for c in cells) + r" \\")
            lines += [r"\bottomrule", r"\end{tabular}"]
        # "±" is not in LaTeX's default font encoding.
        lines += [r"\caption{" + esc(caption.replace("±", "+/-")) + "}", r"\end{table}"]
    return lines
