"""Power cuts end to end (configs/crash-smoke.yaml): the driver boots the lab guest with the
crash writers (under ADR with the persistence model), kills QEMU at a seeded moment, reboots
on each crash image (strict, a mix, live) and checks. Every durable mode must lose nothing on
any image, under ADR and eADR; flush-only on a sparse file must be seen to lose data, and under
ADR so must `none` and `flush: none` on a zeroed file, whose lines nothing wrote back; beside
map-sync and sealed-extent a second process write()s the same file and never syncs, or (mapped,
Lutomirski's question) stores into it through a plain MAP_SHARED mapping and never flushes.
Skipped only with DAXBENCH_TEST_NO_LAB=1 (conftest.py); a lab that cannot boot fails. About
7 minutes."""
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
    # Per domain: fdatasync 2 and none 2 cells (sparse, zeroed); map-sync 4 and flush-only 4
    # (2 file states x flush auto/none); sealed-extent 2 (zeroed x 2 flushes); 9 concurrency
    # cells (map-sync: 2 file states x 3 placements, sealed-extent: 3 placements): 23 cells,
    # x 2 domains x 2 cuts
    assert len(records) == 92
    for record in records:
        schema.check_crash_record(record)
        assert record["status"] == "ok", (record["cell"], record["reason"])
        assert record["journal_window"].startswith("long(")
    assert {r["cut"] for r in records} == {0, 1}


def test_durable_modes_lose_nothing_they_acknowledged_on_any_image(crash_run):
    _, _, records, _ = crash_run
    durable = [r for r in records if r["expectation"] == "durable"]
    # The durable modes with a real flush, in both domains, and under eADR also the cells whose
    # lines nothing wrote back (the cache is persistent there).
    assert {r["mode"] for r in durable} == (DURABLE - {"fsync-per-fault"}) | {"flush-only", "none"}
    for r in durable:
        assert r["mode"] in DURABLE or r["file_state"] == "zeroed", r["cell"]
        assert r["acknowledged"] > 0, r["cell"]
        images = {"strict"} if r["persistence"] == "eadr" else {"strict", "mix-1", "live"}
        assert set(r["images"]) == images, r["cell"]
        for name, image in r["images"].items():
            assert image["lost"] == 0, (r["cell"], name, r["cut"], r["seed"])
            assert image["torn"] == image["torn_in_flight"], (r["cell"], name)
            assert image["verdict"] == "PASS", (r["cell"], name)
        assert r["verdict"] == "PASS", r["cell"]


def test_a_concurrent_write_never_costs_the_mode_a_record(crash_run):
    _, _, records, context = crash_run
    concurrent = [r for r in records if r["concurrent_write"] is not None]
    assert {(r["mode"], r["file_state"], r["concurrent_write"]["placement"])
            for r in concurrent} == {(mode, state, placement)
                                     for mode, state in (("map-sync", "sparse"),
                                                         ("map-sync", "zeroed"),
                                                         ("sealed-extent", "zeroed"))
                                     for placement in ("inside", "append", "mapped")}
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


def test_a_dax_unaware_mapping_keeps_its_stores_only_where_the_cache_is_persistent(crash_run):
    """Lutomirski's question: a process maps the DAX file with plain MAP_SHARED and stores into
    it, never flushing — what writes its lines back? Under ADR nothing (the strict image keeps
    none of them); under eADR the cache is persistent, so it keeps every store it made. The
    mode's own records beside it are judged as ever."""
    _, _, records, context = crash_run
    mapped = [r for r in records
              if r["concurrent_write"] is not None and r["concurrent_write"]["placement"] == "mapped"]
    assert {(r["mode"], r["file_state"], r["persistence"]) for r in mapped} == {
        (mode, state, domain) for mode, state in (("map-sync", "sparse"), ("map-sync", "zeroed"),
                                                  ("sealed-extent", "zeroed"))
        for domain in ("adr", "eadr")}
    assert len(mapped) == 12
    for r in mapped:
        where = (r["cell"], r["cut"], r["seed"])
        assert r["verdict"] == "PASS" and r["lost"] == 0, where
        write = r["concurrent_write"]
        assert write["written"] > 0, where
        kept = {name: image["concurrent_kept"] for name, image in r["images"].items()}
        if r["file_state"] != "zeroed":
            continue  # sparse: its faults also allocate blocks, unsynced — measured, not judged
        if r["persistence"] == "eadr":
            # The live file is the strict image: every store it published is there, whole.
            assert kept == {"strict": write["written"]}, (where, kept, write)
            assert write["torn"] == 0, where
        else:
            # Nothing — not the mode's flushes (its own lines only), not the kernel — wrote back
            # a line of the mapped writer before the cut: the strict image holds none of its
            # records, the live file holds them all.
            assert kept["strict"] == 0, (where, kept, write)
            assert write["missing"] == write["written"], where
            assert kept["live"] == write["written"], (where, kept, write)
    matrix = {c["cell"]: c for c in context["crash"]["matrix"]}
    cell = "log-append/sealed-extent/lab:ext4/zeroed/write-mapped"
    assert matrix[cell]["concurrent_write"]["kept"] == {
        name: sum(r["images"][name]["concurrent_kept"] for r in mapped if r["cell"] == cell)
        for name in ("strict", "mix-1", "live")}
    assert matrix[cell]["concurrent_write"]["kept"]["strict"] == 0
    assert matrix[cell + "/eadr"]["concurrent_write"]["kept"]["strict"] == \
        matrix[cell + "/eadr"]["concurrent_write"]["written"] > 0


