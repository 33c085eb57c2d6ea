"""report.md: the document in GitHub markdown. Every table in full (its compact layout is the
80-column text's), emphasised cells in bold."""
from __future__ import annotations

from daxbench_analysis.render.flow import flow, gap_before
from daxbench_analysis.sections.blocks import (Cell, Code, Document, Facts, Heading, ItemList,
                                               Note, Paragraph, Span, Strong, Table, Title)


def md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def md_cell(cell) -> str:
    if isinstance(cell, Cell):
        if cell.spread is not None:
            return f"{cell.value} ±{cell.spread}%"
        mark = cell.mark.strip()
        return md_escape(f"{cell.value} {mark}" if mark else cell.value)
    if isinstance(cell, Strong):
        return f"**{md_escape(cell.text)}**"
    return md_escape(str(cell))


def table_lines(table: Table) -> list[str]:
    if table.rows is None:
        return []
    lines = ["| " + " | ".join(md_escape(c.header) for c in table.columns) + " |",
             "|" + "".join("---|" if c.align == "left" else "---:|" for c in table.columns)]
    lines += ["| " + " | ".join(md_cell(cell) for cell in row) + " |"
              for row in table.rows if not isinstance(row[0], Span)]
    return lines


def block_lines(block, previous) -> list[str]:
    gap = gap_before(block, previous)
    if isinstance(block, Title):
        return [f"# {block.name}: {md_escape(block.subject)}", ""]
    if isinstance(block, Heading):
        return ["", f"{'#' * block.level} {md_escape(block.text)}", ""]
    if isinstance(block, Facts):
        lines = []
        for fact in block.items:
            if fact.subject is None:
                lines.append(f"- **{fact.label}**: {md_escape(fact.values[0])}")
            else:
                lines.append(f"- **{fact.label}** `{fact.subject}`: "
                             + "; ".join(md_escape(v) for v in fact.values))
        return lines
    if isinstance(block, Paragraph):
        return gap + [md_escape(block.text)]
    if isinstance(block, Note):
        # One paragraph: a line starting with "+ " or "- " would become a list item.
        return gap + [md_escape(" ".join(line.strip() for line in block.lines))]
    if isinstance(block, ItemList):
        return ["", block.title, ""] + [f"- {md_escape(item)}" for item in block.items]
    if isinstance(block, Code):
        return gap + [md_escape(block.title) + ":", "", "```sh", *block.lines, "```"]
    if isinstance(block, Table):
        return (gap + table_lines(block)) if block.rows is not None else []
    raise TypeError(f"no markdown rendering of {type(block).__name__}")


def render(document: Document) -> str:
    lines = flow(document.blocks, block_lines)
    return "\n".join(lines) + "\n"
