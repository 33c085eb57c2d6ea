"""The reply: base against new as kernel developers read a comparison on LKML — the LKP test
robot's and mmtests' layout (per metric the base median with ±%stddev, %change, the new
median with ±%stddev, the metric), each case under a header naming both sides' kernels, the
test case, its parameters, the machine, whether it was emulated, and the commands that
reproduce each side. Significance is `compare`'s rule (compare.compare_cases), not a second
one. Built once as blocks; reply.txt, reply.md and reply.tex are rendered from them."""
from __future__ import annotations

from dataclasses import dataclass

from daxbench_analysis import stats
from daxbench_analysis.compare import (COMPARED_METRICS, MIN_REPETITIONS, RULE, CaseComparison,
                                       MetricComparison, compare_cases)
from daxbench_analysis.model.run import Case, Metric, Run, counter_metric
from daxbench_analysis.numbers import format_change, format_plain, format_stddev
from daxbench_analysis.sections.blocks import (Block, Cell, Code, Column, Document, Fact, Facts,
                                               Heading, Note, Paragraph, Table, Title)

# The counts a kernel change moves, per operation, in this order: faults, syscalls, journal
# commits and log forces, DAX writebacks, cache-line flushes and fences. Exact in the lab
# (TCG executes every instruction the kernel would); the other counters are in records.jsonl.
REPLY_COUNTERS = ("page_faults", "fs_dax:dax_pte_fault", "fs_dax:dax_pmd_fault", "syscalls",
                  "sys_fdatasync", "sys_msync", "jbd2:jbd2_end_commit", "xfs:xfs_log_force",
                  "fs_dax:dax_writeback_one", "lines_flushed", "fences")
METRIC_LABELS = {"ops_per_sec": "ops/s", "op_p50_ns": "op_p50 (ns)",
                 "op_p99_ns": "op_p99 (ns)"}

# The mark after %change (compare's verdicts, one character so the column stays aligned).
REGRESSION_MARK, SIGNIFICANT_MARK, NOT_JUDGED_MARK = "!", "*", "~"
LEGEND = (
    "base, new: the median of each side's repetitions; %stddev: their standard",
    "  deviation over their mean (none: every repetition alike, as exact counts",
    "  are); %change: new median over base median. Counters are per operation;",
    "  those 0 in every repetition of both sides are left out.",
    f"Marks after %change: {SIGNIFICANT_MARK} significant, {REGRESSION_MARK} significantly "
    "worse beyond the threshold",
    "  (for ops/s and op latency a REGRESSION: `compare` exits 1), "
    f"{NOT_JUDGED_MARK} fewer than",
    f"  {MIN_REPETITIONS} repetitions on a side (not judged), none: not significant. Each "
    "metric is",
    "  one family over all the cases.",
)


@dataclass
class Side:
    """One side of a reply: its cases by the id that pairs them with the other side's, and
    the context.json they ran under. Two results folders give one side each (of_run), and so
    do a run's two kernels (Run.on_kernel), paired by the id without its kernel=NAME."""
    label: str                 # "base" or "new"
    name: str                  # what the side is called: its run id, or its kernel in one run
    cases: dict[str, Case]
    context: dict

    @classmethod
    def of_run(cls, label: str, run: Run) -> "Side":
        return cls(label, run.kernel or run.context.get("run_id", run.path.name), run.cases,
                   run.context)

    @property
    def run_id(self) -> str:
        return self.context.get("run_id", "?")

    def lab(self, case: Case) -> dict | None:
        """The lab block of the case's target (and kernel), when a lab guest ran it."""
        key = f"{case.target} kernel={case.kernel}" if case.kernel else case.target
        return (self.context.get("lab") or {}).get(key)

    def host(self, case: Case) -> dict:
        """The machine that ran the case: the lab guest's own view, else the host's."""
        lab = self.lab(case)
        if lab and lab.get("guest_context"):
            return lab["guest_context"].get("host") or {}
        return self.context.get("host") or {}

    def kernel(self, case: Case) -> str:
        """The kernel release, "Linux 6.1.0-18-amd64": context.json's kernel is uname's
        sysname, release and version, and the version (#1 SMP PREEMPT_DYNAMIC ...) only
        says when it was built."""
        kernel = self.host(case).get("kernel")
        return " ".join(kernel.split(" ")[:2]) if kernel else "kernel unknown"

    def kernel_source(self, case: Case) -> str | None:
        """Where the lab's kernel came from, to rebuild it: the Debian package and version, or
        the user's build tree or file with the first 12 hex digits of its sha256."""
        facts = case.kernel_facts
        source = facts.get("source")
        if not source:
            return None
        digest = facts.get("kernel_sha256")
        return f"{source}, sha256 {digest[:12]}" if digest and not source.startswith(
            "package ") else source

    def machine(self, case: Case) -> str:
        host = self.host(case)
        cpus = host.get("cpus_online")
        parts = [host.get("cpu_model") or "CPU unknown",
                 f"{cpus} CPUs" if cpus else None, host.get("machine")]
        lab = self.lab(case)
        if lab:
            top = self.context.get("host") or {}
            parts.append(f"QEMU {str(lab.get('accel') or '?').upper()} guest on "
                         f"{top.get('name', '?')}")
        else:
            parts.append(f"host {host.get('name', '?')}")
        return ", ".join(p for p in parts if p)

    def command(self) -> str:
        return self.context.get("command_line") or "(no command line in context.json)"


