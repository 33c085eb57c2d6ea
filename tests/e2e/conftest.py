"""Shared fixtures for the end-to-end tests: where the suite is and how to run it."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(os.environ.get("DAXBENCH_ROOT", pathlib.Path(__file__).resolve().parents[2]))
# DAXBENCH_BUILD chooses another build folder (e.g. one of your own beside a shared build/).
DRIVER = pathlib.Path(os.environ.get("DAXBENCH_BUILD", ROOT / "build")) / "daxbench"


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
