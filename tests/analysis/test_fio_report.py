"""daxbench vs fio: fio records (`"tool": "fio"`) are paired with the daxbench case they
mirror, never mixed into daxbench's own tables; the ratio, its interval, the verdict and the
likely reasons per rule; the report section and the figure with the msync caveat on it."""
import json
import statistics
import xml.etree.ElementTree as ET

import pytest

import fixtures
from daxbench_analysis import history, plots, stats
from daxbench_analysis.model import fio
from daxbench_analysis.plots import fio as plots_fio
from daxbench_analysis.compare import compare_runs
from daxbench_analysis.render.reports import write_reports
from daxbench_analysis.model.run import load_run
from daxbench_analysis.sections.groups import group_tables

TARGET = fixtures.PAGE_CACHE_TARGET
REPETITIONS = 9

# (workload, mode, daxbench ops/s, fio ops/s, fio engine, fio status, extra fio facts)
AGREE = ("random-update", "pwrite-fdatasync", 20_000, 19_000, "psync", "ok", {})
MSYNC = ("random-update", "msync", 10_000, 7_000, "mmap", "ok", {})
FAST_NONE = ("random-update", "none", 5_000_000, 1_400_000, "mmap", "ok", {})
FORCED = ("random-update", "flush-only", 2_000_000, 2_600_000, "libpmem", "ok",
          {"env": {"PMEM_IS_PMEM_FORCE": "1"}})
UNSUPPORTED = ("random-update", "fsync-per-fault", 3_000, None, None, "unsupported",
               {"reason": "fio cannot express fsync-per-fault: no engine syncs in a fault"})
FAILED = ("log-append", "pwrite-fdatasync", 25_000, None, "psync", "failed",
          {"reason": "fio exited 1: fio: pid=123, err=28/file:io_u.c:1845, error=No space"})
PAIRED = (AGREE, MSYNC, FAST_NONE, FORCED, UNSUPPORTED, FAILED)
MAPPINGS = {"pwrite-fdatasync": "pwrite per write, fdatasync every commit_every writes: exact",
            "msync": "memcpy into a MAP_SHARED mapping; msync(MS_SYNC) of the whole mapping "
                     "every N writes, daxbench msyncs only the dirty range",
            "none": "memcpy into a MAP_SHARED mapping, no sync",
            "flush-only": "pmem_memcpy, pmem_drain per write (sync=1)"}


def rates(rate):
    return [int(round(rate * j)) for j in fixtures.JITTER[:REPETITIONS]]


def latency(p50):
    return {"count": 1000, "p50": p50, "p90": p50 * 2, "p99": p50 * 4, "p999": p50 * 8,
            "max": p50 * 16, "mean": p50 * 1.5}


