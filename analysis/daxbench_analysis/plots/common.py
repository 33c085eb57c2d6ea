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

import numpy as np
from matplotlib import transforms
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
    """Run.groups() by (workload, target), then by workload shape. sealed-extent needs a zeroed
    file, so its cases carry file_state=zeroed where the others have the default: plotted
    beside the others (labelled with the state) rather than as a shape of their own."""
    out: dict[tuple[str, str], dict[Shape, list[Case]]] = {}
    for (workload, target, shape), cases in run.groups().items():
        out.setdefault((workload, target), {})[shape] = list(cases)
    for shapes in out.values():
        for shape in list(shapes):
            reduced = tuple(kv for kv in shape if kv[0] != "file_state")
            cases = shapes[shape]
            if (reduced != shape and reduced in shapes
                    and all(c.mode == "sealed-extent" for c in cases)):
                shapes[reduced] = sorted(shapes[reduced] + cases,
                                         key=lambda c: (c.registry.mode_rank(c.mode), c.column))
                del shapes[shape]
    return out


def shape_text(shape: Shape) -> str:
    return ",".join(f"{k}={v}" for k, v in shape) or "defaults"


def case_label(case: Case, shape: Shape) -> str:
    """The legend entry: mode (+ mode parameters), a file state the shape does not show, and
    whether the mode's promise holds here."""
    label = case.column
    if "file_state" in case.shape and "file_state" not in dict(shape):
        label += f" [{case.shape['file_state']}]"
    return style.mode_label(label, case.durable)


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
              ylabel: str) -> None:
    """Grouped bars: x = groups, one hue per column, median with CI error bars. Every column
    is in the legend, even one with no bar anywhere (unsupported on this target)."""
    width = 0.8 / max(len(columns), 1)
    medians = []
    handles = [Patch(label=label, **style.bar_style(case.column))
               for label, case in columns.items()]
    for index, (label, case) in enumerate(columns.items()):
        offset = (index - (len(columns) - 1) / 2) * width
        xs, ys, errors = [], [], []
        for g, group in enumerate(groups):
            if (group, label) in values:
                s = values[(group, label)]
                xs.append(g + offset)
                ys.append(s.median)
                errors.append(error_bar(s))
            elif (group, label) in missing:
                mark_missing(ax, g + offset, missing[(group, label)])
        if xs:
            ax.bar(xs, ys, width, yerr=np.array(errors).T, capsize=2,
                   error_kw={"linewidth": 0.8}, **style.bar_style(case.column))
        medians += ys
    ax.set_xlim(-0.5, len(groups) - 0.5)
    # Long shapes wrap rather than push the axes out of the figure.
    ax.set_xticks(range(len(groups)), ["\n".join(textwrap.wrap(g, 28)) for g in groups],
                  rotation=20 if len(groups) > 3 else 0,
                  ha="right" if len(groups) > 3 else "center")
    if use_log_scale(medians):
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.legend(handles=handles, **LEGEND_BESIDE)


def wrapped_title(ax_or_fig, text: str, width_inches: float, suptitle: bool = False) -> None:
    """A title wrapped to the figure's width (shapes can be long)."""
    wrapped = textwrap.fill(text, max(int(width_inches * 11), 30))
    if suptitle:
        # Placed by hand below the strip new_figure keeps for the EMULATED label: constrained
        # layout would pin an automatically placed suptitle to the very top, under the label.
        ax_or_fig.suptitle(wrapped, y=1 - style.TOP_STRIP_INCHES / ax_or_fig.get_figheight(),
                           va="top")
        style.reserve_top(ax_or_fig, 0.2 * (wrapped.count("\n") + 1))
    else:
        ax_or_fig.set_title(wrapped)
