"""The main tables of a report as data: per group of cases (one workload, target and shape)
the modes as columns, the metrics as rows, each cell a median with its 95% interval and, in
the "vs baseline" row, a significance mark; and the run's and targets' facts. main.py makes
them into blocks."""
from __future__ import annotations

from dataclasses import dataclass, field

from daxbench_analysis import stats
from daxbench_analysis.model.run import LATENCY, THROUGHPUT, Case, Metric, Run, counter_metric
from daxbench_analysis.numbers import format_percent, format_ratio, humanize
from daxbench_analysis.sections.blocks import Cell

# The per-operation counters that tell the modes apart, in row order; others are left out
# of a report to keep it readable (they are all in records.jsonl and the plots).
REPORT_COUNTERS = ("syscalls", "page_faults", "fs_dax:dax_pte_fault", "jbd2:jbd2_end_commit",
                   "xfs:xfs_log_force", "lines_flushed", "fences")
ROW_METRICS = (THROUGHPUT, LATENCY["op_p50_ns"], LATENCY["op_p99_ns"], LATENCY["commit_p99_ns"])
ROW_LABELS = {"ops_per_sec": "ops/s", "op_p50_ns": "op p50 (ns)", "op_p99_ns": "op p99 (ns)",
              "commit_p99_ns": "commit p99 (ns)"}
FEW_REPETITIONS_MARK = "~"
NOT_DURABLE_MARK = "(nd)"
LEGEND = (
    "Cells: the median over repetitions, ±% the half-width of its 95% bootstrap",
    "  interval. vs {baseline}: ratio of median ops/s to {baseline}'s. Marks:",
    "  + significantly better, - significantly worse (Welch's t-test on ln(ops/s),",
    "  p adjusted over all the report's vs cells (Benjamini-Hochberg) < 0.05, and",
    "  the ratio's 95% interval excludes 1 on the same side), blank: not",
    f"  significant, {FEW_REPETITIONS_MARK} fewer than {stats.MIN_REPETITIONS} repetitions: "
    "not judged.",
    f"{NOT_DURABLE_MARK} after a mode: not durable on that target (its promise does not hold).",
    "No ±: every repetition gave the same value. Counters are per operation.",
)


def legend(baseline: str) -> list[str]:
    return [line.format(baseline=baseline) for line in LEGEND]


@dataclass
class ModeColumn:
    label: str
    durable: bool

    @property
    def header(self) -> str:
        return self.label if self.durable else f"{self.label} {NOT_DURABLE_MARK}"


@dataclass
class Row:
    label: str
    cells: list[Cell]


@dataclass
class GroupTable:
    workload: str
    target: str
    shape: str                       # "record_size=4K, threads=2" or "defaults"
    emulated: str | None
    columns: list[ModeColumn]
    rows: list[Row]
    not_run: list[tuple[str, str, str]] = field(default_factory=list)  # column, status, reason

    @property
    def title(self) -> str:
        title = f"{self.workload} on {self.target}, {self.shape}"
        return f"{title} [EMULATED ({self.emulated.upper()})]" if self.emulated else title


def summary_cell(samples: list[float]) -> Cell:
    if not samples:
        return Cell("-")
    summary = stats.summarize(samples)
    if summary.median == 0 or len(samples) < 2:
        return Cell(humanize(summary.median))
    half_width = (summary.ci_high - summary.ci_low) / 2 / abs(summary.median)
    if half_width == 0:  # every repetition alike (an exact count): no interval to show
        return Cell(humanize(summary.median))
    return Cell(humanize(summary.median), format_percent(half_width))


def significance_mark(comparison) -> str:
    """The rule is stats.compare's; a comparison without enough repetitions has no sign."""
    sign = " "
    if comparison.significant and comparison.verdict == "improvement":
        sign = "+"
    elif comparison.significant and comparison.verdict == "regression":
        sign = "-"
    return sign + ("" if comparison.enough_repetitions else FEW_REPETITIONS_MARK)


def ratio_cell(baseline: Case, case: Case, comparisons: dict) -> Cell:
    if case is baseline and baseline.samples(THROUGHPUT):
        return Cell("1.00x", mark=" ")
    comparison = comparisons.get(case.case_id)
    if comparison is None:
        return Cell("-")
    return Cell(format_ratio(comparison.ratio), mark=significance_mark(comparison))


