"""Kernels as an axis of the lab (`lab: {kernels: [...]}`, docs/lab.md "Kernels"): two Debian
kernels (the generic 6.1 and its PREEMPT_RT build) boot in one run, rounds interleaved (round 1
on every kernel, then round 2), every record says which kernel its guest booted, and
`compare RUN --reply` of that one folder pairs the kernels' cases and shows the counts that
must not move equal. A kernel the user built (a Debian package's files laid out as a build
tree) boots too, and one whose .config lacks what the lab needs stops the run before any case
with the option's name. Skipped only with DAXBENCH_TEST_NO_LAB=1. About 4 minutes (the first
run downloads the -rt package, ~70 MB)."""
import json
import os
import re
import subprocess
import sys

import pytest

import schema
from kernel_tree import cached_lab_deb, make_build_tree
from lab_config import run_lab_config
from lab_gate import require_lab

GENERIC, RT = "linux-image-amd64", "linux-image-rt-amd64"
TWO_KERNELS = f"""name: two-kernels
targets: [lab:ext4]
lab:
  kernels: [{GENERIC}, {RT}]
defaults: {{duration_s: 0.2, warmup_s: 0.05, repetitions: 2, working_set: 1M,
           file_state: sparse, seed: 1}}
cases:
  - {{workload: [first-touch, log-append], mode: [map-sync, fdatasync]}}
"""


@pytest.fixture(autouse=True)
def _lab_required():
    require_lab()


@pytest.fixture(scope="module")
def two_kernel_run(driver, tmp_path_factory):
    folder = tmp_path_factory.mktemp("two-kernels")
    done, out, records = run_lab_config(driver, folder, TWO_KERNELS, timeout=1200)
    assert done.returncode == 0, done.stderr[-4000:]
    return done, out, records


def reply(root, run, *extra):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(root / "analysis"), os.environ.get("PYTHONPATH", "")]), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "daxbench_analysis", "compare", str(run),
                           "--reply", *extra], capture_output=True, text=True, env=env,
                          timeout=300)


def test_each_kernel_boots_and_every_record_says_which(two_kernel_run):
    done, out, records = two_kernel_run
    context = json.loads((out / "context.json").read_text())
    schema.check_context(context)
    releases = {}
    for r in records:
        schema.check_record(r)
        assert r["status"] == "ok", r
        name = r["kernel"]["name"]
        assert f"/kernel={name}" in r["case_id"], r["case_id"]
        assert r["kernel"]["source"].startswith("package linux-image-6."), r["kernel"]
        releases.setdefault(name, set()).add(r["kernel"]["release"])
    assert set(releases) == {GENERIC, RT}, releases
    (generic,), (rt,) = releases[GENERIC], releases[RT]
    assert rt.endswith("-rt-amd64") and generic.endswith("-amd64") and "-rt-" not in generic
    # The guest's own uname is the proof that the kernel named is the kernel booted.
    for name, release in ((GENERIC, generic), (RT, rt)):
        block = context["lab"][f"lab:ext4 kernel={name}"]
        uname = block["guest_context"]["host"]["kernel"]
        assert release in uname, (name, uname)
        assert ("PREEMPT_RT" in uname) == (name == RT), uname
        assert [b["repetition"] for b in block["rounds"]] == [0, 1], block["rounds"]


def test_rounds_are_interleaved_one_boot_per_kernel_per_round(two_kernel_run):
    done, out, records = two_kernel_run
    # Records are appended as each guest's are imported: the boots' order.
    order = list(dict.fromkeys((r["repetition"], r["kernel"]["name"]) for r in records))
    assert order == [(0, GENERIC), (0, RT), (1, GENERIC), (1, RT)], order
    assert "8 cases on 2 kernels, 2 rounds interleaved: 4 guest boots" in done.stderr


