"""The look every daxbench figure shares: one fixed colour, hatch and marker per mode and per
flush primitive (Okabe-Ito, colour-blind safe, and still readable in greyscale), and the small
print (provenance, the EMULATED label) that keeps a figure honest once it leaves its folder."""
from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")  # before pyplot: figures are files, never windows
import matplotlib.pyplot as plt  # noqa: E402

from daxbench_analysis.model.registry import FALLBACK  # noqa: E402

# Okabe & Ito (2008), "Color Universal Design": distinguishable under every common form of
# colour blindness.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
UNKNOWN_COLOR = "#999999"

# A look per mode the registry knows (model/registry.py), in its order; another mode is grey.
MODE_ORDER = FALLBACK.modes
# Syscall modes in blues/green, the user-space flushing modes in warm colours, the controls
# last: yellow only with a black edge and a hatch, since it is faint on white.
MODE_COLORS = dict(zip(MODE_ORDER, (
    OKABE_ITO["blue"], OKABE_ITO["sky_blue"], OKABE_ITO["green"], OKABE_ITO["purple"],
    OKABE_ITO["vermillion"], OKABE_ITO["orange"], OKABE_ITO["yellow"], OKABE_ITO["black"])))
MODE_HATCHES = dict(zip(MODE_ORDER, ("", "//", "\\\\", "xx", "..", "++", "oo", "--")))
MODE_MARKERS = dict(zip(MODE_ORDER, ("o", "s", "^", "v", "D", "P", "X", "*")))
MODE_LINESTYLES = dict(zip(MODE_ORDER, ("-", "--", "-.", ":", "-", "--", "-.", ":")))

FLUSH_ORDER = ("clwb", "clflushopt", "clflush", "ntstore", "libpmem", "none")
FLUSH_COLORS = dict(zip(FLUSH_ORDER, (
    OKABE_ITO["blue"], OKABE_ITO["green"], OKABE_ITO["purple"], OKABE_ITO["vermillion"],
    OKABE_ITO["orange"], OKABE_ITO["black"])))
FLUSH_MARKERS = dict(zip(FLUSH_ORDER, ("o", "s", "^", "D", "P", "X")))
# nt_vs_clwb's two variants use the colours of the primitives they are.
FLUSH_COLORS["nt"] = FLUSH_COLORS["ntstore"]
FLUSH_MARKERS["nt"] = FLUSH_MARKERS["ntstore"]

PNG_DPI = 150
TOP_STRIP_INCHES = 0.25     # kept free at the top of every figure for the EMULATED label
BOTTOM_STRIP_INCHES = 0.22  # and at the bottom for the provenance line
SMALL_PRINT_SIZE = 6
EMULATED_COLOR = OKABE_ITO["vermillion"]

matplotlib.rcParams.update({
    "font.size": 9,
    "axes.titlesize": 10,
    "legend.fontsize": 7,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "hatch.linewidth": 0.6,
    "svg.fonttype": "none",      # text stays text in the SVG: searchable, and testable
    "svg.hashsalt": "daxbench",  # stable ids: the same run gives byte-identical SVGs
    "pdf.fonttype": 42,          # TrueType in PDFs, as paper templates ask
})


def mode_of(column: str) -> str:
    """`flush-only flush=clwb` -> `flush-only`."""
    return column.split(" ", 1)[0]


def mode_color(mode: str) -> str:
    return MODE_COLORS.get(mode_of(mode), UNKNOWN_COLOR)


def mode_hatch(mode: str) -> str:
    return MODE_HATCHES.get(mode_of(mode), "")


def mode_marker(mode: str) -> str:
    return MODE_MARKERS.get(mode_of(mode), "o")


def mode_linestyle(mode: str) -> str:
    return MODE_LINESTYLES.get(mode_of(mode), "-")


def flush_color(primitive: str) -> str:
    return FLUSH_COLORS.get(primitive, UNKNOWN_COLOR)


def flush_marker(primitive: str) -> str:
    return FLUSH_MARKERS.get(primitive, "o")


def mode_label(column: str, status: str, durable: bool) -> str:
    """A legend entry from the case's record: a mode that did not run says why (its
    status, e.g. unsupported), one that ran but whose promise does not hold here says so."""
    if status != "ok":
        return f"{column} ({status})"
    return column if durable else f"{column} (not durable)"


def status_word(label: str) -> str | None:
    """What mode_label added to a label: "unsupported", "not durable", ... or None."""
    match = re.search(r" \(([^()]*)\)$", label)
    return match[1] if match else None


