"""The crash matrix in report.txt/.md: one row per mode x file state x filesystem, lost and
acknowledged summed over cuts and workloads, the worst workload's verdict."""
import fixtures
from daxbench_analysis.report import crash_cell_verdict, crash_matrix, write_reports
from daxbench_analysis.runfolder import load_run


def crash_record(mode, state, target, workload, cut, lost, verdict, status="ok"):
    return {"mode": mode, "file_state": state, "target": target, "workload": workload,
            "cut": cut, "status": status, "acknowledged": None if status != "ok" else 100,
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
    ]
    folder = fixtures.make_run(tmp_path / "run", [fixtures.case("log-append", "fdatasync", 1000)],
                               crash=crash)
    rows = {(r["mode"], r["file_state"], r["target"]): r for r in crash_matrix(load_run(folder))}
    assert rows["fdatasync", "sparse", "lab:ext4"]["acknowledged"] == 200
    assert rows["fdatasync", "sparse", "lab:ext4"]["cuts"] == 2
    assert rows["fdatasync", "sparse", "lab:ext4"]["verdict"] == "PASS"
    # kv-put never lost: the harness could not see loss there, whatever log-append saw
    assert rows["flush-only", "sparse", "lab:ext4"]["lost"] == 7
    assert rows["flush-only", "sparse", "lab:ext4"]["verdict"] == "NO-LOSS-SEEN"
    assert rows["map-sync", "zeroed", "lab:xfs"]["verdict"] == "FAIL"

    paths = write_reports(load_run(folder), folder)
    text = paths[0].read_text(encoding="utf-8")
    assert "Crash matrix (power cuts in the lab)" in text
    assert all(len(line) <= 80 for line in text.splitlines())
    line = next(l for l in text.splitlines() if l.startswith("flush-only        sparse"))
    assert "7/300" in line and line.endswith("NO-LOSS-SEEN")
    md = paths[1].read_text(encoding="utf-8")
    assert "| map-sync | zeroed | lab:xfs | 2 | 100 | 1 | **FAIL** |" in md


def test_no_crash_section_without_crash_jsonl(tmp_path):
    folder = fixtures.make_run(tmp_path / "run", [fixtures.case("log-append", "fdatasync", 1000)])
    text = write_reports(load_run(folder), folder)[0].read_text(encoding="utf-8")
    assert "Crash matrix" not in text
