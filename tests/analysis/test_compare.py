"""Run-vs-run comparison of fixture pairs with a known regression, improvement and noise:
what is flagged, the warnings, and the exit status of `compare`. The rule itself (Welch's
t-test on ln(value), Benjamini-Hochberg per metric, at least 3 repetitions a side) is tested
in tests/unit/compare_test.cpp; here: that compare applies it, at the repetitions people use."""
import re

import fixtures
from daxbench_analysis.__main__ import main
from daxbench_analysis.compare import compare_runs, render_text
from daxbench_analysis.model.run import load_run


def compared(pair, **options):
    base, new = pair
    return compare_runs(load_run(base), load_run(new), **options)


def marked(text, mark):
    """Metric lines of the text output ending in `mark` (the legend names marks too)."""
    return re.findall(rf"^  \S.*\s{mark}$", text, re.M)


def marks(result):
    return {(case.case_id, m.metric.name): m.mark for case in result.cases for m in case.metrics}


def test_known_changes_are_found(compare_pair):
    result = compared(compare_pair)
    found = marks(result)
    assert found[(fixtures.REGRESSED, "ops_per_sec")] == "REGRESSION"
    assert found[(fixtures.REGRESSED, "op_p50_ns")] == "REGRESSION"   # 25% longer
    assert found[(fixtures.IMPROVED, "ops_per_sec")] == "better"
    assert found[(fixtures.IMPROVED, "op_p99_ns")] == "better"
    assert found[(fixtures.NOISE, "ops_per_sec")] == ""
    assert found[(fixtures.NOISE, "op_p50_ns")] == ""
    regressed = next(c for c in result.cases if c.case_id == fixtures.REGRESSED)
    throughput = regressed.metrics[0]
    assert (throughput.base_median, throughput.new_median) == (20_000, 16_000)
    assert abs(throughput.comparison.ratio - 0.8) < 1e-12
    assert throughput.comparison.ci_high < 1 and throughput.comparison.p_value < 0.001
    assert result.only_in_base == [fixtures.ONLY_IN_BASE]
    assert result.only_in_new == [fixtures.ONLY_IN_NEW]
    assert result.exit_status == 1


def test_text_names_cases_ratios_and_one_run_cases(compare_pair):
    text = render_text(compared(compare_pair))
    assert f"{fixtures.REGRESSED}  (9 vs 9 repetitions)" in text
    assert "0.80x" in text and "1.25x" in text
    assert "only in base:\n  " + fixtures.ONLY_IN_BASE in text
    assert "only in new:\n  " + fixtures.ONLY_IN_NEW in text
    assert "warning" not in text
    assert "note:" not in text  # same host, kernel and suite
    assert f"regression(s) beyond 5%:\n  {fixtures.REGRESSED}  ops/s" in text


def test_exit_status_follows_the_threshold(compare_pair, capsys):
    base, new = map(str, compare_pair)
    assert main(["compare", base, new, "--threshold", "5%"]) == 1
    assert len(marked(capsys.readouterr().out, "REGRESSION")) == 3  # ops/s, p50, p99
    assert main(["compare", base, new, "--threshold", "0.05"]) == 1
    capsys.readouterr()
    assert main(["compare", base, new, "--threshold", "50%"]) == 0
    out = capsys.readouterr().out
    assert not marked(out, "REGRESSION") and len(marked(out, "worse")) == 3


def test_improvement_and_noise_pass(tmp_path, capsys):
    base, new = fixtures.make_compare_pair(tmp_path, keep=(fixtures.IMPROVED, fixtures.NOISE))
    assert main(["compare", str(base), str(new)]) == 0
    out = capsys.readouterr().out
    assert len(marked(out, "better")) == 3
    assert not marked(out, "REGRESSION") and not marked(out, "worse")
    assert "0 regression(s) beyond 5%" in out


def test_three_repetitions_find_the_known_changes(few_reps_pair, capsys):
    """quick.yaml's 3 repetitions: the 20% regression and the 25% improvement are seen."""
    result = compared(few_reps_pair)
    assert all(case.enough_repetitions for case in result.cases)
    found = marks(result)
    assert found[(fixtures.REGRESSED, "ops_per_sec")] == "REGRESSION"
    assert found[(fixtures.IMPROVED, "ops_per_sec")] == "better"
    assert found[(fixtures.NOISE, "ops_per_sec")] == ""
    assert result.exit_status == 1
    assert main(["compare", *map(str, few_reps_pair)]) == 1
    out = capsys.readouterr().out
    assert "not enough repetitions" not in out and "not judged" not in out
    assert "Welch's t-test" in out and "Benjamini-Hochberg" in out


