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
