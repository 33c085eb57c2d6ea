"""model/registry.py: the driver's registry read from context.json and a record's shape object
when the driver writes them, today's tables and the case id otherwise."""
import json

import fixtures
from daxbench_analysis.model.registry import FALLBACK, Registry, case_shape, parse_shape_id
from daxbench_analysis.model.run import load_run


def test_without_a_registry_the_fallback_tables():
    assert Registry.from_context({}) is FALLBACK
    assert FALLBACK.mode_rank("fdatasync") == 0
    assert FALLBACK.mode_rank("bogus") == len(FALLBACK.modes)
    assert "flush" in FALLBACK.mode_params and "record_size" not in FALLBACK.mode_params


def test_the_drivers_registry_wins():
    registry = Registry.from_context({"registry": {
        "modes": [{"name": "none", "durability": "control", "params": []},
                  {"name": "fdatasync", "durability": "syscall",
                   "params": [{"name": "sync_call"}, {"name": "record_size"}]}],
        "crash": {"cut_verdicts": ["PASS", "FAIL"]}}})
    assert registry.modes == ("none", "fdatasync")
    assert registry.mode_params == {"sync_call", "record_size"}
    assert registry.cell_verdict(["FAIL", "PASS"]) == "PASS"
    assert registry.row_verdicts == FALLBACK.row_verdicts   # not written: the fallback's


def test_a_run_orders_its_columns_by_the_written_registry(tmp_path):
    folder = fixtures.make_run(tmp_path / "run", [fixtures.case("log-append", "fdatasync", 1000),
                                                  fixtures.case("log-append", "none", 9000)])
    assert [c.mode for c in next(iter(load_run(folder).groups().values()))] == ["fdatasync", "none"]
    context = json.loads((folder / "context.json").read_text())
    context["registry"] = {"modes": [{"name": "none"}, {"name": "fdatasync"}]}
    (folder / "context.json").write_text(json.dumps(context))
    assert [c.mode for c in next(iter(load_run(folder).groups().values()))] == ["none", "fdatasync"]


def test_a_shape_object_wins_over_the_case_id():
    record = {"workload": "log-append", "mode": "msync", "target": "file:/x",
              "case_id": "log-append/msync/file:/x/trace=a,b.trace"}
    assert case_shape(record) == {"trace": "a,b.trace"}    # parsed, the comma rejoined
    record["shape"] = {"trace": "a,b.trace", "record_size": 4096}
    assert case_shape(record) == {"trace": "a,b.trace", "record_size": "4096"}
    assert parse_shape_id("defaults") == {}


def test_verdict_rules():
    assert FALLBACK.cell_verdict(["PASS", "ERROR"]) == "PASS"
    assert FALLBACK.cell_verdict([]) == "UNSUPPORTED"
    assert FALLBACK.row_verdict({"PASS", "NO-LOSS-SEEN"}) == "NO-LOSS-SEEN"
    assert FALLBACK.row_verdict({"odd", "weird"}) == "odd,weird"
