"""The model of one results folder (docs/results-schema.md), loaded once: its context, its records
grouped into cases, the metrics each case can be summarised by (each with its unit and
direction), and the groups of cases that differ only in mode — the columns of a table.
Records another tool made for comparison (`"tool": "fio"`) are kept apart, in Run.tools: they
mirror a daxbench case and share its id, so mixed in they would pose as that case's repetitions."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from daxbench_analysis.model.registry import FALLBACK, Registry, case_shape

# The tool of a record that names none: folders written before fio records existed.
DAXBENCH = "daxbench"


@dataclass(frozen=True)
class Metric:
    """A number per repetition of a case, with what it means."""
    name: str    # "ops_per_sec", "op_p99_ns", or "counter:<counter name>" (per operation)
    label: str   # for a table row or an axis
    unit: str    # "ops/s", "ns", "count/op", ...
    better: str  # "higher", "lower" or "neither"

    def value(self, record: dict) -> float | None:
        if self.name == "ops_per_sec":
            return record.get("ops_per_sec")
        if self.name.startswith("counter:"):
            counter = record.get("counters", {}).get(self.name[len("counter:"):])
            return None if counter is None else counter.get("per_op")
        kind, _, quantile = self.name.partition("_")      # op_p99_ns -> op, p99_ns
        summary = (record.get("latency_ns") or {}).get(kind)
        return None if summary is None else summary.get(quantile.removesuffix("_ns"))


# Metrics every ok record has; counters come with their own unit and direction (counter_metric).
THROUGHPUT = Metric("ops_per_sec", "ops/s", "ops/s", "higher")
LATENCY = {name: Metric(name, label, "ns", "lower") for name, label in (
    ("op_p50_ns", "op p50"), ("op_p90_ns", "op p90"), ("op_p99_ns", "op p99"),
    ("op_p999_ns", "op p99.9"), ("op_max_ns", "op max"), ("commit_p50_ns", "commit p50"),
    ("commit_p99_ns", "commit p99"), ("commit_p999_ns", "commit p99.9"))}


def counter_metric(name: str, record: dict) -> Metric:
    """The per-operation metric of a counter, its unit and direction taken from the record."""
    counter = record["counters"][name]
    return Metric(f"counter:{name}", f"{name}/op", f"{counter['unit']}/op", counter["better"])


@dataclass
class Case:
    case_id: str
    workload: str
    mode: str
    target: str
    flush: str | None
    params: dict
    shape: dict[str, str]          # parameters not at their default, as in the case id
    records: list[dict] = field(default_factory=list)   # every repetition, any status
    registry: Registry = field(default=FALLBACK, repr=False, compare=False)

    @property
    def ok_records(self) -> list[dict]:
        return [r for r in self.records if r["status"] == "ok"]

    @property
    def status(self) -> str:
        """ok if any repetition was ok, else the first repetition's status."""
        return "ok" if self.ok_records else self.records[0]["status"]

    @property
    def reason(self) -> str | None:
        return None if self.ok_records else self.records[0].get("reason")

    @property
    def durable(self) -> bool:
        return bool(self.records[0].get("durable"))

    @property
    def emulated(self) -> str | None:
        return self.records[0].get("emulated")

    @property
    def kernel(self) -> str | None:
        """The name of the kernel a lab case booted under `lab: {kernels: [...]}` (its id says
        kernel=NAME); None without that axis."""
        return (self.records[0].get("kernel") or {}).get("name")

    @property
    def kernel_facts(self) -> dict:
        """What the lab guest booted: release, source (package, build tree or file), sha256s."""
        return self.records[0].get("kernel") or {}

    @property
    def paired_id(self) -> str:
        """The id without its kernel=NAME: the same case on another kernel has the same one."""
        if not self.kernel:
            return self.case_id
        head, _, shape = self.case_id.rpartition("/")
        rest = [item for item in shape.split(",") if item != f"kernel={self.kernel}"]
        return f"{head}/{','.join(rest) or 'defaults'}"

    @property
    def group_key(self) -> tuple[str, str, tuple]:
        """Cases with equal keys differ only in mode (and mode parameters): one table. Each
        kernel of a kernels axis has its own tables."""
        mode_params = self.registry.mode_params
        workload_shape = tuple((k, v) for k, v in self.shape.items() if k not in mode_params)
        if self.kernel:
            workload_shape = (("kernel", self.kernel), *workload_shape)
        return (self.workload, self.target, workload_shape)

    @property
    def column(self) -> str:
        """The mode, with any mode parameter not at its default: `flush-only flush=clwb`."""
        mode_params = self.registry.mode_params
        extra = ",".join(f"{k}={v}" for k, v in self.shape.items() if k in mode_params)
        return f"{self.mode} {extra}" if extra else self.mode

    def samples(self, metric: Metric) -> list[float]:
        """The metric's value in each ok repetition, in repetition order (missing ones left out)."""
        values = (metric.value(r) for r in sorted(self.ok_records, key=lambda r: r["repetition"]))
        return [float(v) for v in values if v is not None]

    def metrics(self) -> list[Metric]:
        """Throughput, latency percentiles, and every counter that was counted (status ok)."""
        if not self.ok_records:
            return []
        first = self.ok_records[0]
        found = [THROUGHPUT, *(m for m in LATENCY.values() if m.value(first) is not None)]
        found += [counter_metric(name, first) for name, c in first.get("counters", {}).items()
                  if c.get("status") == "ok" and c.get("per_op") is not None]
        return found

    def histogram(self, kind: str = "op") -> list[tuple[float, int]]:
        """The `kind` ("op" or "commit") latency histogram merged over ok repetitions:
        [(upper bound in ns, count)], ascending. Sampled histograms (latency_sample_every > 1)
        are merged as they are: every repetition of a case samples at about the same rate."""
        merged: dict[float, int] = {}
        for record in self.ok_records:
            for upper, count in (record.get("histogram") or {}).get(kind) or []:
                merged[upper] = merged.get(upper, 0) + count
        return sorted(merged.items())


