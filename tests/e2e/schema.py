"""The results schema as executable checks. docs/results-schema.md is the source: its field
tables are parsed here (parse_schema), so a field is allowed exactly when the page documents
it; a record, context.json or crash.jsonl line with an undocumented field fails, and so does
a record or crash line without a documented one. The checks below add what a table cannot
say (orderings, sums, what a status implies).

One file on purpose (over 400 lines): it is one schema, the page made executable. The
checks of every object (record, fio record, context, crash line) name their fields in
tables kept next to the parsed SCHEMA, and undocumented_definitions reads those same tables
to catch the page drifting from them; the e2e tests import it as one module and
tests/analysis/fixture_records.py loads it by path."""
import json
import math
import pathlib
import re

SCHEMA_VERSION = 1
STATUSES = {"ok", "unsupported", "failed"}
BETTER = {"lower", "higher", "neither"}
SCOPES = {"writer-threads", "system-wide", "background-thread", "guest-user", "guest-kernel"}
DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "results-schema.md"

# "## section" of the page -> the object its "field" tables describe.
SECTIONS = {"records.jsonl": "record", "fio records": "fio_record", "context.json": "context",
            "crash.jsonl": "crash"}
_TYPES = {"int": "int", "number": "number", "string": "string", "bool": "bool",
          "object": "object", "array": "array", "null": "null"}
_SEGMENT = re.compile(r"^(\*|[A-Za-z_][A-Za-z0-9_-]*)(\[\])?$")


class Field:
    """One documented field: its types (None: the table gives none) and its own fields."""

    def __init__(self):
        self.types = None
        self.children = {}
        self.documented = False  # named by a row itself, not only as the parent of one

    def child(self, name):
        return self.children.setdefault(name, Field())


def _cells(line):
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def _path(name, where):
    """"a.b[].c.*" -> ["a", "b", "[]", "c", "*"]; a malformed name is an error of the page."""
    parts = []
    for segment in name.split("."):
        match = _SEGMENT.match(segment)
        if not match:
            raise ValueError(f"{where}: `{name}` is not a field name")
        parts.append(match.group(1))
        if match.group(2):
            parts.append("[]")
    return parts


def _types(text, where):
    words = [w for w in re.split(r"\s+or\s+|\s*,\s*", text.strip()) if w]
    unknown = [w for w in words if w not in _TYPES]
    if unknown or not words:
        raise ValueError(f"{where}: unknown type {text!r} (known: {sorted(_TYPES)})")
    return {_TYPES[w] for w in words}


def parse_schema(text):
    """{object name: Field} from the page's tables (see its introduction for the rules)."""
    roots = {name: Field() for name in SECTIONS.values()}
    section = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            section = SECTIONS.get(line[3:].strip())
        if not line.startswith("|") or section is None:
            i += 1
            continue
        table = []
        while i < len(lines) and lines[i].startswith("|"):
            table.append(lines[i])
            i += 1
        header = _cells(table[0])
        bases = re.findall(r"`([^`]+)`", header[0])
        if not bases and header[0].lower() != "field":
            continue  # not a table of fields (the counter names, the fio mapping, ...)
        type_column = [c.lower() for c in header].index("type") if "type" in \
            [c.lower() for c in header] else None
        for row in table[2:]:
            cells = _cells(row)
            where = f"results-schema.md, {section} table, row {cells[0]!r}"
            names = re.findall(r"`([^`]+)`", cells[0])
            if not names:
                raise ValueError(f"{where}: no field name")
            types = _types(cells[type_column], where) if type_column is not None else None
            for base in bases or [None]:
                for name in names:
                    node = roots[section]
                    for part in (_path(base, where) if base else []) + _path(name, where):
                        node = node.child(part)
                    node.documented = True
                    if types is not None:
                        node.types = types
    return roots


SCHEMA = parse_schema(DOC.read_text(encoding="utf-8"))