def ran_and_baseline(cases: list[Case], baseline_mode: str) -> tuple[list[Case], Case | None]:
    ran = [c for c in cases if c.status == "ok"]
    return ran, next((c for c in ran if c.column == baseline_mode), None)


def vs_baseline_comparisons(groups: list[list[Case]], baseline_mode: str) -> dict:
    """case_id -> stats.Comparison of its ops/s against its group's baseline. Every "vs
    baseline" cell of a report is one family (stats.compare_family), as `compare` judges
    each metric over all its cases at once."""
    members = []
    for cases in groups:
        ran, baseline = ran_and_baseline(cases, baseline_mode)
        if baseline is None or len(ran) < 2:
            continue
        base = baseline.samples(THROUGHPUT)
        for case in ran:
            candidate = case.samples(THROUGHPUT)
            if case is not baseline and base and candidate:
                members.append((case.case_id, (base, candidate, THROUGHPUT.better)))
    judged = stats.compare_family([member for _, member in members])
    return {case_id: comparison for (case_id, _), comparison in zip(members, judged)}


def counter_rows(cases: list[Case]) -> list[Metric]:
    """The REPORT_COUNTERS some case of the group counted, in REPORT_COUNTERS order."""
    found: dict[str, Metric] = {}
    for case in cases:
        for record in case.ok_records[:1]:
            for name, counter in record.get("counters", {}).items():
                if name in REPORT_COUNTERS and counter.get("status") == "ok":
                    found.setdefault(name, counter_metric(name, record))
    return [found[name] for name in REPORT_COUNTERS if name in found]


def group_table(cases: list[Case], baseline_mode: str, comparisons: dict) -> GroupTable:
    ran, baseline = ran_and_baseline(cases, baseline_mode)
    first = cases[0]
    shape = ", ".join(f"{k}={v}" for k, v in first.group_key[2]) or "defaults"
    table = GroupTable(first.workload, first.target, shape, first.emulated,
                       [ModeColumn(c.column, c.durable) for c in ran], [])
    for metric in (*ROW_METRICS, *counter_rows(ran)):
        cells = [summary_cell(c.samples(metric)) for c in ran]
        if any(cell.value != "-" for cell in cells):
            label = ROW_LABELS.get(metric.name) or metric.label
            table.rows.append(Row(label, cells))
    if baseline is not None and len(ran) > 1:
        table.rows.append(Row(f"vs {baseline_mode}",
                              [ratio_cell(baseline, c, comparisons) for c in ran]))
    table.not_run = [(c.column, c.status, c.reason or "") for c in cases if c.status != "ok"]
    return table


def group_tables(run: Run, baseline_mode: str = "fdatasync") -> list[GroupTable]:
    groups = list(run.groups().values())
    comparisons = vs_baseline_comparisons(groups, baseline_mode)
    return [group_table(cases, baseline_mode, comparisons) for cases in groups]


def run_facts(run: Run) -> list[tuple[str, str]]:
    """(label, value) lines of the context at the top of a report."""
    context = run.context
    host, suite = context.get("host", {}), context.get("suite", {})
    facts = [("run id", str(context.get("run_id", "?"))),
             ("config", str((context.get("config") or {}).get("name", "?"))),
             ("host", str(host.get("name", "?"))),
             ("kernel", str(host.get("kernel", "?"))),
             ("cpu", str(host.get("cpu_model", "?"))),
             ("daxbench", str(suite.get("version", "?")))]
    return facts


def yes_no(flag) -> str:
    return "?" if flag is None else ("yes" if flag else "no")


def target_facts(run: Run) -> list[tuple[str, list[str]]]:
    """Per target the run used: its spec and the lines describing it."""
    emulated = {c.target: c.emulated for c in run.cases.values() if c.emulated}
    specs = list(dict.fromkeys(c.target for c in run.cases.values()))
    out = []
    for spec in specs:
        facts = run.target_context(spec)
        lines = [f"filesystem {facts.get('filesystem', '?')}, dax {yes_no(facts.get('dax'))}, "
                 f"map_sync {facts.get('map_sync', '?')}",
                 f"mount options {facts.get('mount_options', '?')}"]
        if spec in emulated:
            lines.append(f"EMULATED ({emulated[spec].upper()}): counts exact, times not native")
        out.append((spec, lines))
    return out
