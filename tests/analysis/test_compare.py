"""Run-vs-run comparison of fixture pairs with a known regression, improvement and noise:
what is flagged, the warnings, and the exit status of `compare`."""
import re

import fixtures
from daxbench_analysis.__main__ import main
from daxbench_analysis.compare import compare_runs, render_text
from daxbench_analysis.runfolder import load_run


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


def test_few_repetitions_warn_and_do_not_fail(few_reps_pair, capsys):
    result = compared(few_reps_pair)
    assert all(case.few_repetitions for case in result.cases)
    assert all(m.comparison.few_repetitions for case in result.cases for m in case.metrics)
    assert result.exit_status == 0  # 3 vs 3 cannot reach p < 0.05
    assert main(["compare", *map(str, few_reps_pair)]) == 0
    out = capsys.readouterr().out
    assert out.count("warning: fewer than 9 repetitions") == 3   # the three common cases


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
