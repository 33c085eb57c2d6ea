"""The crash matrix in report.txt/.md: one row per mode x flush x file state x filesystem x
persistence domain, lost and acknowledged summed over cuts and workloads, the worst workload's
verdict."""
import fixtures
from daxbench_analysis.model.crash import concurrent_rows, crash_cell_verdict, crash_matrix
from daxbench_analysis.render.reports import write_reports
from daxbench_analysis.model.run import load_run


def crash_record(mode, state, target, workload, cut, lost, verdict, status="ok",
                 persistence="adr", flush="auto"):
    return {"mode": mode, "file_state": state, "target": target, "workload": workload,
            "persistence": persistence, "flush": flush, "cut": cut, "status": status, "acknowledged": None if status != "ok" else 100,
            "lost": None if status != "ok" else lost, "torn": 0, "torn_in_flight": 0,
            "unacknowledged_present": 1, "verdict": verdict}


def test_cell_verdict_matches_the_driver():
    assert crash_cell_verdict(["PASS", "FAIL"]) == "FAIL"
    assert crash_cell_verdict(["NO-LOSS-SEEN", "LOSS-EXPECTED"]) == "LOSS-EXPECTED"
    assert crash_cell_verdict(["NO-LOSS-SEEN"]) == "NO-LOSS-SEEN"
    assert crash_cell_verdict(["ERROR", "PASS"]) == "PASS"
    assert crash_cell_verdict(["UNSUPPORTED"]) == "UNSUPPORTED"


def test_matrix_sums_cuts_and_workloads_and_shows_the_worst(tmp_path):
    crash = [
        crash_record("fdatasync", "sparse", "lab:ext4", "log-append", 0, 0, "PASS"),
        crash_record("fdatasync", "sparse", "lab:ext4", "kv-put", 1, 0, "PASS"),
        crash_record("fdatasync", "sparse", "lab:ext4", "log-append", 1, 0, "ERROR", "failed"),
        crash_record("flush-only", "sparse", "lab:ext4", "log-append", 0, 0, "NO-LOSS-SEEN"),
        crash_record("flush-only", "sparse", "lab:ext4", "log-append", 1, 7, "LOSS-EXPECTED"),
        crash_record("flush-only", "sparse", "lab:ext4", "kv-put", 0, 0, "NO-LOSS-SEEN"),
        crash_record("map-sync", "zeroed", "lab:xfs", "kv-put", 0, 2, "FAIL"),
        # The same cell under eADR, and with flush: none, are rows of their own.
        crash_record("map-sync", "zeroed", "lab:xfs", "kv-put", 0, 0, "PASS", persistence="eadr"),
        crash_record("map-sync", "zeroed", "lab:xfs", "kv-put", 0, 9, "LOSS-EXPECTED",
                     flush="none"),
    ]
    folder = fixtures.make_run(tmp_path / "run", [fixtures.case("log-append", "fdatasync", 1000)],
                               crash=crash)
    rows = {(r["mode"], r["flush"], r["file_state"], r["target"], r["persistence"]): r
            for r in crash_matrix(load_run(folder))}
    fdatasync = rows["fdatasync", "auto", "sparse", "lab:ext4", "adr"]
    assert fdatasync["acknowledged"] == 200
    assert fdatasync["cuts"] == 2
    assert fdatasync["verdict"] == "PASS"
    # kv-put never lost: the harness could not see loss there, whatever log-append saw
    assert rows["flush-only", "auto", "sparse", "lab:ext4", "adr"]["lost"] == 7
    assert rows["flush-only", "auto", "sparse", "lab:ext4", "adr"]["verdict"] == "NO-LOSS-SEEN"
    assert rows["map-sync", "auto", "zeroed", "lab:xfs", "adr"]["verdict"] == "FAIL"
    assert rows["map-sync", "auto", "zeroed", "lab:xfs", "eadr"]["verdict"] == "PASS"
    assert rows["map-sync", "none", "zeroed", "lab:xfs", "adr"]["verdict"] == "LOSS-EXPECTED"

    paths = write_reports(load_run(folder), folder)
    text = paths[0].read_text(encoding="utf-8")
    assert "Crash matrix (power cuts in the lab)" in text
    assert all(len(line) <= 80 for line in text.splitlines())
    line = next(l for l in text.splitlines() if l.startswith("flush-only      auto  sparse"))
    assert "7/300" in line and " ext4 adr " in line and line.endswith("NO-LOSS-SEEN")
    md = paths[1].read_text(encoding="utf-8")
    assert "| map-sync | auto | zeroed | lab:xfs | adr | 2 | 100 | 1 | **FAIL** |" in md
    assert "| map-sync | none | zeroed | lab:xfs | adr | 9 | 100 | 1 | LOSS-EXPECTED |" in md


