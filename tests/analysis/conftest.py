"""Shared setup of the analysis tests: the analysis package and the built `_daxstats` on the
import path, and the fixture results folders of fixtures.py as pytest fixtures."""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("DAXBENCH_ROOT", Path(__file__).resolve().parents[2]))
BUILD = Path(os.environ.get("DAXBENCH_BUILD", ROOT / "build"))
ANALYSIS_PATHS = [ROOT / "analysis", BUILD / "analysis"]
for _path in reversed(ANALYSIS_PATHS):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import fixtures  # noqa: E402  (needs nothing above, but keeps the imports together)


def analysis_env() -> dict:
    """The environment for running `python3 -m daxbench_analysis` as a subprocess."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*map(str, ANALYSIS_PATHS),
                                         *filter(None, [env.get("PYTHONPATH")])])
    env["DAXBENCH_ROOT"] = str(ROOT)
    env["MPLBACKEND"] = "Agg"
    return env


@pytest.fixture
def root():
    return ROOT


@pytest.fixture
def basic_run(tmp_path):
    return fixtures.make_basic_run(tmp_path / "basic")


@pytest.fixture
def wide_run(tmp_path):
    return fixtures.make_wide_run(tmp_path / "wide")


@pytest.fixture
def emulated_run(tmp_path):
    return fixtures.make_emulated_run(tmp_path / "emulated")


@pytest.fixture
def compare_pair(tmp_path):
    """(base, new): a clear regression, an improvement, noise, and a case only in each."""
    return fixtures.make_compare_pair(tmp_path)


@pytest.fixture
def few_reps_pair(tmp_path):
    return fixtures.make_few_reps_pair(tmp_path)


@pytest.fixture
def make_run(tmp_path):
    """make_run(name, cases, **options): fixtures.make_run into tmp_path / name."""
    def make(name, cases, **options):
        return fixtures.make_run(tmp_path / name, cases, **options)
    return make
