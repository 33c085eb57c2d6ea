"""The suite's own syscall counters agree with the kernel's view (strace), so a mode cannot
issue a sync that its counters miss, or count one it did not make."""
import re
import shutil
import subprocess

import pytest

import schema

CONFIG = """
defaults: {ops: 120, warmup_s: 0, repetitions: 2, working_set: 1M, commit_every: 3}
cases:
  - workload: [random-update, log-append]
    mode: [fdatasync, msync, pwrite-fdatasync, fsync-per-fault, sealed-extent, flush-only, none]
"""


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_kernel_sees_exactly_the_counted_syscalls(driver, tmp_path, disk_tmp_path):
    config = tmp_path / "count.yaml"
    config.write_text(CONFIG)
    out = tmp_path / "run"
    trace = tmp_path / "strace.log"
    done = subprocess.run(["strace", "-f", "-qq", "-e", "trace=fdatasync,msync,pwrite64,madvise", "-o", str(trace),
                           str(driver), "run", "--config", str(config), "--out", str(out),
                           # a disk filesystem: sealed-extent needs FIEMAP, which tmpfs lacks
                           "--target", f"file:{disk_tmp_path}"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    calls = {"fdatasync": 0, "msync": 0, "pwrite64": 0, "madvise": 0}
    for line in trace.read_text().splitlines():
        match = re.match(r"\d+\s+(\w+)\(", line)
        if match and match.group(1) in calls:
            calls[match.group(1)] += 1

    records = schema.read_records(out)
    assert len(records) == 2 * 2 * 7
    counted = {name: sum(r["counters"][f"sys_{name}"]["value"] for r in records)
               for name in ("fdatasync", "msync", "pwrite", "madvise")}
    assert counted["fdatasync"] > 0 and counted["msync"] > 0 and counted["pwrite"] > 0
    assert calls["fdatasync"] == counted["fdatasync"]
    assert calls["msync"] == counted["msync"]
    # fsync-per-fault's MADV_POPULATE_WRITE, one per trapped fault, besides the
    # MADV_NOHUGEPAGE of every mapping (one per file: 2 repetitions x 2 workloads x 6 mapping
    # modes) and whatever the C library and the threads do (counted before the cases run).
    assert counted["madvise"] > 0
    populate = sum(1 for line in trace.read_text().splitlines() if "MADV_POPULATE_WRITE" in line)
    assert populate == counted["madvise"]
    # sealed-extent writes its zeros with pwrite before the timed phase: not the mode's own.
    zero_fill = 2 * 2 * (1 << 20) // (1 << 20)
    assert calls["pwrite64"] == counted["pwrite"] + zero_fill
