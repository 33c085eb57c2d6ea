"""What the two line renderers (text.py, markdown.py) share: blocks drawn in order, each
knowing the block before it, and the rule for the blank line between two blocks."""
from __future__ import annotations

from daxbench_analysis.sections.blocks import Heading, ItemList, Title


def gap_before(block, previous) -> list[str]:
    """A blank line between blocks, none right under a title or heading (they bring their
    own); lists add theirs."""
    return [] if isinstance(previous, (Title, Heading)) and not isinstance(block, ItemList) \
        else [""]


def flow(blocks, block_lines, previous=None) -> list[str]:
    """The lines of `blocks` in order, `block_lines(block, previous)` drawing each one."""
    lines: list[str] = []
    for block in blocks:
        lines += block_lines(block, previous)
        previous = block
    return lines
