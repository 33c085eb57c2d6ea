"""A run's reports: report.txt (plain text, at most 80 columns, for a terminal or a mail),
report.md (GitHub markdown) and report.tex (a LaTeX fragment with booktabs tables), all
rendered from the same tables (tables.py)."""
from __future__ import annotations

import textwrap
from pathlib import Path

from daxbench_analysis import crash_report, fio_report
from daxbench_analysis.runfolder import Run
from daxbench_analysis.tables import Cell, GroupTable, group_tables, legend, run_facts, target_facts

WIDTH = 80
COLUMN_GAP = 2


def write_reports(run: Run, out_dir: Path, baseline: str = "fdatasync") -> list[Path]:
    """Writes report.txt, report.md and report.tex into out_dir; returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = group_tables(run, baseline)
    written = []
    for name, render in (("report.txt", render_text), ("report.md", render_markdown),
                         ("report.tex", render_latex)):
        path = out_dir / name
        path.write_text(render(run, tables, baseline), encoding="utf-8")
        written.append(path)
    return written


# ---- plain text ------------------------------------------------------------------------

def wrap(line: str, indent: str = "    ") -> list[str]:
    """A prose line folded to WIDTH; words longer than that are broken."""
    if len(line) <= WIDTH:
        return [line]
    lead = line[:len(line) - len(line.lstrip())]
    return textwrap.wrap(line, WIDTH, initial_indent="", subsequent_indent=lead + indent,
                         break_long_words=True, break_on_hyphens=False) or [""]


def truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 3, 0)] + "..."


def text_cell(cell: Cell) -> str:
    if cell.spread is not None:
        return f"{cell.value} ±{cell.spread}%"
    return cell.value + cell.mark  # a fixed-width mark keeps the ratios aligned


def column_chunks(label_width: int, widths: list[int]) -> list[list[int]]:
    """Column indexes split into runs that fit WIDTH beside the row labels."""
    chunks: list[list[int]] = [[]]
    used = label_width
    for index, width in enumerate(widths):
        if chunks[-1] and used + COLUMN_GAP + width > WIDTH:
            chunks.append([])
            used = label_width
        chunks[-1].append(index)
        used += COLUMN_GAP + width
    return chunks


def text_table(table: GroupTable) -> list[str]:
    label_width = min(max(len(row.label) for row in table.rows), WIDTH // 3)
    cells = [[text_cell(cell) for cell in row.cells] for row in table.rows]
    room = WIDTH - label_width - COLUMN_GAP
    headers = [truncate(column.header, room) for column in table.columns]
    widths = [min(max(len(headers[i]), *(len(r[i]) for r in cells)), room)
              for i in range(len(headers))]
    lines: list[str] = []
    for chunk in column_chunks(label_width, widths):
        if lines:
            lines.append("")
        gap = " " * COLUMN_GAP
        header = " " * label_width + "".join(gap + headers[i].rjust(widths[i]) for i in chunk)
        lines += [header.rstrip(), "-" * len(header)]
        for row, row_cells in zip(table.rows, cells):
            label = truncate(row.label, label_width).ljust(label_width)
            lines.append((label + "".join(gap + truncate(row_cells[i], widths[i]).rjust(widths[i])
                                          for i in chunk)).rstrip())
    return lines


def not_run_lines(table: GroupTable) -> list[str]:
    return [truncate(f"  {column}: {status}: {reason}", WIDTH)
            for column, status, reason in table.not_run]


def render_text(run: Run, tables: list[GroupTable], baseline: str) -> str:
    lines = [f"daxbench report: {run.context.get('run_id', run.path.name)}", "=" * WIDTH]
    lines += [f"{label + ':':<10} {value}" for label, value in run_facts(run)]
    for spec, facts in target_facts(run):
        lines.append(f"target {spec}")
        lines += [f"  {fact}" for fact in facts]
    lines += ["", *legend(baseline)]
    for table in tables:
        lines += ["", "", table.title, "=" * min(len(table.title), WIDTH)]
        if table.rows:
            lines += text_table(table)
        if table.not_run:
            lines += ["", "not run:", *not_run_lines(table)]
    lines += fio_report.text_section(run)
    lines += crash_report.text_section(run)
    return "\n".join(folded for line in lines for folded in wrap(line)) + "\n"


# ---- markdown --------------------------------------------------------------------------

def md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def md_cell(cell: Cell) -> str:
    if cell.spread is not None:
        return f"{cell.value} ±{cell.spread}%"
    mark = cell.mark.strip()
    return md_escape(f"{cell.value} {mark}" if mark else cell.value)


def render_markdown(run: Run, tables: list[GroupTable], baseline: str) -> str:
    lines = [f"# daxbench report: {md_escape(str(run.context.get('run_id', run.path.name)))}",
             ""]
    lines += [f"- **{label}**: {md_escape(value)}" for label, value in run_facts(run)]
    for spec, facts in target_facts(run):
        lines.append(f"- **target** `{spec}`: " + "; ".join(md_escape(f) for f in facts))
    # One paragraph: a legend line starting with "+ " or "- " would become a list item.
    lines += ["", md_escape(" ".join(line.strip() for line in legend(baseline)))]
    for table in tables:
        lines += ["", f"## {md_escape(table.title)}", ""]
        if table.rows:
            lines.append("| metric | " + " | ".join(md_escape(c.header) for c in table.columns)
                         + " |")
            lines.append("|---|" + "---:|" * len(table.columns))
            for row in table.rows:
                lines.append(f"| {md_escape(row.label)} | "
                             + " | ".join(md_cell(cell) for cell in row.cells) + " |")
        if table.not_run:
            lines += ["", "Not run:", ""]
            lines += [f"- {md_escape(column)}: {status}: {md_escape(reason)}"
                      for column, status, reason in table.not_run]
    lines += fio_report.markdown_section(run)
    lines += crash_report.markdown_section(run)
    return "\n".join(lines) + "\n"


# ---- LaTeX -----------------------------------------------------------------------------

TEX_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}"}


def tex_escape(text: str) -> str:
    return "".join(TEX_SPECIALS.get(char, char) for char in str(text))


def tex_cell(cell: Cell) -> str:
    if cell.spread is not None:
        return f"{tex_escape(cell.value)}\\,$\\pm${tex_escape(cell.spread)}\\%"
    mark = cell.mark.strip()
    return tex_escape(f"{cell.value} {mark}" if mark else cell.value)


def tex_table(run: Run, table: GroupTable) -> list[str]:
    lines = [r"\begin{table}[htbp]", r"\centering", r"\footnotesize",
             r"\begin{tabular}{l" + "r" * len(table.columns) + "}", r"\toprule",
             "metric & " + " & ".join(tex_escape(c.header) for c in table.columns) + r" \\",
             r"\midrule"]
    for row in table.rows:
        lines.append(tex_escape(row.label) + " & "
                     + " & ".join(tex_cell(cell) for cell in row.cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    # "|" is not a text character in LaTeX's default font encoding.
    caption = f"{table.title}. {run.provenance(table.target).replace(' | ', '; ')}."
    if table.not_run:
        caption += " Not run: " + "; ".join(f"{column} ({status}: {reason})"
                                            for column, status, reason in table.not_run) + "."
    lines += [r"\caption{" + tex_escape(caption) + "}", r"\end{table}"]
    return lines


def render_latex(run: Run, tables: list[GroupTable], baseline: str) -> str:
    lines = [f"% daxbench report {tex_escape(run.context.get('run_id', run.path.name))}: "
             "a fragment to \\input; needs \\usepackage{booktabs}.",
             "% " + " ".join(line.strip() for line in legend(baseline)).replace("±", "+/-")]
    for table in tables:
        if table.rows:
            lines += ["", *tex_table(run, table)]
    lines += fio_report.latex_section(run)
    lines += crash_report.latex_section(run)
    return "\n".join(lines) + "\n"
