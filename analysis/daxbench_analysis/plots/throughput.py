"""Throughput figures: ops/s per mode, grouped by shape, with 95% intervals; and the parameter
sweeps (record_size, commit_every), ops/s against the parameter per mode."""
from __future__ import annotations

from collections.abc import Iterator

from daxbench_analysis.model.run import THROUGHPUT, Case, Run
from daxbench_analysis.plots import style
from daxbench_analysis.plots.common import (Figure, LEGEND_BESIDE, Shape, accel_of, bar_chart,
                                            case_label, error_bar, file_state, group_text,
                                            note_label, numeric, ordered_columns,
                                            shape_text, shapes_by_workload_target, skip, summary,
                                            wrapped_title)

SWEEP_PARAMS = ("record_size", "commit_every")
MIN_SWEEP_POINTS = 3


def throughput_figures(run: Run) -> Iterator[Figure]:
    for (workload, target), shapes in shapes_by_workload_target(run).items():
        all_cases = [c for cases in shapes.values() for c in cases]
        if not any(c.samples(THROUGHPUT) for c in all_cases):
            skip(f"throughput {workload} on {target}", "no ok repetition")
            continue
        shape_of = {c.case_id: s for s, cases in shapes.items() for c in cases}
        columns = ordered_columns(all_cases, lambda c: shape_of[c.case_id])
        mixed = file_state(all_cases) is None
        groups = [group_text(s, cases, mixed) for s, cases in shapes.items()]
        values, missing, by_key = {}, {}, {}
        for group, (shape, cases) in zip(groups, shapes.items()):
            for case in cases:
                key = (group, case_label(case, shape))
                by_key[key] = case
                s = summary(case.samples(THROUGHPUT))
                if s is None:
                    missing[key] = case
                else:
                    values[key] = s
        most = max(sum(1 for g, _ in by_key if g == group) for group in groups)
        width = min(4 + 0.35 * len(groups) * most, 16)
        fig, axes = style.new_figure(width, 4.2)
        ax = axes[0][0]
        bar_chart(ax, groups, columns, values, missing, "ops/s (median, 95% CI)", by_key)
        if len(groups) == 1:
            ax.set_xticks([0], [""])   # the one shape is in the title
        wrapped_title(ax, f"{workload} on {target}: throughput per mode"
                      + (f" ({groups[0]})" if len(groups) == 1 else " by shape"), width)
        style.finish(fig, run.provenance(target), accel_of(run, target, all_cases))
        yield f"throughput-{workload}-{style.slug(target)}", fig


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
                xs = {x for label, points in lines.items() for x, c in points.items()
                      if c.samples(THROUGHPUT)}
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
    ordered = sorted(lines.items(), key=lambda item: (run.mode_rank(representative[item[0]].mode),
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
        note_label(fig, label, list(points.values()))
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
