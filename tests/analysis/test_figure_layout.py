"""Figures a paper can print, checked on the drawn figure rather than by eye: no two texts
overlap (titles, axis labels, tick labels of different axes, legends, the small print), no
text leaves the canvas, every axes and every group of bars has data, a group of bars sits on
its tick with no empty slot, no legend covers plotted data, a legend's status word is what the
records say, and the modes a group compares ran on the same file state."""
import matplotlib.text
import numpy as np
import pytest
from matplotlib.patches import Rectangle

import fixtures
from daxbench_analysis import plots
from daxbench_analysis.model.run import load_run
from daxbench_analysis.plots import fio as fio_plots
from daxbench_analysis.plots import style

TOLERANCE_PX = 0.5   # texts that only touch do not overlap

RUNS = {
    "plots": fixtures.make_plots_run,
    "wide": fixtures.make_wide_run,
    "host": fixtures.make_figure_host_run,
    "lab": fixtures.make_figure_lab_run,
    "attribution": fixtures.make_attribution_run,
    "break-even": fixtures.make_break_even_run,
}


def drawn_texts(fig) -> list:
    """The Text artists the renderer actually drew (visible, non-empty, ticks in view)."""
    found = []
    original = matplotlib.text.Text.draw

    def record(self, renderer):
        if self.get_visible() and self.get_text().strip():
            found.append(self)
        return original(self, renderer)

    matplotlib.text.Text.draw = record
    try:
        fig.canvas.draw()
    finally:
        matplotlib.text.Text.draw = original
    return found


def tick_owner(fig) -> dict[int, object]:
    """id(tick label) -> its Axis: an axis's own tick labels may lean on each other."""
    owner = {}
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                owner[id(tick.label1)] = owner[id(tick.label2)] = axis
    return owner


def layout_problems(fig) -> list[str]:
    texts = drawn_texts(fig)
    renderer = fig.canvas.get_renderer()
    canvas = fig.bbox
    owner = tick_owner(fig)
    boxes = [(t, t.get_window_extent(renderer)) for t in texts]
    problems = []
    for text, box in boxes:
        if (box.x0 < canvas.x0 - TOLERANCE_PX or box.y0 < canvas.y0 - TOLERANCE_PX
                or box.x1 > canvas.x1 + TOLERANCE_PX or box.y1 > canvas.y1 + TOLERANCE_PX):
            problems.append(f"leaves the canvas: {text.get_text()[:60]!r}")
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            same_axis = owner.get(id(a)) is not None and owner.get(id(a)) is owner.get(id(b))
            if same_axis:
                continue
            width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            if width > TOLERANCE_PX and height > TOLERANCE_PX:
                problems.append(f"overlap: {a.get_text()[:50]!r} and {b.get_text()[:50]!r}")
    return problems


def data_problems(fig) -> list[str]:
    problems = []
    for index, ax in enumerate(fig.axes):
        if ax.get_label() == "<colorbar>":
            continue
        lines = [line for line in ax.lines
                 if line.get_transform() is ax.transData and len(line.get_xdata())]
        if not (ax.patches or ax.images or ax.collections or lines):
            problems.append(f"axes {index} ({ax.get_title()!r}) has no data")
    drawn = getattr(fig, "daxbench_drawn", {"labels": {}, "groups": {}})
    for (index, group), slots in drawn["groups"].items():
        if not slots or None in slots:
            problems.append(f"group {group!r} of axes {index} has an empty slot: {slots}")
        states = {str(c.params.get("file_state")) for c in slots if c is not None}
        if len(states) > 1:
            problems.append(f"group {group!r} compares modes on file states {sorted(states)}")
    return problems


# The marks that stand where a bar would be (common.mark_missing, micro's refused, fio's).
SLOT_MARKS = ("n/a", "refused", *fio_plots.MISSING_TEXT.values())


def bar_intervals(ax) -> list[tuple[float, float]]:
    """The x extents (data) of the bars and of the marks standing for bars (as wide as the
    axes' bars), each a slot of a group."""
    bars = [(p.get_x(), p.get_x() + p.get_width()) for p in ax.patches
            if isinstance(p, Rectangle) and p.get_width() > 0]
    if not bars:
        return []
    width = min(x1 - x0 for x0, x1 in bars)
    marks = [(t.get_position()[0] - width / 2, t.get_position()[0] + width / 2)
             for t in ax.texts if t.get_text().startswith(SLOT_MARKS)
             and t.get_transform() != ax.transAxes]
    return sorted(bars + marks)


