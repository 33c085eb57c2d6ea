"""Every figure a results folder has data for (throughput, latency CDFs, cost per operation by
cause, parameter sweeps, first-touch faults, the micro-benchmarks, the crash matrix, daxbench
vs fio), each saved as PNG for a quick look and SVG + PDF for papers. Numbers come from
`stats` only."""
from __future__ import annotations

import math
import re
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from matplotlib import colors as mcolors
from matplotlib import transforms
from matplotlib.patches import Patch, Rectangle

from . import stats, style
from .plots_fio import fio_figures
from .runfolder import THROUGHPUT, Case, Metric, Run, mode_rank

FORMATS = ("png", "svg", "pdf")
# Fixed metadata: the same run renders to the same bytes (no creation dates).
METADATA = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}
LOG_Y_SPREAD = 30   # a log axis once the largest bar is this many times the smallest
SWEEP_PARAMS = ("record_size", "commit_every")
MIN_SWEEP_POINTS = 3
# Cost causes: (panel title, counters in order of preference, axis unit). The first counter
# that was counted and is non-zero in a case explains that cause (a DAX fault counter is 0 off
# DAX, where page_faults tells the story; only one journal exists per filesystem).
CAUSES = (
    ("syscalls", ("syscalls",), "syscalls/op"),
    ("page faults", ("fs_dax:dax_pte_fault", "page_faults"), "faults/op"),
    ("journal commits", ("jbd2:jbd2_end_commit", "xfs:xfs_log_force"), "commits/op"),
    ("lines flushed", ("lines_flushed",), "lines/op"),
    ("fences", ("fences",), "fences/op"),
)
VERDICT_SEVERITY = ("FAIL", "LOSS-EXPECTED", "NO-LOSS-SEEN", "PASS")

# Right of the axes: long, wrapped shape names below the bars leave no room for it there.
LEGEND_BESIDE = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "frameon": False}

Figure = tuple[str, object]   # (file stem, matplotlib figure)
Shape = tuple[tuple[str, str], ...]


