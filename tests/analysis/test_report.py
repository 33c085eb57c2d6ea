"""report.txt/.md/.tex of fixture runs with known values: widths, medians, marks, escaping."""
import re

import pytest

import fixtures
from daxbench_analysis.render.latex import tex_escape
from daxbench_analysis.render.reports import write_reports
from daxbench_analysis.model.run import load_run
from daxbench_analysis.numbers import humanize
from daxbench_analysis.sections.groups import group_tables


def reports(folder, **options):
    paths = write_reports(load_run(folder), folder, **options)
    assert [p.name for p in paths] == ["report.txt", "report.md", "report.tex"]
    return {p.suffix[1:]: p.read_text(encoding="utf-8") for p in paths}


def group_section(text, workload, target):
    """The lines of report.txt under one group's title, up to the two blank lines before
    the next title."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{workload} on {target}"))
    end = next((i for i in range(start, len(lines) - 1) if lines[i] == lines[i + 1] == ""),
               len(lines))
    return lines[start:end]


def row(section, label):
    return [line for line in section if line.startswith(label + " ")]


@pytest.mark.parametrize("fixture", ["basic_run", "wide_run", "emulated_run"])
def test_every_text_line_fits_80_columns(request, fixture):
    text = reports(request.getfixturevalue(fixture))["txt"]
    too_long = [line for line in text.splitlines() if len(line) > 80]
    assert not too_long, too_long


def test_eight_modes_are_split_into_stacked_tables(wide_run):
    text = reports(wide_run)["txt"]
    section = group_section(text, "random-update-with-a-long-name", fixtures.DAX_TARGET)
    assert len(row(section, "ops/s")) >= 2, "eight columns cannot fit in one 80-column table"
    for mode in ("fdatasync", "msync", "pwrite-fdatasync", "fsync-per-fault", "map-sync",
                 "sealed-extent", "flush-only", "none"):
        assert any(re.search(rf"(^|\s){re.escape(mode)}(\s|$)", line) for line in section), mode
    assert "123M" in text  # none's 123,456,789 ops/s


def test_medians_are_the_known_ones(basic_run):
    run = load_run(basic_run)
    for table in group_tables(run):
        ops_row = next(r for r in table.rows if r.label == "ops/s")
        for column, cell in zip(table.columns, ops_row.cells):
            case = next(c for c in run.cases.values() if c.column == column.label
                        and c.workload == table.workload)
            assert cell.value == humanize(fixtures.BASIC_MEDIANS[case.case_id])
            assert cell.spread is not None and 0 < float(cell.spread) < 5
    text = reports(basic_run)["txt"]
    section = group_section(text, "random-update", fixtures.DAX_TARGET)
    ops = " ".join(row(section, "ops/s"))
    for median in ("20.0k", "18.0k", "4.00M", "12.0M"):
        assert median in ops


def test_counters_present_are_rows_and_absent_ones_are_not(basic_run):
    section = group_section(reports(basic_run)["txt"], "random-update", fixtures.DAX_TARGET)
    labels = {line.split()[0] for line in section if line and not line.startswith((" ", "-", "="))}
    assert {"syscalls/op", "page_faults/op", "fs_dax:dax_pte_fault/op",
            "jbd2:jbd2_end_commit/op", "lines_flushed/op", "fences/op"} <= labels
    assert "xfs:xfs_log_force/op" not in labels   # not counted in the fixture
    assert "cycles/op" not in labels              # unavailable, and not a report counter
    assert "stores/op" not in labels


def test_significance_marks_against_the_baseline(basic_run):
    section = group_section(reports(basic_run)["txt"], "random-update", fixtures.DAX_TARGET)
    ratios = row(section, "vs fdatasync")[0].split()[2:]
    # fdatasync 1, msync 0.9 (every repetition lower: significant), map-sync 200x, none 600x
    assert ratios == ["1.00x", "0.90x-", "200x+", "600x+"]


def test_noise_is_not_marked_and_few_repetitions_are(make_run):
    noise = make_run("noise", [
        fixtures.case("w", "fdatasync", list(map(lambda j: int(20_000 * j), fixtures.JITTER))),
        fixtures.case("w", "msync", list(map(lambda j: int(20_000 * j), fixtures.JITTER_OTHER)))])
    ratio_line = row(group_section(reports(noise)["txt"], "w", fixtures.DAX_TARGET),
                     "vs fdatasync")[0]
    assert ratio_line.split()[2:] == ["1.00x", "1.00x"]
    # 3 repetitions (quick.yaml) are enough to mark a halving ...
    three = make_run("three", [fixtures.case("w", "fdatasync", 20_000),
                               fixtures.case("w", "msync", 10_000)], repetitions=3)
    ratio_line = row(group_section(reports(three)["txt"], "w", fixtures.DAX_TARGET),
                     "vs fdatasync")[0]
    assert ratio_line.split()[2:] == ["1.00x", "0.50x-"]
    # ... 2 are not: the ratio is shown, unjudged.
    few = make_run("few", [fixtures.case("w", "fdatasync", 20_000),
                           fixtures.case("w", "msync", 10_000)], repetitions=2)
    ratio_line = row(group_section(reports(few)["txt"], "w", fixtures.DAX_TARGET),
                     "vs fdatasync")[0]
    assert ratio_line.split()[2:] == ["1.00x", "0.50x", "~"]


def test_other_baseline(basic_run):
    section = group_section(reports(basic_run, baseline="none")["txt"], "random-update",
                            fixtures.DAX_TARGET)
    assert row(section, "vs none")[0].split()[2:] == ["0.00167x-", "0.0015x-", "0.33x-",
                                                      "1.00x"]


def test_context_durability_and_not_run_cases(wide_run):
    text = reports(wide_run)["txt"]
    assert "wide-run_with_%_and_#" in text and "Fixture CPU" in text
    assert "v1.0-fixture" in text and "Linux 6.1.0-fixture" in text
    assert "mount options rw,relatime,dax=always" in text
    assert "map_sync accepted" in text
    assert "none (nd)" in text and "flush-only (nd)" in text
    assert "fdatasync (nd)" not in text
    assert "(nd) after a mode: not durable" in text
    assert re.search(r"^  map-sync: unsupported: mmap MAP_SHARED_VALIDATE.*\.\.\.$", text, re.M)
    assert "  msync: failed: msync: EIO (Input/output error)" in text
    assert text.count("Welch's t-test") == 1, "the legend is printed once"


def test_emulated_targets_are_flagged(emulated_run, basic_run):
    assert "EMULATED (TCG): counts exact, times not native" in reports(emulated_run)["txt"]
    assert "EMULATED" not in reports(basic_run)["txt"]


def test_tex_escapes_special_characters():
    assert tex_escape(r"a_b%c&d#e$f{g}h~i^j\k") == (
        r"a\_b\%c\&d\#e\$f\{g\}h\textasciitilde{}i\textasciicircum{}j\textbackslash{}k")


def test_tex_has_booktabs_tables_one_per_group(wide_run):
    tex = reports(wide_run)["tex"]
    for command in (r"\toprule", r"\midrule", r"\bottomrule", r"\caption{"):
        assert tex.count(command) == 2, command
    assert tex.count(r"\begin{table}") == tex.count(r"\end{table}") == 2
    assert r"wide-run\_with\_\%\_and\_\#" in tex
    assert "wide-run_with" not in tex
    assert r"random-update-with-a-long-name on file:/mnt/pmem0" in tex
    assert "±" not in tex and r"$\pm$" in tex
    for line in tex.splitlines():
        if line.startswith("metric &") or line.endswith(r"\\"):
            assert line.count("&") - line.count(r"\&") in (8, 1), line


def test_markdown_tables_are_well_formed(wide_run):
    md = reports(wide_run)["md"]
    tables, current = [], None
    for line in md.splitlines():
        if line.startswith("|"):
            if current is None:
                current = []
                tables.append(current)
            current.append(line)
        else:
            current = None
    assert len(tables) == 2
    for table in tables:
        widths = {len(re.split(r"(?<!\\)\|", line)) for line in table}
        assert len(widths) == 1, table
        assert re.fullmatch(r"\|---\|(---:\|)+", table[1])
        assert all(line.endswith("|") for line in table)
    assert "wide-run\\_with\\_%\\_and\\_#" in md
    assert "- map-sync: unsupported: mmap MAP\\_SHARED\\_VALIDATE" in md
