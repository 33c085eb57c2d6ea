"""The plots layer: every figure a results folder has data for, each saved as PNG for a quick
look and SVG + PDF for papers, by family — throughput and sweeps, latency, cost by cause,
where the time goes, first touch, micro-benchmarks, crash matrix, daxbench vs fio — over shared helpers
(common.py) and one look (style.py). Numbers come from `stats` and the model only."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from daxbench_analysis.model.run import Run
from daxbench_analysis.plots import (attribution, break_even, cost, crash, fio, first_touch,
                                     headline, latency, micro, throughput)
from daxbench_analysis.plots.common import save

# In this order: the files of a folder's plots/ are written family by family.
PRODUCERS = (headline.headline_figures,
             throughput.throughput_figures, latency.latency_figures, cost.cost_figures,
             attribution.attribution_figures,
             throughput.sweep_figures, first_touch.first_touch_figures,
             micro.micro_fault_figures, micro.micro_flush_figures,
             micro.micro_nt_vs_clwb_figures, crash.crash_figures, fio.fio_figures,
             break_even.break_even_figures)


def figures(run: Run) -> Iterator[tuple[str, object]]:
    """(file stem, matplotlib Figure) of every figure the run has data for, unsaved: what
    render_all writes, and what tests/analysis/test_figure_layout.py inspects."""
    for producer in PRODUCERS:
        yield from producer(run)


def render_all(run: Run, out_dir: Path) -> list[Path]:
    """Draws every figure the run has data for into out_dir; returns the files written.
    A figure without data is skipped with a line on stderr, never an error."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for stem, fig in figures(run):
        written += save(fig, out_dir, stem)
    return written
