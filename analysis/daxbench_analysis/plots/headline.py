"""The headline figure, one per run, for the seed question — how should an application make
stores to a DAX file durable, and what does each way cost? One row per target, DAX targets
first and a page-cache one last, said so: ops/s of every mode on every workload (one shape
each, the one most modes ran, each file state its own group so a mode is only drawn beside
baselines of its own file state), and the first-touch cost per page by file state with and
without MAP_SYNC. A bar says what its record says: not durable here is faded and labelled,
unsupported is an n/a mark, never a zero."""
from __future__ import annotations

from collections.abc import Iterator

from matplotlib import transforms
from matplotlib.patches import Patch

from daxbench_analysis.model.run import THROUGHPUT, Case, Run
from daxbench_analysis.plots import style
from daxbench_analysis.plots.common import (LEGEND_BESIDE, Figure, Shape, accel_of, bar_chart,
                                            case_label, file_state,
                                            ns_per_op_samples, shape_text,
                                            shapes_by_workload_target, skip, summary,
                                            wrapped_title)

FIRST_TOUCH = "first-touch"
# The first-touch panel: MAP_SYNC, the same stores and flushes without it (the first of these
# the run has: flush-only differs from map-sync in the mapping flag only; none, in the flushes
# too), and the durable way without it. Other modes are in the first-touch figures.
WITH_MAP_SYNC = "map-sync"
WITHOUT_MAP_SYNC = ("flush-only", "none")
DURABLE_WITHOUT_MAP_SYNC = "fdatasync"
# A group without this mode has no upper bound beside it: the figure says so.
UPPER_BOUND = "none"
STATE_ORDER = ("sparse", "fallocated", "zeroed")
NOT_DURABLE_ALPHA = 0.35
TICK_CHARS = 15


def headline_figures(run: Run) -> Iterator[Figure]:
    rows, without_ok = [], []
    for target in targets_in_order(run):
        row = target_row(run, target)
        # A panel where nothing ran would be n/a marks only: left out, and said so.
        for panel in ("throughput", "first_touch"):
            if not any(c.ok_records for _, cases in row[panel] for c in cases):
                row[panel] = []
        if row["throughput"] or row["first_touch"]:
            rows.append(row)
        else:
            without_ok.append(target)
    if not rows:
        skip("headline", "the run has no ok case")
        return
    yield "headline", headline_figure(run, rows, without_ok)


def targets_in_order(run: Run) -> list[str]:
    """DAX targets first (in the run's order), then the others: the question is about DAX,
    a page-cache target is the comparison."""
    targets = list(dict.fromkeys(c.target for c in run.cases.values()))
    return sorted(targets, key=lambda t: is_dax(run, t) is not True)


def is_dax(run: Run, target: str) -> bool | None:
    """context.json's verdict; a lab target is DAX (its guest context may be missing after a
    failed boot, its records still say emulated); None when the run does not say."""
    facts = run.target_context(target)
    if "dax" in facts:
        return bool(facts["dax"])
    if any(c.emulated for c in run.cases.values() if c.target == target):
        return True
    return None


def target_title(run: Run, target: str) -> str:
    accel = accel_of(run, target)
    if accel:
        return f"{target}: emulated pmem, {accel.upper()} times (not native)"
    dax = is_dax(run, target)
    return target if dax is None else (f"{target}: DAX" if dax
                                       else f"{target}: page cache, not DAX")


def state_of(cases: list[Case]) -> str:
    return file_state(cases) or "?"


def one_per_mode(cases: list[Case]) -> list[Case]:
    """A case per mode: its mode parameters at their defaults where the run has that (the
    flush-primitive cases are the flush figures')."""
    chosen: dict[str, Case] = {}
    for case in sorted(cases, key=lambda c: (c.registry.mode_rank(c.mode), c.column != c.mode,
                                             c.column)):
        chosen.setdefault(case.mode, case)
    return list(chosen.values())


def headline_shape(shapes: dict[Shape, list[Case]]) -> list[tuple[Shape, list[Case]]]:
    """The groups of one workload the headline shows: the shape (file state aside) that the
    most modes ran, fewest parameters and first seen on a tie; each file state of it apart,
    in STATE_ORDER."""
    by_rest: dict[Shape, list[tuple[Shape, list[Case]]]] = {}
    for shape, cases in shapes.items():
        rest = tuple(kv for kv in shape if kv[0] != "file_state")
        by_rest.setdefault(rest, []).append((shape, cases))
    order = list(by_rest)

    def rank(rest):
        modes = {c.mode for _, cases in by_rest[rest] for c in cases}
        return (-len(modes), len(rest), order.index(rest))

    best = min(by_rest, key=rank)
    return sorted(by_rest[best], key=lambda item: state_rank(state_of(item[1])))