def is_count(metric: Metric) -> bool:
    return metric.name.startswith("counter:")


def reply_metrics(old: Case, new: Case) -> list[Metric]:
    """The metrics both cases have: counts first where they were emulated (exact there, the
    times not native), times first on a real machine. A count that is 0 in every repetition
    of both is left out: the case never does that (no DAX fault off DAX, no fence in none)."""
    counts = []
    records = [c.ok_records[0] for c in (old, new) if c.ok_records]
    if len(records) == 2:
        for name in REPLY_COUNTERS:
            if all((r.get("counters", {}).get(name) or {}).get("status") == "ok"
                   and r["counters"][name].get("per_op") is not None for r in records):
                metric = counter_metric(name, records[0])
                if any(old.samples(metric) + new.samples(metric)):
                    counts.append(metric)
    times = list(COMPARED_METRICS)
    return counts + times if (old.emulated or new.emulated) else times + counts


def metric_label(metric: Metric) -> str:
    return METRIC_LABELS.get(metric.name, metric.label)


def mark(m: MetricComparison) -> str:
    c = m.comparison
    if not c.enough_repetitions:
        return NOT_JUDGED_MARK
    if c.exceeds_threshold:
        return REGRESSION_MARK
    return SIGNIFICANT_MARK if c.significant else " "


# LKP's columns: base, %stddev, %change, new, %stddev, metric (the mark after %change).
COLUMNS = [Column("base", width=10, gap=0), Column("%stddev", width=7, gap=1),
           Column("%change", width=10, gap=2), Column("new", width=10, gap=1),
           Column("%stddev", width=7, gap=1), Column("metric", align="left", gap=2)]


def metric_row(m: MetricComparison) -> list:
    old, new = m.samples
    # Equal medians are no change even where a ratio is undefined (0 syscalls on both sides).
    ratio = 1.0 if m.base_median == m.new_median else m.comparison.ratio
    return [format_plain(m.base_median), format_stddev(stats.cv(old)),
            Cell(format_change(ratio), mark=" " + mark(m)),
            format_plain(m.new_median), format_stddev(stats.cv(new)), metric_label(m.metric)]


def case_title(case: Case) -> str:
    state = case.params.get("file_state")
    title = f"{case.workload}/{case.column} on {case.target}"
    return f"{title}, file_state {state}" if state is not None else title


def params_text(case: Case) -> str:
    return " ".join(f"{k}={v}" for k, v in case.params.items() if k != "file_state") or "-"


def emulation(case: Case) -> str | None:
    return f"EMULATED ({case.emulated.upper()})" if case.emulated else None