def field(schema, obj, path):
    """The Field at `path` ("a.b[].c") of object `obj`, or None if the page has none."""
    node = schema[obj]
    for part in _path(path, path):
        if part not in node.children:
            return None
        node = node.children[part]
    return node


LATENCY_KEYS = set(field(SCHEMA, "record", "latency_ns.op").children)
COUNTER_KEYS = set(field(SCHEMA, "record", "counters.*").children)
FIO_KEYS = set(field(SCHEMA, "fio_record", "fio").children)


def _is(value, types):
    kinds = {"null": value is None, "bool": isinstance(value, bool),
             "int": isinstance(value, int) and not isinstance(value, bool),
             "number": _number(value), "string": isinstance(value, str),
             "object": isinstance(value, dict), "array": isinstance(value, list)}
    return any(kinds[t] for t in types)


def check_fields(value, node, where, complete=True, optional=(), loose=()):
    """`value` has the fields `node` documents, of their types: none that the page lacks and,
    if `complete`, none missing (but `optional` ones at this level; under a name in `loose`
    fields may be missing)."""
    if node.types is not None:
        assert _is(value, node.types), \
            f"{where}: {type(value).__name__} {value!r:.60}, documented as {sorted(node.types)}"
    elif node.children and not node.documented:  # only a parent of documented fields
        kind = list if "[]" in node.children else dict
        assert isinstance(value, kind), f"{where}: not an {'array' if kind is list else 'object'}"
    if value is None or not node.children:
        return
    kids = node.children
    if "[]" in kids:
        assert isinstance(value, list), f"{where}: not an array"
        for index, item in enumerate(value):
            check_fields(item, kids["[]"], f"{where}[{index}]", complete)
        return
    assert isinstance(value, dict), f"{where}: not an object"
    if "*" in kids:
        for key, item in value.items():
            check_fields(item, kids["*"], f"{where}.{key}", complete)
        return
    unknown = sorted(set(value) - set(kids))
    assert not unknown, f"{where}: undocumented field(s) {unknown} (docs/results-schema.md)"
    if complete:
        missing = sorted(set(kids) - set(value) - set(optional))
        assert not missing, f"{where}: missing documented field(s) {missing}"
    for key, item in value.items():
        check_fields(item, kids[key], f"{where}.{key}", complete and key not in loose)


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


def check_record(record, schema=SCHEMA):
    """Raises AssertionError naming the first field that breaks the schema. The driver writes
    `tool` in every record; records made by hand (tests/analysis fixtures) may leave it out."""
    where = record.get("case_id", "?")
    tool = record.get("tool", "daxbench")
    assert tool in TOOLS, f"{where}: tool {tool!r}"
    if tool == "fio":
        check_fio_record(record, schema)
        return
    check_fields(record, schema["record"], where, optional={"tool"})
    assert record["schema_version"] == SCHEMA_VERSION
    assert record["status"] in STATUSES, f"{where}: status {record['status']}"
    assert record["case_id"].startswith(f"{record['workload']}/{record['mode']}/{record['target']}/")
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


# The fio table has no type column: the types of a fio record's fields, here.
FIO_REQUIRED_TYPES = {
    "schema_version": int, "run_id": str, "tool": str, "case_id": str, "target": str,
    "mode": str, "workload": str, "params": dict, "repetition": int, "status": str,
    "durable": bool, "durable_reason": str, "latency_ns": dict, "histogram": dict,
    "counters": dict, "fio": dict,
}


def check_fio_record(record, schema=SCHEMA):
    """A record of fio's run of a case (docs/results-schema.md, "fio records")."""
    where = f"{record.get('case_id', '?')} (fio)"
    check_fields(record, schema["fio_record"], where)
    check_types(record, FIO_REQUIRED_TYPES, where)
    assert record["schema_version"] == SCHEMA_VERSION
    assert record["status"] in STATUSES, f"{where}: status {record['status']}"
    assert record["case_id"].startswith(f"{record['workload']}/{record['mode']}/{record['target']}/")
    # What fio does not measure is null or empty, never invented.
    assert record["flush"] is None and record["latency_sample_every"] is None, where
    assert record["histogram"] == {"op": None, "commit": None}, where
    assert record["counters"] == {} and record["op_digest"] is None, where
    assert record["extent_map_unchanged"] is None, where
    fio = record["fio"]
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


