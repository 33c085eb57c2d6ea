"""docs/results-schema.md is the schema: schema.py parses its tables. These tests show that
real records fit the page, that every check bites (an undocumented field, a missing one, a
wrong type), and that the page drifting from the records, or from schema.py, fails."""
import copy
import json
import shutil
import subprocess

import pytest

import schema

CONFIG = ("defaults: {duration_s: 0.05, warmup_s: 0, repetitions: 1, working_set: 1M}\n"
          "cases:\n"
          "  - {workload: random-update, mode: [none, map-sync]}\n"
          "  - {workload: log-append, mode: pwrite-fdatasync, fio: true}\n")


@pytest.fixture(scope="module")
def run(driver, tmp_path_factory):
    """A tiny real run: an ok record, an unsupported one (map-sync off DAX), a fio record
    (when fio is installed) and its context.json."""
    folder = tmp_path_factory.mktemp("schema")
    (folder / "c.yaml").write_text(CONFIG)
    (folder / "target").mkdir()
    done = subprocess.run([str(driver), "run", "--config", str(folder / "c.yaml"), "--out",
                           str(folder / "run"), "--target", f"file:{folder / 'target'}"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    records = schema.read_records(folder / "run")
    context = json.loads((folder / "run" / "context.json").read_text())
    return records, context


def by(records, **match):
    found = [r for r in records if all(r.get(k) == v for k, v in match.items())]
    if not found:
        pytest.skip(f"no record with {match} in this run")
    return copy.deepcopy(found[0])


def rejects(check, thing, message, *args):
    with pytest.raises(AssertionError) as caught:
        check(thing, *args)
    assert message in str(caught.value), str(caught.value)


def test_real_records_and_context_fit_the_page(run):
    records, context = run
    assert {r["status"] for r in records} >= {"ok", "unsupported"}
    for record in records:
        schema.check_record(record)
    schema.check_context(context)


def test_the_page_parses_into_every_object_and_schema_py_names_only_what_it_documents():
    assert set(schema.SCHEMA) == {"record", "fio_record", "context", "crash"}
    assert schema.LATENCY_KEYS == {"count", "p50", "p90", "p99", "p999", "max", "mean"}
    assert "running_fraction" in schema.COUNTER_KEYS and "stderr" in schema.FIO_KEYS
    assert schema.undocumented_definitions() == []

    def untyped(node, path):  # records.jsonl's tables have a type for every field
        for name, child in node.children.items():
            if child.documented and child.types is None:
                yield f"{path}{name}"
            yield from untyped(child, f"{path}{name}.")
    assert list(untyped(schema.SCHEMA["record"], "")) == []


@pytest.mark.parametrize("where", ["top", "latency", "counter", "sample_every"])
def test_an_undocumented_field_in_a_record_is_rejected(run, where):
    record = by(run[0], tool="daxbench", status="ok")
    target = {"top": record, "latency": record["latency_ns"]["op"],
              "counter": record["counters"]["commits"],
              "sample_every": record["latency_sample_every"]}[where]
    target["undocumented_key"] = 1
    rejects(schema.check_record, record, "undocumented field(s) ['undocumented_key']")


def test_an_undocumented_field_in_a_fio_record_is_rejected(run):
    record = by(run[0], tool="fio")
    record["fio"]["undocumented_key"] = "x"
    rejects(schema.check_record, record, "undocumented field(s) ['undocumented_key']")


def test_a_missing_or_mistyped_field_is_rejected(run):
    record = by(run[0], tool="daxbench", status="unsupported")
    del record["op_digest"]
    rejects(schema.check_record, record, "missing documented field(s) ['op_digest']")
    record = by(run[0], tool="daxbench", status="ok")
    record["ops"] = str(record["ops"])
    rejects(schema.check_record, record, "documented as ['int', 'null']")


@pytest.mark.parametrize("path", [(), ("targets", 0), ("counters", "tracefs"), ("host",),
                                  ("suite",)])
def test_an_undocumented_field_in_the_context_is_rejected(run, path):
    context = copy.deepcopy(run[1])
    target = context
    for key in path:
        target = target[key]
    target["undocumented_key"] = True
    rejects(schema.check_context, context, "undocumented field(s) ['undocumented_key']")


def crash_line():
    """A crash.jsonl line of a cell the lab could not run, as crash_run.cpp writes it."""
    line = {"schema_version": 1, "run_id": "r", "kind": "crash-cut",
            "cell": "log-append/fdatasync/lab:ext4/sparse", "workload": "log-append",
            "mode": "fdatasync", "file_state": "sparse", "target": "lab:ext4", "cut": 0,
            "seed": 7, "cut_after_s": 0.5, "journal_window": None, "emulated": None,
            "job_dir": "crash/adr-ext4-fdatasync-cut0", "status": "unsupported",
            "reason": "the lab cannot run here", "verdict": "UNSUPPORTED",
            "first_lost_seq": None, "file_missing": None, "concurrent_write": None,
            "persistence": "adr", "flush": "auto", "expectation": "durable", "images": None}
    line.update({key: None for key in schema.CRASH_COUNTS})
    return line


def test_an_undocumented_field_in_a_crash_line_is_rejected():
    schema.check_crash_record(crash_line())
    line = crash_line()
    line["undocumented_key"] = 0
    rejects(schema.check_crash_record, line, "undocumented field(s) ['undocumented_key']")
    line = crash_line()
    line["concurrent_write"] = {"placement": "inside", "undocumented_key": 0}
    rejects(schema.check_crash_record, line, "undocumented field(s) ['undocumented_key']")


def without_row(text, name):
    """The page without the table row that documents `name` (its first cell is `name`)."""
    lines = text.splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(f"| `{name}` |")]
    assert len(kept) == len(lines) - 1, f"no row for {name}"
    return "".join(kept)


def test_the_page_losing_a_field_the_records_have_fails(run):
    page = schema.parse_schema(without_row(schema.DOC.read_text(), "op_digest"))
    record = by(run[0], tool="daxbench", status="ok")
    rejects(schema.check_record, record, "undocumented field(s) ['op_digest']", page)


def test_the_page_gaining_a_field_the_records_lack_fails(run):
    text = schema.DOC.read_text().replace(
        "| `op_digest` |", "| `new_field` | int | a field no record has |\n| `op_digest` |", 1)
    page = schema.parse_schema(text)
    record = by(run[0], tool="daxbench", status="ok")
    rejects(schema.check_record, record, "missing documented field(s) ['new_field']", page)


def test_the_page_losing_a_field_schema_py_checks_fails():
    page = schema.parse_schema(without_row(schema.DOC.read_text(), "verdict"))
    assert schema.undocumented_definitions(page) == ["crash: verdict"]


def test_a_malformed_row_is_an_error_of_the_page():
    text = schema.DOC.read_text().replace("| `op_digest` | string or null |",
                                          "| `op_digest` | text or null |", 1)
    with pytest.raises(ValueError, match="unknown type 'text or null'"):
        schema.parse_schema(text)


@pytest.mark.skipif(shutil.which("fio") is None, reason="fio is not installed")
def test_the_run_had_a_fio_record(run):
    assert any(r["tool"] == "fio" for r in run[0])
