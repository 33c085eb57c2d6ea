"""Ctrl-C (or SIGTERM) keeps every finished case in a valid results folder and removes the
scratch files."""
import signal
import subprocess
import time

import pytest

import schema

LONG_CONFIG = """
defaults: {duration_s: 0.3, warmup_s: 0, repetitions: 50, working_set: 1M}
cases:
  - {workload: random-update, mode: [none, flush-only, fdatasync]}
"""


@pytest.mark.parametrize("signo", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_keeps_finished_cases(start_run, signo):
    proc, out, target = start_run(LONG_CONFIG, "long.yaml")
    deadline = time.time() + 60
    while time.time() < deadline:
        records = out / "records.jsonl"
        if records.exists() and records.read_text().count("\n") >= 4:
            break
        time.sleep(0.05)
    proc.send_signal(signo)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signo, stderr
    assert "stopped by signal" in stderr
    assert stdout.strip().splitlines()[-1] == str(out)

    records = schema.read_records(out)
    assert 4 <= len(records) < 150  # finished cases kept; the interrupted one is not a result
    for record in records:
        schema.check_record(record)
        assert record["status"] == "ok"
    assert (out / "summary.csv").exists() and (out / "context.json").exists()
    assert list(target.iterdir()) == []
