"""report.tex: the document as a LaTeX fragment to \\input, with booktabs tables. Only the
tables are drawn, each a float whose caption stands alone (headings, prose and lists are in
the captions the sections wrote); optional columns are left out, short headers used,
emphasis is plain."""
from __future__ import annotations

from daxbench_analysis.sections.blocks import Cell, Document, Note, Span, Strong, Table, Title

TEX_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}", "±": r"$\pm$"}


def tex_escape(text: str) -> str:
    return "".join(TEX_SPECIALS.get(char, char) for char in str(text))


def tex_cell(cell) -> str:
    if isinstance(cell, Cell):
        if cell.spread is not None:
            return f"{tex_escape(cell.value)}\\,$\\pm${tex_escape(cell.spread)}\\%"
        mark = cell.mark.strip()
        return tex_escape(f"{cell.value} {mark}" if mark else cell.value)
    return tex_escape(cell.text if isinstance(cell, Strong) else cell)


def table_lines(table: Table) -> list[str]:
    keep = [i for i, c in enumerate(table.columns) if not c.optional]
    lines = ["", r"\begin{table}[htbp]", r"\centering", r"\footnotesize"]
    if table.rows is not None:
        lines += [r"\begin{tabular}{" + "".join("l" if table.columns[i].align == "left" else "r"
                                                for i in keep) + "}", r"\toprule",
                  " & ".join(tex_escape(table.columns[i].short or table.columns[i].header)
                             for i in keep) + r" \\",
                  r"\midrule"]
        lines += [" & ".join(tex_cell(row[i]) for i in keep) + r" \\"
                  for row in table.rows if not isinstance(row[0], Span)]
        lines += [r"\bottomrule", r"\end{tabular}"]
    # "±" is not in LaTeX's default font encoding.
    return lines + [r"\caption{" + tex_escape(table.caption.replace("±", "+/-")) + "}",
                    r"\end{table}"]


def render(document: Document) -> str:
    lines: list[str] = []
    for block in document.blocks:
        if isinstance(block, Title):
            lines.append(f"% {block.name} {tex_escape(block.subject)}: "
                         "a fragment to \\input; needs \\usepackage{booktabs}.")
        elif isinstance(block, Note):
            lines.append("% " + " ".join(line.strip() for line in block.lines)
                         .replace("±", "+/-"))
        elif isinstance(block, Table):
            lines += table_lines(block)
    return "\n".join(lines) + "\n"
