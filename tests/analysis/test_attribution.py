"""Cost attribution (model/attribution.py) on a synthetic run whose rates, counters and unit
costs are known (fixtures.make_attribution_run): exact terms and residual, a missing unit
cost named, the lab's case unavailable, attribution.csv against report.txt, the figure."""
import csv

import pytest

import fixtures
from daxbench_analysis import plots
from daxbench_analysis.model import attribution
from daxbench_analysis.model.run import load_run
from daxbench_analysis.plots import style
from daxbench_analysis.render.reports import write_reports

U = fixtures.ATTRIBUTION_UNITS


@pytest.fixture()
def run(tmp_path):
    return load_run(fixtures.make_attribution_run(tmp_path / "run"))


def by_mode(run, target=fixtures.PAGE_CACHE_TARGET):
    return {a.case.mode: a for a in attribution.attributions(run) if a.case.target == target}


def terms(a):
    return {t.name: (t.per_op, t.benchmark, t.ns) for t in a.terms}


def test_fdatasync_is_its_syncs_split_by_journal_commits_plus_its_faults(run):
    a = by_mode(run)["fdatasync"]
    assert a.status == "ok" and a.op_ns == pytest.approx(1e9 / 4000)
    # 0.75 journal commits per sync: 3 in 4 syncs allocated; the faults on those pages are
    # the sparse file's first touches, the others fall on written pages.
    assert terms(a) == pytest.approx({
        "fdatasync alloc 1 pg": (0.75, "unit/fdatasync/fresh/dirty_pages:1",
                                         0.75 * U["unit/fdatasync/fresh/dirty_pages:1"]),
        "fdatasync 1 pg": (0.25, "unit/fdatasync/written/dirty_pages:1",
                                     0.25 * U["unit/fdatasync/written/dirty_pages:1"]),
        "fault (sparse)": (0.75, "fault/sparse/map_shared/memory:file",
                           0.75 * U["fault/sparse/map_shared/memory:file"]),
        # A page written back is write-protected again: its fault is the one the stores
        # before a sync of written pages take, timed apart in that benchmark.
        "fault (written page)": (0.25, "unit/fdatasync/written/dirty_pages:1",
                                 0.25 * fixtures.ATTRIBUTION_WRITTEN_FAULT_NS),
    })
    assert a.explained_ns == pytest.approx(180_000 + 20_000 + 2_475 + 375)
    assert a.residual_ns == pytest.approx(250_000 - 202_850)
    assert a.explained == pytest.approx(202_850 / 250_000)
    assert not a.missing
    # 81% explained: a finding, said with the likely missing term.
    assert a.finding and "uncounted" in a.finding


def test_pwrite_fsync_per_fault_and_flush_terms(run):
    found = by_mode(run)
    pwrite = terms(found["pwrite-fdatasync"])
    # Its dirty pages per sync come from a mapped case of the group (it takes no fault).
    assert pwrite["pwrite 64 B hole"] == pytest.approx((0.75, "unit/pwrite/fresh/size:64",
                                                          1_500.0))
    assert pwrite["pwrite 64 B"] == pytest.approx((0.25, "unit/pwrite/written/size:64", 300.0))
    assert found["pwrite-fdatasync"].explained_ns == pytest.approx(201_800)
    fpf = terms(found["fsync-per-fault"])
    # The trap's unit cost includes its mprotect: no mprotect term, and none missing.
    assert fpf["trap (fresh page)"] == pytest.approx((1.0, "unit/trap/fresh", 9_000.0))
    assert not found["fsync-per-fault"].missing
    flush_term = ("clwb 64 B, fence/1 lines", )
    assert fpf[flush_term[0]] == pytest.approx(
        (1.0, "flush/clwb/size:64/fence_every:1/dirty/rand/memory:file", 160.0))
    assert found["fsync-per-fault"].explained_ns == pytest.approx(209_160)
    assert found["flush-only"].explained == pytest.approx(160 / 200)
    # Its finding points at the group's floor: none's 500 ns of uncounted loop and harness.
    assert "floor" in found["flush-only"].finding and "500 ns" in found["flush-only"].finding
    # none is no mode of counted events: no finding, however far off.
    assert found["none"].finding is None


