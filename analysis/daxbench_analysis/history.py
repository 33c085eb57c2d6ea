"""The results history: a SQLite database of many runs, so that a case can be followed over
time (the regression dashboard) and a later analysis can recompute any statistic from the raw
per-repetition samples. `add_run` stores one results folder; `runs` and `series` read back."""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import sqlite3
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from daxbench_analysis import stats
from daxbench_analysis.model.run import Case, Run, load_run

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    time TEXT NOT NULL,              -- UTC, ISO 8601: the order of a series
    config TEXT,
    host TEXT,
    fingerprint TEXT NOT NULL,       -- host_fingerprint(): the machine alone
    suite_version TEXT,
    kernel TEXT,
    emulated TEXT,                   -- null, or how (tcg/kvm) if any case ran emulated
    path TEXT                        -- where the folder was when it was added
);
CREATE TABLE IF NOT EXISTS cases (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    case_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,       -- case_fingerprint(): the machine and this case's target
    workload TEXT, mode TEXT, target TEXT, column_label TEXT,
    status TEXT, reason TEXT, durable INTEGER, emulated TEXT,
    PRIMARY KEY (run_id, case_id)
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL, case_id TEXT NOT NULL, metric TEXT NOT NULL,
    n INTEGER, median REAL, ci_low REAL, ci_high REAL,
    unit TEXT, better TEXT,
    samples TEXT NOT NULL,           -- JSON list, repetition order: exact floats round-trip
    PRIMARY KEY (run_id, case_id, metric),
    FOREIGN KEY (run_id, case_id) REFERENCES cases(run_id, case_id)
);
CREATE INDEX IF NOT EXISTS metrics_by_case ON metrics(case_id, metric);
"""

# The folder name daxbench gives a run starts with its UTC start time (docs/results-schema.md).
RUN_TIME_PREFIX = re.compile(r"^(\d{8}T\d{6}Z)")


class HistoryError(Exception):
    """A results folder could not be stored; the message names the folder."""


def connect(db_path: str | Path) -> sqlite3.Connection:
    """Opens (creating if needed) the history database, its schema checked."""
    connection = sqlite3.connect(str(db_path))
    connection.row_factory = sqlite3.Row
    with connection:
        connection.executescript(SCHEMA)
        row = connection.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            connection.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
        elif row["version"] != SCHEMA_VERSION:
            connection.close()
            raise HistoryError(f"{db_path}: history schema version {row['version']}, "
                               f"this code reads version {SCHEMA_VERSION}")
    return connection


def _digest(facts: dict) -> str:
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:16]


def host_facts(context: dict) -> dict:
    """What makes two runs' numbers comparable as far as the machine goes. The host name is in
    it because two boxes with the same CPU and kernel still differ in memory, devices and
    firmware that context.json does not describe; the kernel because syncing paths change
    between kernels. The suite version is not: a change of the suite is what the history is
    there to show."""
    host = context.get("host", {})
    return {key: host.get(key) for key in ("name", "cpu_model", "kernel", "machine",
                                           "cpus_online")}


def target_facts(run: Run, case: Case) -> dict:
    """What decides a target's persistence path: the same spec on another filesystem, without
    DAX, without MAP_SYNC or emulated is a different experiment. Directories and device paths
    are left out (moving a mount point does not change the numbers), and so are facts that
    follow from these (`persistent` from the filesystem, `device` from the kind) and that
    older results folders lack: a field added to context.json must not split a history."""
    target = run.target_context(case.target)
    map_sync = str(target.get("map_sync") or "")
    return {"spec": case.target, "kind": target.get("kind"),
            "filesystem": target.get("filesystem"), "dax": target.get("dax"),
            "map_sync": map_sync.split(":")[0].split(" ")[0] or None,
            "emulated": case.emulated}


def host_fingerprint(context: dict) -> str:
    return _digest(host_facts(context))


def case_fingerprint(run: Run, case: Case) -> str:
    return _digest({"host": host_facts(run.context), "target": target_facts(run, case)})


def run_time(run: Run) -> str:
    """The run's UTC start time from its run id, else the time its records were last written."""
    match = RUN_TIME_PREFIX.match(str(run.context.get("run_id", ""))) or \
        RUN_TIME_PREFIX.match(run.path.name)
    if match:
        moment = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ")
    else:
        moment = datetime.fromtimestamp((run.path / "records.jsonl").stat().st_mtime,
                                        timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _finite_or_none(value: float) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def stored_metrics(case: Case) -> list:
    """Throughput and every latency percentile the case has; counters stay in the folder."""
    return [m for m in case.metrics() if not m.name.startswith("counter:")]


def _run_row(run: Run, time: str | None) -> dict:
    context = run.context
    run_id = context.get("run_id") or next(iter(run.records), {}).get("run_id")
    if not run_id:
        raise ValueError("no run_id in context.json or records.jsonl")
    emulated = context.get("emulated") or next(
        (c.emulated for c in run.cases.values() if c.emulated), None)
    host = context.get("host", {})
    return {"run_id": run_id, "time": time or run_time(run),
            "config": (context.get("config") or {}).get("name"), "host": host.get("name"),
            "fingerprint": host_fingerprint(context),
            "suite_version": (context.get("suite") or {}).get("version"),
            "kernel": host.get("kernel"), "emulated": emulated, "path": str(run.path)}


def _case_rows(run: Run, run_id: str) -> tuple[list[dict], list[dict]]:
    cases, metrics = [], []
    for case in run.cases.values():
        cases.append({"run_id": run_id, "case_id": case.case_id,
                      "fingerprint": case_fingerprint(run, case), "workload": case.workload,
                      "mode": case.mode, "target": case.target, "column_label": case.column,
                      "status": case.status, "reason": case.reason,
                      "durable": int(case.durable), "emulated": case.emulated})
        for metric in stored_metrics(case):
            samples = case.samples(metric)
            if not samples:
                continue
            summary = stats.summarize(samples)
            metrics.append({"run_id": run_id, "case_id": case.case_id, "metric": metric.name,
                            "n": summary.n, "median": _finite_or_none(summary.median),
                            "ci_low": _finite_or_none(summary.ci_low),
                            "ci_high": _finite_or_none(summary.ci_high),
                            "unit": metric.unit, "better": metric.better,
                            "samples": json.dumps(samples)})
    return cases, metrics


def _insert(connection: sqlite3.Connection, table: str, rows: list[dict]) -> None:
    if rows:
        columns = list(rows[0])
        connection.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join(':' + c for c in columns)})", rows)


