"""Writes a run's reports: the document of blocks built once (sections/report.py), then
rendered by each format's renderer into report.txt, report.md and report.tex."""
from __future__ import annotations

from pathlib import Path

from daxbench_analysis.model.run import Run
from daxbench_analysis.render import latex, markdown, text
from daxbench_analysis.sections.report import report_document

RENDERERS = (("report.txt", text.render), ("report.md", markdown.render),
             ("report.tex", latex.render))


def write_reports(run: Run, out_dir: Path, baseline: str = "fdatasync") -> list[Path]:
    """Writes report.txt, report.md and report.tex into out_dir; returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    document = report_document(run, baseline)
    written = []
    for name, render in RENDERERS:
        path = out_dir / name
        path.write_text(render(document), encoding="utf-8")
        written.append(path)
    return written