def test_an_event_without_its_unit_cost_is_named_not_dropped(run):
    a = by_mode(run)["msync"]
    assert a.status == "ok" and not [t for t in a.terms if t.events.startswith("sys_msync")]
    wanted = {m.wanted for m in a.missing}
    assert wanted == {"unit/msync/fresh/dirty_pages:1 (not in micro.json)",
                      "unit/msync/written/dirty_pages:1 (not in micro.json)"}
    assert sum(m.per_op for m in a.missing) == pytest.approx(1.0)
    assert "no unit cost for" in a.finding and "unit/msync/fresh" in a.finding


def test_a_lab_case_never_borrows_the_hosts_unit_costs(run):
    lab = by_mode(run, fixtures.LAB_EXT4)["fdatasync"]
    assert lab.status == "unavailable: no unit costs measured on this target"
    assert not lab.terms and lab.op_ns is None


def test_attribution_csv_parses_and_matches_the_report(run):
    paths = write_reports(run, run.path)
    assert [p.name for p in paths] == ["report.txt", "report.md", "report.tex",
                                       "attribution.csv"]
    rows = list(csv.DictReader((run.path / "attribution.csv").open()))
    text = (run.path / "report.txt").read_text()
    prose = " ".join(text.split())   # items are folded at 80 columns
    assert "Where the time goes (cost attribution)" in text
    found = by_mode(run)
    for mode, a in found.items():
        mine = [r for r in rows if r["case_id"] == a.case.case_id]
        ns = sum(float(r["ns"]) for r in mine if r["term"] not in ("missing",))
        # Terms plus residual are the op time, and the file says the model's numbers.
        assert ns == pytest.approx(float(mine[0]["op_ns"]), rel=1e-5)
        assert float(mine[0]["explained"]) == pytest.approx(a.explained, rel=1e-5)
        assert {r["term"] for r in mine} >= {t.name for t in a.terms} | {"residual"}
    # The report's "explained" row holds the same fractions, in the group's mode order.
    explained = [line.split()[1:] for line in text.splitlines() if line.startswith("explained ")]
    shown = [cell for line in explained for cell in line]
    for a in found.values():
        assert f"{a.explained:.0%}" in shown
    lab = [r for r in rows if r["target"] == fixtures.LAB_EXT4]
    assert [r["status"] for r in lab] == ["unavailable: no unit costs measured on this target"]
    assert "no unit costs measured on this target" in prose
    assert "unit/msync/fresh/dirty_pages:1" in prose


def test_the_figure_is_among_the_runs_figures(run):
    figures = dict(plots.figures(run))
    fig = figures["attribution-random-update-file-var-tmp"]
    slots = next(iter(fig.daxbench_drawn["groups"].values()))
    assert {c.mode for c in slots} == set(fixtures.ATTRIBUTION_RATES)
    for f in figures.values():
        style.close(f)


def test_a_unit_cost_is_taken_only_where_its_condition_matches():
    flush = "flush/clwb/size:64/fence_every:{}/dirty/rand/memory:file"
    b = attribution._Builder({flush.format(16): (90.0, None, {}),
                              flush.format(64): (60.0, None, {}),
                              "fault/zeroed/map_shared/memory:file":
                                  (257.0, None, {"page_faults": 1 / 256})})
    prefix, suffix = "flush/clwb/size:64/fence_every:", "/dirty/rand/memory:file"
    # 16 records a commit, the repetition's last commit partial: 15 lines a fence is 16's.
    assert b.nearest_interval(prefix, suffix, 15.0) == 16
    assert b.nearest_interval(prefix, suffix, 12.0) is None
    # A fault benchmark where one fault mapped 256 pages is not the case's fault.
    b.add("fault (zeroed)", "page faults", 1.0, "fault/zeroed/map_shared/memory:file",
          per_fault=True)
    assert not b.terms and "0.00391 faults per touch" in b.missing[0].wanted


def test_syncs_timed_in_the_cases_against_the_sync_benchmark(run):
    fpf = next(c for c in run.cases.values() if c.mode == "fsync-per-fault")
    for record in fpf.records:   # the handler's own timing of its fdatasync, mean ns
        record["counters"]["fault_sync_ns"] = {"value": 1_600_000.0, "per_op": None,
                                               "unit": "ns", "status": "ok"}
    found = by_mode(run)
    # 1.6 ms against the benchmarks' median of 240 and 80 us: 10x, said for every sync case.
    assert "took 10x the benchmark's fdatasync of 1 page (160 us)" in found["fdatasync"].finding
    assert "10x" in found["pwrite-fdatasync"].finding
    assert "10x" not in (found["flush-only"].finding or "")
    for record in fpf.records:   # agreeing within 10%: no such finding
        record["counters"]["fault_sync_ns"]["value"] = 165_000.0
    assert "benchmark's fdatasync" not in by_mode(run)["fdatasync"].finding


