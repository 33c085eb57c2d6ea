"""The guest side of the power-cut tests, on this host: crash-writer runs a manifest's cells
until killed, crash-check counts what each file kept of what was acknowledged. A process kill
loses nothing from the page cache, so this checks plumbing (and that damage is seen), not
power cuts."""
import json
import os
import pathlib
import signal
import subprocess
import time

import pytest

from waiting import users_of, wait_for

WORKLOADS = ["log-append", "random-update", "kv-put"]
KILL_AFTER_S = 0.5
# A region no writer can fill before it is killed or its max_seconds pass (a million 64-byte
# records, each with its fdatasync), so that it stops for the reason the test is about.
UNFILLABLE = 64 << 20


@pytest.fixture(scope="session")
def crash_driver(root):
    driver = pathlib.Path(os.environ.get("DAXBENCH_BUILD", root / "build")) / "daxbench"
    if not driver.exists():
        pytest.skip(f"{driver} is not built")
    return driver


def cell(tmp_path, workload, mode="fdatasync", **overrides):
    name = f"{workload}-{mode}"
    spec = {"id": name, "workload": workload, "mode": mode, "file_state": "sparse",
            "flush": "auto", "file": str(tmp_path / "data" / f"{name}.dat"),
            "ack": str(tmp_path / "job" / f"{name}.ack"), "size": 1 << 20, "seed": 11,
            "max_seconds": 1}
    spec.update(overrides)
    return spec


def write_manifest(tmp_path, cells, nonce=0xFEEDFACE12345678):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"nonce": nonce, "cells": cells}))
    return path


def crash_check(driver, manifest, tmp_path):
    out = tmp_path / "check.jsonl"
    subprocess.run([str(driver), "crash-check", "--manifest", str(manifest), "--out", str(out)],
                   check=True, capture_output=True, text=True, timeout=60)
    return {line["id"]: line for line in map(json.loads, out.read_text().splitlines())}


