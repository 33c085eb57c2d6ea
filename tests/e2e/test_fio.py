"""The fio cross-check end to end: a real tiny fio run beside daxbench's (docs/fio.md)."""
import json
import pathlib
import shutil
import signal
import subprocess

import pytest

import schema
from waiting import users_of, wait_for

FIO = shutil.which("fio")
needs_fio = pytest.mark.skipif(FIO is None, reason="fio is not installed (apt-get install fio)")

CONFIG = """
defaults: {duration_s: 0.2, warmup_s: 0.05, repetitions: 2, working_set: 8M, fio: true}
cases:
  - {workload: random-update, mode: none}
  - {workload: random-update, mode: pwrite-fdatasync, commit_every: 4}
  - {workload: log-append, mode: msync}
"""


def run(driver, tmp_path, text, name="fio.yaml", target_in=None):
    config = tmp_path / name
    config.write_text(text)
    out = tmp_path / "run"
    target = (target_in or tmp_path) / "target"
    target.mkdir()
    done = subprocess.run([str(driver), "run", "--config", str(config), "--out", str(out),
                           "--target", f"file:{target}"], capture_output=True, text=True,
                          timeout=300)
    return done, out, target


@needs_fio
def test_fio_runs_beside_each_repetition_and_its_records_fit_the_schema(driver, tmp_path,
                                                                         disk_tmp_path):
    # On a disk filesystem: pwrite + fdatasync is durable there, not on tmpfs.
    done, out, target = run(driver, tmp_path, CONFIG, target_in=disk_tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert list(target.iterdir()) == [], "fio or daxbench left files in the target"
    records = schema.read_records(out)
    for record in records:
        assert "tool" in record, record["case_id"]
        schema.check_record(record)
    fio = [r for r in records if r["tool"] == "fio"]
    ours = [r for r in records if r["tool"] == "daxbench"]
    # One fio record per repetition, right after daxbench's, except where fio cannot express
    # the case (msync of 64 B records): recorded once.
    order = [(r["tool"], r["case_id"]) for r in records]
    for i, (tool, case_id) in enumerate(order):
        if tool == "fio":
            assert order[i - 1] == ("daxbench", case_id), order
    by_case = {}
    for r in fio:
        by_case.setdefault(r["mode"], []).append(r)
    assert [r["status"] for r in by_case["msync"]] == ["unsupported"]
    assert "minimum block size" in by_case["msync"][0]["reason"]
    assert {r["status"] for m in ("none", "pwrite-fdatasync") for r in by_case[m]} == {"ok"}
    assert len(by_case["none"]) == len(by_case["pwrite-fdatasync"]) == 2
    assert len(ours) == 6

    for r in by_case["none"] + by_case["pwrite-fdatasync"]:
        assert r["ops"] > 0
        assert r["fio"]["version"] == subprocess.run([FIO, "--version"], capture_output=True,
                                                     text=True).stdout.strip()
        # The job in the record is the job fio ran, byte for byte.
        job_file = pathlib.Path(r["fio"]["command"][-1])
        assert job_file.parent == out / "fio"
        assert job_file.read_text() == r["fio"]["job"]
        # fio opened the file daxbench prepared in the scratch folder, nothing else.
        filenames = [line.split("=", 1)[1] for line in r["fio"]["job"].splitlines()
                     if line.startswith("filename=")]
        assert filenames and all(f.startswith(str(target) + "/daxbench-scratch-") for f in filenames)

    for r in by_case["pwrite-fdatasync"]:
        # fdatasync=4: one sync per 4 writes, counted by fio (sync.lat_ns.N), in its JSON file.
        output = json.loads((out / "fio" / pathlib.Path(r["fio"]["command"][-1]).name)
                            .with_suffix(".json").read_text())
        job = output["jobs"][0]
        syncs = job["sync"]["lat_ns"]["N"]  # the fdatasync calls fio issued
        assert syncs == r["commits"] == r["latency_ns"]["commit"]["count"]
        # fdatasync=4: one per 4 writes, by fio's own count of its writes. fio 3.33 leaves
        # sync.total_ios at 0; a fio that counts them there must count the same.
        assert abs(syncs - job["write"]["total_ios"] // 4) <= 1, (job["write"], job["sync"])
        assert job["sync"]["total_ios"] in (0, syncs), job["sync"]
        assert abs(r["commits"] - r["ops"] // 4) <= 1, (r["ops"], r["commits"])
        assert r["durable"] is True
    for r in by_case["none"]:
        assert r["commits"] == 0 and r["latency_ns"]["commit"] is None
        assert "fdatasync" not in r["fio"]["job"] and "fsync" not in r["fio"]["job"]

    # The end-of-run table shows fio's line under the case it mirrors.
    assert "  fio psync" in done.stderr and "  fio mmap" in done.stderr
    # summary.csv holds daxbench's rows only.
    summary = (out / "summary.csv").read_text().splitlines()
    assert len(summary) == 1 + 3


@needs_fio
def test_fdatasync_count_seen_by_strace_matches_fio(driver, tmp_path):
    """strace counts the fdatasync calls fio's job process makes: commits + the ramp's."""
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed")
    config = tmp_path / "one.yaml"
    config.write_text("defaults: {duration_s: 0.2, warmup_s: 0, repetitions: 1, working_set: 8M}\n"
                      "cases: [{workload: log-append, mode: pwrite-fdatasync, commit_every: 8,"
                      " fio: true}]\n")
    out = tmp_path / "run"
    target = tmp_path / "target"
    target.mkdir()
    trace = tmp_path / "trace"
    done = subprocess.run(["strace", "-f", "-qq", "-e", "trace=fdatasync", "-o", str(trace),
                           str(driver), "run", "--config", str(config), "--out", str(out),
                           "--target", f"file:{target}"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    fio = [r for r in schema.read_records(out) if r["tool"] == "fio"][0]
    ours = [r for r in schema.read_records(out) if r["tool"] == "daxbench"][0]
    calls = [line for line in trace.read_text().splitlines() if "fdatasync(" in line]
    # Without a warm-up every call is in a timed phase: daxbench's and fio's, nothing else.
    assert len(calls) == ours["counters"]["sys_fdatasync"]["value"] + fio["commits"], len(calls)
    assert abs(fio["commits"] - fio["ops"] // 8) <= 1


def test_a_missing_fio_binary_is_a_failed_record_with_the_reason(driver, tmp_path):
    done, out, _ = run(driver, tmp_path,
                       "fio: {binary: /nonexistent/fio}\n"
                       "defaults: {duration_s: 0.05, warmup_s: 0, repetitions: 1, working_set: 1M}\n"
                       "cases: [{workload: random-update, mode: none, fio: true}]\n")
    assert done.returncode == 1, done.stderr[-2000:]  # a failed run counts as a failure
    fio = [r for r in schema.read_records(out) if r["tool"] == "fio"]
    assert len(fio) == 1 and fio[0]["status"] == "failed"
    schema.check_record(fio[0])
    assert "cannot execute fio" in fio[0]["reason"] and fio[0]["fio"]["exit_code"] == 127


def test_check_lists_the_fio_engine_or_why_not(driver, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(CONFIG)
    done = subprocess.run([str(driver), "check", "--config", str(config), "--target",
                           "file:/tmp"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "  fio: mmap" in lines
    assert "  fio: psync fdatasync=4" in lines
    assert any(line.startswith("  fio: cannot express (msync with record_size 64") for line in lines)


@needs_fio
def test_ctrl_c_during_fio_stops_it_and_keeps_the_folder_valid(start_run):
    proc, out, target = start_run(
        "defaults: {duration_s: 5, warmup_s: 0, repetitions: 1, working_set: 1M}\n"
        "cases: [{workload: random-update, mode: none, fio: true}]\n", "long.yaml")
    def jobs():
        if proc.poll() is not None:
            pytest.fail(f"the run ended ({proc.returncode}) before fio was seen running: "
                        f"{proc.communicate()[1][-3000:]}")
        return sorted((out / "fio").glob("*.fio"))

    wait_for("fio's job file in the results folder", lambda: bool(jobs()) or "none yet")
    job = jobs()[0]
    # fio is running its job once one of its processes has the job's data file open (the
    # driver prepared it and does not hold it while fio runs).
    data = [line.split("=", 1)[1] for line in job.read_text().splitlines()
            if line.startswith("filename=")]
    assert data, job.read_text()
    wait_for("fio running its job (a process with its data file open)",
             lambda: bool(jobs() and users_of(data, exclude={proc.pid})) or f"nobody has {data} open")
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGINT, stderr
    records = schema.read_records(out)
    assert [r["tool"] for r in records] == ["daxbench"]  # the interrupted fio run is no result
    assert list(target.iterdir()) == []
    running = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(job) not in running, "fio outlived the run"
