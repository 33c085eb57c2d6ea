"""Shared fixtures for the end-to-end tests: where the suite is, how to run it, and the
banner that says the lab's tests were left out (the rule itself is lab_gate.py)."""
import os
import pathlib
import subprocess

import pytest

from lab_gate import NO_LAB, NO_LAB_REASON

ROOT = pathlib.Path(os.environ.get("DAXBENCH_ROOT", pathlib.Path(__file__).resolve().parents[2]))
# DAXBENCH_BUILD chooses another build folder (e.g. one of your own beside a shared build/).
DRIVER = pathlib.Path(os.environ.get("DAXBENCH_BUILD", ROOT / "build")) / "daxbench"


def pytest_terminal_summary(terminalreporter):
    if NO_LAB:
        bar = "#" * 78
        terminalreporter.write_line(bar, red=True, bold=True)
        terminalreporter.write_line("# " + NO_LAB_REASON, red=True, bold=True)
        terminalreporter.write_line("# No test here showed that the durable modes lose nothing at a "
                                    "power cut.", red=True, bold=True)
        terminalreporter.write_line(bar, red=True, bold=True)


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def driver():
    if not DRIVER.exists():
        subprocess.run([str(ROOT / "run.sh"), "--list"], check=True, stdout=subprocess.DEVNULL)
    return DRIVER


@pytest.fixture
def start_run(driver, tmp_path):
    """Starts `daxbench run` of a config text on a fresh file: target under tmp_path, without
    waiting; returns (process, results folder, target folder) for tests that interrupt it."""
    def start(text, name="config.yaml"):
        config = tmp_path / name
        config.write_text(text)
        out, target = tmp_path / "run", tmp_path / "target"
        target.mkdir()
        proc = subprocess.Popen([str(driver), "run", "--config", str(config), "--out", str(out),
                                 "--target", f"file:{target}"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return proc, out, target
    return start


# Where a test's files go when its assertions are about a disk filesystem's page cache
# (durable syncs, FIEMAP for sealed-extent, MAP_SYNC refused by a page-cache filesystem, a
# fdatasync that costs I/O) — which tmpfs, Debian 13's /tmp and so pytest's tmp_path there,
# is not. Chosen deliberately, as tests/unit/test_support.h's disk_scratch() does:
# DAXBENCH_TEST_SCRATCH if set (tmpfs, ramfs or missing there fails the test), else pytest's
# temporary folder if it is on a disk filesystem, else /var/tmp if it is, else the test is
# skipped saying what was tried. Everything else stays in tmp_path, whatever it is.
_MEMORY_FILESYSTEMS = {0x01021994: "tmpfs", 0x858458f6: "ramfs"}  # linux/magic.h


def _not_on_disk(folder):
    """Why `folder` cannot stand in for a disk filesystem, or None if it can (statfs)."""
    import ctypes
    import struct
    buffer = ctypes.create_string_buffer(256)  # struct statfs; f_type is its first long
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.statfs(os.fsencode(str(folder)), buffer) != 0:
        return f"{folder}: statfs: {os.strerror(ctypes.get_errno())}"
    if not pathlib.Path(folder).is_dir():
        return f"{folder} is not a directory"
    kind = _MEMORY_FILESYSTEMS.get(struct.unpack_from("l", buffer)[0] & 0xFFFFFFFF)
    return f"{folder} is {kind}" if kind else None


def choose_disk_scratch(tmp_path):
    """(folder or None, how it was chosen or why there is none, whether the user asked)."""
    asked = os.environ.get("DAXBENCH_TEST_SCRATCH")
    if asked:
        problem = _not_on_disk(asked)
        if problem:
            return None, f"DAXBENCH_TEST_SCRATCH={asked} is no disk filesystem: {problem}", True
        return pathlib.Path(asked), f"{asked} (DAXBENCH_TEST_SCRATCH)", True
    tried = []
    for folder in (tmp_path, pathlib.Path("/var/tmp")):
        problem = _not_on_disk(folder)
        if problem is None:
            return folder, f"{folder} (on a disk filesystem)", False
        tried.append(problem)
    return None, ("no scratch folder on a disk filesystem: " + ", ".join(tried) +
                  "; set DAXBENCH_TEST_SCRATCH to a folder on ext4 or xfs"), False


@pytest.fixture
def disk_tmp_path(tmp_path):
    """A fresh folder on a disk filesystem (see above), removed after the test; tmp_path
    itself when that is on disk."""
    import shutil
    import tempfile
    folder, why, asked = choose_disk_scratch(tmp_path)
    if folder is None:
        if asked:
            pytest.fail(why)
        pytest.skip(f"needs a disk filesystem: {why}")
    if folder == tmp_path:
        yield tmp_path
        return
    made = pathlib.Path(tempfile.mkdtemp(prefix="daxbench-test-", dir=folder))
    try:
        yield made
    finally:
        shutil.rmtree(made, ignore_errors=True)