def start_writers(driver, manifest):
    """Starts crash-writer in its own process group; returns it once every cell has
    committed once, with the line that said so."""
    proc = subprocess.Popen([str(driver), "crash-writer", "--manifest", str(manifest)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("DAXBENCH-CRASH WRITERS-STARTED"):
            return proc, lines
    proc.wait(timeout=30)
    pytest.fail(f"no WRITERS-STARTED line: {lines} {proc.stderr.read()}")


def published_seq(path):
    """The last seq an AckFile published (8 bytes little-endian), 0 if none yet."""
    data = pathlib.Path(path).read_bytes() if pathlib.Path(path).exists() else b""
    return int.from_bytes(data[:8], "little") if len(data) >= 8 else 0


def test_a_killed_writer_loses_nothing_and_damage_is_seen(crash_driver, disk_tmp_path):
    tmp_path = disk_tmp_path  # a disk filesystem: on tmpfs no fdatasync makes a record durable
    cells = [cell(tmp_path, w, max_seconds=30, size=UNFILLABLE) for w in WORKLOADS]
    manifest = write_manifest(tmp_path, cells)
    proc, lines = start_writers(crash_driver, manifest)
    assert lines[-1].strip() == f"DAXBENCH-CRASH WRITERS-STARTED {len(cells)}"
    time.sleep(KILL_AFTER_S)
    os.killpg(proc.pid, signal.SIGKILL)  # the parent and every cell, as a power cut would
    proc.wait(timeout=10)

    checked = crash_check(crash_driver, manifest, tmp_path)
    assert sorted(checked) == sorted(c["id"] for c in cells)
    for spec in cells:
        result = checked[spec["id"]]
        assert result["workload"] == spec["workload"]
        assert result["mode"] == "fdatasync" and result["file_state"] == "sparse"
        assert result["acknowledged"] > 0, result
        # The record being stored at the kill may be half there; nothing else may be torn.
        assert result["lost"] == 0 and result["torn"] == result["torn_in_flight"] <= 1, result
        assert result["present_valid"] == result["expected"] > 0, result
        assert result["first_lost_seq"] is None and result["file_missing"] is False
        assert result["writer"]["status"] == "started", result

    # Zero the first 64 KiB of the log-append file: its first 1024 records (or all it had).
    damaged = pathlib.Path(cells[0]["file"])
    with open(damaged, "r+b") as f:
        f.write(bytes(64 * 1024))
    before = checked[cells[0]["id"]]
    after = crash_check(crash_driver, manifest, tmp_path)[cells[0]["id"]]
    assert after["lost"] == min(before["acknowledged"], 1024), after
    assert after["first_lost_seq"] == 1
    assert after["acknowledged"] == before["acknowledged"]


def test_writers_stop_by_themselves_at_max_seconds(crash_driver, disk_tmp_path):
    tmp_path = disk_tmp_path  # a disk filesystem: the cells must say they are durable
    cells = [cell(tmp_path, w, max_seconds=0.3, size=UNFILLABLE) for w in WORKLOADS]
    manifest = write_manifest(tmp_path, cells)
    done = subprocess.run([str(crash_driver), "crash-writer", "--manifest", str(manifest)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"DAXBENCH-CRASH WRITERS-STARTED {len(cells)}" in done.stdout
    for spec in cells:
        status = json.loads(pathlib.Path(spec["ack"] + ".status").read_text())
        assert status["status"] == "finished" and status["reason"] == "max_seconds", status
        assert status["records"] > 0 and status["durable"] is True
    checked = crash_check(crash_driver, manifest, tmp_path)
    assert all(r["lost"] == 0 and r["acknowledged"] > 0 for r in checked.values()), checked

    # A second writer on the same manifest must not overwrite the first one's files.
    again = subprocess.run([str(crash_driver), "crash-writer", "--manifest", str(manifest)],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode != 0
    assert "cells[0].file" in again.stderr and "exists" in again.stderr


def test_an_unsupported_mode_is_reported_not_a_crash(crash_driver, tmp_path):
    cells = [cell(tmp_path, "log-append", mode="map-sync", max_seconds=0.3),
             cell(tmp_path, "kv-put", max_seconds=0.3)]
    manifest = write_manifest(tmp_path, cells)
    done = subprocess.run([str(crash_driver), "crash-writer", "--manifest", str(manifest)],
                          capture_output=True, text=True, timeout=60)
    status = json.loads(pathlib.Path(cells[0]["ack"] + ".status").read_text())
    if status["status"] == "started" or status["status"] == "finished":
        pytest.skip("this host's filesystem accepts MAP_SYNC")
    assert done.returncode == 0, done.stderr
    assert f"CELL-NOT-STARTED {cells[0]['id']} unsupported" in done.stdout
    assert "DAXBENCH-CRASH WRITERS-STARTED 1" in done.stdout
    assert status["status"] == "unsupported"
    assert "EOPNOTSUPP" in status["reason"], status
    checked = crash_check(crash_driver, manifest, tmp_path)
    assert checked[cells[0]["id"]]["acknowledged"] == 0
    assert checked[cells[0]["id"]]["writer"]["status"] == "unsupported"
    assert checked[cells[1]["id"]]["acknowledged"] > 0


@pytest.mark.parametrize("field,value,message", [
    ("mode", "no-such-mode", "cells[0].mode: unknown mode 'no-such-mode'"),
    ("workload", "btree", "cells[0].workload: unknown crash workload 'btree'"),
    ("file_state", "holey", "cells[0].file_state"),
    ("size", 16, "cells[0].size"),
    ("max_seconds", "soon", "cells[0].max_seconds"),
    ("file", None, "cells[0].file: missing"),
])
def test_a_bad_manifest_names_the_field(crash_driver, tmp_path, field, value, message):
    spec = cell(tmp_path, "log-append")
    if value is None:
        del spec[field]
    else:
        spec[field] = value
    manifest = write_manifest(tmp_path, [spec])
    for command in (["crash-writer"], ["crash-check", "--out", str(tmp_path / "c.jsonl")]):
        done = subprocess.run([str(crash_driver), *command, "--manifest", str(manifest)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode != 0
        assert message in done.stderr, done.stderr
    assert not (tmp_path / "data").exists()  # nothing was created


def test_a_manifest_without_a_nonce_is_refused(crash_driver, tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"cells": [cell(tmp_path, "kv-put")]}))
    done = subprocess.run([str(crash_driver), "crash-writer", "--manifest", str(manifest)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "nonce: missing" in done.stderr


def test_a_concurrent_writer_is_killed_with_its_cell_and_counted_apart(crash_driver, tmp_path):
    cells = [cell(tmp_path, "log-append", mode=mode, max_seconds=30, id=f"{mode}-{where}",
                  file=str(tmp_path / "data" / f"{mode}-{where}.dat"),
                  ack=str(tmp_path / "job" / f"{mode}-{where}.ack"),
                  concurrent_write={"placement": where,
                                    "written": str(tmp_path / "job" / f"{mode}-{where}.w")})
             for mode in ("fdatasync", "flush-only") for where in ("inside", "append")]
    manifest = write_manifest(tmp_path, cells)
    proc, lines = start_writers(crash_driver, manifest)
    assert lines[-1].strip() == f"DAXBENCH-CRASH WRITERS-STARTED {len(cells)}"
    # WRITERS-STARTED means each cell committed once; its second process may not have written
    # yet: the kill comes after both have, and at least KILL_AFTER_S after the start.
    written = [c["concurrent_write"]["written"] for c in cells]
    wait_for("every concurrent writer's first record",
             lambda: all(published_seq(w) > 0 for w in written) or
             f"published {[published_seq(w) for w in written]}")
    time.sleep(KILL_AFTER_S)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    # Nothing is left writing: once no process has a cell's file open or mapped, nothing can
    # change it; a second process that outlived its cell would keep it open.
    files = [c["file"] for c in cells] + written
    wait_for("every writer process gone from the cells' files",
             lambda: not users_of(files) or f"still open in {users_of(files)}")

    checked = crash_check(crash_driver, manifest, tmp_path)
    for spec in cells:
        result = checked[spec["id"]]
        write = result["concurrent_write"]
        assert write["placement"] == spec["concurrent_write"]["placement"]
        # A process kill keeps the page cache: every record either side wrote is there.
        assert result["lost"] == 0 and result["acknowledged"] > 0, result
        assert write["written"] > 0 and write["missing"] == 0, result
        assert write["present_valid"] == write["written"], result
        grown = write["written"] + write["unacknowledged_present"] + write["torn"]
        assert result["file_bytes"] == (1 << 20 if write["placement"] == "inside"
                                        else (1 << 20) + 64 * grown), result