@dataclass
class Run:
    path: Path
    context: dict
    cases: dict[str, Case]              # by case id, in the order of records.jsonl
    micro: dict | None = None           # micro.json (Google Benchmark's JSON), when run
    crash: list[dict] | None = None     # crash.jsonl records, when run
    # Other tools' records (tool -> case id -> Case), never in `cases`: every table, figure,
    # comparison and history entry is daxbench's own, and fio.py pairs them by case id.
    tools: dict[str, dict[str, Case]] = field(default_factory=dict)
    registry: Registry = FALLBACK       # the driver's modes and rules (model/registry.py)
    kernel: str | None = None           # on_kernel's: the one kernel these cases ran on

    @property
    def name(self) -> str:
        """What a comparison calls this side: the run id, and the kernel of an on_kernel part."""
        run_id = self.context.get("run_id", self.path.name)
        return f"{run_id}, kernel {self.kernel}" if self.kernel else run_id

    @property
    def records(self) -> list[dict]:
        """daxbench's records only (other tools' are in `tools`)."""
        return [r for case in self.cases.values() for r in case.records]

    @property
    def fio(self) -> dict[str, Case]:
        """fio's records by the id of the daxbench case each mirrors; empty when fio did not run."""
        return self.tools.get("fio", {})

    def groups(self) -> dict[tuple, list[Case]]:
        """Cases by group_key, each group's cases in mode order, groups in first-seen order."""
        groups: dict[tuple, list[Case]] = {}
        for case in self.cases.values():
            groups.setdefault(case.group_key, []).append(case)
        for cases in groups.values():
            cases.sort(key=lambda c: (self.registry.mode_rank(c.mode), c.column))
        return groups

    def target_context(self, spec: str) -> dict:
        """The target's facts from context.json; for a lab target the guest's own view."""
        lab = (self.context.get("lab") or {}).get(spec) or {}
        guest_targets = ((lab.get("guest_context") or {}).get("targets")) or []
        # The guest's entry first: the host only knows a lab target by name.
        for target in [*guest_targets, *self.context.get("targets", [])]:
            if target.get("spec") == spec or target.get("name") == spec:
                return target
        return {"spec": spec}

    def provenance(self, target: str | None = None) -> str:
        """One line for the small print of a figure or the top of a report."""
        host = self.context.get("host", {})
        suite = self.context.get("suite", {})
        parts = [f"host {host.get('name', '?')}", f"kernel {host.get('kernel', '?')}",
                 f"daxbench {suite.get('version', '?')}", f"run {self.context.get('run_id', '?')}"]
        if target:
            parts.insert(2, f"target {target}")
        return " | ".join(parts)

    def emulated_targets(self) -> set[str]:
        return {c.target for c in self.cases.values() if c.emulated}

    def mode_rank(self, mode: str) -> int:
        return self.registry.mode_rank(mode)

    def kernels(self) -> list[str]:
        """The kernels of a `lab: {kernels: [...]}` run, in the order its cases first name them."""
        return list(dict.fromkeys(c.kernel for c in self.cases.values() if c.kernel))

    def on_kernel(self, kernel: str) -> "Run":
        """The run's cases on one kernel, keyed by their paired_id, so two kernels of one run
        compare as two runs do; its run id says which kernel."""
        if kernel not in self.kernels():
            raise ValueError(f"{self.path}: no case ran on a kernel named '{kernel}'; "
                             f"kernels: {', '.join(self.kernels()) or 'none (no kernels axis)'}")
        cases = {c.paired_id: c for c in self.cases.values() if c.kernel == kernel}
        return Run(self.path, self.context, cases, self.micro, None, registry=self.registry,
                   kernel=kernel)


