"""The one-time cost of sealing against the cost per fault (model/break_even.py), on a
synthetic run whose S and per-fault cost are exact: N is exact, a size without its partner
says so instead of a number, a refused partner says why, and the report shows it."""
import math

import fixtures
from daxbench_analysis.model.break_even import break_evens
from daxbench_analysis.model.run import load_run
from daxbench_analysis.render.reports import write_reports

MIB = fixtures.MIB


def rows(tmp_path, **options):
    run = load_run(fixtures.make_break_even_run(tmp_path / "run", **options))
    return run, {(b.partner, b.working_set): b for b in break_evens(run)}


def test_n_is_the_seal_over_the_extra_cost_of_one_fault(tmp_path):
    _, found = rows(tmp_path, without_partner=None)
    for size, seal in fixtures.BREAK_EVEN_SEAL_NS.items():
        b = found[("fsync-per-fault", size)]
        assert b.missing is None, b.missing
        assert b.seal_ns.median == seal and b.sparse_prep_ns == 60_000
        assert b.fault_ns.median == fixtures.BREAK_EVEN_FAULT_NS
        assert b.n == fixtures.BREAK_EVEN_N[size]
        # Equal repetitions: both intervals are a point, and so is N's range.
        assert b.n_interval == (b.n, b.n)
        assert b.pages == size // 4096
        assert set(b.seal_steps) == {"ftruncate", "zero-fill", "fsync", "fiemap-before",
                                     "fiemap-after"}
    assert found[("fsync-per-fault", 1 * MIB)].n == 40


def test_a_size_without_its_partner_says_so(tmp_path):
    _, found = rows(tmp_path)
    b = found[("fsync-per-fault", 256 * MIB)]
    assert b.n is None and b.fault_ns is None
    assert b.missing == ("no fsync-per-fault first-touch case on a sparse file of this size "
                         "on file:/var/tmp")
    # The seal was measured all the same, less the sparse file `none` prepared beside it.
    assert b.seal_ns.median == fixtures.BREAK_EVEN_SEAL_NS[256 * MIB]
    refused = found[("map-sync", 1 * MIB)]
    assert refused.n is None and "unsupported" in refused.missing
    assert "EOPNOTSUPP" in refused.missing


def test_the_report_has_the_table_and_the_missing_partners(tmp_path):
    run, _ = rows(tmp_path)
    paths = write_reports(run, tmp_path / "run")
    text = {p.suffix: p.read_text() for p in paths}
    txt = text[".txt"]
    assert "The one-time cost of sealing" in txt
    lines = txt.splitlines()
    assert not [line for line in lines if len(line) > 80]
    one = [line.split() for line in lines if line.strip().startswith("1M ")]
    # fsync-per-fault's row: S 2 ms, 50 us per fault, N 40, 256 pages; map-sync, which has N
    # at no size, only in the list below.
    assert one == [["1M", "2.00", "(2.00-2.00)", "50.0", "(50.0-50.0)", "40.0", "(40.0-40.0)",
                    "256"]], one
    words = " ".join(txt.split())
    assert "fsync-per-fault (256M): no fsync-per-fault first-touch case" in words
    assert ("map-sync (1M, 16M, 256M): map-sync unsupported on file:/var/tmp: mmap "
            "MAP_SHARED_VALIDATE|MAP_SYNC: EOPNOTSUPP (fixture)") in words
    assert "The one-time cost of sealing" in text[".md"] and "sealing" in text[".tex"]


def test_the_interval_of_n_combines_both_ends(tmp_path):
    _, found = rows(tmp_path, without_partner=None)
    b = found[("fsync-per-fault", 16 * MIB)]
    b.seal_ns = type(b.seal_ns)(20e6, 18e6, 24e6, 3)
    b.fault_ns = type(b.fault_ns)(50e3, 40e3, 60e3, 3)
    assert b.n == 400 and b.n_interval == (300, 600)
    b.fault_ns = type(b.fault_ns)(50e3, 0.0, 60e3, 3)
    assert b.n_interval == (300, math.inf)


def test_a_run_with_no_partner_at_all_says_so_in_one_line(tmp_path):
    run = load_run(fixtures.make_figure_host_run(tmp_path / "host"))
    txt = write_reports(run, tmp_path / "host")[0].read_text()
    words = " ".join(txt.split())
    assert ("sealed-extent ran, but no fsync-per-fault or map-sync first-touch case on a "
            "sparse file of its size beside it: no break-even") in words


def test_the_figure_is_registered_with_the_plots(tmp_path):
    """plots.figures is what render_all writes and test_figure_layout.py checks."""
    from daxbench_analysis import plots
    from daxbench_analysis.plots import style
    run, _ = rows(tmp_path)
    stems = []
    for stem, fig in plots.figures(run):
        stems.append(stem)
        style.close(fig)
    assert "break-even-file-var-tmp" in stems