def bar_style(column: str) -> dict:
    """Keyword arguments for Axes.bar: colour plus a hatch, so greyscale prints still differ."""
    return {"facecolor": mode_color(column), "hatch": mode_hatch(column), "edgecolor": "black",
            "linewidth": 0.5}


def line_style(column: str) -> dict:
    return {"color": mode_color(column), "marker": mode_marker(column),
            "linestyle": mode_linestyle(column), "markersize": 4, "linewidth": 1.2}


def slug(text: str) -> str:
    """A file-name-safe piece: `file:/var/tmp` -> `file-var-tmp`."""
    return re.sub(r"[^A-Za-z0-9._]+", "-", text).strip("-") or "none"


def emulated_label(accel: str) -> str:
    return f"EMULATED ({accel.upper()}): counts exact, times not native"


def new_figure(width: float, height: float, **kwargs):
    """A figure with room left at the bottom and top for the small print and the label."""
    fig, axes = plt.subplots(figsize=(width, height), squeeze=False, layout="constrained",
                             **kwargs)
    fig.daxbench_strips = {"top": TOP_STRIP_INCHES, "bottom": BOTTOM_STRIP_INCHES}
    reserve_top(fig, 0.0)
    return fig, axes


def _apply_strips(fig) -> None:
    height = fig.get_figheight()
    bottom = fig.daxbench_strips["bottom"] / height
    top = fig.daxbench_strips["top"] / height
    fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom - top))


def reserve_top(fig, inches: float) -> None:
    """Keeps the top strip (EMULATED label) plus `inches` (a hand-placed title) free of axes."""
    fig.daxbench_strips["top"] = TOP_STRIP_INCHES + inches
    _apply_strips(fig)


def text_inches(fig, text) -> tuple[float, float]:
    """(width, height) of a Text artist as the renderer draws it."""
    extent = text.get_window_extent(fig.canvas.get_renderer())
    return extent.width / fig.dpi, extent.height / fig.dpi


def fit_lines(fig, pieces: list[str], sep: str, width_inches: float, **text_kwargs) -> str:
    """pieces joined by sep, broken into lines that each fit width_inches as drawn."""
    lines: list[str] = []
    probe = fig.text(0, 0, "", **text_kwargs)

    def fits(text: str) -> bool:
        probe.set_text(text)
        return text_inches(fig, probe)[0] <= width_inches

    # A piece wider than the figure on its own (a long kernel string) breaks at its spaces,
    # a word wider than it (a shape) after its commas.
    split = []
    for piece in pieces:
        words = [part for word in piece.split(" ")
                 for part in ([word] if fits(word) else re.findall(r"[^,]+,?", word))]
        while words and not fits(" ".join(words)):
            cut = max((n for n in range(1, len(words)) if fits(" ".join(words[:n]))),
                      default=1)
            split.append(" ".join(words[:cut]))
            words = words[cut:]
        if words:
            split.append(" ".join(words))
    for piece in split:
        candidate = f"{lines[-1]}{sep}{piece}" if lines else piece
        probe.set_text(candidate)
        if lines and text_inches(fig, probe)[0] > width_inches:
            lines.append(piece)
        elif lines:
            lines[-1] = candidate
        else:
            lines.append(piece)
    probe.remove()
    return "\n".join(lines)


def finish(fig, provenance: str, emulated: str | None, footnote: str = "") -> None:
    """Adds the provenance at the bottom, wrapped at its " | " to the figure's width (a long
    kernel string must not run off the canvas), an optional footnote above it, and, for an
    emulated target, the label on top. The bottom strip is what they measure."""
    margin = 0.04
    small = {"fontsize": SMALL_PRINT_SIZE, "ha": "left", "va": "bottom"}
    wrapped = fit_lines(fig, provenance.split(" | "), " | ",
                        fig.get_figwidth() - 2 * margin, **small)
    line = fig.text(margin / fig.get_figwidth(), margin / fig.get_figheight(), wrapped,
                    color="#444444", **small)
    bottom = text_inches(fig, line)[1] + 2 * margin
    if footnote:
        note = fig.text(margin / fig.get_figwidth(), bottom / fig.get_figheight(), footnote,
                        **small)
        bottom += text_inches(fig, note)[1] + margin
    fig.daxbench_strips["bottom"] = bottom
    _apply_strips(fig)
    if emulated:
        fig.text(0.995, 0.995, emulated_label(emulated), fontsize=8, fontweight="bold",
                 color=EMULATED_COLOR, ha="right", va="top",
                 bbox={"facecolor": "white", "edgecolor": EMULATED_COLOR, "boxstyle": "round"})


def close(fig) -> None:
    plt.close(fig)
