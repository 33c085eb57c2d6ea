"""Shared setup of the analysis tests: the analysis package and the built `_daxstats` on the
import path, and the fixture results folders of fixtures.py as pytest fixtures."""
import pytest

from analysis_paths import ROOT  # first: it puts the analysis package on sys.path

import fixtures


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
