"""The neutral pieces a report is made of — title, facts, headings, paragraphs, notes, lists,
tables with their cells — built by the sections (main.py, fio.py, crash.py) and drawn by one
renderer per format (render/). Nothing here knows a format: a renderer decides how each piece
looks, and may leave out what its medium does not carry (a LaTeX fragment keeps the tables,
whose captions stand alone)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Title:
    name: str       # "daxbench report"
    subject: str    # the run id


@dataclass
class Fact:
    label: str
    values: list[str]
    subject: str | None = None  # a fact about something named: "target file:/mnt/pmem0"


@dataclass
class Facts:
    items: list[Fact]


@dataclass
class Heading:
    text: str
    level: int = 2  # 2: a section, 3: a part of one


@dataclass
class Paragraph:
    text: str       # prose, folded by the renderer


@dataclass
class Note:
    lines: list[str]  # prose laid out in lines (a legend); joined where lines do not matter


@dataclass
class ItemList:
    title: str
    items: list[str]
    bullets: bool = True  # False: one line per item, cut to the width where there is one


@dataclass
class Code:
    """Lines to copy as they are (a shell command): never folded like prose."""
    title: str
    lines: list[str]


@dataclass
class Cell:
    """A median with the half-width of its interval in % and a significance mark."""
    value: str                 # the humanised median, "-" when not measured
    spread: str | None = None  # the interval's half-width in % of the median, "1.2"
    mark: str = ""             # significance mark(s) of a ratio cell


@dataclass
class Strong:
    text: str       # a cell that must stand out (a broken promise)


@dataclass
class Span:
    text: str       # a row that is a label across the table (the group of the rows below)


@dataclass
class Column:
    header: str
    align: str = "right"        # "left" or "right"
    width: int | None = None    # fixed-width layouts: characters; None: fit the data
    gap: int = 2                # fixed-width layouts: spaces before the column
    optional: bool = False      # a detail a narrow layout may leave out
    short: str | None = None    # the header where a column must stay narrow (a paper's table)


@dataclass
class Table:
    """Rows of cells (str, Cell or Strong; a Span row labels the rows below it). `matrix`:
    the first column labels the rows (metrics) and the others are alike (modes), so a narrow
    layout may split the columns; otherwise a list of records. `compact`: the same content for
    an 80-column page, where it differs. `caption`: what the table says standing alone."""
    columns: list[Column]
    rows: list[list] | None     # None: nothing to tabulate, the caption stands alone
    caption: str = ""
    matrix: bool = False
    title: str | None = None            # a line just above the table
    rule: bool = True                   # a line under the header in fixed-width layouts
    footnotes: list[str] = field(default_factory=list)
    compact: list["Block"] | None = None


Block = Title | Facts | Heading | Paragraph | Note | ItemList | Code | Table


@dataclass
class Document:
    blocks: list[Block]