def case_facts(comparison: CaseComparison, base: Side, new: Side) -> list[Fact]:
    """The header of one case: each side's kernel and repetitions, the parameters, the
    machine and whether it was emulated."""
    old_case, new_case = base.cases[comparison.case_id], new.cases[comparison.case_id]
    facts = []
    for side, case, reps in ((base, old_case, comparison.base_repetitions),
                             (new, new_case, comparison.new_repetitions)):
        source = side.kernel_source(case)
        facts.append(Fact(side.label, [f"{side.kernel(case)}, {reps} repetitions, run "
                                       f"{side.run_id}" + (f"; {source}" if source else "")]))
    facts.append(Fact("params", [params_text(old_case)]))
    if params_text(new_case) != params_text(old_case):
        facts.append(Fact("params", [f"new: {params_text(new_case)}"]))
    machines = [base.machine(old_case), new.machine(new_case)]
    facts.append(Fact("machine", [machines[0]]))
    if machines[1] != machines[0]:
        facts.append(Fact("machine", [f"new: {machines[1]}"]))
    for label in dict.fromkeys(e for e in (emulation(old_case), emulation(new_case)) if e):
        facts.append(Fact(label, ["counts exact, times not native"]))
    return facts


def case_blocks(comparison: CaseComparison, base: Side, new: Side,
                facts: list[Fact]) -> list[Block]:
    """One case: its heading, the facts of its header not said once for every case, and the
    table (or why it could not be compared)."""
    old_case, new_case = base.cases[comparison.case_id], new.cases[comparison.case_id]
    blocks: list[Block] = [Heading(case_title(old_case))]
    if facts:
        blocks.append(Facts(facts))
    if comparison.problem:
        return blocks + [Note([comparison.problem])]
    caption = (f"{case_title(old_case)}: base {base.kernel(old_case)} ({base.name}) against "
               f"new {new.kernel(new_case)} ({new.name}); medians ±%stddev, %change of the "
               f"medians and compare's mark.")
    if emulation(old_case) or emulation(new_case):
        caption += " Emulated: counts exact, times not native."
    blocks.append(Table(COLUMNS, [metric_row(m) for m in comparison.metrics], caption=caption))
    return blocks


def shared_facts(per_case: list[list[Fact]]) -> list[Fact]:
    """The facts every case's header has alike (the kernels, the machine, the emulation of
    a one-machine run): said once above the cases, so a reply of many cases stays short."""
    if len(per_case) < 2:
        return []
    return [fact for fact in per_case[0] if all(fact in facts for facts in per_case[1:])]


def reply_document(base: Side, new: Side, threshold: float = 0.05,
                   alpha: float = 0.05) -> Document:
    """Every case of `base` that `new` has, in base's order, judged by compare's rule (each
    metric one family over the cases)."""
    cases = compare_cases(base.cases, new.cases, threshold, alpha, metrics=reply_metrics)
    blocks: list[Block] = [Title("daxbench reply", f"{base.name} vs {new.name}")]
    # The commands first: they are each side's whole run, the same for every case below.
    if base.command() == new.command():  # one run's two kernels: one command made both
        blocks.append(Code("reproduce (one run, both sides)", [base.command()]))
    else:
        blocks += [Code(f"reproduce {side.label} ({side.name})", [side.command()])
                   for side in (base, new)]
    per_case = [case_facts(comparison, base, new) for comparison in cases]
    shared = shared_facts(per_case)
    if shared:
        blocks += [Heading("every case below", level=3), Facts(shared)]
    for comparison, facts in zip(cases, per_case):
        blocks += case_blocks(comparison, base, new, [f for f in facts if f not in shared])
    if not cases:
        blocks.append(Note([f"No case of {base.name} ran in {new.name} too: nothing to compare "
                            "(the same config on both sides gives the same case ids)."]))
    rule = RULE.format(min_reps=MIN_REPETITIONS, alpha=alpha, confidence=(1 - alpha) * 100,
                       threshold=threshold * 100)
    blocks += [Note(list(LEGEND)), Paragraph(" ".join(rule.split("\n")))]
    return Document(blocks)


def reply_of_runs(base: Run, new: Run, threshold: float = 0.05,
                  alpha: float = 0.05) -> Document:
    return reply_document(Side.of_run("base", base), Side.of_run("new", new), threshold, alpha)