def fio_record(workload, mode, rate, engine, status, facts, repetition, emulated=None):
    """One fio record in the format the driver writes (docs/results-schema.md, fio records)."""
    spec = fixtures.case(workload, mode, target=TARGET)
    ok = status == "ok"
    ops = rate if ok else None
    job = f"[{workload}]\nioengine={engine}\nbs=64\nrw=randwrite\n" if engine else ""
    return {
        "schema_version": 1, "run_id": "fio-run", "case_id": fixtures.case_id(spec),
        "tool": "fio", "target": TARGET, "mode": mode, "workload": workload, "flush": None,
        "params": dict(fixtures.DEFAULT_PARAMS), "repetition": repetition, "status": status,
        "reason": None if ok else facts["reason"], "durable": False,
        "durable_reason": "fixture", "emulated": emulated, "ops": ops,
        "commits": ops if ok and mode != "none" else (0 if ok else None),
        "duration_ns": fixtures.DURATION_NS if ok else None,
        "ops_per_sec": float(ops) if ok else None,
        "bandwidth_bytes_per_sec": ops * 64.0 if ok else None,
        "latency_ns": {"op": latency(1_000_000_000 // rate // 2) if ok else None,
                       "commit": latency(40_000) if ok and mode != "none" else None},
        "latency_sample_every": None, "histogram": {"op": None, "commit": None},
        "counters": {}, "op_digest": None,
        "fio": {"version": "fio-3.33", "engine": engine, "job": job,
                "command": ["fio", "--output-format=json", "job.fio"],
                "env": facts.get("env", {}), "mapping": MAPPINGS.get(mode),
                "exit_code": 0 if ok else 1, "stderr": "" if ok else facts["reason"]},
    }


def make_fio_run(path, emulated=None):
    """daxbench's cases through fixtures.make_run, then `tool` added to them and fio's records
    appended, as the driver interleaves them."""
    cases = [fixtures.case(w, m, rates(dax), target=TARGET) for w, m, dax, *_ in PAIRED]
    folder = fixtures.make_run(path, cases, repetitions=REPETITIONS, run_id="fio-run",
                               emulated=emulated)
    records = [json.loads(line) for line in (folder / "records.jsonl").read_text().splitlines()]
    for record in records:
        record["tool"] = "daxbench"
    for workload, mode, _, fio_rate, engine, status, facts in PAIRED:
        if status == "ok":
            records += [fio_record(workload, mode, rate, engine, status, facts, rep, emulated)
                        for rep, rate in enumerate(rates(fio_rate))]
        else:
            records.append(fio_record(workload, mode, None, engine, status, facts, 0, emulated))
    # One fio repetition of the agreeing case failed beside its ok ones.
    records.append(fio_record(*AGREE[:2], None, "psync", "failed",
                              {"reason": "fio exited 1: io_u error"}, REPETITIONS, emulated))
    (folder / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return folder


def case_id(entry):
    return fixtures.case_id(fixtures.case(entry[0], entry[1], target=TARGET))


@pytest.fixture
def fio_run(tmp_path):
    return make_fio_run(tmp_path / "fio-run")


@pytest.fixture
def pairs(fio_run):
    return {p.case_id: p for p in fio.pairs(load_run(fio_run))}


def test_pairs_by_case_id_with_medians_ratio_and_interval(pairs):
    assert set(pairs) == {case_id(entry) for entry in PAIRED}
    for entry in (AGREE, MSYNC, FAST_NONE, FORCED):
        pair = pairs[case_id(entry)]
        dax, fio_rates = rates(entry[2]), rates(entry[3])
        assert pair.status == "ok" and pair.engine == entry[4]
        assert pair.daxbench.median == statistics.median(dax)
        assert pair.fio.median == statistics.median(fio_rates)
        assert pair.ratio == pytest.approx(statistics.median(fio_rates) / statistics.median(dax))
        assert pair.ratio_ci == stats.ratio_ci(dax, fio_rates)
        assert pair.ratio_ci[0] <= pair.ratio <= pair.ratio_ci[1]
        # op p50: daxbench's fixture latency vs the fio record's clat p50
        assert pair.op_p50[1] == statistics.median(1_000_000_000 // r // 2 for r in fio_rates)
    assert pairs[case_id(AGREE)].commit_p50[1] == 40_000
    assert pairs[case_id(FAST_NONE)].commit_p50[1] is None     # fio's none never syncs
    assert pairs[case_id(AGREE)].fio_failed == 1


def test_verdicts_and_likely_reasons_follow_the_rules(pairs):
    agree, msync, fast = (pairs[case_id(e)] for e in (AGREE, MSYNC, FAST_NONE))
    forced = pairs[case_id(FORCED)]
    assert agree.verdict == fio.VERDICT_AGREE and agree.reasons == []
    assert msync.verdict == fio.VERDICT_DIFFER
    assert msync.reasons == ["fio msyncs the whole mapping at each sync, daxbench only the "
                             "dirty range"]   # its ~100 us op is far above FAST_OP_NS
    assert fast.verdict == fio.VERDICT_DIFFER and len(fast.reasons) == 1
    op_ns = 1e9 / statistics.median(rates(FAST_NONE[2]))
    fio_ns = 1e9 / statistics.median(rates(FAST_NONE[3]))
    assert (f"{fio_ns:.0f} ns per write against daxbench's {op_ns:.0f} ns op, "
            f"+{fio_ns - op_ns:.0f} ns per I/O") in fast.reasons[0]
    # fio faster: the rules that would make it slower (overhead, MAP_SYNC) are not offered.
    assert forced.ratio > 1 + fio.AGREE_BAND and forced.verdict == fio.VERDICT_DIFFER
    assert len(forced.reasons) == 2
    assert forced.reasons[0].startswith("fio writes with pmem_memcpy, temporal stores")
    assert forced.reasons[1].startswith("PMEM_IS_PMEM_FORCE=1 on a non-DAX file")
    assert not any("per-I/O" in r or "MAP_SYNC" in r for r in forced.reasons)


def test_verdict_band_and_interval():
    assert fio.verdict(1.09, (1.05, 1.12)) == fio.VERDICT_AGREE
    assert fio.verdict(0.85, (0.80, 0.92)) == fio.VERDICT_AGREE_CI
    assert fio.verdict(0.85, (0.84, 0.86)) == fio.VERDICT_DIFFER
    assert fio.verdict(1.2, (1.15, 1.3)) == fio.VERDICT_DIFFER


def test_unsupported_and_failed_are_listed_not_dropped(fio_run, pairs):
    assert pairs[case_id(UNSUPPORTED)].status == "unsupported"
    assert pairs[case_id(FAILED)].status == "failed"
    text = write_reports(load_run(fio_run), fio_run)[0].read_text(encoding="utf-8")
    section = text[text.index("daxbench vs fio\n==="):]
    cannot = section[section.index("fio cannot express:"):]
    assert "- random-update fsync-per-fault: fio cannot express fsync-per-fault" in cannot
    failed = section[section.index("fio failed:"):]
    assert "- log-append pwrite-fdatasync: fio exited 1" in failed


def test_fio_records_stay_out_of_daxbench_tables(fio_run):
    run = load_run(fio_run)
    assert len(run.cases) == len(PAIRED) and len(run.fio) == len(PAIRED)
    assert all(r["tool"] == "daxbench" for r in run.records)
    assert all(r["tool"] == "fio" for c in run.fio.values() for r in c.records)
    for table in group_tables(run):
        ops = next(row for row in table.rows if row.label == "ops/s")
        assert len(ops.cells) == len(table.columns) == len({c.label for c in table.columns})
    for case in run.cases.values():
        assert len(case.records) == (REPETITIONS if case.status == "ok" else 1)
    result = compare_runs(run, run)
    assert len(result.cases) == len(PAIRED)
    assert history.add_run(fio_run.parent / "h.sqlite", fio_run, quiet=True) == len(PAIRED)


def test_report_section_in_all_three_formats(fio_run):
    txt, md, tex = (p.read_text(encoding="utf-8")
                    for p in write_reports(load_run(fio_run), fio_run))
    assert all(len(line) <= 80 for line in txt.splitlines()), \
        [line for line in txt.splitlines() if len(line) > 80]
    section = txt[txt.index("daxbench vs fio\n==="):]
    msync_line = next(line for line in section.splitlines()
                      if line.startswith("  msync "))
    assert "10.0k" in msync_line and "7.00k" in msync_line and "0.70x" in msync_line
    assert msync_line.rstrip().endswith("differ")
    assert "likely reasons (fio/daxbench beyond ±10%):" in section
    assert "whole mapping" in section
    assert "## daxbench vs fio" in md
    rows = [line for line in md.splitlines() if line.startswith("| random-update")]
    assert len(rows) >= 4 and len({line.count(" | ") for line in rows}) == 1
    assert r"daxbench vs fio on file:/var/tmp" in tex
    assert tex.count(r"\toprule") == 2 + 1   # two daxbench groups, one fio table
    assert "±" not in tex


def test_figure_pairs_bars_and_says_the_msync_caveat(tmp_path, fio_run):
    run = load_run(fio_run)
    written = plots.render_all(run, tmp_path / "plots")
    stem = "fio-vs-daxbench-file-var-tmp"
    for fmt in ("png", "svg", "pdf"):
        path = tmp_path / "plots" / f"{stem}.{fmt}"
        assert path in written and path.stat().st_size > 1000
    root = ET.parse(tmp_path / "plots" / f"{stem}.svg").getroot()
    text = "\n".join("".join(e.itertext()) for e in root.iter() if e.tag.endswith("text"))
    assert "msyncs the whole mapping" in text
    assert "fio cannot express" in text and "fio failed" in text
    assert "0.70x" in text and "0.95x" in text
    assert run.provenance(TARGET) in text
    assert "EMULATED" not in text
    # The other figures are daxbench's alone: no fio bar in the throughput figure.
    assert not [p for p in written if "fio" in p.name and not p.name.startswith(stem)]


def test_emulated_fio_figure_is_labelled(tmp_path):
    run = load_run(make_fio_run(tmp_path / "tcg", emulated="tcg"))
    stem, fig = next(plots_fio.fio_figures(run))
    svg = plots.save(fig, tmp_path, stem)[1]
    root = ET.parse(svg).getroot()
    text = "\n".join("".join(e.itertext()) for e in root.iter() if e.tag.endswith("text"))
    assert "EMULATED (TCG): counts exact, times not native" in text
    assert "TCG times" in " ".join(p.reasons[-1] for p in fio.pairs(run) if p.reasons)


def test_a_folder_without_tool_fields_still_works(tmp_path, basic_run, capsys):
    run = load_run(basic_run)
    assert run.fio == {} and run.tools == {} and len(run.cases) == 8
    assert fio.pairs(run) == []
    txt = write_reports(run, basic_run)[0].read_text(encoding="utf-8")
    assert "daxbench vs fio" not in txt
    assert list(plots_fio.fio_figures(run)) == []
    assert "no daxbench vs fio figure: the run has no fio record" in capsys.readouterr().err
