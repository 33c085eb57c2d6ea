"""The command line: `python3 -m daxbench_analysis report|compare|history|dashboard ...`
(run.sh runs it with the built statistics module on PYTHONPATH). Exit status: 0 fine,
1 a significant regression beyond the threshold (compare), 2 bad usage or input."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

USAGE_ERROR = 2


class InputError(Exception):
    """A bad path or argument: reported in one line, exit status 2."""


def repo_root() -> Path:
    return Path(os.environ.get("DAXBENCH_ROOT") or Path(__file__).resolve().parents[2])


def default_db() -> Path:
    return repo_root() / "results" / "history.sqlite"


def parse_threshold(text: str) -> float:
    """`5%` or `0.05` -> 0.05. A bare number above 1 is refused rather than guessed at."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a threshold: {text!r} (use 5% or 0.05)")
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"threshold {text!r} out of range (use 5% or 0.05)")
    return value


def parse_alpha(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a significance level: {text!r}")
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"alpha {text!r} must be between 0 and 1")
    return value


def load(path: str):
    from daxbench_analysis.model.run import load_run
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such results folder")
    try:
        return load_run(folder)
    except (OSError, ValueError, KeyError) as error:
        raise InputError(f"{folder}: cannot read the results folder: {error}") from error


def import_plots():
    os.environ.setdefault("MPLBACKEND", "Agg")  # no display: files only
    try:
        from daxbench_analysis import plots
    except ImportError as error:
        if "matplotlib" in str(error) or "numpy" in str(error):
            raise InputError(f"plots need matplotlib and numpy ({error}); install "
                             "python3-matplotlib python3-numpy or use --no-plots") from error
        raise
    return plots


def cmd_report(args) -> int:
    from daxbench_analysis.render.reports import write_reports
    run = load(args.run_dir)
    for path in write_reports(run, run.path, baseline=args.baseline):
        print(path)
    if not args.no_plots:
        plots_dir = run.path / "plots"
        written = import_plots().render_all(run, plots_dir)
        print(f"{plots_dir}/ ({len(written) if written is not None else '?'} files)")
    return 0


def compare_sides(args):
    """Two folders, or one folder's two kernels (`lab: {kernels: [...]}`): the first two it
    names unless --kernels says which, base first."""
    if args.new and not args.kernels:
        return load(args.base), load(args.new)
    base_run = load(args.base)
    new_run = load(args.new) if args.new else base_run
    kernels = args.kernels or base_run.kernels()[:2]
    if len(kernels) < 2:
        raise InputError(f"{args.base}: one results folder compares its kernels, and its cases ran "
                         f"on {len(kernels)} ({', '.join(kernels) or 'no kernels axis'}); give two "
                         "folders, or a run with lab: {kernels: [A, B]}")
    try:
        return base_run.on_kernel(kernels[0]), new_run.on_kernel(kernels[1])
    except ValueError as error:
        raise InputError(str(error)) from error


def cmd_compare(args) -> int:
    from daxbench_analysis.compare import compare_runs, render_text
    from daxbench_analysis.render import text
    from daxbench_analysis.render.reports import write_document
    from daxbench_analysis.sections.reply import reply_of_runs
    base, new = compare_sides(args)
    result = compare_runs(base, new, threshold=args.threshold, alpha=args.alpha)
    if args.reply or args.out:
        reply = reply_of_runs(base, new, threshold=args.threshold, alpha=args.alpha)
    sys.stdout.write(text.render(reply) if args.reply else render_text(result))
    if args.out:
        for path in write_document(reply, Path(args.out), "reply"):
            print(path, file=sys.stderr if args.reply else sys.stdout)
    return result.exit_status


def cmd_history_add(args) -> int:
    from daxbench_analysis import history
    folder = Path(args.run_dir)
    if not (folder / "records.jsonl").is_file():
        raise InputError(f"{folder}: no records.jsonl (not a daxbench results folder?)")
    db = Path(args.db)
    db.parent.mkdir(parents=True, exist_ok=True)
    history.add_run(db, folder)
    print(db)
    return 0


def cmd_dashboard(args) -> int:
    from daxbench_analysis import dashboard
    db = Path(args.db)
    if not db.is_file():
        raise InputError(f"{db}: no history database (add runs with `history add RUN_DIR`)")
    print(dashboard.render(db, Path(args.out)))
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python3 -m daxbench_analysis",
        description="Reports, plots, comparisons and the history dashboard of daxbench "
                    "results folders (docs/analysis.md).")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    report = commands.add_parser("report", help="write report.txt/.md/.tex and plots/ into "
                                                "a results folder")
    report.add_argument("run_dir", metavar="RUN_DIR")
    report.add_argument("--no-plots", action="store_true", help="reports only")
    report.add_argument("--baseline", default="fdatasync", metavar="MODE",
                        help="the mode the 'vs' row compares with (default: fdatasync)")
    report.set_defaults(handler=cmd_report)

    compare = commands.add_parser(
        "compare", help="compare two results folders; exit 1 on a significant regression "
                        "beyond the threshold")
    compare.add_argument("base", metavar="BASE")
    compare.add_argument("new", metavar="NEW", nargs="?",
                         help="the new results folder; without it BASE's two kernels compare")
    compare.add_argument("--kernels", nargs=2, metavar=("BASE_KERNEL", "NEW_KERNEL"),
                         help="the kernels (lab: {kernels: [...]} names) to compare: in BASE, "
                              "or BASE's first against NEW's second (default: BASE's first two)")
    compare.add_argument("--threshold", type=parse_threshold, default=0.05,
                         help="worst tolerated change of a median, 5%% or 0.05 (default 5%%)")
    compare.add_argument("--alpha", type=parse_alpha, default=0.05,
                         help="significance level of Welch's t-test on ln(value); the ratio "
                              "interval is at 1 - alpha (default 0.05)")
    compare.add_argument("--reply", action="store_true",
                         help="print the reply (the table for a mailing-list reply, LKP's "
                              "layout) in place of the comparison")
    compare.add_argument("--out", metavar="DIR",
                         help="also write the reply as reply.txt, reply.md and reply.tex "
                              "into DIR")
    compare.set_defaults(handler=cmd_compare)

    history = commands.add_parser("history", help="the SQLite history of runs")
    history_commands = history.add_subparsers(dest="history_command", required=True,
                                              metavar="ACTION")
    add = history_commands.add_parser("add", help="add a results folder to the history")
    add.add_argument("run_dir", metavar="RUN_DIR")
    add.add_argument("--db", default=str(default_db()), help="default: %(default)s")
    add.set_defaults(handler=cmd_history_add)

    dashboard = commands.add_parser("dashboard", help="render the static HTML dashboard")
    dashboard.add_argument("--db", default=str(default_db()), help="default: %(default)s")
    dashboard.add_argument("--out", default=str(repo_root() / "results" / "dashboard"),
                           help="default: %(default)s")
    dashboard.set_defaults(handler=cmd_dashboard)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except InputError as error:
        print(f"daxbench_analysis {args.command}: {error}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