def slot_problems(fig) -> list[str]:
    """Where bars stand in groups at integer ticks (bar charts by group), each group's slots
    touch and are centred on their tick: a group laid out with more slots than it fills is
    off its tick or has a hole."""
    problems = []
    for index, ax in enumerate(fig.axes):
        intervals = bar_intervals(ax)
        ticks = [t for t in ax.get_xticks() if float(t).is_integer()]
        if not intervals or not ticks or ax.get_xscale() != "linear":
            continue
        labels = {t: label.get_text() for t, label in zip(ax.get_xticks(),
                                                           ax.get_xticklabels())}
        for tick in ticks:
            slots = [(x0, x1) for x0, x1 in intervals if abs((x0 + x1) / 2 - tick) < 0.5]
            if not slots:
                continue
            centre = (slots[0][0] + slots[-1][1]) / 2
            holes = [b[0] - a[1] for a, b in zip(slots, slots[1:]) if b[0] - a[1] > 1e-6]
            if abs(centre - tick) > 1e-6 or holes:
                problems.append(f"group {labels.get(tick, tick)!r} of axes {index}: slots "
                                f"{[(round(a, 3), round(b, 3)) for a, b in slots]} are not "
                                f"one block centred on its tick")
    return problems


def legend_problems(fig) -> list[str]:
    """A legend must not cover data or another text: no line's point, no bar and no text
    but its own (a p99 mark beside an axes, say) inside the legend's box."""
    texts = drawn_texts(fig)
    renderer = fig.canvas.get_renderer()
    problems = []
    for index, ax in enumerate(fig.axes):
        legend = ax.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent(renderer)
        own = {id(t) for t in legend.get_texts()}
        for text in texts:
            extent = text.get_window_extent(renderer)
            width = min(box.x1, extent.x1) - max(box.x0, extent.x0)
            height = min(box.y1, extent.y1) - max(box.y0, extent.y0)
            if id(text) not in own and width > TOLERANCE_PX and height > TOLERANCE_PX:
                problems.append(f"the legend of axes {index} covers {text.get_text()[:40]!r}")
        for other in fig.axes:
            for line in other.lines:
                if line.get_transform() is not other.transData or not len(line.get_xdata()):
                    continue
                points = line.get_transform().transform(line.get_xydata())
                inside = ((points[:, 0] > box.x0) & (points[:, 0] < box.x1)
                          & (points[:, 1] > box.y0) & (points[:, 1] < box.y1))
                if np.any(inside):
                    problems.append(f"the legend of axes {index} covers the line "
                                    f"{line.get_label()!r}")
            for patch in other.patches:
                if box.overlaps(patch.get_window_extent(renderer)):
                    problems.append(f"the legend of axes {index} covers a bar")
                    break
    return problems


def expected_word(cases) -> set:
    """The status word each case's record calls for: unsupported/failed, not durable, none."""
    return {c.status if c.status != "ok" else (None if c.durable else "not durable")
            for c in cases}


def label_problems(fig) -> list[str]:
    drawn = getattr(fig, "daxbench_drawn", {"labels": {}})
    problems = []
    for label, cases in drawn["labels"].items():
        expected = expected_word(cases)
        if expected != {style.status_word(label)}:
            problems.append(f"label {label!r} says {style.status_word(label)!r}, "
                            f"its records {sorted(map(str, expected))}")
    if drawn["labels"]:
        for ax in fig.axes:
            legend = ax.get_legend()
            for text in legend.get_texts() if legend else []:
                if text.get_text() not in drawn["labels"]:
                    problems.append(f"legend entry {text.get_text()!r} names no case")
    return problems


def check_figure(fig) -> list[str]:
    return (layout_problems(fig) + data_problems(fig) + slot_problems(fig)
            + legend_problems(fig) + label_problems(fig))


@pytest.fixture(scope="module", params=sorted(RUNS))
def rendered(request, tmp_path_factory):
    folder = RUNS[request.param](tmp_path_factory.mktemp(request.param) / "run")
    run = load_run(folder)
    found = []
    for stem, fig in plots.figures(run):
        found.append((stem, check_figure(fig)))
        style.close(fig)
    return request.param, found


def test_every_figure_prints(rendered):
    name, found = rendered
    assert found, f"{name}: no figure"
    bad = {stem: problems for stem, problems in found if problems}
    assert not bad, "\n".join(f"{stem}: {p}" for stem, ps in bad.items() for p in ps)