def test_the_reply_pairs_the_kernels_and_their_exact_counts_agree(root, two_kernel_run):
    done, out, records = two_kernel_run
    answer = reply(root, out)
    assert answer.returncode == 0, answer.stderr
    lines = answer.stdout.splitlines()
    assert max(map(len, lines)) <= 80, max(lines, key=len)
    assert "reproduce (one run, both sides):" in lines
    assert "EMULATED (TCG): counts exact, times not native" in lines
    tables = {}
    for at, line in enumerate(lines):
        if re.match(r"^(first-touch|log-append)/(map-sync|fdatasync) on lab:ext4", line):
            rows = {}
            for row in lines[at:]:
                if row.startswith("      base %stddev"):
                    continue
                parts = row.split()
                if rows and not parts:
                    break
                if len(parts) >= 3 and parts[-1].endswith("/op"):
                    rows[parts[-1]] = row
            tables[line.split(",")[0]] = rows
    assert len(tables) == 4, list(tables)
    # What the kernel must do per operation whichever kernel it is: a DAX fault per page
    # touched, an fdatasync per commit. %change +0.0% on both counts, the values equal.
    for title, must_agree in (
            ("first-touch/map-sync on lab:ext4", ["page_faults/op", "fs_dax:dax_pte_fault/op"]),
            ("first-touch/fdatasync on lab:ext4",
             ["page_faults/op", "fs_dax:dax_pte_fault/op", "sys_fdatasync/op"]),
            ("log-append/fdatasync on lab:ext4", ["sys_fdatasync/op"])):
        for metric in must_agree:
            row = tables[title][metric].split()
            assert row[0] == row[2] or "+0.0%" in row, (title, row)
            assert "+0.0%" in row, (title, row)
    # Each side's fact names its kernel's release and the package it came from.
    base_fact = " ".join(answer.stdout.split("\nbase:", 1)[1].split("\nnew:", 1)[0].split())
    new_fact = " ".join(answer.stdout.split("\nnew:", 1)[1].split("\nmachine:", 1)[0].split())
    assert "Linux 6.1.0-" in base_fact and "package linux-image-6.1.0-" in base_fact, base_fact
    assert "-rt-amd64" in new_fact and "-rt-amd64" not in base_fact, (base_fact, new_fact)
    assert lines[0] == f"daxbench reply: {GENERIC} vs {RT}", lines[0]


@pytest.fixture(scope="module")
def build_trees(root, tmp_path_factory):
    deb, _ = cached_lab_deb(root)
    folder = tmp_path_factory.mktemp("kernel-trees")
    tree, _ = make_build_tree(deb, folder / "linux")
    crippled, _ = make_build_tree(deb, folder / "linux-no-dax", drop=("FS_DAX",))
    return tree, crippled


def test_a_kernel_the_user_built_boots_and_is_recorded_by_path(driver, tmp_path, build_trees):
    tree, _ = build_trees
    # Named from a home that is not the guest's (lab/init's HOME is /root): the guest parses
    # the same config, so `~/` must mean the host's home there too. The image cache stays.
    cache = os.environ.get("DAXBENCH_LAB_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "daxbench", "lab")
    env = {"HOME": str(tree.parent), "DAXBENCH_LAB_CACHE": cache}
    config = f"""name: own-kernel
targets: [lab:ext4]
lab:
  kernels: [{{name: mine, build: ~/{tree.name}}}]
defaults: {{duration_s: 0.2, warmup_s: 0.05, repetitions: 1, working_set: 1M, file_state: sparse}}
cases:
  - {{workload: first-touch, mode: map-sync}}
"""
    done, out, records = run_lab_config(driver, tmp_path, config, env=env)
    assert done.returncode == 0, done.stderr[-4000:]
    (record,) = records
    assert record["status"] == "ok", record
    assert record["case_id"] == "first-touch/map-sync/lab:ext4/kernel=mine,working_set=1M"
    assert record["kernel"]["name"] == "mine"
    assert record["kernel"]["source"] == f"build {tree}", record["kernel"]
    assert re.fullmatch(r"[0-9a-f]{64}", record["kernel"]["kernel_sha256"] or ""), record["kernel"]
    release = (tree / "include" / "config" / "kernel.release").read_text().strip()
    assert record["kernel"]["release"] == release
    context = json.loads((out / "context.json").read_text())
    assert release in context["lab"]["lab:ext4 kernel=mine"]["guest_context"]["host"]["kernel"]


def test_a_config_without_what_the_lab_needs_stops_the_run_naming_it(driver, tmp_path,
                                                                     build_trees):
    _, crippled = build_trees
    config = tmp_path / "config.yaml"
    config.write_text(f"""name: no-dax
targets: [lab:ext4]
lab:
  kernels:
    - {{name: no-dax, build: {crippled}}}
cases:
  - {{workload: first-touch, mode: map-sync}}
""")
    done = subprocess.run([str(driver), "run", "--config", str(config), "--out",
                           str(tmp_path / "run")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 2, done.stderr[-3000:]
    assert f"{config}:5:7: lab kernel 'no-dax'" in done.stderr, done.stderr[-3000:]
    assert "CONFIG_FS_DAX" in done.stderr, done.stderr[-3000:]
    assert not (tmp_path / "run").exists()  # refused before any case: no results folder