def add_run(db_path: str | Path, run_dir: str | Path, *, time: str | None = None,
            quiet: bool = False) -> int:
    """Stores a results folder; returns the number of cases added: 0 (and says so on stderr)
    when the run is already there. Everything is read and summarised before the database is
    touched, and written in one transaction, so a bad folder raises HistoryError naming it and
    leaves the database as it was. `time` overrides the run's time (ISO 8601, UTC)."""
    try:
        run = load_run(run_dir)
        run_row = _run_row(run, time)
        case_rows, metric_rows = _case_rows(run, run_row["run_id"])
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        raise HistoryError(f"{run_dir}: cannot add to the history: {error!r}") from error
    try:
        connection = connect(db_path)
    except sqlite3.Error as error:
        raise HistoryError(f"{db_path}: not a usable history database: {error}") from error
    try:
        with connection:
            if connection.execute("SELECT 1 FROM runs WHERE run_id = ?",
                                  (run_row["run_id"],)).fetchone():
                if not quiet:
                    print(f"history: run {run_row['run_id']} ({run_dir}) is already in "
                          f"{db_path}: nothing added", file=sys.stderr)
                return 0
            _insert(connection, "runs", [run_row])
            _insert(connection, "cases", case_rows)
            _insert(connection, "metrics", metric_rows)
    except sqlite3.Error as error:
        raise HistoryError(f"{run_dir}: cannot add to {db_path}: {error}") from error
    finally:
        connection.close()
    return len(case_rows)


@contextmanager
def _opened(db: str | Path | sqlite3.Connection):
    """A connection for one query: the caller's, or one opened and closed here."""
    if isinstance(db, sqlite3.Connection):
        yield db
        return
    connection = connect(db)
    try:
        yield connection
    finally:
        connection.close()


def runs(db: str | Path | sqlite3.Connection) -> list[dict]:
    """Every stored run, oldest first."""
    with _opened(db) as connection:
        return [dict(row) for row in connection.execute(
            "SELECT * FROM runs ORDER BY time, run_id")]


def series(db: str | Path | sqlite3.Connection, host: str | None = None,
           case_id: str | None = None, metric: str = "ops_per_sec",
           fingerprint: str | None = None) -> list[dict]:
    """One metric's points, oldest first: per run and case its n, median, CI, unit, better,
    samples (a list) and the run's and case's facts. `host` matches the host name or the host
    fingerprint; `fingerprint` the case fingerprint (machine and target)."""
    query = """
        SELECT r.run_id, r.time, r.config, r.host, r.fingerprint AS host_fingerprint,
               r.suite_version, r.kernel, c.case_id, c.fingerprint, c.workload, c.mode,
               c.target, c.column_label, c.durable, c.emulated, m.metric, m.n, m.median,
               m.ci_low, m.ci_high, m.unit, m.better, m.samples
        FROM metrics m JOIN cases c USING (run_id, case_id) JOIN runs r USING (run_id)
        WHERE m.metric = ?"""
    arguments: list = [metric]
    if host is not None:
        query += " AND (r.host = ? OR r.fingerprint = ?)"
        arguments += [host, host]
    if case_id is not None:
        query += " AND c.case_id = ?"
        arguments.append(case_id)
    if fingerprint is not None:
        query += " AND c.fingerprint = ?"
        arguments.append(fingerprint)
    query += " ORDER BY r.time, r.run_id, c.case_id"
    with _opened(db) as connection:
        points = [dict(row) for row in connection.execute(query, arguments)]
    for point in points:
        point["samples"] = json.loads(point["samples"])
    return points


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m daxbench_analysis.history",
                                     description="Store results folders in a SQLite history.")
    parser.add_argument("db", help="the history database (created if missing)")
    parser.add_argument("runs", nargs="+", help="results folders to add")
    arguments = parser.parse_args(argv)
    failed = 0
    for run_dir in arguments.runs:
        try:
            added = add_run(arguments.db, run_dir)
            if added:
                print(f"history: added {run_dir}: {added} cases")
        except HistoryError as error:
            print(f"history: {error}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
