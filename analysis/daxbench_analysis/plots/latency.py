"""Latency figures: per shape, the CDF of each mode's operation (and commit) latency on a log
time axis, beside its tail (1 - CDF, log-log) so that p99 and p99.9 can be read."""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from matplotlib import transforms

from daxbench_analysis.model.run import Case, Run
from daxbench_analysis.plots import style
from daxbench_analysis.plots.common import (Figure, Shape, accel_of, case_label, note_label,
                                            shape_text,
                                            shapes_by_workload_target, skip, wrapped_title)


def latency_figures(run: Run) -> Iterator[Figure]:
    for (workload, target), shapes in shapes_by_workload_target(run).items():
        for shape, cases in shapes.items():
            kinds = [k for k in ("op", "commit") if any(c.histogram(k) for c in cases)]
            name = f"latency {workload} on {target} ({shape_text(shape)})"
            if not kinds:
                skip(name, "no latency histogram")
                continue
            fig, axes = style.new_figure(9, 3.2 * len(kinds), nrows=len(kinds), ncols=2)
            for row, kind in enumerate(kinds):
                draw_cdfs(axes[row][0], axes[row][1], cases, shape, kind)
            # Beside the tail, outside both axes (inside either it would cover curves), past
            # the tail's p99/p99.9 marks: a long legend reaches down to them.
            handles, labels = axes[0][0].get_legend_handles_labels()
            marks = max(style.text_inches(fig, t)[0] for t in axes[0][1].texts)
            past = transforms.ScaledTranslation(marks + 0.05, 0, fig.dpi_scale_trans)
            axes[0][1].legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0),
                              bbox_transform=axes[0][1].transAxes + past, frameon=False)
            wrapped_title(fig, f"{workload} on {target} ({shape_text(shape)}): latency per mode",
                          9, suptitle=True)
            style.finish(fig, run.provenance(target), accel_of(run, target, cases))
            yield f"latency-{workload}-{style.slug(target)}-{style.slug(shape_text(shape))}", fig


def draw_cdfs(cdf_ax, tail_ax, cases: list[Case], shape: Shape, kind: str) -> None:
    """CDF on a log time axis, and the complementary CDF on log-log so p99/p99.9 are visible."""
    for case in cases:
        histogram = case.histogram(kind)
        if not histogram:
            continue
        upper = np.array([u for u, _ in histogram], dtype=float)
        cumulative = np.cumsum([n for _, n in histogram], dtype=float)
        cdf = cumulative / cumulative[-1]
        line = {k: v for k, v in style.line_style(case.column).items() if k != "marker"}
        label = case_label(case, shape)
        cdf_ax.step(upper, cdf, where="pre", label=label, **line)
        note_label(cdf_ax.figure, label, [case])
        tail = 1.0 - cdf
        keep = tail > 0
        tail_ax.step(upper[keep], tail[keep], where="pre", **line)
    cdf_ax.set_xscale("log")
    cdf_ax.set_ylim(0, 1.01)
    cdf_ax.set_xlabel(f"{kind} latency (ns)")
    cdf_ax.set_ylabel("fraction ≤ x")
    cdf_ax.set_title(f"{kind}: CDF")
    tail_ax.set_xscale("log")
    tail_ax.set_yscale("log")
    for fraction, name in ((1e-2, "p99"), (1e-3, "p99.9")):
        tail_ax.axhline(fraction, color="#777777", linewidth=0.6, linestyle=":")
        tail_ax.text(1.0, fraction, f" {name}", transform=transforms.blended_transform_factory(
            tail_ax.transAxes, tail_ax.transData), fontsize=6, va="center", ha="left")
    tail_ax.set_xlabel(f"{kind} latency (ns)")
    tail_ax.set_ylabel("fraction > x")
    tail_ax.set_title(f"{kind}: tail (1 − CDF)")