def _with_folios(path, case_dirtied_per_op):
    """The attribution run, its micro.json with both written-page sync variants (large folios:
    1 MiB dirtied per store; 4 KiB folios) and its fdatasync case dirtying `case_dirtied_per_op`
    bytes per operation (one sync per operation)."""
    import json
    run = fixtures.make_attribution_run(path)
    micro = json.loads((run / "micro.json").read_text())
    for bench in micro["benchmarks"]:
        if bench["name"].startswith("unit/fdatasync/written/dirty_pages:1"):
            bench["dirtied_bytes"] = float(1 << 20)
            small = {**bench, "name": bench["name"].replace("written", "written_4k_folios"),
                     "run_name": bench["run_name"].replace("written", "written_4k_folios"),
                     "ns_per_op": 30_000.0, "dirtied_bytes": 4096.0, "ns_per_fault": 700.0}
    micro["benchmarks"].append(small)
    (run / "micro.json").write_text(json.dumps(micro))
    lines = []
    for line in (run / "records.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["mode"] == "fdatasync":
            record["counters"]["dirtied_bytes"] = {
                "value": case_dirtied_per_op * record["ops"], "per_op": case_dirtied_per_op,
                "unit": "bytes", "better": "lower", "status": "ok", "scope": "writer-threads"}
        lines.append(json.dumps(record))
    (run / "records.jsonl").write_text("\n".join(lines) + "\n")
    return load_run(run)


@pytest.mark.parametrize("dirtied, variant, fault_ns", [
    (4096.0, "written_4k_folios", 700.0),                       # a sparse file's 4 KiB folios
    (float(2 << 20), "written", fixtures.ATTRIBUTION_WRITTEN_FAULT_NS),   # a zeroed file's
])
def test_a_sync_of_written_pages_is_charged_as_the_benchmark_of_its_folios(tmp_path, dirtied,
                                                                          variant, fault_ns):
    # A sync writes back the folios its stores dirtied, whole: the benchmark whose dirtied
    # bytes per call is nearest the case's stands for it, and so does its fault.
    a = by_mode(_with_folios(tmp_path / "run", dirtied))["fdatasync"]
    found = {t.benchmark: t for t in a.terms}
    assert f"unit/fdatasync/{variant}/dirty_pages:1" in found
    other = "written" if variant != "written" else "written_4k_folios"
    assert f"unit/fdatasync/{other}/dirty_pages:1" not in found
    fault = next(t for t in a.terms if t.name == "fault (written page)")
    assert fault.unit_ns == pytest.approx(fault_ns)
    # 2 MiB per sync against the benchmark's 1 MiB: within 2x, no note; 4 KiB exactly.
    assert not any("KiB per sync" in n for n in a.notes)


def test_a_case_dirtying_far_more_than_any_benchmark_says_so(tmp_path):
    a = by_mode(_with_folios(tmp_path / "run", float(64 << 20)))["fdatasync"]
    assert any("dirtied 65536 KiB per sync" in n for n in a.notes)


def test_without_a_journal_ext4s_allocations_tell_the_allocating_syncs(tmp_path):
    # A filesystem without a journal commits nothing, but ext4 still counts the blocks its
    # syncs allocate (delayed allocation, in the syncing thread): half the syncs allocated.
    import json
    path = fixtures.make_attribution_run(tmp_path / "run")
    lines = []
    for line in (path / "records.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["mode"] == "fdatasync":
            c = record["counters"]
            c["jbd2:jbd2_end_commit"] = {**c["jbd2:jbd2_end_commit"], "value": 0, "per_op": 0.0}
            c[attribution.ALLOCATIONS] = {**c["jbd2:jbd2_end_commit"], "value": record["ops"] / 2,
                                          "per_op": 0.5, "scope": "writer-threads"}
        lines.append(json.dumps(record))
    (path / "records.jsonl").write_text("\n".join(lines) + "\n")
    a = by_mode(load_run(path))["fdatasync"]
    found = terms(a)
    assert found["fdatasync alloc 1 pg"][0] == pytest.approx(0.5)
    assert found["fdatasync 1 pg"][0] == pytest.approx(0.5)
    assert not any("without a journal" in n for n in a.notes)
