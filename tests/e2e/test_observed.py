"""Observed instruction counts (docs/lab.md): with `lab: {model: true}` the lab guest runs under
the persistence model, and each record carries the clwb, clflushopt, clflush, sfence, mfence and
non-temporal store instructions the guest executed in its timed phase, user and kernel apart.
Counted flushes become observed flushes: for every flushing mode and primitive, the Writer's
`lines_flushed` and `fences` equal the user-mode instructions the model saw, exactly. Skipped
only with DAXBENCH_TEST_NO_LAB=1 (conftest.py)."""
import json
import subprocess

import pytest

import schema
from lab_config import run_lab_config
from lab_gate import fail_unless_the_lab_ran, require_lab

MODES = ("map-sync", "sealed-extent", "flush-only")
# -cpu max under TCG advertises all three flush instructions (lab-facts); ntstore's partial
# edge lines go through the best of them.
FLUSHES = ("clwb", "clflushopt", "clflush", "ntstore")
FLUSH_INSNS = ("clwb", "clflushopt", "clflush")
KINDS = (*FLUSH_INSNS, "sfence", "mfence", "nt_store", "nt_store_bytes")

# 100-byte records: most cover a whole line and part of one or two more, so ntstore does both
# non-temporal lines and flushed edges.
CONFIG = f"""
targets: [lab:ext4]
lab: {{model: true}}
defaults: {{duration_s: 0.2, warmup_s: 0.05, repetitions: 1, working_set: 2M, seed: 1}}
cases:
  - workload: log-append
    mode: [{", ".join(MODES)}]
    flush: [{", ".join(FLUSHES)}]
    record_size: 100
  # Two writers share the one vCPU (the counts are the whole guest's); none flushes nothing.
  - workload: log-append
    mode: flush-only
    flush: [clwb, none]
    record_size: 100
    threads: 2
"""


@pytest.fixture(scope="module")
def observed_run(driver, tmp_path_factory):
    require_lab()
    base = tmp_path_factory.mktemp("observed")
    config = base / "observed.yaml"
    config.write_text(CONFIG)
    out = base / "run"
    # Relative paths, from the config's folder: the guest's job runs in its job folder, so
    # the host must hand it absolute ones (its records and the snapshot file).
    done = subprocess.run([str(driver), "run", "--config", config.name, "--out", out.name],
                          capture_output=True, text=True, timeout=1500, cwd=base)
    assert (out / "records.jsonl").exists(), done.stderr[-4000:]
    records = schema.read_records(out)
    fail_unless_the_lab_ran(records)
    assert done.returncode == 0, done.stderr[-4000:]
    assert json.loads((out / "context.json").read_text())["lab"]["lab:ext4"]["model"] is True
    return out, records


def value(record, name):
    counter = record["counters"][name]
    assert counter["status"] == "ok", (record["case_id"], name, counter["status"])
    return counter["value"]


def test_every_case_records_observed_counts_with_unit_and_scope(observed_run):
    _, records = observed_run
    assert len(records) == len(MODES) * len(FLUSHES) + 2
    for record in records:
        schema.check_record(record)
        assert record["status"] == "ok", (record["case_id"], record["reason"])
        for privilege, scope in (("user", "guest-user"), ("kernel", "guest-kernel")):
            for kind in KINDS:
                counter = record["counters"][f"observed_{privilege}_{kind}"]
                assert counter["status"] == "ok", (record["case_id"], kind, counter["status"])
                assert counter["scope"] == scope
                assert counter["unit"] == ("bytes" if kind == "nt_store_bytes" else "instructions")
                assert counter["per_op"] == pytest.approx(counter["value"] / record["ops"])


def test_counted_flushes_and_fences_are_the_instructions_the_guest_executed(observed_run):
    _, records = observed_run
    seen = set()
    for record in records:
        where = record["case_id"]
        flush = record["flush"]
        seen.add((record["mode"], flush))
        lines_flushed, fences = value(record, "lines_flushed"), value(record, "fences")
        lines_nt = value(record, "lines_nt_stored")
        user = {kind: value(record, f"observed_user_{kind}") for kind in KINDS}
        assert fences > 0 and (lines_flushed > 0) == (flush != "none"), where
        # The one instruction the primitive is (ntstore's edges: the best one, clwb under TCG).
        insn = {"ntstore": "clwb", "none": None}.get(flush, flush)
        assert user.get(insn, 0) == lines_flushed, (where, user, lines_flushed)
        assert all(user[other] == 0 for other in FLUSH_INSNS if other != insn), (where, user)
        assert user["sfence"] == fences, (where, user, fences)
        assert user["mfence"] == 0, (where, user)
        assert user["nt_store_bytes"] == 64 * lines_nt, (where, user, lines_nt)
        if flush == "ntstore":
            assert lines_nt > 0 and user["nt_store"] > 0, where
        else:
            assert lines_nt == 0 and user["nt_store"] == 0, (where, user)
        # Per operation, the same equality (per_op = value / ops on both sides).
        assert record["counters"]["observed_user_sfence"]["per_op"] == pytest.approx(
            record["counters"]["fences"]["per_op"], rel=1e-12)
        if insn:
            assert record["counters"][f"observed_user_{insn}"]["per_op"] == pytest.approx(
                record["counters"]["lines_flushed"]["per_op"], rel=1e-12)
    assert seen == {(m, f) for m in MODES for f in FLUSHES} | {("flush-only", "none")}
    assert [r["params"]["threads"] for r in records].count(2) == 2


