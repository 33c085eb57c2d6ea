"""The lab's virtio-pmem kinds (lab:virtio-ext4, lab:virtio-xfs, docs/lab.md): ext4 -o dax or
xfs -o dax=always on QEMU's virtio-pmem-pci, the pmem cloud VMs get. Its region is
asynchronous: the kernel refuses MAP_SYNC there (EOPNOTSUPP), so map-sync must be recorded
unsupported with that errno, by the benchmark (both kinds) and by the power cuts (ext4),
while fdatasync (whose flush reaches the host through the device) must lose nothing and
flush-only on a sparse file must be seen to lose its block map.
Skipped only with DAXBENCH_TEST_NO_LAB=1; a lab that cannot boot fails. About 2 minutes."""
import json
import os
import subprocess

import pytest

import schema
from lab_config import run_lab_config
from lab_gate import fail_unless_the_lab_ran, require_lab

BENCH = """name: virtio-bench
targets: [lab:{kind}]
defaults: {duration_s: 0.2, warmup_s: 0.05, repetitions: 1, working_set: 1M, file_state: sparse,
           seed: 1}
cases:
  - {workload: log-append, mode: [fdatasync, flush-only, map-sync], record_size: 64}
"""

CRASH = """name: virtio-crash
crash:
  filesystems: [virtio-ext4]
  modes: [fdatasync, map-sync, flush-only]
  file_states: [sparse]
  workloads: [log-append]
  cuts: 1
  cut_after_s: [0.5, 1.5]
  seed: 1
  file_size: 1M
  concurrent_write: none
"""


@pytest.fixture(autouse=True)
def _lab_required():
    require_lab()


@pytest.mark.parametrize("kind", ["virtio-ext4", "virtio-xfs"])
def test_map_sync_is_refused_with_the_kernels_errno_and_the_rest_runs(driver, tmp_path, kind):
    done, out, records = run_lab_config(driver, tmp_path, BENCH.replace("{kind}", kind))
    for r in records:
        schema.check_record(r)
    by_mode = {r["mode"]: r for r in records}
    assert set(by_mode) == {"fdatasync", "flush-only", "map-sync"}, done.stderr[-3000:]
    for mode in ("fdatasync", "flush-only"):
        r = by_mode[mode]
        assert r["status"] == "ok" and r["target"] == f"lab:{kind}", (r, done.stderr[-3000:])
        assert r["emulated"] == "tcg" and r["ops"] > 0, r
    assert by_mode["fdatasync"]["durable"] is True, by_mode["fdatasync"]
    refused = by_mode["map-sync"]
    assert refused["status"] == "unsupported", refused
    assert "EOPNOTSUPP" in refused["reason"] and "asynchronous" in refused["reason"], refused
    assert done.returncode == 0, done.stderr[-3000:]
    lab = json.loads((out / "context.json").read_text())["lab"][f"lab:{kind}"]
    assert lab["persistence"] == "virtio" and lab["model"] is False, lab
    guest = lab["guest_context"]["targets"][0]
    assert guest["filesystem"] == kind.removeprefix("virtio-"), guest
    # The target facts' own probe, and what the kernel says of the region (no domain at all).
    assert guest["map_sync"].startswith("refused: ") and "EOPNOTSUPP" in guest["map_sync"], guest
    assert guest["dax"] is True and guest["persistence_domain"].startswith("none (the kernel "), guest


def test_power_cuts_keep_fdatasync_lose_flush_only_and_refuse_map_sync(driver, tmp_path):
    config = tmp_path / "crash.yaml"
    config.write_text(CRASH)
    out = tmp_path / "run"
    done = subprocess.run([str(driver), "run", "--config", str(config), "--out", str(out)],
                          capture_output=True, text=True, timeout=900, env=dict(os.environ))
    assert (out / "crash.jsonl").exists(), done.stderr[-4000:]
    records = schema.read_crash(out)
    fail_unless_the_lab_ran(records, kind="crash")
    for r in records:
        schema.check_crash_record(r)
    cells = {r["cell"]: r for r in records}
    prefix = "log-append/{}/lab:virtio-ext4/sparse/virtio"
    assert set(cells) == {prefix.format(m) for m in ("fdatasync", "map-sync", "flush-only")}, \
        sorted(cells)
    synced = cells[prefix.format("fdatasync")]
    assert synced["status"] == "ok" and synced["verdict"] == "PASS", synced
    assert synced["acknowledged"] > 0 and synced["lost"] == 0, synced
    assert synced["images"]["strict"]["source"] == "live" and set(synced["images"]) == {"strict"}
    refused = cells[prefix.format("map-sync")]
    assert refused["status"] == "unsupported" and refused["verdict"] == "UNSUPPORTED", refused
    assert "EOPNOTSUPP" in refused["reason"], refused
    unsafe = cells[prefix.format("flush-only")]
    assert unsafe["expectation"] == "loses-metadata", unsafe
    assert unsafe["verdict"] == "LOSS-EXPECTED" and unsafe["lost"] > 0, unsafe
    assert done.returncode == 0, done.stderr[-4000:]
    crash = json.loads((out / "context.json").read_text())["crash"]
    assert crash["persistence_domain"] == {"virtio": "none"}, crash["persistence_domain"]