def test_the_unsafe_controls_are_seen_to_lose(crash_run):
    _, _, records, context = crash_run
    control = [r for r in records if r["mode"] == "flush-only" and r["file_state"] == "sparse"
               and r["flush"] == "auto"]
    assert len(control) == 4 and all(r["lost"] > 0 for r in control)
    matrix = {c["cell"]: c for c in context["crash"]["matrix"]}
    for cell in ("log-append/flush-only/lab:ext4/sparse",
                 "log-append/flush-only/lab:ext4/sparse/eadr",
                 # Under ADR with the model: nothing wrote these lines back.
                 "log-append/none/lab:ext4/zeroed",
                 "log-append/flush-only/lab:ext4/zeroed/flush-none",
                 "log-append/map-sync/lab:ext4/zeroed/flush-none",
                 "log-append/sealed-extent/lab:ext4/zeroed/flush-none"):
        assert matrix[cell]["verdict"] == "LOSS-EXPECTED", (cell, matrix[cell])
    for cell in ("log-append/none/lab:ext4/zeroed/eadr",
                 "log-append/map-sync/lab:ext4/zeroed/flush-none/eadr",
                 "log-append/flush-only/lab:ext4/zeroed"):
        assert matrix[cell]["verdict"] == "PASS", (cell, matrix[cell])
    # Every cut of a cache control loses on the strict image: each cut proves it.
    cache = [r for r in records if r["expectation"] == "loses-cache"]
    assert cache and all(r["images"]["strict"]["lost"] > 0 for r in cache)
    assert all(c["verdict"] in ("PASS", "LOSS-EXPECTED") for c in matrix.values())
    crash = context["crash"]
    assert crash["cuts"] == 2 and crash["rounds_done"] == 2
    assert crash["journal_window"]["ext4"].startswith("long(")
    assert crash["persistence_domain"] == {"adr": "memory_controller", "eadr": "cpu_cache"}
    assert crash["model"]["unavailable"] is None and crash["model"]["plugin"]


def test_each_cut_keeps_its_manifest_and_consoles(crash_run):
    _, out, records, _ = crash_run
    for job in {r["job_dir"] for r in records}:
        folder = out / job
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["cells"] and manifest["nonce"] > 0
        assert "WRITERS-STARTED" in (folder / "console-writer.log").read_text()
        for image in ("strict", "mix-1", "live") if job.startswith("crash/adr-") else ("strict",):
            assert (folder / f"check-{image}.jsonl").stat().st_size > 0, (job, image)


def test_a_broken_lab_fails_every_cut_instead_of_passing_for_unsupported(root, driver, tmp_path):
    require_lab()
    out = tmp_path / "run"
    done = subprocess.run([str(driver), "run", "--config", str(root / "configs" / "crash-smoke.yaml"),
                           "--out", str(out)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "DAXBENCH_LAB_DIR": str(tmp_path)})
    assert done.returncode == 1, done.stderr[-3000:]
    records = schema.read_crash(out)
    assert len(records) == 92
    for r in records:
        schema.check_crash_record(r)
        assert r["status"] == "failed", (r["cell"], r["status"])
        assert "the lab is broken: its scripts are missing" in r["reason"], r["reason"]