CONTEXT_REQUIRED = ("schema_version", "run_id", "suite", "host", "tsc", "counters", "targets",
                    "config")
TARGET_REQUIRED = ("spec", "filesystem", "mount_options", "dax", "map_sync")


def check_context(context, schema=SCHEMA):
    """context.json: every field documented (blocks such as `micro`, `lab` and `crash` appear
    only when they ran, so a documented field may be absent), and what every run has."""
    check_fields(context, schema["context"], "context", complete=False)
    for key in CONTEXT_REQUIRED:
        assert key in context, f"context: missing {key}"
    assert context["tsc"]["ticks_per_ns"] > 0
    assert context["tsc"]["timing_cost_ns"] > 0
    assert context["suite"]["version"]
    assert context["host"]["kernel"] and context["host"]["cpu_model"] is not None
    for target in context["targets"]:
        for key in TARGET_REQUIRED:
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


# The crash.jsonl table has no type column: the types of its fields, here.
CRASH_REQUIRED_TYPES = {
    "schema_version": int, "run_id": str, "kind": str, "cell": str, "workload": str,
    "mode": str, "file_state": str, "target": str, "cut": int, "seed": int,
    "cut_after_s": float, "status": str, "verdict": str, "job_dir": str, "persistence": str,
    "flush": str, "expectation": str,
}
IMAGE_COUNTS = ("acknowledged", "present_valid", "lost", "torn", "torn_in_flight")


def check_crash_record(record, schema=SCHEMA):
    """One line of crash.jsonl (docs/results-schema.md, "crash.jsonl"). A concurrency cell's
    `concurrent_write` holds only `placement` unless the cut is ok."""
    where = record.get("cell", "?")
    check_fields(record, schema["crash"], where, loose={"concurrent_write", "images"})
    check_types(record, CRASH_REQUIRED_TYPES, where)
    assert record["schema_version"] == SCHEMA_VERSION
    assert record["kind"] == "crash-cut"
    assert record["status"] in STATUSES, f"{where}: status {record['status']}"
    assert record["verdict"] in CRASH_VERDICTS, f"{where}: verdict {record['verdict']}"
    assert record["target"] in ("lab:ext4", "lab:xfs", "lab:virtio-ext4",
                                "lab:virtio-xfs"), where
    assert record["file_state"] in ("sparse", "fallocated", "zeroed"), where
    # A virtio-pmem kind has its own domain and only it; the NVDIMM kinds take adr or eadr.
    virtio = record["target"].startswith("lab:virtio-")
    assert record["persistence"] in (("virtio",) if virtio else ("adr", "eadr")), where
    assert record["expectation"] in ("durable", "loses-metadata", "loses-cache"), where
    write = record["concurrent_write"]
    suffix = f"/flush-{record['flush']}" if record["flush"] != "auto" else ""
    suffix += f"/write-{write['placement']}" if write is not None else ""
    suffix += f"/{record['persistence']}" if record["persistence"] != "adr" else ""
    assert record["cell"] == (f"{record['workload']}/{record['mode']}/{record['target']}/"
                              f"{record['file_state']}{suffix}"), where
    assert record["cut"] >= 0 and record["cut_after_s"] >= 0, where
    if record["status"] != "ok":
        assert isinstance(record["reason"], str) and record["reason"], f"{where}: no reason"
        assert all(record[key] is None for key in CRASH_COUNTS), where
        assert record["verdict"] in ("ERROR", "UNSUPPORTED"), where
        assert record["images"] is None, where
        return
    check_images(record, where)
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


