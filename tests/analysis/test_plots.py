"""The figures: every figure a run has data for is written as PNG, SVG and PDF; emulated runs
say so on the figure; a mode keeps its colour everywhere; missing data skips, never fails."""
import re
import xml.etree.ElementTree as ET

import pytest

import fixtures
from daxbench_analysis import plots
from daxbench_analysis.plots import common, crash, micro, style
from daxbench_analysis.model.registry import FALLBACK_MODE_ORDER as MODE_ORDER
from daxbench_analysis.model.run import load_run

DAX = "file-mnt-pmem0"
PLOTS_RUN_STEMS = (
    f"throughput-random-update-{DAX}", f"throughput-first-touch-{DAX}",
    f"latency-random-update-{DAX}-record_size-64", f"cost-random-update-{DAX}-record_size-4096",
    f"sweep-record_size-random-update-{DAX}", f"first-touch-{DAX}",
    "micro-fault-host", "micro-flush-host", "micro-nt-vs-clwb-host", "crash-random-update",
)


def render(tmp_path, run_folder):
    run = load_run(run_folder)
    out = tmp_path / "figures"
    return run, out, plots.render_all(run, out)


def svg_text(path) -> str:
    """Every text element of an SVG (matplotlib keeps text as text: svg.fonttype none)."""
    root = ET.parse(path).getroot()
    return "\n".join("".join(e.itertext()) for e in root.iter() if e.tag.endswith("text"))


