"""Writes a run's reports and a comparison's reply: the document of blocks built once
(sections/report.py, sections/reply.py), then rendered by each format's renderer into
report.txt/.md/.tex or reply.txt/.md/.tex."""
from __future__ import annotations

from pathlib import Path

from daxbench_analysis.model.run import Run
from daxbench_analysis.render import latex, markdown, text
from daxbench_analysis.sections.blocks import Document
from daxbench_analysis.sections.report import report_document

RENDERERS = ((".txt", text.render), (".md", markdown.render), (".tex", latex.render))


def write_document(document: Document, out_dir: Path, stem: str) -> list[Path]:
    """Writes stem.txt, stem.md and stem.tex into out_dir; returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, render in RENDERERS:
        path = out_dir / (stem + suffix)
        path.write_text(render(document), encoding="utf-8")
        written.append(path)
    return written


def write_reports(run: Run, out_dir: Path, baseline: str = "fdatasync") -> list[Path]:
    """Writes report.txt, report.md and report.tex into out_dir; returns their paths."""
    return write_document(report_document(run, baseline), out_dir, "report")