def check_images(record, where):
    """An ok cut's images: the strict one always, its counts the record's own; mixes and live
    only under ADR; the record's verdict the worst image verdict."""
    images = record["images"]
    assert isinstance(images, dict) and "strict" in images, where
    # eADR and virtio-pmem check the live file only, as the strict image.
    expected = {"strict"} if record["persistence"] in ("eadr", "virtio") else None
    if expected is not None:
        assert set(images) == expected, f"{where}: images {sorted(images)}"
    for name, image in images.items():
        for key in IMAGE_COUNTS:
            assert isinstance(image[key], int) and image[key] >= 0, f"{where}: {name}.{key}"
        assert image["verdict"] is None or image["verdict"] in CRASH_VERDICTS, where
        assert image["source"] == ("mix" if name.startswith("mix-") else
                                   "live" if name == "live" or record["persistence"] != "adr"
                                   else "model"), f"{where}: {name}"
        assert ("lines_differing" in image) == (image["source"] == "mix"), f"{where}: {name}"
        # What the image kept of a concurrency cell's second process, and only there.
        write = record["concurrent_write"]
        assert ("concurrent_kept" in image) == (write is not None), f"{where}: {name}"
        if write is not None:
            kept = image["concurrent_kept"]
            assert isinstance(kept, int) and 0 <= kept <= write["written"], f"{where}: {name}"
    if record["concurrent_write"] is not None:
        assert images["strict"]["concurrent_kept"] == record["concurrent_write"]["present_valid"], \
            f"{where}: strict concurrent_kept"
    for key in IMAGE_COUNTS:
        assert images["strict"][key] == record[key], f"{where}: strict {key}"
    verdicts = [i["verdict"] for i in images.values() if i["verdict"] is not None]
    order = ["FAIL", "LOSS-EXPECTED", "NO-LOSS-SEEN", "PASS", "ERROR"]
    assert record["verdict"] == min(verdicts, key=order.index), where


CONCURRENT_COUNTS = ("written", "present_valid", "missing", "torn", "torn_in_flight",
                     "unacknowledged_present")


def check_concurrent_write(write, where):
    """The second process's side of a concurrency cell (its records are a log-append)."""
    assert write["placement"] in ("inside", "append", "mapped"), where
    for key in CONCURRENT_COUNTS:
        assert isinstance(write.get(key), int) and write[key] >= 0, f"{where}: {key}"
    assert write["present_valid"] + write["missing"] == write["written"], where
    assert write["torn_in_flight"] <= min(1, write["torn"]), where


def read_crash(folder):
    with open(folder / "crash.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def undocumented_definitions(schema=SCHEMA):
    """The fields schema.py itself names (its type tables and lists) that the page lacks:
    [] when the two agree; tests/e2e/test_schema.py asserts so."""
    named = [("fio_record", key) for key in FIO_REQUIRED_TYPES]
    named += [("context", key) for key in CONTEXT_REQUIRED]
    named += [("context", f"targets[].{key}") for key in TARGET_REQUIRED]
    named += [("context", f"counters.{key}") for key in
              ("perf_event_paranoid", "hardware_pmu", "tracefs.path", "tracefs.problem",
               "tracefs.mounted_by_daxbench", "tracefs.at_end")]
    named += [("context", key) for key in ("tsc.ticks_per_ns", "tsc.timing_cost_ns",
                                           "suite.version", "host.kernel", "host.cpu_model",
                                           "config.text")]
    named += [("crash", key) for key in (*CRASH_REQUIRED_TYPES, *CRASH_COUNTS, "journal_window",
                                         "reason", "first_lost_seq", "file_missing", "emulated",
                                         "concurrent_write", "images")]
    named += [("crash", f"images.*.{key}") for key in (*IMAGE_COUNTS, "source", "verdict",
                                                        "lines_differing", "lines_from_live",
                                                        "concurrent_kept")]
    named += [("crash", f"concurrent_write.{key}") for key in ("placement", *CONCURRENT_COUNTS)]
    return [f"{obj}: {path}" for obj, path in named if field(schema, obj, path) is None]