def state_rank(state: str) -> int:
    return STATE_ORDER.index(state) if state in STATE_ORDER else len(STATE_ORDER)


def target_row(run: Run, target: str) -> dict:
    """The groups of the row's two panels, (group text, cases) each, and the parameters every
    throughput group shares (said once, in the panel's title, not under every group)."""
    chosen, first_touch = [], []
    for (workload, where), shapes in shapes_by_workload_target(run).items():
        if where != target:
            continue
        if workload == FIRST_TOUCH:
            first_touch = first_touch_groups(shapes)
            continue
        for shape, cases in headline_shape(shapes):
            chosen.append((workload, tuple(kv for kv in shape if kv[0] != "file_state"), cases))
    common = set.intersection(*(set(rest) for _, rest, _ in chosen)) if chosen else set()
    throughput = []
    for workload, rest, cases in chosen:
        own = shape_text(tuple(kv for kv in rest if kv not in common))
        text = workload + ("" if own == "defaults" else f" {own}")
        throughput.append((f"{tick_text(text)}\n[{state_of(cases)}]", one_per_mode(cases)))
    shared = shape_text(tuple(kv for kv in chosen[0][1] if kv in common)) if common else ""
    return {"target": target, "throughput": throughput, "first_touch": first_touch,
            "shared": shared}


def tick_text(text: str) -> str:
    """A group's name a piece a line (the workload, then each parameter), a parameter longer
    than TICK_CHARS broken after its `=` (trace=FILE): neighbouring groups' names must not
    run into each other."""
    workload, _, shape = text.partition(" ")
    lines = [workload]
    for piece in shape.split(",") if shape else []:
        if len(piece) > TICK_CHARS and "=" in piece:
            key, _, value = piece.partition("=")
            lines += [f"{key}=", value]
        else:
            lines.append(piece)
    return "\n".join(lines)


def first_touch_groups(shapes: dict[Shape, list[Case]]) -> list[tuple[str, list[Case]]]:
    groups = []
    for _, cases in headline_shape(shapes):
        modes = {c.mode: c for c in one_per_mode(cases)}
        without = next((m for m in WITHOUT_MAP_SYNC if m in modes), None)
        picked = [modes[m] for m in (DURABLE_WITHOUT_MAP_SYNC, WITH_MAP_SYNC, without)
                  if m in modes]
        if picked:
            groups.append((state_of(cases), picked))
    return groups


def bar_look(case: Case) -> dict:
    """Its mode's colour and hatch; faded with a dashed edge where the mode's promise does not
    hold on this target (the record's durable is false)."""
    look = style.bar_style(case.column)
    if case.status == "ok" and not case.durable:
        look.update(alpha=NOT_DURABLE_ALPHA, linestyle="--")
    return look


def draw_panel(ax, groups: list[tuple[str, list[Case]]], samples_of, ylabel: str,
               log: bool) -> dict:
    """Grouped bars (a log axis if `log`, else bar_chart's choice); returns the panel's legend
    label -> case."""
    columns: dict[str, Case] = {}
    values, missing, by_key = {}, {}, {}
    for group, cases in groups:
        for case in cases:
            label = case_label(case, ())
            columns.setdefault(label, case)
            by_key[(group, label)] = case
            s = summary(samples_of(case))
            if s is None:
                missing[(group, label)] = case
            else:
                values[(group, label)] = s
    names = [group for group, _ in groups]
    columns = dict(sorted(columns.items(),
                          key=lambda item: (item[1].registry.mode_rank(item[1].mode), item[0])))
    bar_chart(ax, names, columns, values, missing, ylabel, by_key, look=bar_look, legend=False)
    if log:
        ax.set_yscale("log")
    if ax.get_yscale() == "log":
        # At least a decade: a log axis over a narrow range labels only minor ticks, in
        # large print.
        low, high = ax.get_ylim()
        ax.set_ylim(min(low, high / 10), high)
    ax.set_xticks(range(len(names)), names, fontsize=6.5, rotation=0, ha="center")
    ax.tick_params(axis="y", which="both", labelsize=7)
    ax.yaxis.label.set_size(7.5)
    return columns


