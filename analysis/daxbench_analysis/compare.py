"""Run against run: for every case in both results folders, the ratio new/base of throughput
and latency with its 95% interval and the p-value of Welch's t-test on the logarithms, and
whether a significant regression exceeds the threshold (the exit status of
`daxbench_analysis compare`). The significance rule itself is `stats.compare` (C++,
analysis/stats/compare.h); this module only applies it and prints it. compare_cases judges
any two groups of cases paired by id (sections/reply.py uses it with more metrics)."""
from __future__ import annotations

from dataclasses import dataclass, field

from daxbench_analysis import stats
from daxbench_analysis.model.run import LATENCY, THROUGHPUT, Case, Metric, Run
from daxbench_analysis.numbers import format_ratio, humanize

# Counters are left out: most are exact counts that differ only when the code does, and the
# ones that vary (journal commits) are system-wide and mostly measure the machine.
COMPARED_METRICS = (THROUGHPUT, LATENCY["op_p50_ns"], LATENCY["op_p99_ns"])
MIN_REPETITIONS = stats.MIN_REPETITIONS  # fewer on either side: nothing is judged

# The rule as the output states it (docs/analysis.md has the why).
RULE = ("A change is significant, with at least {min_reps} repetitions a side, when Welch's "
        "t-test on\nln(value), its p adjusted over all cases of that metric (Benjamini-"
        "Hochberg: q),\nhas q < {alpha:g} and the {confidence:g}% interval of the ratio of "
        "medians excludes 1 on the\nsame side. REGRESSION: significantly worse by more than "
        "{threshold:g}%.")


@dataclass
class MetricComparison:
    metric: Metric
    base_median: float
    new_median: float
    comparison: object  # stats.Comparison, set by judge_families
    samples: tuple[list[float], list[float]] = ((), ())  # (base, new) repetitions

    @property
    def mark(self) -> str:
        c = self.comparison
        if c.exceeds_threshold:
            return "REGRESSION"
        if c.significant and c.verdict == "regression":
            return "worse"
        if c.significant and c.verdict == "improvement":
            return "better"
        return ""


@dataclass
class CaseComparison:
    case_id: str
    base_repetitions: int
    new_repetitions: int
    metrics: list[MetricComparison] = field(default_factory=list)
    problem: str | None = None   # why the case could not be compared

    @property
    def enough_repetitions(self) -> bool:
        return min(self.base_repetitions, self.new_repetitions) >= MIN_REPETITIONS


@dataclass
class CompareResult:
    base: Run
    new: Run
    threshold: float
    alpha: float
    notes: list[str]
    cases: list[CaseComparison]
    only_in_base: list[str]
    only_in_new: list[str]

    @property
    def regressions(self) -> list[tuple[str, MetricComparison]]:
        """Significant regressions worse than the threshold: what fails the comparison."""
        return [(case.case_id, m) for case in self.cases for m in case.metrics
                if m.comparison.exceeds_threshold]

    @property
    def exit_status(self) -> int:
        return 1 if self.regressions else 0

    @property
    def not_judged(self) -> list[str]:
        """Cases compared but with too few repetitions on a side to judge."""
        return [case.case_id for case in self.cases
                if not case.problem and not case.enough_repetitions]


def context_notes(base: Run, new: Run) -> list[str]:
    """What differs between the runs' machines and suites, which a ratio silently includes."""
    notes = []
    for label, section, key in (("host", "host", "name"), ("kernel", "host", "kernel"),
                                ("cpu", "host", "cpu_model"), ("daxbench", "suite", "version")):
        old_value = (base.context.get(section) or {}).get(key)
        new_value = (new.context.get(section) or {}).get(key)
        if old_value != new_value:
            notes.append(f"{label} differs: base {old_value}, new {new_value}")
    if base.emulated_targets() or new.emulated_targets():
        notes.append("emulated targets: counts exact, times not native")
    return notes


def compare_case(case_id: str, old_case: Case, new_case: Case,
                 metrics: tuple[Metric, ...] = COMPARED_METRICS) -> CaseComparison:
    """The case with its compared metrics' samples, not judged yet (see judge_families)."""
    result = CaseComparison(case_id, len(old_case.ok_records), len(new_case.ok_records))
    if not result.base_repetitions or not result.new_repetitions:
        result.problem = (f"not compared: base {old_case.status}, new {new_case.status}")
        return result
    for metric in metrics:
        old_samples, new_samples = old_case.samples(metric), new_case.samples(metric)
        if old_samples and new_samples:
            result.metrics.append(MetricComparison(metric, stats.median(old_samples),
                                                   stats.median(new_samples), None,
                                                   (old_samples, new_samples)))
    return result


