"""What every figure family shares: saving a figure in its three formats with fixed metadata,
the line on stderr for a figure without data, cases grouped by workload, target and shape,
legend labels in mode order, medians with their error bars, grouped bar charts, wrapped
titles, and whether the numbers were made in the lab's emulated guest."""
from __future__ import annotations

import math
import re
import sys
import textwrap
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import transforms
from matplotlib.figure import Figure as MplFigure
from matplotlib.patches import Patch

from daxbench_analysis import stats
from daxbench_analysis.model.run import THROUGHPUT, Case, Metric, Run
from daxbench_analysis.plots import style

FORMATS = ("png", "svg", "pdf")
# Fixed metadata: the same run renders to the same bytes (no creation dates).
METADATA = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}
LOG_Y_SPREAD = 30   # a log axis once the largest bar is this many times the smallest

# Right of the axes: long, wrapped shape names below the bars leave no room for it there.
LEGEND_BESIDE = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "frameon": False}

Figure = tuple[str, object]   # (file stem, matplotlib figure)
Shape = tuple[tuple[str, str], ...]


def save(fig, out_dir: Path, stem: str) -> list[Path]:
    paths = []
    for fmt in FORMATS:
        path = out_dir / f"{stem}.{fmt}"
        fig.savefig(path, dpi=style.PNG_DPI, metadata=METADATA[fmt])
        paths.append(path)
    style.close(fig)
    return paths


def skip(figure: str, why: str) -> None:
    print(f"plots: no {figure} figure: {why}", file=sys.stderr)


# --- grouping --------------------------------------------------------------------------------

def shapes_by_workload_target(run: Run) -> dict[tuple[str, str], dict[Shape, list[Case]]]:
    """Run.groups() by (workload, target), then by workload shape. A file state is part of
    the shape: sealed-extent prepares its own zeroed file, and drawn beside modes that ran on
    a sparse one it would be compared with modes that paid allocation faults it did not (the
    bound `none` would sit below the mode it bounds). Each file state is its own group."""
    out: dict[tuple[str, str], dict[Shape, list[Case]]] = {}
    for (workload, target, shape), cases in run.groups().items():
        out.setdefault((workload, target), {})[shape] = list(cases)
    return out


def file_state(cases: list[Case]) -> str | None:
    """The file state the cases ran on, None if they differ (or name none)."""
    states = {str(c.params.get("file_state")) for c in cases if "file_state" in c.params}
    return states.pop() if len(states) == 1 else None


def group_text(shape: Shape, cases: list[Case], show_state: bool) -> str:
    """shape_text, plus the file state when the figure mixes states and the shape leaves it
    at its default (unnamed): a reader must see which group ran on which."""
    text = shape_text(shape)
    state = file_state(cases)
    if show_state and state and "file_state" not in dict(shape):
        text = f"{text},file_state={state}" if shape else f"file_state={state}"
    return text


def drawn(fig) -> dict:
    """What a figure drew, for tests/analysis/test_figure_layout.py (no PNG parsing there):
    "labels": legend or tick label -> the cases it stands for; "groups": (axes index, group)
    -> the case in each slot laid out for it."""
    if not hasattr(fig, "daxbench_drawn"):
        fig.daxbench_drawn = {"labels": {}, "groups": {}}
    return fig.daxbench_drawn


def note_label(fig, label: str, cases) -> None:
    found = drawn(fig)["labels"].setdefault(label, [])
    found += [c for c in cases if c not in found]


def shape_text(shape: Shape) -> str:
    return ",".join(f"{k}={v}" for k, v in shape) or "defaults"


def case_label(case: Case, shape: Shape) -> str:
    """The legend entry: mode (+ mode parameters) and, from the case's record, whether it ran
    and whether the mode's promise holds here. (Its file state is its group's: a label never
    names one, as no group mixes them.)"""
    return style.mode_label(case.column, case.status, case.durable)


def ordered_columns(cases: list[Case], shape_of) -> dict[str, Case]:
    """Legend label -> a representative case, in MODE_ORDER."""
    columns: dict[str, Case] = {}
    for case in sorted(cases, key=lambda c: (c.registry.mode_rank(c.mode), c.column)):
        columns.setdefault(case_label(case, shape_of(case)), case)
    return columns


def accel_of(run: Run, target: str | None, cases: list[Case] = ()) -> str | None:
    """"tcg"/"kvm" when the figure's numbers were made in the lab's guest, else None."""
    for case in cases:
        if case.emulated:
            return case.emulated
    if target is None:
        return None
    for case in run.cases.values():
        if case.target == target and case.emulated:
            return case.emulated
    lab = (run.context.get("lab") or {}).get(target) or {}
    if lab.get("accel"):
        return lab["accel"]
    # A crash-only run has no lab cases: its cut records say where they were made.
    return next((r["emulated"] for r in run.crash or []
                 if r.get("target") == target and r.get("emulated")), None)


# --- numbers ---------------------------------------------------------------------------------

def summary(samples: list[float]):
    """stats.summarize, or None without samples (an unsupported or failed case)."""
    return stats.summarize(samples) if samples else None


