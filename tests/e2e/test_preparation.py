"""Every record carries the steps that prepared its files (docs/results-schema.md,
"Preparation"): the steps match the file state, each covers the working set, and a mode that
cannot map the file keeps what was done. Behaviour only: no step's time is judged."""
import json
import subprocess

import schema

WORKING_SET = 256 * 1024

CONFIG = f"""
name: preparation
defaults:
  repetitions: 1
  warmup_s: 0
  duration_s: 10
  working_set: {WORKING_SET}
cases:
  - workload: first-touch
    mode: [none, fsync-per-fault, sealed-extent, map-sync]
    file_state: [sparse, fallocated, zeroed]
  - workload: first-touch
    mode: none
    threads: 2
    files: per-thread
"""

EXPECTED = {
    "sparse": ["ftruncate", "fsync"],
    "fallocated": ["ftruncate", "fallocate", "fsync"],
    "zeroed": ["ftruncate", "zero-fill", "fsync"],
}
SEAL = ["fiemap-before", "fiemap-after"]


def run_config(driver, tmp_path, target_dir, text):
    config = tmp_path / "config.yaml"
    config.write_text(text)
    out = tmp_path / "run"
    done = subprocess.run([str(driver), "run", "--config", str(config), "--out", str(out),
                           "--target", f"file:{target_dir}"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return schema.read_records(out)


def steps_of(record):
    return [[step["name"] for step in f["steps"]] for f in record["preparation"]["files"]]


def test_each_record_carries_the_steps_of_its_file_state(driver, tmp_path, disk_tmp_path):
    target = disk_tmp_path / "target"
    target.mkdir()
    records = run_config(driver, tmp_path, target, CONFIG)
    seen = set()
    for record in records:
        schema.check_record(record)
        where = record["case_id"]
        prep = record["preparation"]
        assert prep is not None and prep["clock"] == "CLOCK_MONOTONIC", where
        params = record["params"]
        files = params["threads"] if params["files"] == "per-thread" else 1
        assert len(prep["files"]) == files, where
        state = record["params"]["file_state"]
        sealed = record["mode"] == "sealed-extent"
        expected = EXPECTED["zeroed" if sealed else state] + (SEAL if sealed else [])
        if record["status"] == "unsupported":
            # map-sync off DAX: refused at the mapping, after the file was prepared.
            assert record["mode"] == "map-sync", (where, record["reason"])
            expected = EXPECTED[state]
        else:
            assert record["status"] == "ok", (where, record["reason"])
        assert steps_of(record) == [expected] * files, (where, steps_of(record))
        for f in prep["files"]:
            assert all(step["bytes"] == WORKING_SET for step in f["steps"]), where
            assert all(isinstance(step["ns"], int) and step["ns"] >= 0 for step in f["steps"])
            assert f["ns"] == sum(step["ns"] for step in f["steps"]), where
        assert prep["ns"] == sum(f["ns"] for f in prep["files"]), where
        seen.add((record["mode"], state, files))
    # sealed-extent runs once (its file state is fixed): 3 states x 3 modes + 1 + 1.
    assert len(seen) == 11, sorted(seen)


def test_a_working_set_the_target_cannot_hold_is_unsupported_not_a_crash(driver, tmp_path,
                                                                        disk_tmp_path):
    import os
    target = disk_tmp_path / "target"
    target.mkdir()
    stat = os.statvfs(target)
    too_big = stat.f_bavail * stat.f_frsize + (1 << 30)
    records = run_config(driver, tmp_path, target, f"""
name: too-big
defaults: {{repetitions: 1, warmup_s: 0, duration_s: 1, working_set: {too_big}}}
cases:
  - {{workload: first-touch, mode: [none, sealed-extent]}}
""")
    assert {r["mode"] for r in records} == {"none", "sealed-extent"}
    for record in records:
        schema.check_record(record)
        assert record["status"] == "unsupported", record["case_id"]
        assert "does not fit" in record["reason"], record["reason"]
        assert record["preparation"] is None, record["case_id"]
    assert not list(target.rglob("*.dat"))
