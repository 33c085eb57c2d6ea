"""Where the time goes (model/attribution.py): per workload and target, a panel per shape with
one stacked bar per mode — each term's share of the median op time, the residual as its own
grey segment — the explained fraction above each bar and the op time under its label. Bars are
shares of 100% (the modes' times differ by 1000x), the time itself is in the tick label."""
from __future__ import annotations

from collections.abc import Iterator

from matplotlib.patches import Patch

from daxbench_analysis.model import attribution as model
from daxbench_analysis.model.run import Run
from daxbench_analysis.numbers import humanize
from daxbench_analysis.plots import style
from daxbench_analysis.plots.common import (Figure, accel_of, case_label, drawn, shape_text,
                                            skip, wrapped_title)

# A term's kind, by the counters it stands for: (legend text, colour, hatch).
KINDS = (("sys_pwrite", "pwrite", style.OKABE_ITO["sky_blue"], ""),
         ("sys_", "sync call", style.OKABE_ITO["blue"], ""),
         ("faults_trapped", "trap (signal + mprotect)", style.OKABE_ITO["vermillion"], "//"),
         ("page faults", "page fault", style.OKABE_ITO["orange"], ""),
         ("lines_flushed", "store + flush + fence", style.OKABE_ITO["green"], "\\\\"))
RESIDUAL = ("residual (unexplained)", "#bbbbbb", "..")
# An over-explained bar (terms beyond the op time) is cut here, its % still printed: drawn
# whole, one such bar would flatten every other.
Y_CAP = 1.5
PANELS_PER_ROW = 4   # shapes beyond wrap into rows: a paper's page is not 8 panels wide


def kind_of(term: model.Term) -> tuple[str, str, str]:
    for prefix, label, color, hatch in KINDS:
        if term.events.startswith(prefix):
            return label, color, hatch
    return term.events, "#666666", ""


def attribution_figures(run: Run) -> Iterator[Figure]:
    by_target: dict[tuple[str, str], dict[tuple, list[model.Attribution]]] = {}
    for a in model.attributions(run):
        if a.status == "ok" and a.op_ns:
            workload, target, shape = a.case.group_key
            by_target.setdefault((workload, target), {}).setdefault(shape, []).append(a)
    if not by_target:
        skip("attribution", "no case has unit costs measured on its target (micro.json)")
    for (workload, target), shapes in by_target.items():
        yield (f"attribution-{workload}-{style.slug(target)}",
               attribution_figure(run, workload, target, shapes))


def attribution_figure(run: Run, workload: str, target: str, shapes: dict):
    modes = max(len(items) for items in shapes.values())
    ncols = min(len(shapes), PANELS_PER_ROW)
    nrows = -(-len(shapes) // ncols)
    width = max(1.2 + 0.42 * modes, 2.4) * ncols + 1.8
    fig, grid = style.new_figure(width, 1.6 + 3.4 * nrows, ncols=ncols, nrows=nrows)
    panels = [ax for row in grid for ax in row]
    for ax in panels[len(shapes):]:
        fig.delaxes(ax)   # a grid's empty slots are not panels
    legend: dict[str, tuple[str, str]] = {}
    for index, (ax, (shape, items)) in enumerate(zip(panels, shapes.items())):
        drawn(fig)["groups"][(index, shape_text(shape))] = [a.case for a in items]
        for x, a in enumerate(items):
            bottom = 0.0
            for term in a.terms:
                label, color, hatch = kind_of(term)
                legend[label] = (color, hatch)
                share = term.ns / a.op_ns
                ax.bar([x], [share], 0.7, bottom=bottom, color=color, hatch=hatch,
                       edgecolor="white", linewidth=0.4)
                bottom += share
            residual = max(1.0 - bottom, 0.0)
            legend[RESIDUAL[0]] = RESIDUAL[1:]
            ax.bar([x], [residual], 0.7, bottom=bottom, color=RESIDUAL[1], hatch=RESIDUAL[2],
                   edgecolor="white", linewidth=0.4)
            short = a.finding is not None
            ax.text(x, min(max(bottom, 1.0), Y_CAP) + 0.02, f"{a.explained:.0%}", ha="center",
                    va="bottom", fontsize=7, rotation=90,
                    fontweight="bold" if short else "normal")
        ax.set_xticks(range(len(items)),
                      [f"{case_label(a.case, shape)}\n{humanize(a.op_ns)} ns" for a in items],
                      rotation=60, ha="right", fontsize=6.5)
        # At least three slots wide: a panel of one mode is a bar, not a wall.
        half = max(len(items), 3) / 2
        ax.set_xlim((len(items) - 1) / 2 - half, (len(items) - 1) / 2 + half)
        top = min(max(1.0, *(a.explained for a in items)), Y_CAP)
        ax.set_ylim(0, top + 0.25)
        ax.axhline(1.0, color="#444444", linewidth=0.6)
        ax.set_title(shape_text(shape), fontsize=8)
        if index % ncols == 0:
            ax.set_ylabel("share of op time")
    residual = legend.pop(RESIDUAL[0])
    legend[RESIDUAL[0]] = residual   # last, as it is on top of every bar
    handles = [Patch(facecolor=color, hatch=hatch, edgecolor="white", label=label)
               for label, (color, hatch) in legend.items()]
    panels[ncols - 1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                             frameon=False)
    wrapped_title(fig, f"{workload} on {target}: where the time goes (counted events x unit "
                  "costs from this run's micro-benchmarks; % explained above, bold when "
                  f"beyond {1 - model.TARGET_EXPLAINED:.0%}; ns per op under each mode)",
                  width, suptitle=True)
    style.finish(fig, run.provenance(target), accel_of(run, target, [a.case for items in
                                                                      shapes.values()
                                                                      for a in items]))
    return fig
