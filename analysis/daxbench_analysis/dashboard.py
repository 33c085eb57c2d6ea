"""The regression dashboard: one static, self-contained HTML page drawn from the history
database (history.py), a trend chart per case and metric with each run's significant change
against the previous run marked. Every verdict is computed here with `stats.compare`; the
page's script only draws and filters."""
from __future__ import annotations

import argparse
import json
import math
import sqlite3
import sys
from datetime import datetime, timezone
from pathlib import Path

from daxbench_analysis import history, stats
from daxbench_analysis.model.registry import FALLBACK
from daxbench_analysis.model.run import LATENCY, THROUGHPUT

TEMPLATE = Path(__file__).with_name("dashboard_template.html")
DATA_PLACEHOLDER = "__DAXBENCH_DATA__"
DASHBOARD_METRICS = (THROUGHPUT, LATENCY["op_p99_ns"])
THRESHOLD = 0.05


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def judged_changes(grouped: dict[tuple[str, str], list[dict]], better: str) -> dict:
    """(series key, point index) -> stats.Comparison of that point against the one before it
    in its series. The changes one run brings (one metric over every case it ran) are one
    family (stats.compare_family), as `compare` judges a metric over all cases at once."""
    by_run: dict[str, list[tuple[tuple[str, str], int]]] = {}
    for key, points in grouped.items():
        for i in range(1, len(points)):
            by_run.setdefault(points[i]["run_id"], []).append((key, i))
    judged = {}
    for members in by_run.values():
        family = [(grouped[key][i - 1]["samples"], grouped[key][i]["samples"], better)
                  for key, i in members]
        judged.update(zip(members, stats.compare_family(family, threshold=THRESHOLD)))
    return judged


def change_against_previous(previous: dict, comparison) -> dict:
    """The verdict of a point against the run before it, or none when either side has fewer
    than stats.MIN_REPETITIONS repetitions."""
    if not comparison.enough_repetitions:
        return {"verdict": None, "not_enough_repetitions": True,
                "previous_run_id": previous["run_id"]}
    return {"verdict": comparison.verdict, "ratio": _finite(comparison.ratio),
            "ratio_ci_low": _finite(comparison.ci_low),
            "ratio_ci_high": _finite(comparison.ci_high),
            "p_value": _finite(comparison.p_value),
            "p_adjusted": _finite(comparison.p_adjusted), "significant": comparison.significant,
            "exceeds_threshold": comparison.exceeds_threshold,
            "previous_run_id": previous["run_id"]}


def metric_points(points: list[dict], comparisons: list) -> list[dict]:
    """The series' points as the page needs them, each with its verdict against the one
    before it (comparisons[i - 1] for point i)."""
    out = []
    for i, point in enumerate(points):
        entry = {key: point[key] for key in ("run_id", "time", "suite_version", "n")}
        entry.update({key: _finite(point[key]) for key in ("median", "ci_low", "ci_high")})
        entry.update({"verdict": None} if i == 0 else
                     change_against_previous(points[i - 1], comparisons[i - 1]))
        out.append(entry)
    return out


def collect_series(connection: sqlite3.Connection) -> list[dict]:
    """One entry per case and case fingerprint (same machine, same target facts), with one
    trend per dashboard metric, in workload, target, mode order."""
    by_key: dict[tuple[str, str], dict] = {}
    for metric in DASHBOARD_METRICS:
        grouped: dict[tuple[str, str], list[dict]] = {}
        for point in history.series(connection, metric=metric.name):
            if point["median"] is not None:
                grouped.setdefault((point["case_id"], point["fingerprint"]), []).append(point)
        judged = judged_changes(grouped, metric.better)
        for key, points in grouped.items():
            last = points[-1]
            entry = by_key.setdefault(key, {
                "case_id": last["case_id"], "fingerprint": last["fingerprint"],
                "host": last["host"], "host_fingerprint": last["host_fingerprint"],
                "kernel": last["kernel"], "workload": last["workload"], "mode": last["mode"],
                "column": last["column_label"], "target": last["target"],
                "shape": last["case_id"].split("/", 2)[2][len(last["target"]) + 1:],
                "emulated": last["emulated"], "metrics": []})
            entry["metrics"].append({"metric": metric.name, "label": metric.label,
                                     "unit": points[-1]["unit"] or metric.unit,
                                     "better": points[-1]["better"] or metric.better,
                                     "points": metric_points(points, [
                                         judged[(key, i)] for i in range(1, len(points))])})
    # The history keeps no run's registry: the registry's fallback mode order (model/registry.py).
    return sorted(by_key.values(), key=lambda s: (s["emulated"] is not None, s["workload"],
                                                  s["target"],
                                                  FALLBACK.mode_rank(s["mode"]), s["column"],
                                                  s["case_id"], s["host"], s["fingerprint"]))


def dashboard_data(db_path: str | Path) -> dict:
    if not Path(db_path).is_file():
        raise FileNotFoundError(f"{db_path}: no history database (add runs with history.py)")
    connection = history.connect(db_path)
    try:
        runs = [{k: v for k, v in run.items() if k != "path"}
                for run in history.runs(connection)]
        series = collect_series(connection)
    finally:
        connection.close()
    return {"generated": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "threshold": THRESHOLD, "min_repetitions": stats.MIN_REPETITIONS, "runs": runs,
            "series": series}


def embeddable_json(data: dict) -> str:
    """JSON that cannot end the <script> holding it: `</` becomes the equivalent `<\\/`."""
    return json.dumps(data, allow_nan=False, sort_keys=True).replace("</", "<\\/")


def render(db_path: str | Path, out_dir: str | Path) -> Path:
    """Writes out_dir/index.html from the history database; returns its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    page = TEMPLATE.read_text().replace(DATA_PLACEHOLDER, embeddable_json(dashboard_data(db_path)))
    index = out_dir / "index.html"
    index.write_text(page)
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m daxbench_analysis.dashboard",
                                     description="Render the regression dashboard.")
    parser.add_argument("db", help="the history database (history.py)")
    parser.add_argument("out_dir", help="where index.html is written")
    arguments = parser.parse_args(argv)
    print(render(arguments.db, arguments.out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
