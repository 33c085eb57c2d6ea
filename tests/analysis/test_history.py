"""The SQLite history (daxbench_analysis.history): what is stored, how it is keyed, and that a
bad folder changes nothing."""
import json
import shutil
import sqlite3

import pytest

import fixtures
from daxbench_analysis import history, stats
from daxbench_analysis.model.run import load_run


def table_counts(db) -> dict:
    with sqlite3.connect(db) as connection:
        return {table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("runs", "cases", "metrics")}


def test_add_stores_run_cases_and_summaries(tmp_path, basic_run):
    db = tmp_path / "history.sqlite"
    assert history.add_run(db, basic_run) == len(fixtures.BASIC_MEDIANS)
    (run,) = history.runs(db)
    assert run["run_id"] == "basic-run"
    assert run["config"] == "fixture" and run["host"] == "fixture-host"
    assert run["suite_version"] == "v1.0-fixture"
    assert run["kernel"] == "Linux 6.1.0-fixture" and run["emulated"] is None
    for case_id, median in fixtures.BASIC_MEDIANS.items():
        (point,) = history.series(db, case_id=case_id)
        assert point["median"] == median and point["n"] == 9
        assert point["ci_low"] <= median <= point["ci_high"]
        assert point["unit"] == "ops/s" and point["better"] == "higher"
        for metric in ("op_p50_ns", "op_p99_ns"):
            (latency,) = history.series(db, case_id=case_id, metric=metric)
            assert latency["unit"] == "ns" and latency["better"] == "lower"
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT version FROM schema_version").fetchall() == [
            (history.SCHEMA_VERSION,)]


def test_summaries_are_the_stats_modules(tmp_path, basic_run):
    db = tmp_path / "history.sqlite"
    history.add_run(db, basic_run)
    case = next(iter(load_run(basic_run).cases.values()))
    (point,) = history.series(db, case_id=case.case_id, metric="op_p99_ns")
    summary = stats.summarize(point["samples"])
    assert (point["median"], point["ci_low"], point["ci_high"]) == (
        summary.median, summary.ci_low, summary.ci_high)


def test_adding_twice_is_a_noop_and_says_so(tmp_path, basic_run, capsys):
    db = tmp_path / "history.sqlite"
    history.add_run(db, basic_run)
    before = table_counts(db)
    capsys.readouterr()
    assert history.add_run(db, basic_run) == 0
    assert "already" in capsys.readouterr().err
    assert table_counts(db) == before


def test_samples_round_trip_exactly(tmp_path, compare_pair):
    db = tmp_path / "history.sqlite"
    base, _ = compare_pair
    history.add_run(db, base)
    run = load_run(base)
    for case in run.cases.values():
        for metric in case.metrics():
            if metric.name.startswith("counter:"):
                continue
            (point,) = history.series(db, case_id=case.case_id, metric=metric.name)
            assert point["samples"] == case.samples(metric)
            assert all(isinstance(v, float) for v in point["samples"])


def test_unsupported_cases_are_kept_without_metrics(tmp_path, wide_run):
    db = tmp_path / "history.sqlite"
    history.add_run(db, wide_run)
    with sqlite3.connect(db) as connection:
        rows = dict(connection.execute(
            "SELECT status, COUNT(*) FROM cases WHERE status != 'ok' GROUP BY status"))
        orphans = connection.execute(
            "SELECT COUNT(*) FROM metrics JOIN cases USING (run_id, case_id) "
            "WHERE cases.status != 'ok'").fetchone()[0]
    assert rows == {"unsupported": 1, "failed": 1}
    assert orphans == 0


def test_fingerprints_separate_hosts_and_targets(tmp_path):
    runs = fixtures.make_history_series(tmp_path / "series")
    db = tmp_path / "history.sqlite"
    for run_dir in runs:
        history.add_run(db, run_dir)
    by_host = {}
    for run in history.runs(db):
        by_host.setdefault(run["host"], set()).add(run["fingerprint"])
    assert set(by_host) == {"alpha", "beta"}
    assert len(by_host["alpha"]) == 1 and len(by_host["beta"]) == 1
    assert by_host["alpha"] != by_host["beta"]
    alpha = history.series(db, host="alpha", case_id=fixtures.REGRESSED)
    assert {p["host"] for p in alpha} == {"alpha"}
    assert history.series(db, host=next(iter(by_host["beta"])), case_id=fixtures.REGRESSED) \
        == history.series(db, host="beta", case_id=fixtures.REGRESSED)
    # The emulated run is on alpha's machine but not the same experiment: its own case key.
    case_keys = {(p["emulated"], p["fingerprint"]) for p in alpha}
    assert len(case_keys) == 2 and {e for e, _ in case_keys} == {None, "tcg"}


