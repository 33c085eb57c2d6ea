"""The crash figure, one per workload and persistence domain: modes (with their flush) x
(filesystem, file state) cells coloured by the
share of acknowledged records lost, each with lost/acknowledged and its verdict (the
registry's rule, model/registry.py); a FAIL is framed."""
from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.patches import Rectangle

from daxbench_analysis.model.run import Run
from daxbench_analysis.plots import style
from daxbench_analysis.plots.common import Figure, accel_of, skip, wrapped_title


def crash_figures(run: Run) -> Iterator[Figure]:
    if run.crash is None:
        skip("crash", "the run has no crash.jsonl")
        return
    # One figure per workload and domain: ADR and eADR side by side would double its width.
    by_figure: dict[tuple[str, str], list[dict]] = {}
    for record in run.crash:
        if "mode" in record and "target" in record:
            key = (str(record.get("workload", "?")), str(record.get("persistence", "")))
            by_figure.setdefault(key, []).append(record)
    if not by_figure:
        skip("crash", "crash.jsonl has no record with a mode and target")
    for (workload, domain), records in by_figure.items():
        name = f"crash-{style.slug(workload)}" + (f"-{domain}" if domain else "")
        yield name, crash_figure(run, workload, records, domain)


def crash_row(record: dict) -> str:
    """The mode, with its flush when it is not the mode's own (`flush: none`: a control)."""
    flush = record.get("flush", "auto")
    return str(record["mode"]) + ("" if flush == "auto" else f" (flush {flush})")


def crash_column(record: dict) -> tuple[str, str]:
    """(target, file state), the state marked when a second process writes the same file."""
    state = str(record.get("file_state", "?"))
    write = record.get("concurrent_write")
    if isinstance(write, dict):
        placement = write.get("placement", "?")
        state += "\n+mmap stores" if placement == "mapped" else f"\n+write() {placement}"
    return str(record["target"]), state


def crash_figure(run: Run, workload: str, records: list[dict], domain: str = ""):
    modes = sorted({crash_row(r) for r in records},
                   key=lambda m: (run.mode_rank(m.split(" ")[0]), m))
    columns = sorted({crash_column(r) for r in records})
    cells: dict[tuple[str, tuple[str, str]], dict] = {}
    for r in records:
        cell = cells.setdefault((crash_row(r), crash_column(r)),
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
        # A cell over its cuts: the driver's rule, as in the report's crash matrix.
        verdict = run.registry.cell_verdict(cell["verdicts"])
        ax.text(x, y, f"{cell['lost']}/{cell['acked']}\n{verdict}", ha="center", va="center",
                fontsize=7, color="white" if dark else "black",
                fontweight="bold" if verdict == "FAIL" else "normal")
        if verdict == "FAIL":   # a broken promise stands out whatever the loss
            ax.add_patch(Rectangle((x - 0.48, y - 0.48), 0.96, 0.96, fill=False,
                                   edgecolor=style.OKABE_ITO["black"], linewidth=2))
    ax.set_xticks(range(len(columns)), [f"{state}\n{target}" for target, state in columns],
                  fontsize=7)
    ax.set_yticks(range(len(modes)), modes)
    where = f", {domain.upper()}" if domain else ""
    wrapped_title(ax, f"crash: {workload}{where} — lost acknowledged records (strict image) "
                  "/ acknowledged (0 = safe)", 1.5 + 1.25 * len(columns))
    fig.colorbar(image, ax=ax, label="lost / acknowledged")
    targets = sorted({target for target, _ in columns})
    accels = sorted({a for t in targets if (a := accel_of(run, t))})
    style.finish(fig, run.provenance() + f" | targets {', '.join(targets)}",
                 "/".join(accels) if accels else None)
    return fig
