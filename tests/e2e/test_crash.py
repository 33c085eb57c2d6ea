"""Power cuts end to end (configs/crash-smoke.yaml): the driver boots the lab guest with the
crash writers, kills QEMU at a seeded moment, reboots on the same pmem file and checks. Every
durable mode must lose nothing; flush-only on a sparse file must be seen to lose data; beside
map-sync and sealed-extent a second process write()s the same file and never syncs.
Skipped only with DAXBENCH_TEST_NO_LAB=1 (conftest.py); a lab that cannot boot fails. About
2 minutes."""
import json
import os
import subprocess

import pytest

import schema
from lab_gate import fail_unless_the_lab_ran, require_lab

DURABLE = {"fdatasync", "map-sync", "sealed-extent", "fsync-per-fault"}


@pytest.fixture(scope="module")
def crash_run(root, driver, tmp_path_factory):
    require_lab()
    out = tmp_path_factory.mktemp("crash") / "run"
    config = root / "configs" / "crash-smoke.yaml"
    done = subprocess.run([str(driver), "run", "--config", str(config), "--out", str(out)],
                          capture_output=True, text=True, timeout=1200)
    assert (out / "crash.jsonl").exists(), done.stderr[-4000:]
    records = schema.read_crash(out)
    fail_unless_the_lab_ran(records, kind="crash")
    return done, out, records, json.loads((out / "context.json").read_text())


def test_the_run_passes_and_every_record_fits_the_schema(crash_run):
    done, _, records, _ = crash_run
    assert done.returncode == 0, done.stderr[-4000:]
    # 9 cells (sealed-extent: zeroed only) + 6 concurrency cells (map-sync: 2 file states x
    # 2 placements, sealed-extent: 2 placements) x 2 cuts
    assert len(records) == 30
    for record in records:
        schema.check_crash_record(record)
        assert record["status"] == "ok", (record["cell"], record["reason"])
        assert record["journal_window"].startswith("long(")
    assert {r["cut"] for r in records} == {0, 1}


def test_durable_modes_lose_nothing_they_acknowledged(crash_run):
    _, _, records, _ = crash_run
    durable = [r for r in records if r["mode"] in DURABLE or r["file_state"] == "zeroed"]
    assert durable
    for r in durable:
        assert r["acknowledged"] > 0, r["cell"]
        assert r["lost"] == 0, (r["cell"], r["cut"], r["seed"])
        assert r["torn"] == r["torn_in_flight"], r["cell"]
        assert r["verdict"] == "PASS", r["cell"]


def test_a_concurrent_write_never_costs_the_mode_a_record(crash_run):
    _, _, records, context = crash_run
    concurrent = [r for r in records if r["concurrent_write"] is not None]
    assert {(r["mode"], r["file_state"], r["concurrent_write"]["placement"])
            for r in concurrent} == {("map-sync", "sparse", "inside"),
                                     ("map-sync", "sparse", "append"),
                                     ("map-sync", "zeroed", "inside"),
                                     ("map-sync", "zeroed", "append"),
                                     ("sealed-extent", "zeroed", "inside"),
                                     ("sealed-extent", "zeroed", "append")}
    for r in concurrent:
        assert r["verdict"] == "PASS" and r["lost"] == 0, (r["cell"], r["cut"], r["seed"])
        # The second process was writing when the power went: what it kept is the finding.
        assert r["concurrent_write"]["written"] > 0, r["cell"]
    matrix = {c["cell"]: c for c in context["crash"]["matrix"]}
    cell = matrix["log-append/sealed-extent/lab:ext4/zeroed/write-append"]
    assert cell["concurrent_write"]["placement"] == "append"
    assert cell["concurrent_write"]["written"] == sum(
        r["concurrent_write"]["written"] for r in concurrent
        if r["cell"] == "log-append/sealed-extent/lab:ext4/zeroed/write-append")


def test_the_unsafe_control_is_seen_to_lose(crash_run):
    _, _, records, context = crash_run
    control = [r for r in records if r["mode"] == "flush-only" and r["file_state"] == "sparse"]
    assert len(control) == 2 and sum(r["lost"] for r in control) > 0
    matrix = {c["cell"]: c for c in context["crash"]["matrix"]}
    assert matrix["log-append/flush-only/lab:ext4/sparse"]["verdict"] == "LOSS-EXPECTED"
    assert all(c["verdict"] in ("PASS", "LOSS-EXPECTED") for c in matrix.values())
    assert context["crash"]["cuts"] == 2 and context["crash"]["rounds_done"] == 2
    assert context["crash"]["journal_window"]["ext4"].startswith("long(")


def test_each_cut_keeps_its_manifest_and_consoles(crash_run):
    _, out, records, _ = crash_run
    for job in {r["job_dir"] for r in records}:
        folder = out / job
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["cells"] and manifest["nonce"] > 0
        assert "WRITERS-STARTED" in (folder / "console-writer.log").read_text()
        assert (folder / "check.jsonl").stat().st_size > 0


def test_a_broken_lab_fails_every_cut_instead_of_passing_for_unsupported(root, driver, tmp_path):
    require_lab()
    out = tmp_path / "run"
    done = subprocess.run([str(driver), "run", "--config", str(root / "configs" / "crash-smoke.yaml"),
                           "--out", str(out)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "DAXBENCH_LAB_DIR": str(tmp_path)})
    assert done.returncode == 1, done.stderr[-3000:]
    records = schema.read_crash(out)
    assert len(records) == 30
    for r in records:
        schema.check_crash_record(r)
        assert r["status"] == "failed", (r["cell"], r["status"])
        assert "the lab is broken: its scripts are missing" in r["reason"], r["reason"]