def judge_families(cases: list[CaseComparison], threshold: float, alpha: float) -> None:
    """Each compared metric over all cases is one family (stats.compare_family): asking "did
    ops/s get worse anywhere?" of forty cases must not make a false flag likely. A family is
    a metric's name, in the order the metrics first appear."""
    families: dict[str, list[MetricComparison]] = {}
    for case in cases:
        for m in case.metrics:
            families.setdefault(m.metric.name, []).append(m)
    for members in families.values():
        judged = stats.compare_family([(*m.samples, m.metric.better) for m in members],
                                      threshold=threshold, alpha=alpha)
        for member, comparison in zip(members, judged):
            member.comparison = comparison


def compare_cases(base: dict[str, Case], new: dict[str, Case], threshold: float = 0.05,
                  alpha: float = 0.05, metrics=lambda old, new: COMPARED_METRICS
                  ) -> list[CaseComparison]:
    """The cases of `base` that `new` has too (same id), in base's order, each metric judged
    over them all. Two groups of cases, not two runs: the caller says what pairs them (two
    folders' case ids, or one folder's cases on two kernels by Case.paired_id, Run.on_kernel).
    `metrics(old, new)` names the metrics of a pair of cases."""
    cases = [compare_case(case_id, old, new[case_id], tuple(metrics(old, new[case_id])))
             for case_id, old in base.items() if case_id in new]
    judge_families(cases, threshold, alpha)
    return cases


def compare_runs(base: Run, new: Run, threshold: float = 0.05,
                 alpha: float = 0.05) -> CompareResult:
    cases = compare_cases(base.cases, new.cases, threshold, alpha)
    return CompareResult(
        base, new, threshold, alpha, context_notes(base, new), cases,
        [case_id for case_id in base.cases if case_id not in new.cases],
        [case_id for case_id in new.cases if case_id not in base.cases])


def format_p(p_value: float) -> str:
    if p_value != p_value:  # NaN: not enough repetitions to test
        return "-"
    return "<1e-4" if p_value < 1e-4 else f"{p_value:.4f}"


def metric_line(m: MetricComparison) -> str:
    c = m.comparison
    interval = f"[{c.ci_low:.3f}, {c.ci_high:.3f}]"
    return (f"  {m.metric.label:<9}{humanize(m.base_median):>8}{humanize(m.new_median):>8}"
            f"{format_ratio(c.ratio):>9}  {interval:<15}{format_p(c.p_value):>7}"
            f"{format_p(c.p_adjusted):>7}  {m.mark}").rstrip()


def render_text(result: CompareResult) -> str:
    base_id, new_id = result.base.name, result.new.name
    confidence = (1 - result.alpha) * 100
    lines = [f"base: {result.base.path} ({base_id})", f"new:  {result.new.path} ({new_id})",
             *RULE.format(min_reps=MIN_REPETITIONS, alpha=result.alpha, confidence=confidence,
                          threshold=result.threshold * 100).split("\n"),
             *(f"note: {note}" for note in result.notes)]
    interval_label = f"{confidence:g}% CI"
    header = (f"  {'metric':<9}{'base':>8}{'new':>8}{'new/base':>9}  {interval_label:<15}"
              f"{'p':>7}{'q':>7}")
    for case in result.cases:
        lines += ["", f"{case.case_id}  ({case.base_repetitions} vs {case.new_repetitions} "
                      "repetitions)"]
        if case.problem:
            lines.append(f"  {case.problem}")
            continue
        if not case.enough_repetitions:
            lines.append(f"  not enough repetitions (fewer than {MIN_REPETITIONS} on a side): "
                         "ratios only, not judged")
        lines += [header, *(metric_line(m) for m in case.metrics)]
    for label, ids in (("only in base", result.only_in_base), ("only in new", result.only_in_new)):
        if ids:
            lines += ["", f"{label}:", *(f"  {case_id}" for case_id in ids)]
    not_judged = result.not_judged
    if not_judged:
        lines += ["", f"{len(not_judged)} case(s) not judged: not enough repetitions "
                      f"(fewer than {MIN_REPETITIONS} on a side)"]
    regressions = result.regressions
    # One line per regression: a list joined into one line is unreadable past a handful.
    lines += ["", f"{len(regressions)} regression(s) beyond {result.threshold * 100:g}%"
              + (":" if regressions else "")]
    lines += [f"  {case_id}  {m.metric.label}" for case_id, m in regressions]
    return "\n".join(lines) + "\n"
