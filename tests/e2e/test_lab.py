"""The lab end to end: boot the emulated-pmem guest, run lab-smoke.yaml in it, and check what
only a real DAX stack can show; a broken lab or a guest that fails is a failed case naming its
cause, never `unsupported`. Skipped only with DAXBENCH_TEST_NO_LAB=1 (conftest.py)."""
import json
import os
import signal
import subprocess
import time

import pytest

import schema
from lab_config import run_lab_config
from lab_gate import fail_unless_the_lab_ran, require_lab

PAGES = 2 * 1024 * 1024 // 4096  # lab-smoke.yaml: first-touch over a 2M file


def run_lab(root, out, *extra, env=None):
    return subprocess.run([str(root / "run.sh"), "--config", "lab-smoke", "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=1500,
                          env={**os.environ, **(env or {})})


@pytest.fixture(autouse=True)
def _lab_required():
    require_lab()


@pytest.fixture(scope="module")
def lab_run(root, tmp_path_factory):
    require_lab()
    base = tmp_path_factory.mktemp("lab")
    host_dir = base / "host"
    host_dir.mkdir()
    out = base / "run"
    done = run_lab(root, out, "--target", "lab:ext4", "--target", "lab:xfs",
                   "--target", "lab:devdax", "--target", f"file:{host_dir}")
    assert (out / "records.jsonl").exists(), done.stderr[-4000:]
    records = schema.read_records(out)
    fail_unless_the_lab_ran(records)
    assert done.returncode == 0, done.stderr[-4000:]
    return out, records, json.loads((out / "context.json").read_text())


def test_records_from_the_guest_fit_the_schema_and_say_they_are_emulated(lab_run):
    out, records, context = lab_run
    schema.check_context(context)
    for record in records:
        schema.check_record(record)
        if record["target"] == "lab:devdax" and record["mode"] == "fdatasync":
            assert record["status"] == "unsupported"
            assert "device with no filesystem" in record["reason"]
        elif record["target"].startswith("lab:"):
            assert record["emulated"] in ("tcg", "kvm")
            assert record["status"] == "ok", (record["case_id"], record["reason"])
        else:
            assert record["emulated"] is None
    assert {r["target"] for r in records} == {"lab:ext4", "lab:xfs", "lab:devdax", next(
        t["spec"] for t in context["targets"] if t["kind"] == "file")}
    for spec in ("lab:ext4", "lab:xfs", "lab:devdax"):
        lab = context["lab"][spec]
        assert lab["status"] == "ok" and lab["guest_exit"] == 0
        assert lab["boot_s"] > 0
        assert (out / lab["console_log"]).stat().st_size > 0


def test_map_sync_is_accepted_on_both_dax_filesystems_and_refused_on_the_host(lab_run):
    _, records, context = lab_run
    for spec, fs in (("lab:ext4", "ext4"), ("lab:xfs", "xfs")):
        guest_target = context["lab"][spec]["guest_context"]["targets"][0]
        assert guest_target["filesystem"] == fs
        assert guest_target["dax"] is True
        assert "dax" in guest_target["mount_options"]
        assert guest_target["map_sync"] == "accepted"
    host = [r for r in records if r["target"].startswith("file:") and r["mode"] == "map-sync"]
    assert host and all(r["status"] == "unsupported" and "EOPNOTSUPP" in r["reason"] for r in host)
    lab = [r for r in records if r["target"].startswith("lab:") and r["mode"] == "map-sync"]
    assert len(lab) == 6 and all(r["status"] == "ok" and r["durable"] for r in lab)
    devdax = context["lab"]["lab:devdax"]["guest_context"]["targets"][0]
    assert devdax["device"] is True and devdax["map_sync"] == "accepted"


def test_first_touch_under_map_sync_takes_one_dax_pte_fault_per_page(lab_run):
    _, records, _ = lab_run
    first_touch = [r for r in records if r["workload"] == "first-touch" and r["mode"] == "map-sync"
                   and r["target"] in ("lab:ext4", "lab:xfs")]
    assert len(first_touch) == 2
    for record in first_touch:
        counters = record["counters"]
        assert record["ops"] == PAGES
        assert counters["fs_dax:dax_pte_fault"]["status"] == "ok"
        assert counters["fs_dax:dax_pte_fault"]["value"] == PAGES, record["target"]
        assert counters["fs_dax:dax_pmd_fault"]["value"] == 0  # huge pages are off (MADV_NOHUGEPAGE)


@pytest.mark.parametrize("env, why", [
    ({"DAXBENCH_LAB_BOOT_TIMEOUT": "0.5"}, "was not ready within"),  # a hang, as seen from here
    ({"DAXBENCH_LAB_EXTRA_CMDLINE": "rdinit=/no-such-init"}, "Kernel panic"),
    ({"DAXBENCH_LAB_EXTRA_CMDLINE": "daxbench.kind=bogus"}, "the guest reported: unknown kind"),
], ids=["hang", "kernel-panic", "guest-setup-failure"])
def test_a_guest_failure_is_a_failed_case_with_its_console(root, tmp_path, env, why):
    out = tmp_path / "run"
    done = run_lab(root, out, "--target", "lab:ext4", env=env)
    records = schema.read_records(out)
    fail_unless_the_lab_ran(records)
    assert done.returncode == 1
    assert done.stdout.strip().splitlines()[-1] == str(out)
    assert records and all(r["status"] == "failed" for r in records)
    for record in records:
        schema.check_record(record)
        assert why in record["reason"], record["reason"]
        assert "last console lines" in record["reason"]


def test_ctrl_c_during_a_lab_run_stops_the_guest_and_keeps_its_finished_cases(root, driver, tmp_path):
    config = tmp_path / "long.yaml"
    config.write_text("targets: [lab:ext4]\n"
                      "defaults: {duration_s: 0.3, warmup_s: 0, repetitions: 40, working_set: 1M}\n"
                      "cases:\n  - {workload: random-update, mode: [none, flush-only]}\n")
    out = tmp_path / "run"
    proc = subprocess.Popen([str(driver), "run", "--config", str(config), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    guest_records = out / "lab-ext4" / "out" / "records.jsonl"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if guest_records.exists() and guest_records.read_text().count("\n") >= 3:
            break
        time.sleep(0.1)
    if proc.poll() is not None:  # the lab could not run: say why instead of passing
        stdout, stderr = proc.communicate()
        fail_unless_the_lab_ran(schema.read_records(out))
        pytest.fail(stderr[-3000:])
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGINT, stderr[-3000:]
    assert stdout.strip().splitlines()[-1] == str(out)
    records = schema.read_records(out)
    assert len(records) >= 3 and all(r["status"] == "ok" for r in records)
    for record in records:
        schema.check_record(record)
    context = json.loads((out / "context.json").read_text())
    assert context["lab"]["lab:ext4"]["status"] == "interrupted"
    # QEMU is gone and its pmem file with it.
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(out / "lab-ext4") not in ps


SMOKE = ("targets: [lab:ext4]\n"
         "defaults: {duration_s: 0.1, warmup_s: 0, repetitions: 1, working_set: 1M}\n"
         "cases:\n  - {workload: log-append, mode: none}\n")


def test_an_eadr_lab_is_what_the_guests_kernel_reports(driver, tmp_path):
    done, out, _ = run_lab_config(driver, tmp_path, "lab: {persistence: eadr}\n" + SMOKE)
    assert done.returncode == 0, done.stderr[-4000:]
    lab = json.loads((out / "context.json").read_text())["lab"]["lab:ext4"]
    assert lab["persistence"] == "eadr"
    # QEMU's nvdimm-persistence=cpu, read back by the guest from the region's sysfs file.
    assert lab["guest_context"]["targets"][0]["persistence_domain"].startswith("cpu_cache")


@pytest.mark.parametrize("env, why", [
    ({"DAXBENCH_LAB_DIR": "{tmp}/no-lab-here"}, "the lab is broken: its scripts are missing"),
    ({"DAXBENCH_LAB_KERNEL": "linux-image-0.0.0-0-bogus"}, "cannot resolve the kernel package"),
], ids=["missing-scripts", "bad-kernel"])
def test_a_broken_lab_is_a_failed_case_that_names_its_cause(driver, tmp_path, env, why):
    """Broken is not "cannot run here": only a platform without QEMU is unsupported."""
    (tmp_path / "no-lab-here").mkdir()
    config = tmp_path / "smoke.yaml"
    config.write_text(SMOKE)
    out = tmp_path / "run"
    env = {k: v.replace("{tmp}", str(tmp_path)) for k, v in env.items()}
    done = subprocess.run([str(driver), "run", "--config", str(config), "--out", str(out)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, **env})
    assert done.returncode == 1, done.stderr[-3000:]
    records = schema.read_records(out)
    assert len(records) == 1
    schema.check_record(records[0])
    assert records[0]["status"] == "failed" and why in records[0]["reason"], records[0]["reason"]
    context = json.loads((out / "context.json").read_text())
    assert context["lab"]["lab:ext4"]["status"].startswith("failed: ")
