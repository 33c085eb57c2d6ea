"""report.txt: the document in plain text, at most 80 columns, for a terminal or a mail.
A table with a compact layout is drawn in that; a metrics x modes table is split into runs of
columns that fit beside its row labels; other tables get fixed-width columns."""
from __future__ import annotations

import textwrap

from daxbench_analysis.render.flow import flow, gap_before
from daxbench_analysis.sections.blocks import (Cell, Code, Document, Facts, Heading, ItemList,
                                               Note, Paragraph, Span, Strong, Table, Title)

WIDTH = 80
COLUMN_GAP = 2


def wrap(line: str, indent: str = "    ") -> list[str]:
    """A prose line folded to WIDTH; words longer than that are broken."""
    if len(line) <= WIDTH:
        return [line]
    lead = line[:len(line) - len(line.lstrip())]
    return textwrap.wrap(line, WIDTH, initial_indent="", subsequent_indent=lead + indent,
                         break_long_words=True, break_on_hyphens=False) or [""]


def truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 3, 0)] + "..."


def command_words(line: str) -> list[str]:
    """The command's words, an option kept with its value (`--out DIR`) so that a fold
    does not part them."""
    words: list[str] = []
    for word in line.split(" "):
        if words and words[-1].startswith("-") and " " not in words[-1] \
                and not word.startswith("-"):
            words[-1] += " " + word
        else:
            words.append(word)
    return words


def fold_command(line: str, indent: str = "  ") -> list[str]:
    """A shell command in lines of at most WIDTH, each but the last ending in " \\" so that
    the lines pasted into a shell are still the one command (a word longer than the room
    stays whole)."""
    lines: list[str] = []
    current = indent
    for word in command_words(line):
        candidate = f"{current} {word}" if current.strip() else current + word
        if current.strip() and len(candidate) + 2 > WIDTH:
            lines.append(current + " \\")
            current = indent + "    " + word
        else:
            current = candidate
    return lines + [current]


def cell_text(cell) -> str:
    if isinstance(cell, Cell):
        if cell.spread is not None:
            return f"{cell.value} ±{cell.spread}%"
        return cell.value + cell.mark  # a fixed-width mark keeps the ratios aligned
    return cell.text if isinstance(cell, Strong) else str(cell)


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


def matrix_table(table: Table) -> list[str]:
    """Row labels, then the columns in runs that fit WIDTH, each run with its header."""
    labels = [str(row[0]) for row in table.rows]
    label_width = min(max(len(label) for label in labels), WIDTH // 3)
    cells = [[cell_text(cell) for cell in row[1:]] for row in table.rows]
    room = WIDTH - label_width - COLUMN_GAP
    headers = [truncate(column.header, room) for column in table.columns[1:]]
    widths = [min(max(len(headers[i]), *(len(r[i]) for r in cells)), room)
              for i in range(len(headers))]
    lines: list[str] = []
    gap = " " * COLUMN_GAP
    for chunk in column_chunks(label_width, widths):
        if lines:
            lines.append("")
        header = " " * label_width + "".join(gap + headers[i].rjust(widths[i]) for i in chunk)
        lines += [header.rstrip(), "-" * len(header)]
        for label, row_cells in zip(labels, cells):
            label = truncate(label, label_width).ljust(label_width)
            lines.append((label + "".join(gap + truncate(row_cells[i], widths[i]).rjust(widths[i])
                                          for i in chunk)).rstrip())
    return lines


def fixed_table(table: Table) -> list[str]:
    """Fixed-width columns (a column without a width fits its data in the room the others
    leave). A Span row is a line of its own; a first cell too long for its column gets a line
    of its own and the rest of its row goes on the next, so nothing is cut."""
    columns = table.columns
    rows = [[cell_text(c) for c in row] if not isinstance(row[0], Span) else row
            for row in table.rows]
    widths = []
    for index, column in enumerate(columns):
        if column.width is not None:
            widths.append(column.width)
            continue
        room = WIDTH - sum(c.gap + (c.width or 0) for i, c in enumerate(columns) if i != index)
        widths.append(min(max([len(column.header),
                               *(len(r[index]) for r in rows if not isinstance(r[0], Span))]),
                          room))

    def line(cells: list[str]) -> str:
        return "".join(" " * column.gap + (cell.ljust(width) if column.align == "left"
                                           else cell.rjust(width))
                       for cell, column, width in zip(cells, columns, widths)).rstrip()

    header = line([c.header for c in columns])
    out = [header] + (["-" * len(header)] if table.rule else [])
    for row in rows:
        if isinstance(row[0], Span):
            out.append(truncate(row[0].text, WIDTH))
        elif columns[0].width is None and len(row[0]) > widths[0]:
            out += [truncate(row[0], WIDTH), line(["", *row[1:]])]
        else:
            out.append(line(row))
    return out


def table_lines(table: Table) -> list[str]:
    if table.rows is None:
        return []
    lines = [table.title] if table.title else []
    lines += matrix_table(table) if table.matrix else fixed_table(table)
    return lines + table.footnotes


def block_lines(block, previous) -> list[str]:
    gap = gap_before(block, previous)
    if isinstance(block, Title):
        return [f"{block.name}: {block.subject}", "=" * WIDTH]
    if isinstance(block, Heading):
        if block.level <= 2:
            return ["", "", block.text, "=" * min(len(block.text), WIDTH)]
        return ["", block.text, "-" * len(block.text)]
    if isinstance(block, Facts):
        lines = []
        for fact in block.items:
            if fact.subject is None:
                lines.append(f"{fact.label + ':':<10} {fact.values[0]}")
            else:
                lines += [f"{fact.label} {fact.subject}", *(f"  {v}" for v in fact.values)]
        return lines
    if isinstance(block, Paragraph):
        return gap + textwrap.wrap(block.text, WIDTH, break_on_hyphens=False)
    if isinstance(block, Note):
        return gap + block.lines
    if isinstance(block, ItemList):
        # Lower-case like the text report's other labels ("target ...", "not run:").
        lines = ["", block.title[:1].lower() + block.title[1:]]
        for item in block.items:
            lines += (textwrap.wrap(item, WIDTH, initial_indent="- ", subsequent_indent="    ",
                                    break_on_hyphens=False) if block.bullets
                      else [truncate(f"  {item}", WIDTH)])
        return lines
    if isinstance(block, Code):
        return gap + [block.title + ":"] + [folded for line in block.lines
                                            for folded in fold_command(line)]
    if isinstance(block, Table):
        if block.compact is not None:
            return flow(block.compact, block_lines, previous)
        return (gap + table_lines(block)) if block.rows is not None else []
    raise TypeError(f"no text rendering of {type(block).__name__}")


def render(document: Document) -> str:
    lines = flow(document.blocks, block_lines)
    return "\n".join(folded for line in lines for folded in wrap(line)) + "\n"