def render_all(run: Run, out_dir: Path) -> list[Path]:
    """Draws every figure the run has data for into out_dir; returns the files written.
    A figure without data is skipped with a line on stderr, never an error."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for producer in (throughput_figures, latency_figures, cost_figures, sweep_figures,
                     first_touch_figures, micro_fault_figures, micro_flush_figures,
                     micro_nt_vs_clwb_figures, crash_figures, fio_figures):
        for stem, fig in producer(run):
            written += save(fig, out_dir, stem)
    return written


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
                                         key=lambda c: (mode_rank(c.mode), c.column))
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
    for case in sorted(cases, key=lambda c: (mode_rank(c.mode), c.column)):
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


# --- throughput ------------------------------------------------------------------------------

def throughput_figures(run: Run) -> Iterator[Figure]:
    for (workload, target), shapes in shapes_by_workload_target(run).items():
        all_cases = [c for cases in shapes.values() for c in cases]
        if not any(c.samples(THROUGHPUT) for c in all_cases):
            skip(f"throughput {workload} on {target}", "no ok repetition")
            continue
        shape_of = {c.case_id: s for s, cases in shapes.items() for c in cases}
        columns = ordered_columns(all_cases, lambda c: shape_of[c.case_id])
        groups = [shape_text(s) for s in shapes]
        values, missing = {}, {}
        for shape, cases in shapes.items():
            for case in cases:
                key = (shape_text(shape), case_label(case, shape))
                s = summary(case.samples(THROUGHPUT))
                if s is None:
                    missing[key] = case
                else:
                    values[key] = s
        width = min(4 + 0.35 * len(groups) * len(columns), 16)
        fig, axes = style.new_figure(width, 4.2)
        ax = axes[0][0]
        bar_chart(ax, groups, columns, values, missing, "ops/s (median, 95% CI)")
        if len(groups) == 1:
            ax.set_xticks([0], [""])   # the one shape is in the title
        wrapped_title(ax, f"{workload} on {target}: throughput per mode"
                      + (f" ({groups[0]})" if len(groups) == 1 else " by shape"), width)
        style.finish(fig, run.provenance(target), accel_of(run, target, all_cases))
        yield f"throughput-{workload}-{style.slug(target)}", fig


# --- latency ---------------------------------------------------------------------------------

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
            axes[0][0].legend(loc="lower right")
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
        cdf_ax.step(upper, cdf, where="pre", label=case_label(case, shape), **line)
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


# --- cost per operation by cause -------------------------------------------------------------

def cause_counter(case: Case, candidates: tuple[str, ...]) -> tuple[str, list[float]] | None:
    counted = [(name, counter_samples(case, name)) for name in candidates]
    counted = [(name, xs) for name, xs in counted if xs]
    for name, xs in counted:
        if any(x != 0 for x in xs):
            return name, xs
    return counted[0] if counted else None


def cost_figures(run: Run) -> Iterator[Figure]:
    for (workload, target), shapes in shapes_by_workload_target(run).items():
        for shape, cases in shapes.items():
            name = f"cost {workload} on {target} ({shape_text(shape)})"
            panels = []
            for title, candidates, unit in CAUSES:
                per_case = {c.case_id: cause_counter(c, candidates) for c in cases}
                if any(per_case.values()):
                    panels.append((title, unit, per_case))
            if not panels:
                skip(name, "no counter was counted")
                continue
            yield (f"cost-{workload}-{style.slug(target)}-{style.slug(shape_text(shape))}",
                   cost_figure(run, workload, target, shape, cases, panels))


def cost_figure(run, workload, target, shape, cases, panels):
    columns = ordered_columns(cases, lambda c: shape)
    fig, axes = style.new_figure(2.6 * len(panels) + 0.5, 3.8, ncols=len(panels))
    for ax, (title, unit, per_case) in zip(axes[0], panels):
        used = sorted({found[0] for found in per_case.values() if found})
        for x, case in enumerate(columns.values()):
            found = per_case.get(case.case_id)
            if not found:
                mark_missing(ax, x, case)
                continue
            s = stats.summarize(found[1])
            ax.bar([x], [s.median], 0.7, yerr=np.array([error_bar(s)]).T, capsize=2,
                   **style.bar_style(case.column))
        # The tick labels name the mode and say when it is not durable here: no legend needed.
        ax.set_xticks(range(len(columns)), list(columns), rotation=60, ha="right", fontsize=7)
        ax.set_title(title)
        ax.set_ylabel(f"{unit} ({', '.join(used)})" if used else unit, fontsize=7)
    wrapped_title(fig, f"{workload} on {target} ({shape_text(shape)}): cost per operation by "
                  "cause (median, 95% CI; journal counters are system-wide)",
                  2.6 * len(panels) + 0.5, suptitle=True)
    style.finish(fig, run.provenance(target), accel_of(run, target, cases))
    return fig


# --- sweeps ----------------------------------------------------------------------------------

def sweep_figures(run: Run) -> Iterator[Figure]:
    found_any = False
    for (workload, target), shapes in shapes_by_workload_target(run).items():
        for param in SWEEP_PARAMS:
            series: dict[Shape, dict[str, dict[float, Case]]] = {}
            representative: dict[str, Case] = {}
            for shape, cases in shapes.items():
                rest = tuple(kv for kv in shape if kv[0] != param)
                for case in cases:
                    x = numeric(case.params.get(param))
                    if x is not None and x > 0:
                        label = case_label(case, rest)
                        series.setdefault(rest, {}).setdefault(label, {})[float(x)] = case
                        representative.setdefault(label, case)
            for rest, lines in series.items():
                xs = {x for points in lines.values() for x in points}
                if len(xs) < MIN_SWEEP_POINTS:
                    continue
                found_any = True
                stem = f"sweep-{param}-{workload}-{style.slug(target)}"
                if rest:
                    stem += f"-{style.slug(shape_text(rest))}"
                yield stem, sweep_figure(run, workload, target, param, rest, lines,
                                         representative)
    if not found_any:
        skip("sweep", f"no {' or '.join(SWEEP_PARAMS)} with >= {MIN_SWEEP_POINTS} values "
                      "and the other parameters fixed")


def sweep_figure(run, workload, target, param, rest, lines, representative):
    fig, axes = style.new_figure(6.5, 4.2)
    ax = axes[0][0]
    cases = []
    ordered = sorted(lines.items(), key=lambda item: (mode_rank(representative[item[0]].mode),
                                                      item[0]))
    for label, points in ordered:
        xs, medians, lows, highs = [], [], [], []
        for x in sorted(points):
            cases.append(points[x])
            s = summary(points[x].samples(THROUGHPUT))
            if s is None:
                continue
            low, high = error_bar(s)
            xs.append(x)
            medians.append(s.median)
            lows.append(s.median - low)
            highs.append(s.median + high)
        if not xs:
            continue
        column = representative[label].column
        ax.plot(xs, medians, label=label, **style.line_style(column))
        ax.fill_between(xs, lows, highs, color=style.mode_color(column), alpha=0.18,
                        linewidth=0)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel(param + (" (bytes)" if param == "record_size" else ""))
    ax.set_ylabel("ops/s (median, 95% CI band)")
    wrapped_title(ax, f"{workload} on {target}: throughput vs {param}"
                  + (f" ({shape_text(rest)})" if rest else ""), 6.5)
    ax.legend(**LEGEND_BESIDE)
    style.finish(fig, run.provenance(target), accel_of(run, target, cases))
    return fig


# --- first touch -----------------------------------------------------------------------------

def first_touch_figures(run: Run) -> Iterator[Figure]:
    by_target: dict[tuple[str, Shape], list[Case]] = {}
    for (workload, target), shapes in shapes_by_workload_target(run).items():
        if workload != "first-touch":
            continue
        for shape, cases in shapes.items():
            rest = tuple(kv for kv in shape if kv[0] != "file_state")
            by_target.setdefault((target, rest), []).extend(cases)
    if not by_target:
        skip("first-touch", "the run has no first-touch case")
    for (target, rest), cases in by_target.items():
        states = sorted({str(c.params.get("file_state", "?")) for c in cases})
        columns: dict[str, Case] = {}
        values, missing = {}, {}
        for case in sorted(cases, key=lambda c: (mode_rank(c.mode), c.column)):
            label = style.mode_label(case.column, case.durable)
            columns.setdefault(label, case)
            key = (str(case.params.get("file_state", "?")), label)
            s = summary(ns_per_op_samples(case))
            if s is None:
                missing[key] = case
            else:
                values[key] = s
        if not values:
            skip(f"first-touch on {target}", "no ok repetition")
            continue
        width = min(4 + 0.3 * len(states) * len(columns), 14)
        fig, axes = style.new_figure(width, 4.2)
        ax = axes[0][0]
        bar_chart(ax, states, columns, values, missing, "ns per first store to a page (median)")
        ax.set_xlabel("file state")
        wrapped_title(ax, f"first-touch on {target}: fault cost by file state"
                      + (f" ({shape_text(rest)})" if rest else "") + " — map-sync = MAP_SYNC",
                      width)
        style.finish(fig, run.provenance(target), accel_of(run, target, cases))
        stem = f"first-touch-{style.slug(target)}"
        yield (stem + (f"-{style.slug(shape_text(rest))}" if rest else "")), fig


# --- micro-benchmarks ------------------------------------------------------------------------

def micro_results(run: Run) -> dict[str, dict]:
    """Benchmark name -> {"counters": {...}, "error": str|None, "params": {...}, "parts": [...]}.
    With repetitions, Google Benchmark's median aggregate; otherwise the iteration entry."""
    benchmarks = (run.micro or {}).get("benchmarks", [])
    medians = [b for b in benchmarks
               if b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median"]
    chosen = medians or [b for b in benchmarks if b.get("run_type", "iteration") == "iteration"]
    results = {}
    for bench in chosen:
        name = bench.get("run_name") or bench["name"]
        parts = name.split("/")
        params = dict(p.split(":", 1) for p in parts if ":" in p)
        error = bench.get("error_message") if bench.get("error_occurred") else None
        results.setdefault(name, {"bench": bench, "error": error, "params": params,
                                  "parts": [p for p in parts if ":" not in p]})
    return results


def micro_target(run: Run) -> str:
    return str((run.context.get("micro") or {}).get("target") or "host")


def micro_provenance(run: Run) -> str:
    micro = run.context.get("micro") or {}
    return (run.provenance(micro_target(run))
            + f" | micro set {micro.get('set', '?')}"
            + f" | benchmark lib {micro.get('library_build_type', '?')}")


def micro_figures_possible(run: Run, figure: str) -> bool:
    if run.micro is None:
        skip(figure, "the run has no micro.json")
        return False
    return True


def micro_fault_figures(run: Run) -> Iterator[Figure]:
    if not micro_figures_possible(run, "micro fault"):
        return
    values, missing = {}, {}
    states: list[str] = []
    for name, result in micro_results(run).items():
        parts = result["parts"]
        if parts[0] != "fault" or len(parts) < 2:
            continue
        state = parts[1]
        mapping = parts[2] if len(parts) > 2 and parts[2].startswith("map_") else "map_private"
        if state not in states:
            states.append(state)
        key = (state, mapping)
        ns = result["bench"].get("ns_per_op")
        if result["error"] or ns is None:
            missing[key] = result["error"] or "no ns_per_op"
        else:
            values[key] = float(ns)
    if not values:
        skip("micro fault", "micro.json has no fault/ benchmark result")
        return
    mappings = [m for m in ("map_shared", "map_sync", "map_private")
                if any(k[1] == m for k in [*values, *missing])]
    look = {"map_shared": ("msync", "MAP_SHARED"), "map_sync": ("map-sync", "MAP_SYNC"),
            "map_private": ("none", "anonymous (DRAM)")}
    fig, axes = style.new_figure(6.5, 4.2)
    ax = axes[0][0]
    width = 0.8 / len(mappings)
    for index, mapping in enumerate(mappings):
        offset = (index - (len(mappings) - 1) / 2) * width
        mode, label = look[mapping]
        xs = [s + offset for s, state in enumerate(states) if (state, mapping) in values]
        ys = [values[(state, mapping)] for state in states if (state, mapping) in values]
        ax.bar(xs, ys, width, label=label, **style.bar_style(mode))
        for s, state in enumerate(states):
            if (state, mapping) in missing:
                where = transforms.blended_transform_factory(ax.transData, ax.transAxes)
                ax.text(s + offset, 0.02, "refused", transform=where, rotation=90,
                        ha="center", va="bottom", fontsize=6, color="#555555")
    ax.set_xticks(range(len(states)), states)
    ax.set_ylabel("ns per first store to a page")
    ax.set_title("micro: first-touch fault by file state, MAP_SHARED vs MAP_SYNC")
    ax.legend()
    refused = sorted({why for why in missing.values()})
    if refused:
        ax.text(0.01, 0.98, "refused: " + "; ".join(refused)[:140], transform=ax.transAxes,
                fontsize=6, va="top")
    style.finish(fig, micro_provenance(run), None)
    yield f"micro-fault-{style.slug(micro_target(run))}", fig


def micro_flush_figures(run: Run) -> Iterator[Figure]:
    if not micro_figures_possible(run, "micro flush"):
        return
    curves: dict[int, dict[str, list[tuple[int, float]]]] = {}
    unsupported = set()
    for result in micro_results(run).values():
        parts, params = result["parts"], result["params"]
        if parts[0] != "flush" or parts[2:4] != ["dirty", "seq"]:
            continue
        if params.get("memory") != "file" or "size" not in params:
            continue
        if result["error"]:
            unsupported.add(parts[1])
            continue
        per_line = result["bench"].get("ns_per_line")
        if per_line is None:
            continue
        fence_every = int(params.get("fence_every", 1))
        curves.setdefault(fence_every, {}).setdefault(parts[1], []).append(
            (int(params["size"]), float(per_line)))
    if not curves:
        skip("micro flush", "micro.json has no dirty/seq/file flush benchmark result")
        return
    fences = sorted(curves)
    fig, axes = style.new_figure(3.6 * len(fences) + 0.6, 4, ncols=len(fences), sharey=True)
    for ax, fence_every in zip(axes[0], fences):
        for primitive in sorted(curves[fence_every], key=flush_rank):
            points = sorted(curves[fence_every][primitive])
            ax.plot([p[0] for p in points], [p[1] for p in points], label=primitive,
                    color=style.flush_color(primitive), marker=style.flush_marker(primitive),
                    markersize=4)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("bytes per operation")
        ax.set_title(f"SFENCE every {fence_every} line{'s' if fence_every > 1 else ''}")
    axes[0][0].set_ylabel("ns per cache line")
    axes[0][0].legend()
    note = f" (unsupported here: {', '.join(sorted(unsupported))})" if unsupported else ""
    fig.suptitle("micro: cost per cache line by flush primitive, dirty, sequential, file"
                 + note)
    style.finish(fig, micro_provenance(run), None)
    yield f"micro-flush-{style.slug(micro_target(run))}", fig


def flush_rank(primitive: str) -> int:
    order = style.FLUSH_ORDER
    return order.index(primitive) if primitive in order else len(order)


def micro_nt_vs_clwb_figures(run: Run) -> Iterator[Figure]:
    if not micro_figures_possible(run, "micro nt-vs-clwb"):
        return
    curves: dict[str, dict[str, list[tuple[int, float]]]] = {}
    for result in micro_results(run).values():
        parts, params = result["parts"], result["params"]
        if parts[0] != "nt_vs_clwb" or result["error"] or "size" not in params:
            continue
        per_line = result["bench"].get("ns_per_line")
        if per_line is not None:
            curves.setdefault(params.get("memory", "?"), {}).setdefault(parts[1], []).append(
                (int(params["size"]), float(per_line)))
    if not curves:
        skip("micro nt-vs-clwb", "micro.json has no nt_vs_clwb benchmark result (set quick?)")
        return
    memories = sorted(curves)
    fig, axes = style.new_figure(4.2 * len(memories) + 0.6, 4, ncols=len(memories))
    for ax, memory in zip(axes[0], memories):
        for variant in sorted(curves[memory]):
            points = sorted(curves[memory][variant])
            ax.plot([p[0] for p in points], [p[1] for p in points],
                    label="memcpy + CLWB" if variant == "clwb" else "non-temporal stores",
                    color=style.flush_color(variant), marker=style.flush_marker(variant),
                    markersize=4)
        crossover = nt_crossover(curves[memory])
        if crossover:
            ax.axvline(crossover, color="#777777", linestyle=":", linewidth=0.8)
            ax.text(crossover, 0.97, f" NT cheaper from {crossover} B",
                    transform=transforms.blended_transform_factory(ax.transData, ax.transAxes),
                    fontsize=7, va="top")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("bytes per operation")
        ax.set_ylabel("ns per cache line")
        ax.set_title(f"memory: {memory}")
        ax.legend(loc="lower left")
    fig.suptitle("micro: memcpy + CLWB vs non-temporal stores (+ SFENCE)")
    style.finish(fig, micro_provenance(run), None)
    yield f"micro-nt-vs-clwb-{style.slug(micro_target(run))}", fig


def nt_crossover(curves: dict[str, list[tuple[int, float]]]) -> int | None:
    """The smallest size from which non-temporal stores stay cheaper than CLWB."""
    clwb, nt = dict(curves.get("clwb", [])), dict(curves.get("nt", []))
    sizes = sorted(set(clwb) & set(nt))
    for index, size in enumerate(sizes):
        if all(nt[s] < clwb[s] for s in sizes[index:]):
            return size
    return None


# --- crash matrix ----------------------------------------------------------------------------

def crash_figures(run: Run) -> Iterator[Figure]:
    if run.crash is None:
        skip("crash", "the run has no crash.jsonl")
        return
    by_workload: dict[str, list[dict]] = {}
    for record in run.crash:
        if "mode" in record and "target" in record:
            by_workload.setdefault(str(record.get("workload", "?")), []).append(record)
    if not by_workload:
        skip("crash", "crash.jsonl has no record with a mode and target")
    for workload, records in by_workload.items():
        yield f"crash-{style.slug(workload)}", crash_figure(run, workload, records)


def worst_verdict(verdicts: set[str]) -> str:
    known = [v for v in VERDICT_SEVERITY if v in verdicts]
    return known[0] if known else ",".join(sorted(verdicts))


def crash_column(record: dict) -> tuple[str, str]:
    """(target, file state), the state marked when a second process write()s the same file."""
    state = str(record.get("file_state", "?"))
    write = record.get("concurrent_write")
    if isinstance(write, dict):
        state += f"\n+write() {write.get('placement', '?')}"
    return str(record["target"]), state


def crash_figure(run: Run, workload: str, records: list[dict]):
    modes = sorted({r["mode"] for r in records}, key=lambda m: (mode_rank(m), m))
    columns = sorted({crash_column(r) for r in records})
    cells: dict[tuple[str, tuple[str, str]], dict] = {}
    for r in records:
        cell = cells.setdefault((r["mode"], crash_column(r)),
                                {"acked": 0, "lost": 0, "verdicts": set()})
        cell["acked"] += int(r.get("acknowledged") or 0)
        cell["lost"] += int(r.get("lost") or 0)
        cell["verdicts"].add(str(r.get("verdict", "?")))
    loss = np.full((len(modes), len(columns)), np.nan)
    for (mode, column), cell in cells.items():
        if cell["acked"]:
            loss[modes.index(mode), columns.index(column)] = cell["lost"] / cell["acked"]
    fig, axes = style.new_figure(1.5 + 1.25 * len(columns), 1.2 + 0.55 * len(modes))
    ax = axes[0][0]
    ax.grid(False)
    cmap = mcolors.LinearSegmentedColormap.from_list(
        "loss", ["#FFFFFF", style.OKABE_ITO["orange"], style.OKABE_ITO["vermillion"]])
    cmap.set_bad("#DDDDDD")
    # A square-root scale: a few lost records out of many must not look safe.
    image = ax.imshow(np.ma.masked_invalid(loss), cmap=cmap, aspect="auto",
                      norm=mcolors.PowerNorm(0.5, vmin=0, vmax=1))
    for (mode, column), cell in cells.items():
        y, x = modes.index(mode), columns.index(column)
        dark = not math.isnan(loss[y, x]) and loss[y, x] > 0.6
        verdict = worst_verdict(cell["verdicts"])
        ax.text(x, y, f"{cell['lost']}/{cell['acked']}\n{verdict}", ha="center", va="center",
                fontsize=7, color="white" if dark else "black",
                fontweight="bold" if verdict == "FAIL" else "normal")
        if verdict == "FAIL":   # a broken promise stands out whatever the loss
            ax.add_patch(Rectangle((x - 0.48, y - 0.48), 0.96, 0.96, fill=False,
                                   edgecolor=style.OKABE_ITO["black"], linewidth=2))
    ax.set_xticks(range(len(columns)), [f"{state}\n{target}" for target, state in columns],
                  fontsize=7)
    ax.set_yticks(range(len(modes)), modes)
    ax.set_title(f"crash: {workload} — lost acknowledged records / acknowledged (0 = safe)")
    fig.colorbar(image, ax=ax, label="lost / acknowledged")
    targets = sorted({target for target, _ in columns})
    accels = sorted({a for t in targets if (a := accel_of(run, t))})
    style.finish(fig, run.provenance() + f" | targets {', '.join(targets)}",
                 "/".join(accels) if accels else None)
    return fig