def test_a_halving_at_three_repetitions_fails_every_case(few_reps_pair, tmp_path, capsys):
    base, _ = few_reps_pair
    halved = fixtures.make_halved_copy(base, tmp_path / "halved")
    result = compare_runs(load_run(base), load_run(halved))
    assert [case.base_repetitions for case in result.cases] == [3] * len(result.cases)
    flagged = {case_id for case_id, m in result.regressions if m.metric.name == "ops_per_sec"}
    assert flagged == {case.case_id for case in result.cases} and len(flagged) == 4
    for case in result.cases:
        throughput = case.metrics[0].comparison
        assert abs(throughput.ratio - 0.5) < 0.01 and throughput.p_adjusted < 0.001
        assert [m.mark for m in case.metrics[1:]] == ["", ""]  # latencies did not change
    assert main(["compare", str(base), str(halved)]) == 1
    assert len(marked(capsys.readouterr().out, "REGRESSION")) == 4


def test_realistic_noise_a_a_passes(tmp_path, capsys):
    """Forty cases, 3 repetitions, noise as this machine's (2% to 40%), nothing changed: no
    flag. (Over seeds 1-100 of this fixture, 3 pairs of 100 exit 1: BH keeps a false flag
    per metric family at most 5% likely; docs/analysis.md has the figures from real runs.)"""
    base, new = fixtures.make_noisy_aa_pair(tmp_path, seed=1)
    result = compared((base, new))
    assert len(result.cases) == 40 and all(case.enough_repetitions for case in result.cases)
    assert result.regressions == [] and result.exit_status == 0
    assert not [m for case in result.cases for m in case.metrics if m.mark]
    assert main(["compare", str(base), str(new)]) == 0
    assert "0 regression(s) beyond 5%" in capsys.readouterr().out


def test_realistic_noise_halving_is_seen_where_the_noise_allows(tmp_path):
    base, _ = fixtures.make_noisy_aa_pair(tmp_path, seed=1)
    halved = fixtures.make_halved_copy(base, tmp_path / "halved")
    result = compared((base, halved))
    assert result.exit_status == 1
    flagged = {case_id for case_id, m in result.regressions}
    sigmas = fixtures.NOISY_CASE_SIGMAS
    quiet = {case.case_id for i, case in enumerate(result.cases) if sigmas[i % len(sigmas)] <= 0.1}
    assert quiet <= flagged  # every case whose repetitions vary by 10% or less
    assert len(flagged) < len(result.cases)  # with 3 repetitions, 40% noise can hide a halving


def test_fewer_than_three_repetitions_are_not_judged(tmp_path, capsys):
    pair = fixtures.make_compare_pair(tmp_path, repetitions=2, suffix="-2reps")
    result = compared(pair)
    assert all(not case.enough_repetitions for case in result.cases)
    assert all(not m.comparison.enough_repetitions and m.mark == ""
               for case in result.cases for m in case.metrics)
    assert result.exit_status == 0 and len(result.not_judged) == 3
    assert main(["compare", *map(str, pair)]) == 0
    out = capsys.readouterr().out
    assert out.count("not enough repetitions (fewer than 3 on a side): ratios only") == 3
    assert "3 case(s) not judged: not enough repetitions" in out
    assert "0.80x" in out  # the ratio is still shown
    one = fixtures.make_compare_pair(tmp_path, repetitions=1, suffix="-1rep")
    assert compared(one).exit_status == 0 and len(compared(one).not_judged) == 3


def test_different_hosts_are_noted(tmp_path):
    pair = fixtures.make_compare_pair(tmp_path, keep=(fixtures.NOISE,), new_host="other-host")
    text = render_text(compared(pair))
    assert "note: host differs: base fixture-host, new other-host" in text


def test_input_errors_exit_2_naming_the_path(compare_pair, tmp_path, capsys):
    base, _ = compare_pair
    missing = tmp_path / "no-such-run"
    assert main(["compare", str(base), str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["compare", str(empty), str(base)]) == 2
    assert f"{empty}: no records.jsonl" in capsys.readouterr().err
