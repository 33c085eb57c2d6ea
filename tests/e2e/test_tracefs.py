"""The suite leaves no mount behind: tracefs, if a run mounted it, is unmounted at the end of
the run and context.json says so. Run in a mount namespace of its own (unshare), with tracefs
unmounted there first, so this machine's tracefs and whoever uses it see none of it."""
import json
import os
import shutil
import subprocess

import pytest

import schema

CONFIG = ("defaults: {duration_s: 0.05, warmup_s: 0, repetitions: 1, working_set: 1M}\n"
          "cases: [{workload: random-update, mode: fdatasync}]\n")

# In the namespace: unmount every tracefs and debugfs (whose tracing/ would mount it on a
# look), run, then list what tracefs is mounted.
SCRIPT = """
awk '$3 == "tracefs" || $3 == "debugfs" {print $2}' /proc/self/mounts | sort -r |
  while read -r point; do umount -l "$point"; done
if awk '$3 == "tracefs"' /proc/self/mounts | grep -q .; then echo "cannot unmount tracefs"; exit 77; fi
"$@"
echo "rc=$?"
echo "tracefs mounts after the run:"
awk '$3 == "tracefs" {print $2}' /proc/self/mounts
"""


def test_a_run_unmounts_the_tracefs_it_mounted_and_says_so(driver, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("only root mounts tracefs")
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    config = tmp_path / "c.yaml"
    config.write_text(CONFIG)
    out, target = tmp_path / "run", tmp_path / "target"
    target.mkdir()
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", SCRIPT,
                           "sh", str(driver), "run", "--config", str(config), "--out", str(out),
                           "--target", f"file:{target}"],
                          capture_output=True, text=True, timeout=300)
    if done.returncode == 77 or "unshare failed" in done.stderr:
        pytest.skip(f"no private mount namespace here: {done.stdout} {done.stderr[-500:]}")
    assert done.returncode == 0 and "rc=0" in done.stdout, done.stdout + done.stderr[-3000:]
    after = done.stdout.split("tracefs mounts after the run:\n", 1)[1].split()
    assert after == [], f"still mounted: {after}"

    context = json.loads((out / "context.json").read_text())
    schema.check_context(context)
    tracefs = context["counters"]["tracefs"]
    assert tracefs["mounted_by_daxbench"] is True, tracefs
    assert tracefs["at_end"] == "mounted by daxbench at /sys/kernel/tracing and unmounted", tracefs
    # The counters read from it were real.
    record = schema.read_records(out)[0]
    fdatasync = record["counters"]["syscalls:sys_enter_fdatasync"]
    assert fdatasync["status"] == "ok" and fdatasync["value"] == record["ops"], fdatasync
