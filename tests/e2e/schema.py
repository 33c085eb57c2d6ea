"""The results schema (docs/results-schema.md) as executable checks: every record and
context.json must pass them, so the document and the files cannot drift apart."""
import json
import math

SCHEMA_VERSION = 1
STATUSES = {"ok", "unsupported", "failed"}
LATENCY_KEYS = {"count", "p50", "p90", "p99", "p999", "max", "mean"}
BETTER = {"lower", "higher", "neither"}
SCOPES = {"writer-threads", "system-wide", "background-thread"}
COUNTER_KEYS = {"value", "per_op", "unit", "better", "status", "scope", "running_fraction"}


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_latency(summary, where):
    assert set(summary) == LATENCY_KEYS, f"{where}: keys {sorted(summary)}"
    assert all(_number(summary[k]) for k in LATENCY_KEYS), where
    assert summary["p50"] <= summary["p90"] <= summary["p99"] <= summary["p999"] <= summary["max"], where


def check_histogram(buckets, count, where):
    assert isinstance(buckets, list) and buckets, where
    uppers = [b[0] for b in buckets]
    assert uppers == sorted(uppers) and len(set(uppers)) == len(uppers), f"{where}: not ascending"
    assert sum(b[1] for b in buckets) == count, f"{where}: bucket counts != count"


def check_types(record, required, where):
    """Every key in `required` is present with its type."""
    for key, kind in required.items():
        assert key in record, f"{where}: missing {key}"
        assert isinstance(record[key], kind), f"{where}: {key} is {type(record[key]).__name__}"


def check_sampled(count, events, every, where):
    """Sampled 1 in `every`: all of them when 1, else about events / every (gaps are uniform
    in [1, 2·every − 1], so the count is within a few standard deviations of that)."""
    if every == 1:
        assert count == events, f"{where}: {count} timed of {events}, sampled 1 in 1"
        return
    expected = events / every
    slack = 6 * math.sqrt(expected) + 2
    assert abs(count - expected) <= slack, f"{where}: {count} timed of {events}, 1 in {every}"


TOOLS = {"daxbench", "fio"}
FIO_KEYS = {"version", "engine", "job", "command", "env", "mapping", "exit_code", "stderr"}


def check_record(record):
    """Raises AssertionError naming the first field that breaks the schema. The driver writes
    `tool` in every record; records made by hand (tests/analysis fixtures) may leave it out."""
    where = record.get("case_id", "?")
    tool = record.get("tool", "daxbench")
    assert tool in TOOLS, f"{where}: tool {tool!r}"
    if tool == "fio":
        check_fio_record(record)
        return
    required = {
        "schema_version": int, "run_id": str, "case_id": str, "target": str, "mode": str,
        "workload": str, "params": dict, "repetition": int, "status": str, "durable": bool,
        "durable_reason": str, "latency_ns": dict, "histogram": dict, "counters": dict,
    }
    check_types(record, required, where)
    assert record["schema_version"] == SCHEMA_VERSION
    assert record["status"] in STATUSES, f"{where}: status {record['status']}"
    assert record["case_id"].startswith(f"{record['workload']}/{record['mode']}/{record['target']}/")
    for key in ("flush", "reason", "emulated", "op_digest", "extent_map_unchanged"):
        assert key in record, f"{where}: missing {key}"
    if record["status"] != "ok":
        assert isinstance(record["reason"], str) and record["reason"], f"{where}: no reason"
        assert record["ops"] is None and record["latency_ns"]["op"] is None
        return
    assert record["reason"] is None
    for key in ("ops", "commits", "duration_ns"):
        assert isinstance(record[key], int) and record[key] >= 0, f"{where}: {key}"
    assert record["ops"] > 0 and record["duration_ns"] > 0
    assert _number(record["ops_per_sec"])
    expected_rate = record["ops"] * 1e9 / record["duration_ns"]
    assert math.isclose(record["ops_per_sec"], expected_rate, rel_tol=1e-9), f"{where}: ops_per_sec"
    check_latency(record["latency_ns"]["op"], f"{where} op latency")
    check_histogram(record["histogram"]["op"], record["latency_ns"]["op"]["count"], f"{where} op histogram")
    every = record["latency_sample_every"]
    assert set(every) == {"op", "commit"} and all(isinstance(every[k], int) and every[k] >= 1 for k in every), where
    check_sampled(record["latency_ns"]["op"]["count"], record["ops"], every["op"], f"{where} op")
    if record["commits"]:
        check_latency(record["latency_ns"]["commit"], f"{where} commit latency")
        check_sampled(record["latency_ns"]["commit"]["count"], record["commits"], every["commit"],
                      f"{where} commit")
    assert len(record["op_digest"]) == 16
    for name, counter in record["counters"].items():
        assert set(counter) == COUNTER_KEYS, f"{where}: {name} keys {sorted(counter)}"
        assert counter["scope"] in SCOPES, f"{where}: {name} scope"
        fraction = counter["running_fraction"]
        assert fraction is None or (_number(fraction) and 0 <= fraction <= 1), f"{where}: {name} running_fraction"
        assert isinstance(counter["unit"], str) and counter["unit"], f"{where}: {name} unit"
        assert counter["better"] in BETTER, f"{where}: {name} better"
        assert counter["status"] == "ok" or counter["status"].startswith("unavailable: "), f"{where}: {name}"
        if counter["status"] == "ok":
            assert _number(counter["value"]), f"{where}: {name} value"
    assert record["counters"]["commits"]["value"] == record["commits"]