def svg_fills(path) -> set[str]:
    """Fill colours, of plain shapes (style="fill: #...") and of hatch patterns (fill="#...")."""
    found = re.findall(r'fill(?::\s*|=")(#[0-9a-fA-F]{6})', path.read_text())
    return {colour.lower() for colour in found}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The plots fixture run rendered once for the module: rendering is the slow part."""
    folder = fixtures.make_plots_run(tmp_path_factory.mktemp("plots") / "run")
    return render(tmp_path_factory.mktemp("figures"), folder)


def test_every_figure_is_written_in_three_valid_formats(rendered):
    _, out, paths = rendered
    assert len(paths) == len(set(paths)) and len(paths) % 3 == 0
    for stem in PLOTS_RUN_STEMS:
        png, svg, pdf = (out / f"{stem}.{fmt}" for fmt in ("png", "svg", "pdf"))
        for path in (png, svg, pdf):
            assert path in paths, f"{path.name} not returned"
            assert path.stat().st_size > 1000, f"{path.name} is (nearly) empty"
        assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert pdf.read_bytes().startswith(b"%PDF")
        assert ET.parse(svg).getroot().tag.endswith("svg")
    # One latency figure per shape: four record sizes, three file states.
    assert len(list(out.glob("latency-random-update-*.svg"))) == len(fixtures.PLOT_RECORD_SIZES)
    assert len(list(out.glob("latency-first-touch-*.svg"))) == len(fixtures.PLOT_FILE_STATES)
    # first-touch's fixture cases count nothing a cost panel shows: no cost figure.
    assert not list(out.glob("cost-first-touch-*"))


def test_provenance_on_every_figure_and_no_emulated_label_on_real_hardware(rendered):
    run, out, paths = rendered
    provenance = run.provenance("file:/mnt/pmem0")
    for stem in (f"throughput-random-update-{DAX}", f"sweep-record_size-random-update-{DAX}"):
        text = svg_text(out / f"{stem}.svg")
        assert provenance in text
        assert "EMULATED" not in text
    for svg in (p for p in paths if p.suffix == ".svg"):
        assert "run plots-run" in svg_text(svg), f"{svg.name} lacks its provenance"


def test_emulated_run_without_micro_or_crash(tmp_path, capsys):
    """Labelled EMULATED on every figure; no micro or crash figure, and no failure."""
    folder = fixtures.make_plots_run(tmp_path / "tcg", emulated="tcg", with_extras=False)
    run, out, paths = render(tmp_path, folder)
    names = [p.name for p in paths]
    assert f"throughput-random-update-{DAX}.png" in names
    assert not [n for n in names if n.startswith(("micro-", "crash-"))]
    stderr = capsys.readouterr().err
    assert "no micro flush figure: the run has no micro.json" in stderr
    assert "no crash figure: the run has no crash.jsonl" in stderr
    for svg in (p for p in paths if p.suffix == ".svg"):
        text = svg_text(svg)
        assert "EMULATED (TCG): counts exact, times not native" in text, svg.name
        assert run.provenance("file:/mnt/pmem0") in text


def test_a_mode_has_the_same_colour_in_different_figures(rendered):
    _, out, _ = rendered
    throughput = svg_fills(out / f"throughput-random-update-{DAX}.svg")
    first_touch = svg_fills(out / f"first-touch-{DAX}.svg")
    cost = svg_fills(out / f"cost-random-update-{DAX}-record_size-64.svg")
    for mode in ("fdatasync", "map-sync"):
        colour = style.mode_color(mode).lower()
        assert colour in throughput and colour in first_touch and colour in cost, mode
    # msync is not in the random-update cases: its colour must not appear there.
    assert style.mode_color("msync").lower() not in throughput


def test_modes_are_distinct_in_colour_and_in_greyscale():
    colours = [style.mode_color(m) for m in MODE_ORDER]
    hatches = [style.mode_hatch(m) for m in MODE_ORDER]
    markers = [style.mode_marker(m) for m in MODE_ORDER]
    assert len(set(colours)) == len(MODE_ORDER)
    assert set(colours) <= set(style.OKABE_ITO.values())
    assert len(set(hatches)) == len(set(markers)) == len(MODE_ORDER)
    assert style.mode_color("flush-only flush=clwb") == style.mode_color("flush-only")
    assert style.mode_color("not-a-mode") == style.UNKNOWN_COLOR
    flush_colours = [style.flush_color(p) for p in style.FLUSH_ORDER]
    assert len(set(flush_colours)) == len(flush_colours)


def test_non_durable_modes_are_marked_in_the_legend(rendered):
    _, out, _ = rendered
    text = svg_text(out / f"throughput-random-update-{DAX}.svg")
    assert "none (not durable)" in text
    assert "fdatasync (not durable)" not in text and "fdatasync" in text


def test_runs_with_unsupported_cases_and_no_sweep_render(tmp_path, wide_run, basic_run,
                                                         capsys):
    _, out, paths = render(tmp_path, wide_run)
    assert paths
    assert "n/a (unsupported)" in svg_text(
        out / "throughput-random-update-with-a-long-name-file-var-tmp.svg")
    _, _, basic_paths = render(tmp_path / "basic", basic_run)
    assert not [p for p in basic_paths if p.name.startswith(("sweep-", "first-touch-"))]
    stderr = capsys.readouterr().err
    assert "no sweep figure" in stderr and "no first-touch figure" in stderr


def test_crash_matrix_shows_counts_and_verdicts(rendered):
    _, out, _ = rendered
    text = svg_text(out / "crash-random-update.svg")
    assert "40/100" in text and "LOSS-EXPECTED" in text
    assert "3/100" in text and "FAIL" in text
    assert "0/100" in text and "PASS" in text


def test_micro_figures_show_unsupported_and_crossover(rendered):
    _, out, _ = rendered
    assert "unsupported here: clflush" in svg_text(out / "micro-flush-host.svg")
    assert "NT cheaper from 4096 B" in svg_text(out / "micro-nt-vs-clwb-host.svg")
    fault = svg_text(out / "micro-fault-host.svg")
    assert "refused" in fault and "MAP_SYNC: EOPNOTSUPP" in fault


def test_nt_crossover_is_where_nt_stays_cheaper():
    clwb = [(64, 10.0), (256, 10.0), (4096, 10.0), (65536, 10.0)]
    assert micro.nt_crossover({"clwb": clwb, "nt": [(64, 5.0), (256, 12.0), (4096, 8.0),
                                                    (65536, 7.0)]}) == 4096
    assert micro.nt_crossover({"clwb": clwb, "nt": [(s, 11.0) for s, _ in clwb]}) is None


def test_log_axis_only_for_a_wide_spread():
    assert common.use_log_scale([1.0, 31.0])
    assert not common.use_log_scale([1.0, 29.0])
    assert not common.use_log_scale([])


def test_rendering_is_deterministic(tmp_path, rendered):
    run, out, _ = rendered
    stem, fig = next(crash.crash_figures(run))
    again = plots.save(fig, tmp_path, stem)
    for path in again:
        if path.suffix in (".svg", ".pdf"):
            assert path.read_bytes() == (out / path.name).read_bytes(), path.name