def test_the_plugins_totals_at_exit_cover_the_observed_timed_phases(observed_run):
    out, records = observed_run
    job = out / "lab-ext4"
    # The plugin's own totals at QEMU's exit cover the whole boot: at least the timed phases.
    stats = json.loads((job / "model-stats.json").read_text())
    for kind in ("clwb", "clflushopt", "clflush", "sfence", "nt_store_bytes"):
        assert stats["user"][kind] >= sum(value(r, f"observed_user_{kind}") for r in records)
    assert (job / "observed-counts").read_text().startswith("daxbench-observed-counts 1\n")


# One short flush-only case on lab:ext4, for the tests that ask one question of one boot.
TINY = ("targets: [lab:ext4]\n"
        "defaults: {duration_s: 0.1, warmup_s: 0, repetitions: 1, working_set: 1M}\n"
        "cases:\n  - {workload: log-append, mode: flush-only}\n")


def test_without_lab_model_the_guest_boots_without_the_plugin_and_records_no_observed_counts(
        driver, tmp_path):
    require_lab()
    done, out, records = run_lab_config(driver, tmp_path, TINY)
    assert done.returncode == 0, done.stderr[-4000:]
    assert len(records) == 1 and records[0]["status"] == "ok", records
    assert not [name for name in records[0]["counters"] if name.startswith("observed_")]
    job = out / "lab-ext4"
    lab = json.loads((out / "context.json").read_text())["lab"]["lab:ext4"]
    assert lab["model"] is False
    # ADR by default, as the guest's kernel reads the region (bench/targets/mounts.cpp).
    assert lab["persistence"] == "adr"
    assert lab["guest_context"]["targets"][0]["persistence_domain"].startswith("memory_controller")
    assert "DAXBENCH_OBSERVED" not in (job / "job.sh").read_text()
    assert not (job / "model-stats.json").exists() and not (job / "observed-counts").exists()


def test_a_model_that_cannot_run_leaves_the_counters_unavailable_with_the_reason(driver, tmp_path):
    require_lab()
    missing = tmp_path / "no-such-plugin.so"
    done, out, records = run_lab_config(driver, tmp_path, "lab: {model: true}\n" + TINY,
                                        env={"DAXBENCH_MODEL_PLUGIN": str(missing)})
    assert done.returncode == 0, done.stderr[-4000:]
    assert len(records) == 1 and records[0]["status"] == "ok", records
    schema.check_record(records[0])
    observed = {n: c for n, c in records[0]["counters"].items() if n.startswith("observed_")}
    assert len(observed) == 2 * len(KINDS)
    for counter in observed.values():
        assert counter["value"] is None
        assert counter["status"] == (f"unavailable: ENOENT (the persistence model's plugin "
                                     f"{missing} is missing (build it))")
    assert json.loads((out / "context.json").read_text())["lab"]["lab:ext4"]["model"] is False


def test_a_primitive_that_counts_a_line_it_never_flushed_is_caught(driver, tmp_path):
    """The test driver's mutant (tests/unit/mutant_flush.h) returns the right count, so the
    flush conformance checks pass it; the executed instructions give it away."""
    require_lab()
    done, _, records = run_lab_config(
        driver.parent / "daxbench-mutants", tmp_path,
        "targets: [lab:ext4]\nlab: {model: true}\n"
        "defaults: {duration_s: 0.1, warmup_s: 0, repetitions: 1, working_set: 1M}\n"
        "cases:\n  - {workload: log-append, mode: flush-only, record_size: 100,\n"
        "     flush: [clwb, mutant-counts-a-skipped-line]}\n")
    assert done.returncode == 0, done.stderr[-4000:]
    by_flush = {r["flush"]: r for r in records}
    assert set(by_flush) == {"clwb", "mutant-counts-a-skipped-line"}, records
    good, mutant = by_flush["clwb"], by_flush["mutant-counts-a-skipped-line"]
    assert value(good, "observed_user_clwb") == value(good, "lines_flushed")
    # Every commit's last line went unflushed: one per operation fewer than counted.
    assert value(mutant, "observed_user_clwb") == value(mutant, "lines_flushed") - mutant["ops"]
    assert value(mutant, "observed_user_sfence") == value(mutant, "fences")