def test_no_crash_section_without_crash_jsonl(tmp_path):
    folder = fixtures.make_run(tmp_path / "run", [fixtures.case("log-append", "fdatasync", 1000)])
    text = write_reports(load_run(folder), folder)[0].read_text(encoding="utf-8")
    assert "Crash matrix" not in text


def test_concurrency_cells_get_their_own_table(tmp_path):
    def concurrent(mode, cut, lost, written, kept, placement="append"):
        state = "fallocated" if mode == "fsync-per-fault" else "zeroed"
        record = crash_record(mode, state, "lab:ext4", "log-append", cut, lost,
                              "FAIL" if lost else "PASS")
        record["concurrent_write"] = {"placement": placement, "written": written,
                                      "present_valid": kept, "missing": written - kept,
                                      "torn": 0, "torn_in_flight": 0,
                                      "unacknowledged_present": 0}
        return record

    crash = [
        crash_record("sealed-extent", "zeroed", "lab:ext4", "log-append", 0, 0, "PASS"),
        concurrent("sealed-extent", 0, 0, 320, 0),
        concurrent("sealed-extent", 1, 0, 300, 2),
        concurrent("sealed-extent", 0, 0, 389, 389, placement="inside"),
        concurrent("map-sync", 0, 3, 575, 573),
        concurrent("fsync-per-fault", 0, 0, 123456, 123456),  # the longest names, one row
    ]
    folder = fixtures.make_run(tmp_path / "run", [fixtures.case("log-append", "fdatasync", 1000)],
                               crash=crash)
    run = load_run(folder)
    # The shared file's cells stay out of the matrix: its sealed-extent row is the plain cell.
    rows = {(r["mode"], r["file_state"], r["target"]): r for r in crash_matrix(run)}
    assert set(rows) == {("sealed-extent", "zeroed", "lab:ext4")}
    assert rows["sealed-extent", "zeroed", "lab:ext4"]["acknowledged"] == 100

    table = {(r["mode"], r["placement"]): r for r in concurrent_rows(run)}
    assert table["sealed-extent", "append"]["written"] == 620
    assert table["sealed-extent", "append"]["survived"] == 2
    assert table["sealed-extent", "append"]["cuts"] == 2
    assert table["sealed-extent", "inside"]["survived"] == 389
    assert table["map-sync", "append"]["verdict"] == "FAIL"  # the mode's writer lost 3

    paths = write_reports(run, folder)
    text = paths[0].read_text(encoding="utf-8")
    assert all(len(line) <= 80 for line in text.splitlines())
    section = text[text.index("Concurrent write() to the same file"):]
    line = next(l for l in section.splitlines()
                if l.startswith("sealed-extent   zeroed     ext4 adr  append"))
    assert "0/200" in line and "2/620" in line and line.endswith("PASS")
    assert "| map-sync | zeroed | lab:ext4 | adr | append | log-append | 3/100 | 573/575 | 1 | **FAIL** |" \
        in paths[1].read_text(encoding="utf-8")
    assert "kept/written" in paths[2].read_text(encoding="utf-8")
