"""Shared fixtures for the end-to-end tests: where the suite is, how to run it, and the rule
for the lab's tests: they run wherever QEMU can, and only DAXBENCH_TEST_NO_LAB=1 leaves them
out (loudly, at the end of the run)."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(os.environ.get("DAXBENCH_ROOT", pathlib.Path(__file__).resolve().parents[2]))
# DAXBENCH_BUILD chooses another build folder (e.g. one of your own beside a shared build/).
DRIVER = pathlib.Path(os.environ.get("DAXBENCH_BUILD", ROOT / "build")) / "daxbench"


# Set by ./run.sh --test's caller on a platform that cannot run QEMU (no package reachable,
# no TCG). Nothing else may skip a lab test: a lab that fails to build or boot is a failure.
NO_LAB = os.environ.get("DAXBENCH_TEST_NO_LAB", "0") not in ("", "0")
NO_LAB_REASON = "DAXBENCH_TEST_NO_LAB=1: the lab and power-cut tests were left out on request"


def require_lab():
    """Skips the calling test only when the user opted out of the lab."""
    if NO_LAB:
        pytest.skip(NO_LAB_REASON)


def fail_unless_the_lab_ran(records, kind="case"):
    """A lab record that is `unsupported` for the lab as a whole means this machine could
    not boot a guest: without the opt-out that is a failure, with the reason quoted."""
    lab = [r for r in records if r["target"].startswith("lab:")]
    whole = {r["reason"] for r in lab if r["status"] == "unsupported" and
             (r["reason"] or "").startswith("lab: ")}
    if whole:
        pytest.fail(f"the lab could not run here ({len(lab)} {kind} records): " +
                    "; ".join(sorted(whole)) +
                    " (set DAXBENCH_TEST_NO_LAB=1 only on a platform that cannot run QEMU)")


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
