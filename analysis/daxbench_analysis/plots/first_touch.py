"""First-touch figures: per target, the cost of the first store to a page by file state and
mode (MAP_SYNC beside the others)."""
from __future__ import annotations

from collections.abc import Iterator

from daxbench_analysis.model.run import Case, Run
from daxbench_analysis.plots import style
from daxbench_analysis.plots.common import (Figure, Shape, accel_of, bar_chart, ns_per_op_samples,
                                            shape_text, shapes_by_workload_target, skip, summary,
                                            wrapped_title)


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
        values, missing, by_key = {}, {}, {}
        for case in sorted(cases, key=lambda c: (c.registry.mode_rank(c.mode), c.column)):
            label = style.mode_label(case.column, case.status, case.durable)
            columns.setdefault(label, case)
            key = (str(case.params.get("file_state", "?")), label)
            by_key[key] = case
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
        bar_chart(ax, states, columns, values, missing, "ns per first store to a page (median)",
                  by_key)
        ax.set_xlabel("file state")
        wrapped_title(ax, f"first-touch on {target}: fault cost by file state"
                      + (f" ({shape_text(rest)})" if rest else "") + " — map-sync = MAP_SYNC",
                      width)
        style.finish(fig, run.provenance(target), accel_of(run, target, cases))
        stem = f"first-touch-{style.slug(target)}"
        yield (stem + (f"-{style.slug(shape_text(rest))}" if rest else "")), fig