def test_host_fingerprint_is_stable_and_sensitive():
    context = fixtures.make_context("r", "alpha", [fixtures.DAX_TARGET], None, "c", "v1")
    same = fixtures.make_context("other-run", "alpha", [fixtures.DAX_TARGET], None, "d", "v2")
    assert history.host_fingerprint(context) == history.host_fingerprint(same)
    newer_kernel = json.loads(json.dumps(context))
    newer_kernel["host"]["kernel"] = "Linux 6.2.0"
    assert history.host_fingerprint(newer_kernel) != history.host_fingerprint(context)


def test_series_in_time_order_whatever_the_adding_order(tmp_path):
    runs = fixtures.make_history_series(tmp_path / "series")
    db = tmp_path / "history.sqlite"
    for run_dir in reversed(runs):
        history.add_run(db, run_dir)
    times = [r["time"] for r in history.runs(db)]
    assert times == sorted(times) and times[0] == "2026-11-01T02:00:00Z"
    points = history.series(db, host="alpha", case_id=fixtures.REGRESSED)
    points = [p for p in points if not p["emulated"]]
    assert [p["time"][:10] for p in points] == [f"2026-11-{d:02d}" for d in range(1, 6)]
    medians = [p["median"] for p in points]
    step = fixtures.HISTORY_STEP_RUN
    assert medians[:step] == [20_000.0] * step
    assert medians[step:] == [16_000.0] * (len(medians) - step)


@pytest.mark.parametrize("damage", ["missing", "not_json", "no_case_id"])
def test_bad_folder_names_itself_and_leaves_db_unchanged(tmp_path, basic_run, compare_pair,
                                                         damage):
    db = tmp_path / "history.sqlite"
    history.add_run(db, basic_run)
    before_bytes = db.read_bytes()
    bad = tmp_path / "bad-run"
    if damage != "missing":
        shutil.copytree(compare_pair[0], bad)
        lines = (bad / "records.jsonl").read_text().splitlines()
        if damage == "not_json":
            lines.insert(3, '{"truncated": ')
        else:
            record = json.loads(lines[-1])
            del record["case_id"]
            lines[-1] = json.dumps(record)
        (bad / "records.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(history.HistoryError, match="bad-run"):
        history.add_run(db, bad)
    assert db.read_bytes() == before_bytes
    assert [r["run_id"] for r in history.runs(db)] == ["basic-run"]


def test_bad_folder_does_not_create_a_database(tmp_path):
    db = tmp_path / "history.sqlite"
    with pytest.raises(history.HistoryError):
        history.add_run(db, tmp_path / "nowhere")
    assert not db.exists()


def test_command_line_adds_and_reports_failures(tmp_path, basic_run, capsys):
    db = tmp_path / "history.sqlite"
    assert history.main([str(db), str(basic_run)]) == 0
    assert history.main([str(db), str(basic_run), str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert "already" in err and "nowhere" in err
    assert len(history.runs(db)) == 1


def test_target_facts_missing_from_older_folders_do_not_split_a_history(tmp_path):
    """Older results folders lack `persistent` and `device` (context.json grew them later):
    the same machine and target must keep one case fingerprint."""
    (newer,) = fixtures.make_history_series(tmp_path / "series", runs=1)[:1]
    older = tmp_path / "older"
    shutil.copytree(newer, older)
    context = json.loads((older / "context.json").read_text())
    for target in context["targets"]:
        del target["persistent"], target["device"]
    (older / "context.json").write_text(json.dumps(context))
    fingerprints = [{history.case_fingerprint(run, case) for case in run.cases.values()}
                    for run in (load_run(newer), load_run(older))]
    assert fingerprints[0] == fingerprints[1]
    moved = json.loads(json.dumps(context))
    moved["targets"][0]["dax"] = not moved["targets"][0]["dax"]
    (older / "context.json").write_text(json.dumps(moved))
    run = load_run(older)
    assert {history.case_fingerprint(run, case) for case in run.cases.values()} \
        .isdisjoint(fingerprints[0])


def test_a_corrupt_database_is_named(tmp_path, basic_run):
    db = tmp_path / "history.sqlite"
    db.write_bytes(b"not a database, just bytes" * 100)
    with pytest.raises(history.HistoryError, match="history.sqlite"):
        history.add_run(db, basic_run)