def test_the_lab_sweep_groups_by_file_state(tmp_path):
    """sealed-extent's zeroed file is a group of its own, named, beside the sparse ones."""
    run = load_run(fixtures.make_figure_lab_run(tmp_path / "lab"))
    figures = dict(plots.figures(run))
    fig = figures["throughput-log-append-lab-ext4"]
    groups = {group for _, group in fig.daxbench_drawn["groups"]}
    assert groups == {"commit_every=1,file_state=sparse", "commit_every=16,file_state=sparse",
                      "commit_every=1,file_state=zeroed", "commit_every=16,file_state=zeroed"}
    for fig in figures.values():
        style.close(fig)


def test_an_unsupported_mode_is_labelled_so(tmp_path):
    run = load_run(fixtures.make_figure_host_run(tmp_path / "host"))
    figures = dict(plots.figures(run))
    labels = figures["throughput-random-update-file-var-tmp"].daxbench_drawn["labels"]
    assert "map-sync (unsupported)" in labels and "none (not durable)" in labels
    assert not [label for label in labels if label.startswith("map-sync (not durable")]
    for fig in figures.values():
        style.close(fig)


def test_the_checks_fail_on_what_they_check():
    """Each check on a figure made wrong by hand."""
    fig, axes = style.new_figure(3, 2)
    ax = axes[0][0]
    ax.set_title("a title")
    fig.text(0.1, 0.5, "one text")
    fig.text(0.15, 0.5, "another text")
    fig.text(0.9, 0.3, "off the right edge of the canvas")
    problems = check_figure(fig)
    assert any(p.startswith("overlap") for p in problems), problems
    assert any(p.startswith("leaves the canvas") for p in problems), problems
    assert any("has no data" in p for p in problems), problems
    style.close(fig)
    # A group of one bar laid out in the third of three slots; a legend over its line.
    fig, axes = style.new_figure(4, 3, ncols=2)
    axes[0][0].bar([0.27], [1.0], 0.27)
    axes[0][0].set_xticks([0])
    axes[0][1].plot([0, 1, 2], [0, 1, 2], label="a line")
    axes[0][1].legend(loc="center")
    problems = check_figure(fig)
    assert any("not one block centred on its tick" in p for p in problems), problems
    assert any("covers the line 'a line'" in p for p in problems), problems
    style.close(fig)


def headline_of(make, tmp_path):
    run = load_run(make(tmp_path / "run"))
    figures = dict(plots.figures(run))
    fig = figures.pop("headline")
    for other in figures.values():
        style.close(other)
    texts = [t.get_text() for t in drawn_texts(fig)]
    return fig, texts


def test_the_headline_says_what_each_target_is(tmp_path):
    """A page-cache target says it is not DAX; a lab one that its times are TCG times."""
    fig, texts = headline_of(fixtures.make_figure_host_run, tmp_path / "host")
    assert any(t.startswith("file:/var/tmp: page cache, not DAX") for t in texts), texts
    assert not any("TCG" in t for t in texts)
    style.close(fig)
    fig, texts = headline_of(fixtures.make_figure_lab_run, tmp_path / "lab")
    assert any(t.startswith("lab:ext4: emulated pmem, TCG times (not native)") for t in texts)
    assert any("Lab times are TCG emulation times" in t for t in texts), texts
    style.close(fig)


def test_the_headline_compares_like_with_like(tmp_path):
    """Each file state its own group, the unsupported mode an n/a mark, and a group without
    `none` beside it says it has no upper bound."""
    fig, texts = headline_of(fixtures.make_figure_lab_run, tmp_path / "lab")
    groups = {group: [c.mode for c in slots]
              for (_, group), slots in fig.daxbench_drawn["groups"].items()}
    assert groups == {"log-append\n[sparse]": ["fdatasync", "map-sync", "none"],
                      "log-append\n[zeroed]": ["sealed-extent"]}, groups
    # The shape both groups share is said once, in the panel's title.
    assert any(t.endswith("throughput per mode and workload (commit_every=1)") for t in texts)
    assert texts.count("no upper bound (none) on this file state") == 1, texts
    style.close(fig)
    fig, texts = headline_of(fixtures.make_figure_host_run, tmp_path / "host")
    assert "n/a (unsupported)" in texts
    assert "map-sync (unsupported)" in fig.daxbench_drawn["labels"]
    style.close(fig)


def test_the_headline_first_touch_is_with_and_without_map_sync(tmp_path):
    """Per file state: fdatasync, map-sync, and (no flush-only in this run) none."""
    fig, _ = headline_of(fixtures.make_plots_run, tmp_path / "plots")
    groups = {group: [c.mode for c in slots]
              for (_, group), slots in fig.daxbench_drawn["groups"].items()
              if "[" not in group}
    assert groups == {state: ["fdatasync", "map-sync", "none"]
                      for state in ("sparse", "fallocated", "zeroed")}, groups
    style.close(fig)
