"""The `_daxstats` module: the C++ known values through Python, and the key property that the
driver's summary.csv and the module agree to the last digit on the same repetitions."""
import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("DAXBENCH_ROOT", Path(__file__).resolve().parents[2]))
BUILD = Path(os.environ.get("DAXBENCH_BUILD", ROOT / "build"))
for _path in (BUILD / "analysis", ROOT / "analysis"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from daxbench_analysis import stats  # noqa: E402  (needs the paths above)

ONE_TO_FIVE = [1.0, 2.0, 3.0, 4.0, 5.0]
SIX_TO_TEN = [6.0, 7.0, 8.0, 9.0, 10.0]
BASE = [100.0, 101.0, 102.0, 103.0, 104.0]
TEN_PERCENT_SLOWER = [90.0, 91.0, 92.0, 93.0, 94.0]


def test_exports_the_documented_api():
    expected = {"median", "mean", "stddev", "cv", "min", "max", "quantile",
                "bootstrap_median_ci", "ratio_ci", "summarize", "regularized_incomplete_beta",
                "student_t_cdf", "welch_t_test", "benjamini_hochberg", "mann_whitney_u",
                "compare", "compare_family", "Summary", "WelchT", "MannWhitney", "Comparison",
                "MIN_REPETITIONS", "MIN_LOG_VARIANCE"}
    assert set(stats.__all__) == expected
    assert all(hasattr(stats, name) for name in expected)


def test_summary_statistics_known_values():
    wikipedia = [2, 4, 4, 4, 5, 5, 7, 9]  # ints are accepted too
    assert stats.median(wikipedia) == 4.5
    assert stats.mean(wikipedia) == 5
    assert stats.stddev(wikipedia) == pytest.approx(math.sqrt(32 / 7), rel=1e-15)
    assert stats.min(wikipedia) == 2 and stats.max(wikipedia) == 9
    assert stats.quantile((1.0, 2.0, 3.0, 4.0), 0.25) == 1.75
    with pytest.raises(ValueError):
        stats.quantile(wikipedia, 1.5)
    assert math.isnan(stats.median([]))


def test_summarize_matches_the_separate_functions():
    samples = [10.5, 9.75, 11.25, 10.0, 10.125, 9.5]
    summary = stats.summarize(samples)
    assert summary.n == 6
    assert summary.median == stats.median(samples)
    assert summary.cv == stats.cv(samples)
    assert (summary.ci_low, summary.ci_high) == stats.bootstrap_median_ci(samples)
    assert stats.bootstrap_median_ci(samples, 0.95, 2000) == stats.bootstrap_median_ci(samples)
    spread = [(7 * i) % 41 + 0.5 * i for i in range(40)]
    assert stats.bootstrap_median_ci(spread, seed=1) != stats.bootstrap_median_ci(spread, seed=2)
    assert "Summary(n=6, median=" in repr(summary)


def test_mann_whitney_known_values():
    separated = stats.mann_whitney_u(ONE_TO_FIVE, SIX_TO_TEN)
    assert separated.u == 25 and separated.exact
    assert separated.p_value == pytest.approx(2 / 252, rel=1e-15)
    # The tie-corrected normal approximation, worked out in tests/unit/compare_stats_test.cpp.
    tied = stats.mann_whitney_u(base=[1, 2, 3, 3, 4], candidate=[3, 4, 5, 6, 7])
    assert tied.u == 22.5 and not tied.exact
    assert tied.p_value == pytest.approx(0.04387800789041377, abs=1e-12)
    assert stats.mann_whitney_u(ONE_TO_FIVE, ONE_TO_FIVE).p_value == 1
    assert math.isnan(stats.mann_whitney_u([], ONE_TO_FIVE).p_value)
    assert "exact=True" in repr(separated)


def test_compare_flags_a_clear_regression_only():
    regression = stats.compare(BASE, TEN_PERCENT_SLOWER)  # better="higher" by default
    assert regression.ratio == 92 / 102
    assert regression.ci_high < 1
    assert regression.significant and regression.verdict == "regression"
    assert regression.exceeds_threshold and regression.enough_repetitions
    # Welch on the logarithms (scipy.stats.ttest_ind(log(new), log(base), equal_var=False)).
    assert regression.log_scale
    assert regression.t == pytest.approx(-9.969758474270717, abs=1e-10)
    assert regression.p_value == pytest.approx(9.355982609390885e-06, abs=1e-15)
    assert regression.p_adjusted == regression.p_value  # a family of one

    tolerated = stats.compare(BASE, TEN_PERCENT_SLOWER, better="higher", threshold=0.2)
    assert tolerated.verdict == "regression" and not tolerated.exceeds_threshold
    assert stats.compare(BASE, TEN_PERCENT_SLOWER, better="lower").verdict == "improvement"
    judged_not = stats.compare(BASE, TEN_PERCENT_SLOWER, better="neither")
    assert judged_not.verdict == "same" and not judged_not.exceeds_threshold

    noise = stats.compare([100, 103, 98, 101, 99, 102], [101, 99, 102, 100, 98, 103])
    assert not noise.significant and noise.verdict == "same"
    with pytest.raises(ValueError):
        stats.compare(BASE, BASE, better="bigger")


def test_distributions_and_welch_known_values():
    # Cauchy (df 1) and the df 2 closed form; the 5% critical value at df 4.
    assert stats.student_t_cdf(0.7, 1) == pytest.approx(0.5 + math.atan(0.7) / math.pi, abs=1e-14)
    assert stats.student_t_cdf(3.0, 2) == pytest.approx(0.5 + 3 / (2 * math.sqrt(11)), abs=1e-14)
    assert stats.student_t_cdf(2.776445105197793, 4) == pytest.approx(0.975, abs=1e-14)
    assert stats.regularized_incomplete_beta(2, 3, 0.4) == pytest.approx(0.5248, abs=1e-14)
    assert math.isnan(stats.student_t_cdf(1, 0))
    wiki = stats.welch_t_test(
        [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4],
        [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4])
    assert (wiki.t, wiki.df) == (pytest.approx(2.455356398286006, abs=1e-12),
                                 pytest.approx(24.988529290231416, abs=1e-10))
    assert wiki.p_value == pytest.approx(0.021378001462866985, abs=1e-13)
    assert stats.benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == pytest.approx(
        [0.02, 0.04, 0.04, 0.02], abs=1e-15)
    assert stats.MIN_REPETITIONS == 3
    assert stats.MIN_LOG_VARIANCE == pytest.approx(math.log1p(1 / 32) ** 2 / 12, rel=1e-15)


def test_three_repetitions_and_families():
    halved = stats.compare([100, 103, 98], [50, 51.5, 49])
    assert halved.enough_repetitions and halved.exceeds_threshold
    too_few = stats.compare([100, 103], [50, 51.5])
    assert not too_few.enough_repetitions and math.isnan(too_few.p_value)
    assert not too_few.significant and too_few.verdict == "same"
    family = stats.compare_family([([100, 103, 98], [80, 82.4, 78.4], "higher")]
                                  + [([100, 103, 98], [101, 99, 102], "higher")] * 39)
    assert len(family) == 40 and family[0].exceeds_threshold
    assert family[0].p_adjusted == pytest.approx(40 * family[0].p_value, rel=1e-12)
    assert not any(c.significant for c in family[1:])
    assert "p_adjusted=" in repr(family[0])


def test_ratio_ci_is_the_comparisons_interval():
    comparison = stats.compare(BASE, TEN_PERCENT_SLOWER, alpha=0.1)
    assert (comparison.ci_low, comparison.ci_high) == stats.ratio_ci(
        BASE, TEN_PERCENT_SLOWER, confidence=0.9)


TINY_CONFIG = """\
name: binding-check
defaults: {duration_s: 0.05, warmup_s: 0, repetitions: 5, working_set: 1M, seed: 1}
cases:
  - workload: random-update
    mode: none
    record_size: [64, 256]
"""

SUMMARY_FIELDS = {  # summary.csv column -> Summary attribute
    "ops_per_sec_median": "median",
    "ops_per_sec_mean": "mean",
    "ops_per_sec_stddev": "stddev",
    "ops_per_sec_cv": "cv",
    "ops_per_sec_ci95_low": "ci_low",
    "ops_per_sec_ci95_high": "ci_high",
}


def run_driver(tmp_path: Path) -> Path:
    driver = BUILD / "daxbench"
    if not driver.exists():
        pytest.skip(f"the driver is not built: {driver} is missing (set DAXBENCH_BUILD)")
    config = tmp_path / "binding-check.yaml"
    config.write_text(TINY_CONFIG)
    scratch = tmp_path / "target"
    scratch.mkdir()
    out = tmp_path / "run"
    subprocess.run([str(driver), "run", "--config", str(config), "--target", f"file:{scratch}",
                    "--out", str(out)], check=True, timeout=120, capture_output=True)
    return out


def ok_throughputs_by_case(run: Path) -> dict:
    """case_id -> ops_per_sec of its ok repetitions, in file order (the driver's order)."""
    by_case = {}
    with open(run / "records.jsonl") as records:
        for line in records:
            record = json.loads(line)
            if record["status"] == "ok":
                by_case.setdefault(record["case_id"], []).append(record["ops_per_sec"])
    return by_case


def test_summary_csv_and_module_agree_to_the_last_digit(tmp_path):
    run = run_driver(tmp_path)
    throughputs = ok_throughputs_by_case(run)
    with open(run / "summary.csv", newline="") as summary_file:
        rows = list(csv.DictReader(summary_file))
    assert [row["case_id"] for row in rows] == list(throughputs)
    assert len(rows) == 2
    for row in rows:
        samples = throughputs[row["case_id"]]
        assert len(samples) == 5 == int(row["repetitions"])
        summary = stats.summarize(samples)
        for column, attribute in SUMMARY_FIELDS.items():
            # Exact equality: the csv holds shortest round-trip text of the same doubles.
            assert float(row[column]) == getattr(summary, attribute), (row["case_id"], column)