def micro_entries(micro: dict | None) -> list[dict]:
    """The entries of a micro.json that stand for its benchmarks: Google Benchmark's median
    aggregates where there were repetitions, else the iteration entries."""
    benchmarks = (micro or {}).get("benchmarks", [])
    medians = [b for b in benchmarks
               if b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median"]
    return medians or [b for b in benchmarks if b.get("run_type", "iteration") == "iteration"]


def _read_jsonl(path: Path) -> list[dict]:
    out = []
    with path.open() as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise ValueError(f"{path}:{number}: not JSON: {error}") from error
    return out


def load_run(path: str | Path) -> Run:
    """Reads a results folder. Raises FileNotFoundError/ValueError naming the file at fault."""
    path = Path(path)
    if not (path / "records.jsonl").is_file():
        raise FileNotFoundError(f"{path}: no records.jsonl (not a daxbench results folder?)")
    context_path = path / "context.json"
    context = json.loads(context_path.read_text()) if context_path.is_file() else {}
    registry = Registry.from_context(context)
    by_tool: dict[str, dict[str, Case]] = {DAXBENCH: {}}
    for record in _read_jsonl(path / "records.jsonl"):
        cases = by_tool.setdefault(record_tool(record), {})
        case_id = record["case_id"]
        if case_id not in cases:
            cases[case_id] = Case(case_id, record["workload"], record["mode"], record["target"],
                                  record.get("flush"), record.get("params", {}),
                                  case_shape(record), registry=registry)
        cases[case_id].records.append(record)
    micro_path, crash_path = path / "micro.json", path / "crash.jsonl"
    micro = json.loads(micro_path.read_text()) if micro_path.is_file() else None
    crash = _read_jsonl(crash_path) if crash_path.is_file() else None
    cases = by_tool.pop(DAXBENCH)
    return Run(path, context, cases, micro, crash, tools=by_tool, registry=registry)


def record_tool(record: dict) -> str:
    """Which tool made a record: "daxbench" when it does not say (older folders)."""
    return record.get("tool") or DAXBENCH