def check_fio_record(record):
    """A record of fio's run of a case (docs/results-schema.md, "fio records")."""
    where = f"{record.get('case_id', '?')} (fio)"
    required = {
        "schema_version": int, "run_id": str, "tool": str, "case_id": str, "target": str,
        "mode": str, "workload": str, "params": dict, "repetition": int, "status": str,
        "durable": bool, "durable_reason": str, "latency_ns": dict, "histogram": dict,
        "counters": dict, "fio": dict,
    }
    check_types(record, required, where)
    assert record["schema_version"] == SCHEMA_VERSION
    assert record["status"] in STATUSES, f"{where}: status {record['status']}"
    assert record["case_id"].startswith(f"{record['workload']}/{record['mode']}/{record['target']}/")
    for key in ("reason", "emulated", "ops", "commits", "duration_ns", "ops_per_sec",
                "bandwidth_bytes_per_sec"):
        assert key in record, f"{where}: missing {key}"
    # What fio does not measure is null or empty, never invented.
    assert record["flush"] is None and record["latency_sample_every"] is None, where
    assert record["histogram"] == {"op": None, "commit": None}, where
    assert record["counters"] == {} and record["op_digest"] is None, where
    assert record["extent_map_unchanged"] is None, where
    fio = record["fio"]
    assert set(fio) == FIO_KEYS, f"{where}: fio keys {sorted(fio)}"
    assert isinstance(fio["env"], dict) and all(isinstance(v, str) for v in fio["env"].values())
    if record["status"] == "unsupported":
        assert record["reason"].startswith(("fio cannot express", "flush ")), where
        assert fio["command"] is None and fio["job"] is None and fio["exit_code"] is None, where
    else:
        assert isinstance(fio["engine"], str) and isinstance(fio["mapping"], str), where
        assert isinstance(fio["command"], list) and "--output-format=json" in fio["command"], where
    if record["status"] != "ok":
        assert isinstance(record["reason"], str) and record["reason"], f"{where}: no reason"
        assert record["ops"] is None and record["latency_ns"]["op"] is None, where
        if record["status"] == "failed":
            assert isinstance(fio["stderr"], str), f"{where}: failed without fio's stderr"
        return
    assert record["reason"] is None and fio["stderr"] is None and fio["exit_code"] == 0, where
    assert fio["version"].startswith("fio-"), where
    assert isinstance(fio["job"], str) and f"ioengine={fio['engine']}" in fio["job"], where
    for key in ("ops", "commits", "duration_ns"):
        assert isinstance(record[key], int) and record[key] >= 0, f"{where}: {key}"
    assert record["ops"] > 0 and record["duration_ns"] > 0, where
    # fio's iops is total_ios over its runtime in ms, printed to 6 decimals.
    expected_rate = record["ops"] * 1e9 / record["duration_ns"]
    assert math.isclose(record["ops_per_sec"], expected_rate, rel_tol=1e-6), f"{where}: ops_per_sec"
    assert _number(record["bandwidth_bytes_per_sec"]) and record["bandwidth_bytes_per_sec"] > 0
    op = record["latency_ns"]["op"]
    assert set(op) == LATENCY_KEYS and all(_number(op[k]) for k in LATENCY_KEYS), where
    # fio's percentiles are bucket bounds: ordered, but may pass the exact max.
    assert op["p50"] <= op["p90"] <= op["p99"] <= op["p999"], where
    assert op["count"] == record["ops"], f"{where}: fio times every write"
    commit = record["latency_ns"]["commit"]
    if commit is not None:
        assert set(commit) == LATENCY_KEYS and commit["count"] == record["commits"], where


