"""Writes a run's reports and a comparison's reply: the document of blocks built once
(sections/report.py, sections/reply.py), then rendered by each format's renderer into
report.txt/.md/.tex or reply.txt/.md/.tex."""
from __future__ import annotations

import csv
from pathlib import Path

from daxbench_analysis.model import attribution
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
    """Writes report.txt, report.md and report.tex into out_dir, and attribution.csv beside
    summary.csv when the run has unit costs (micro.json); returns their paths."""
    written = write_document(report_document(run, baseline), out_dir, "report")
    if run.micro:
        written.append(write_attribution_csv(attribution.attributions(run), Path(out_dir)))
    return written


def write_attribution_csv(items: list, out_dir: Path) -> Path:
    """attribution.csv: the numbers of the "Where the time goes" section, one row per term."""
    path = out_dir / "attribution.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=attribution.CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(attribution.csv_rows(items))
    return path