def mark_no_upper_bound(ax, groups: list[tuple[str, list[Case]]]) -> None:
    """Between this group and the next, a note where a group has no `none` beside it: its
    modes have no upper bound on their file state in this run."""
    where = transforms.blended_transform_factory(ax.transData, ax.transAxes)
    for g, (_, cases) in enumerate(groups):
        if not any(c.mode == UPPER_BOUND for c in cases):
            ax.text(g + 0.45, 0.03, f"no upper bound ({UPPER_BOUND}) on this file state",
                    transform=where, rotation=90, ha="center", va="bottom", fontsize=5.5,
                    color="#555555")


def headline_figure(run: Run, rows: list[dict], without_ok: list[str]):
    fig, axes = style.new_figure(12, 0.6 + 2.7 * len(rows))
    axes[0][0].remove()
    grid = fig.add_gridspec(len(rows), 2, width_ratios=[3.2, 1])
    emulated = None
    for index, panels in enumerate(rows):
        target = panels["target"]
        emulated = emulated or accel_of(run, target)
        labels: dict[str, Case] = {}
        # A row with one panel gives it the whole width.
        both = bool(panels["throughput"]) and bool(panels["first_touch"])
        tp_ax = fig.add_subplot(grid[index, 0] if both else grid[index, :]) \
            if panels["throughput"] else None
        ft_ax = fig.add_subplot(grid[index, 1] if both else grid[index, :]) \
            if panels["first_touch"] else None
        if tp_ax:
            labels.update(draw_panel(tp_ax, panels["throughput"], lambda c: c.samples(THROUGHPUT),
                                     "ops/s (median, 95% CI)", log=True))
            mark_no_upper_bound(tp_ax, panels["throughput"])
            tp_ax.set_title(f"{target_title(run, target)} — throughput per mode and workload"
                            + (f" ({panels['shared']})" if panels["shared"] else ""),
                            fontsize=8.5, loc="left")
        if ft_ax:
            for label, case in draw_panel(ft_ax, panels["first_touch"], ns_per_op_samples,
                                          "ns per page (median)", log=False).items():
                labels.setdefault(label, case)
            ft_ax.set_title(("" if tp_ax else f"{target_title(run, target)} — ")
                            + "first touch: fault + store + commit", fontsize=8.5, loc="left")
            ft_ax.set_xlabel("file state", fontsize=7)
        legend_ax = ft_ax or tp_ax
        ordered = sorted(labels.items(),
                         key=lambda item: (item[1].registry.mode_rank(item[1].mode), item[0]))
        legend_ax.legend(handles=[Patch(label=label, **bar_look(case)) for label, case in ordered],
                         fontsize=6.5, **LEGEND_BESIDE)
    wrapped_title(fig, "How to make stores to a DAX file durable, and what each way costs: "
                  "ops/s per mode (log scale) and the first-touch cost per page by file state",
                  12, suptitle=True)
    used = {c.mode for panels in rows for _, cases in panels["first_touch"] for c in cases}
    without = next((m for m in WITHOUT_MAP_SYNC if m in used), None)
    flushes = " and flushes" if without == WITHOUT_MAP_SYNC[0] else ""
    without_text = f"{without} makes the same stores{flushes} without it, " if without else ""
    footnote = (f"Faded, dashed bars: not durable on that target (the record's verdict); n/a: the "
                f"mode did not run there (its status). Each file state is its own group: a "
                f"mode is drawn only beside modes that ran on the same file state. First touch: "
                f"{WITH_MAP_SYNC} maps with MAP_SYNC; {without_text}"
                f"{DURABLE_WITHOUT_MAP_SYNC} is durable without it."
                + (f" Lab times are {(emulated or '').upper()} emulation times, not native; its "
                   "counts are exact."
                   if emulated else "")
                + (f" No case ran ok on {', '.join(without_ok)}: not drawn (report.txt says why)."
                   if without_ok else ""))
    footnote = style.fit_lines(fig, footnote.split(" "), " ", fig.get_figwidth() - 0.1,
                               fontsize=style.SMALL_PRINT_SIZE)
    # Every target drawn, as each figure names its own.
    style.finish(fig, run.provenance(", ".join(row["target"] for row in rows)), emulated,
                 footnote=footnote)
    return fig
