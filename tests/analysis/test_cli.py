"""`python3 -m daxbench_analysis` as run.sh runs it: a subprocess with PYTHONPATH set."""
import subprocess

from analysis_paths import analysis_env

PYTHON = "/usr/bin/python3"  # Debian's, with the python3-* packages


def analysis(*args):
    return subprocess.run([PYTHON, "-m", "daxbench_analysis", *map(str, args)],
                          env=analysis_env(), capture_output=True, text=True, timeout=300)


def test_report_writes_the_three_reports_without_plots(basic_run):
    done = analysis("report", basic_run, "--no-plots")
    assert done.returncode == 0, done.stderr
    for name in ("report.txt", "report.md", "report.tex"):
        path = basic_run / name
        assert path.is_file() and path.stat().st_size > 0
        assert str(path) in done.stdout
    assert "basic-run" in (basic_run / "report.txt").read_text(encoding="utf-8")
    assert not (basic_run / "plots").exists()


def test_report_baseline_option(basic_run):
    assert analysis("report", basic_run, "--no-plots", "--baseline", "msync").returncode == 0
    assert "vs msync" in (basic_run / "report.txt").read_text(encoding="utf-8")


def test_report_of_a_missing_folder_exits_2(tmp_path):
    done = analysis("report", tmp_path / "nothing-here", "--no-plots")
    assert done.returncode == 2
    assert "nothing-here: no such results folder" in done.stderr


def test_compare_exit_codes(compare_pair, tmp_path):
    base, new = compare_pair
    assert analysis("compare", base, new).returncode == 1
    assert analysis("compare", base, new, "--threshold", "50%").returncode == 0
    assert analysis("compare", base, base).returncode == 0
    assert analysis("compare", base, tmp_path / "missing").returncode == 2


def test_usage_errors_exit_2():
    assert analysis().returncode == 2
    bad = analysis("compare", "a", "b", "--threshold", "5")
    assert bad.returncode == 2 and "use 5% or 0.05" in bad.stderr


def test_help_lists_the_commands():
    done = analysis("--help")
    assert done.returncode == 0
    for command in ("report", "compare", "history", "dashboard"):
        assert command in done.stdout


def test_compare_of_one_folder_needs_a_kernels_axis(basic_run):
    # One folder compares its kernels (lab: {kernels: [A, B]}); without that axis it says so.
    done = analysis("compare", basic_run, "--reply")
    assert done.returncode == 2
    assert "one results folder compares its kernels" in done.stderr
    assert "no kernels axis" in done.stderr
    unknown = analysis("compare", basic_run, "--kernels", "a", "b")
    assert unknown.returncode == 2 and "no case ran on a kernel named 'a'" in unknown.stderr
