"""The one-time cost of sealing against the cost per fault, over working-set size: per target,
S (sealing one file) beside what faulting every page of it once costs its partner beyond the
fault itself (pages x the per-fault extra cost). Where a partner's line is above S, one pass
over the file already pays for the seal; N (the report's table) says how many faults do."""
from __future__ import annotations

import math
from collections.abc import Iterator

from daxbench_analysis.model.break_even import SEALED, BreakEven, break_evens
from daxbench_analysis.model.run import Run
from daxbench_analysis.plots import style
from daxbench_analysis.plots.common import Figure, accel_of, skip, wrapped_title


def _bars(values: list[tuple[float, float, float]]) -> list[list[float]]:
    """Error bar lengths below and above each median (0 where the interval is unknown)."""
    low = [m - lo if math.isfinite(lo) else 0.0 for m, lo, _ in values]
    high = [hi - m if math.isfinite(hi) else 0.0 for m, _, hi in values]
    return [[max(v, 0.0) for v in low], [max(v, 0.0) for v in high]]


def _line(ax, xs: list[int], values: list[tuple[float, float, float]], mode: str, label: str):
    ax.errorbar([x / 2**20 for x in xs], [m for m, _, _ in values], yerr=_bars(values),
                capsize=3, label=label, **style.line_style(mode))


def _size(size: int) -> str:
    return f"{size >> 30}G" if size >= 1 << 30 else f"{size >> 20}M"


def _not_drawn(group: list[BreakEven]) -> str:
    """One line per partner with sizes that have no line point: which, and the first words
    of why (the report lists the reasons whole)."""
    by_partner: dict[tuple[str, str], list[str]] = {}
    for r in group:
        if r.missing:
            short = r.missing.split(" on ")[0].split(":")[0]
            by_partner.setdefault((r.partner, short), []).append(_size(r.working_set))
    return "\n".join(f"not drawn: {partner} at {', '.join(sizes)} ({why})"
                     for (partner, why), sizes in by_partner.items())


def break_even_figures(run: Run) -> Iterator[Figure]:
    rows = break_evens(run)
    if not rows:
        skip("break-even", "the run has no sealed-extent case")
        return
    by_target: dict[tuple, list[BreakEven]] = {}
    for row in rows:
        by_target.setdefault((row.target, row.kernel), []).append(row)
    for (target, kernel), group in by_target.items():
        seal = {r.working_set: r.seal_ns for r in group if r.seal_ns}
        partners = {}
        for r in group:
            if r.fault_ns and not r.missing:
                partners.setdefault(r.partner, []).append(r)
        if not seal or not partners:
            skip(f"break-even on {target}", "no size has both the seal and a partner's cost")
            continue
        fig, axes = style.new_figure(7.5, 4.4)
        ax = axes[0][0]
        sizes = sorted(seal)
        _line(ax, sizes, [(seal[w].median / 1e6, seal[w].low / 1e6, seal[w].high / 1e6)
                          for w in sizes], SEALED, "sealed-extent: S, sealing the file once")
        for partner, found in partners.items():
            found = sorted(found, key=lambda r: r.working_set)
            _line(ax, [r.working_set for r in found],
                  [(r.pages * r.fault_ns.median / 1e6, r.pages * r.fault_ns.low / 1e6,
                    r.pages * r.fault_ns.high / 1e6) for r in found], partner,
                  f"{partner}: extra cost of one fault per page")
        ax.set_xscale("log", base=2)
        ticks = sorted({r.working_set for r in group})
        ax.set_xticks([w / 2**20 for w in ticks], [_size(w) for w in ticks])
        ax.minorticks_off()
        ax.set_yscale("log")
        ax.set_xlabel("working set per file")
        ax.set_ylabel("ms (median, 95% CI)")
        ax.legend(fontsize=7, loc="upper left", frameon=False)
        where = target + (f" kernel {kernel}" if kernel else "")
        wrapped_title(ax, f"sealing once vs paying per fault on {where}: above S, one pass over "
                      "the file pays for the seal", 7.5)
        style.finish(fig, run.provenance(target), accel_of(run, target),
                     footnote=_not_drawn(group))
        yield f"break-even-{style.slug(where)}", fig