def error_bar(s) -> tuple[float, float]:
    """Distances from the median to the CI ends, 0 where the CI is unknown (one sample)."""
    low = s.median - s.ci_low if math.isfinite(s.ci_low) else 0.0
    high = s.ci_high - s.median if math.isfinite(s.ci_high) else 0.0
    return max(low, 0.0), max(high, 0.0)


def counter_samples(case: Case, name: str) -> list[float]:
    return case.samples(Metric(f"counter:{name}", name, "", "lower"))


def ns_per_op_samples(case: Case) -> list[float]:
    return [1e9 / x for x in case.samples(THROUGHPUT) if x > 0]


def numeric(value) -> float | None:
    """A parameter as a number: params are resolved numbers, but a size may be "4K"."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]?)i?B?", str(value).strip())
    if not match:
        return None
    return float(match[1]) * 1024 ** "_KMG".index(match[2] or "_")


def use_log_scale(values: list[float]) -> bool:
    positive = [v for v in values if v > 0]
    return bool(positive) and max(positive) / min(positive) > LOG_Y_SPREAD


def mark_missing(ax, x: float, case: Case) -> None:
    """An unsupported/failed case gets a visible "n/a" where its bar would be."""
    where = transforms.blended_transform_factory(ax.transData, ax.transAxes)
    ax.text(x, 0.02, f"n/a ({case.status})", transform=where, rotation=90, ha="center",
            va="bottom", fontsize=6, color="#555555")


def bar_chart(ax, groups: list[str], columns: dict[str, Case],
              values: dict[tuple[str, str], object], missing: dict[tuple[str, str], Case],
              ylabel: str, cases: dict[tuple[str, str], Case], look=None,
              legend: bool = True) -> None:
    """Grouped bars: x = groups, one hue per column, median with CI error bars. A group lays
    out only the columns it has a case of (a bar, or "n/a" for one that did not run): a group
    where one mode ran is one bar, not a row of empty slots. Every column is in the legend
    (unless legend=False: the caller draws one for several axes). look(case) gives a bar's
    Axes.bar keywords (default: its mode's colour and hatch)."""
    look = look or (lambda case: style.bar_style(case.column))
    fig = ax.figure
    width = 0.8 / max(max((sum((g, label) in values or (g, label) in missing
                               for label in columns) for g in groups), default=1), 1)
    medians = []
    handles = [Patch(label=label, **look(case)) for label, case in columns.items()]
    index = fig.axes.index(ax)
    for g, group in enumerate(groups):
        present = [label for label in columns
                   if (group, label) in values or (group, label) in missing]
        slots = drawn(fig)["groups"].setdefault((index, group), [])
        for slot, label in enumerate(present):
            x = g + (slot - (len(present) - 1) / 2) * width
            if (group, label) in values:
                s = values[(group, label)]
                ax.bar([x], [s.median], width, yerr=np.array([error_bar(s)]).T, capsize=2,
                       error_kw={"linewidth": 0.8}, **look(cases[(group, label)]))
                medians.append(s.median)
                slots.append(cases[(group, label)])
            elif (group, label) in missing:
                mark_missing(ax, x, missing[(group, label)])
                slots.append(missing[(group, label)])
            else:
                slots.append(None)   # a slot with nothing in it: the layout test fails it
    for (_, label), case in cases.items():
        note_label(fig, label, [case])
    ax.set_xlim(-0.5, len(groups) - 0.5)
    # Long shapes wrap (at their commas) rather than push the axes out of the figure.
    ax.set_xticks(range(len(groups)), [wrap_shape(g, 28) for g in groups],
                  rotation=20 if len(groups) > 3 else 0,
                  ha="right" if len(groups) > 3 else "center")
    if use_log_scale(medians):
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    if legend:
        ax.legend(handles=handles, **LEGEND_BESIDE)


def wrap_shape(text: str, width: int) -> str:
    return "\n".join(line.replace(", ", ",")
                     for line in textwrap.wrap(text.replace(",", ", "), width))


def wrapped_title(ax_or_fig, text: str, width_inches: float, suptitle: bool = False) -> None:
    """The figure's title, over the whole figure (its axes and a legend beside them), broken
    into lines that fit its width as drawn (shapes can be long). width_inches and suptitle
    are kept for the callers: every title is now the figure's."""
    fig = ax_or_fig if isinstance(ax_or_fig, MplFigure) else ax_or_fig.figure
    size = matplotlib.rcParams["figure.titlesize"]
    wrapped = style.fit_lines(fig, text.split(" "), " ", fig.get_figwidth() - 0.2,
                              fontsize=size)
    # Placed by hand below the strip new_figure keeps for the EMULATED label: constrained
    # layout would pin an automatically placed suptitle to the very top, under the label.
    title = fig.suptitle(wrapped, y=1 - style.TOP_STRIP_INCHES / fig.get_figheight(),
                         va="top", fontsize=size)
    # As tall as the renderer draws it, so the axes and their own titles start below it.
    style.reserve_top(fig, style.text_inches(fig, title)[1] + 0.05)