def check_context(context):
    for key in ("schema_version", "run_id", "suite", "host", "tsc", "counters", "targets", "config"):
        assert key in context, f"context: missing {key}"
    assert context["tsc"]["ticks_per_ns"] > 0
    assert context["tsc"]["timing_cost_ns"] > 0
    assert context["suite"]["version"]
    assert context["host"]["kernel"] and context["host"]["cpu_model"] is not None
    for target in context["targets"]:
        for key in ("spec", "filesystem", "mount_options", "dax", "map_sync"):
            assert key in target, f"context target: missing {key}"
    assert context["config"]["text"]
    counters = context["counters"]
    assert isinstance(counters["hardware_pmu"], bool)
    assert counters["perf_event_paranoid"] is None or isinstance(counters["perf_event_paranoid"], int)
    tracefs = counters["tracefs"]
    assert set(tracefs) == {"path", "mounted_by_daxbench", "problem", "at_end"}
    assert (tracefs["path"] is None) == (tracefs["problem"] is not None)
    # What the run did at its end with the tracefs it mounted; null if it mounted none.
    assert tracefs["at_end"] is None or tracefs["at_end"].startswith("mounted by daxbench at ")
    assert not tracefs["mounted_by_daxbench"] or isinstance(tracefs["at_end"], str), tracefs


def read_records(folder):
    with open(folder / "records.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


CRASH_VERDICTS = {"PASS", "FAIL", "LOSS-EXPECTED", "NO-LOSS-SEEN", "ERROR", "UNSUPPORTED"}
CRASH_COUNTS = ("acknowledged", "expected", "present_valid", "lost", "torn", "torn_in_flight",
                "unacknowledged_present")


def check_crash_record(record):
    """One line of crash.jsonl (docs/results-schema.md, "crash.jsonl")."""
    where = record.get("cell", "?")
    required = {
        "schema_version": int, "run_id": str, "kind": str, "cell": str, "workload": str,
        "mode": str, "file_state": str, "target": str, "cut": int, "seed": int,
        "cut_after_s": float, "status": str, "verdict": str, "job_dir": str,
    }
    check_types(record, required, where)
    for key in ("journal_window", "reason", "first_lost_seq", "file_missing", *CRASH_COUNTS):
        assert key in record, f"{where}: missing {key}"
    assert record["schema_version"] == SCHEMA_VERSION
    assert record["kind"] == "crash-cut"
    assert record["status"] in STATUSES, f"{where}: status {record['status']}"
    assert record["verdict"] in CRASH_VERDICTS, f"{where}: verdict {record['verdict']}"
    assert record["target"] in ("lab:ext4", "lab:xfs"), where
    assert record["file_state"] in ("sparse", "fallocated", "zeroed"), where
    assert "concurrent_write" in record, f"{where}: missing concurrent_write"
    write = record["concurrent_write"]
    suffix = f"/write-{write['placement']}" if write is not None else ""
    assert record["cell"] == (f"{record['workload']}/{record['mode']}/{record['target']}/"
                              f"{record['file_state']}{suffix}"), where
    assert record["cut"] >= 0 and record["cut_after_s"] >= 0, where
    if record["status"] != "ok":
        assert isinstance(record["reason"], str) and record["reason"], f"{where}: no reason"
        assert all(record[key] is None for key in CRASH_COUNTS), where
        assert record["verdict"] in ("ERROR", "UNSUPPORTED"), where
        return
    assert record["reason"] is None, where
    assert isinstance(record["journal_window"], str), where
    assert record.get("emulated") in ("tcg", "kvm"), f"{where}: emulated"
    for key in CRASH_COUNTS:
        assert isinstance(record[key], int) and record[key] >= 0, f"{where}: {key}"
    assert record["present_valid"] + record["lost"] == record["expected"], where
    assert record["expected"] <= record["acknowledged"], where
    assert record["torn_in_flight"] <= min(1, record["torn"]), where
    assert isinstance(record["file_missing"], bool), where
    assert (record["first_lost_seq"] is None) == (record["lost"] == 0), where
    if write is not None:
        check_concurrent_write(write, where)


CONCURRENT_COUNTS = ("written", "present_valid", "missing", "torn", "torn_in_flight",
                     "unacknowledged_present")


def check_concurrent_write(write, where):
    """The second process's side of a concurrency cell (its records are a log-append)."""
    assert write["placement"] in ("inside", "append"), where
    for key in CONCURRENT_COUNTS:
        assert isinstance(write.get(key), int) and write[key] >= 0, f"{where}: {key}"
    assert write["present_valid"] + write["missing"] == write["written"], where
    assert write["torn_in_flight"] <= min(1, write["torn"]), where


def read_crash(folder):
    with open(folder / "crash.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]
