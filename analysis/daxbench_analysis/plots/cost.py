"""Cost per operation by cause: per shape, a panel per cause (syscalls, page faults, journal
commits, lines flushed, fences) with each mode's counter per operation."""
from __future__ import annotations

import textwrap
from collections.abc import Iterator

import numpy as np

from daxbench_analysis import stats
from daxbench_analysis.model.run import Case, Run
from daxbench_analysis.plots import style
from daxbench_analysis.plots.common import (Figure, accel_of, counter_samples, drawn,
                                            error_bar, mark_missing, note_label,
                                            ordered_columns, shape_text,
                                            shapes_by_workload_target, skip, wrapped_title)

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
    width = max(2.6 * len(panels) + 0.5, 4.5)
    fig, axes = style.new_figure(width, 4.2, ncols=len(panels))
    for label, case in columns.items():
        note_label(fig, label, [case])
    for index, (ax, (title, unit, per_case)) in enumerate(zip(axes[0], panels)):
        drawn(fig)["groups"][(index, title)] = list(columns.values())
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
        # The counters go under the panel's title, wrapped to its width: as a y label they
        # ran past the axes' height into the titles above.
        named = [] if used == [title.replace(" ", "_")] else textwrap.wrap(", ".join(used), 30)
        ax.set_title("\n".join([title, *named]), fontsize=9)
        ax.set_ylabel(unit, fontsize=7)
    wrapped_title(fig, f"{workload} on {target} ({shape_text(shape)}): cost per operation by "
                  "cause (median, 95% CI; journal counters are system-wide)",
                  width, suptitle=True)
    style.finish(fig, run.provenance(target), accel_of(run, target, cases))
    return fig
