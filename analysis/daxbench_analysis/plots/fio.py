"""The daxbench-vs-fio figure, one per target: per mirrored case a pair of bars, daxbench's
ops/s filled in its mode's colour and hatch, fio's outlined in the same, the ratio
fio/daxbench above the pair, and the mapping caveats (fio's whole-mapping msync first) as a
footnote on the figure itself, where a reader of the figure alone will see them."""
from __future__ import annotations

import textwrap
from collections.abc import Iterator

from matplotlib import transforms
from matplotlib.patches import Patch

from daxbench_analysis.model import fio
from daxbench_analysis.model.run import Run
from daxbench_analysis.numbers import format_ratio
from daxbench_analysis.plots import style
from daxbench_analysis.plots.common import LEGEND_BESIDE, accel_of, error_bar, skip, \
    use_log_scale, wrapped_title

FOOTNOTE_LINE_INCHES = 0.11
BAR_WIDTH = 0.38
MISSING_TEXT = {"unsupported": "fio cannot express", "failed": "fio failed",
                "no-daxbench": "daxbench did not run"}


def fio_bar_style(mode: str) -> dict:
    """fio's bar: the mode's colour and hatch as an outline on white, beside daxbench's
    filled bar, so the pair reads as one mode and two tools, in colour and in greyscale."""
    return {"facecolor": "white", "edgecolor": style.mode_color(mode),
            "hatch": style.mode_hatch(mode), "linewidth": 1.2}


def fio_figures(run: Run) -> Iterator[tuple[str, object]]:
    found = fio.pairs(run)
    if not found:
        skip("daxbench vs fio", "the run has no fio record")
        return
    for target, group in fio.by_target(found).items():
        yield f"fio-vs-daxbench-{style.slug(target)}", figure(run, target, group)


def footnote_lines(group: list[fio.Pair], width_inches: float) -> list[str]:
    chars = int(width_inches * 19)   # characters of SMALL_PRINT_SIZE text per inch, about
    lines = []
    for note in fio.caveats(group):
        lines += textwrap.wrap("* " + note, chars, subsequent_indent="   ",
                               break_on_hyphens=False)
    return lines


def figure(run: Run, target: str, group: list[fio.Pair]):
    width = min(4.5 + 1.0 * len(group), 14)
    notes = footnote_lines(group, width)
    footnote_inches = FOOTNOTE_LINE_INCHES * len(notes) + (0.05 if notes else 0)
    # Taller by the footnote, which style.finish puts between the axes and the provenance.
    fig, axes = style.new_figure(width, 4.2 + footnote_inches)
    ax = axes[0][0]
    where = transforms.blended_transform_factory(ax.transData, ax.transAxes)
    tops = []
    for x, pair in enumerate(group):
        for offset, summary, look in ((-BAR_WIDTH / 2, pair.daxbench,
                                       style.bar_style(pair.mode)),
                                      (BAR_WIDTH / 2, pair.fio, fio_bar_style(pair.mode))):
            if summary is None:   # daxbench's bar stays where fio has none beside it
                continue
            low, high = error_bar(summary)
            ax.bar([x + offset], [summary.median], BAR_WIDTH, yerr=[[low], [high]], capsize=2,
                   error_kw={"linewidth": 0.8}, **look)
            tops.append(summary.median)
        if pair.status != "ok":
            ax.text(x + (BAR_WIDTH / 2 if pair.daxbench else 0), 0.02,
                    MISSING_TEXT.get(pair.status, pair.status), transform=where, rotation=90,
                    ha="center", va="bottom", fontsize=7, color="#555555")
            continue
        top = max(pair.daxbench.median + error_bar(pair.daxbench)[1],
                  pair.fio.median + error_bar(pair.fio)[1])
        ax.annotate(format_ratio(pair.ratio), (x, top), xytext=(0, 3),
                    textcoords="offset points", ha="center", va="bottom", fontsize=7,
                    fontweight="bold" if pair.verdict == fio.VERDICT_DIFFER else "normal")
    if use_log_scale(tops):
        ax.set_yscale("log")
    ax.margins(y=0.12)   # room for the ratios above the tallest pair
    ax.set_xlim(-0.6, len(group) - 0.4)
    ax.set_xticks(range(len(group)), ["\n".join(textwrap.wrap(p.label, 16)) for p in group],
                  fontsize=7)
    ax.set_ylabel("ops/s (median, 95% CI)")
    modes = list(dict.fromkeys(p.mode for p in group))
    handles = [Patch(label=mode, **style.bar_style(mode)) for mode in modes]
    handles += [Patch(label="daxbench: filled", facecolor="#999999", edgecolor="black",
                      linewidth=0.5),
                Patch(label="fio: outlined", facecolor="white", edgecolor="#555555",
                      linewidth=1.2)]
    ax.legend(handles=handles, **LEGEND_BESIDE)
    wrapped_title(ax, f"daxbench vs fio on {target}: ops/s per case; "
                        "fio/daxbench above each pair", width)
    style.finish(fig, run.provenance(target),
                 next((p.emulated for p in group if p.emulated), None)
                 or accel_of(run, target), footnote="\n".join(notes))
    return fig
