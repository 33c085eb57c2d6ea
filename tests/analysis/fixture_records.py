"""The deterministic writer of the analysis tests' results folders: cases with given rates,
records that pass tests/e2e/schema.py, a context.json, a run folder (make_run). The
ready-made runs built with it are fixtures.py, which re-exports what the tests use from here."""
from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

_SCHEMA_PATH = Path(__file__).resolve().parents[1] / "e2e" / "schema.py"
_spec = importlib.util.spec_from_file_location("daxbench_e2e_schema", _SCHEMA_PATH)
schema = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(schema)

DURATION_NS = 1_000_000_000  # one second: ops equals ops/s, so given rates are exact
DAX_TARGET = "file:/mnt/pmem0"
PAGE_CACHE_TARGET = "file:/var/tmp"
# Multipliers applied per repetition: their median is exactly 1, so a case's median ops/s
# is exactly the rate it was given (as long as the rate is an integer).
JITTER = (1.0, 0.99, 1.01, 0.98, 1.02, 0.995, 1.005, 0.985, 1.015)
# A different draw of the same spread, median 1: "new" of a noise-only comparison.
JITTER_OTHER = (1.004, 0.988, 1.012, 0.979, 1.021, 0.996, 1.0, 0.984, 1.016)

SYSCALL_MODES = ("fdatasync", "msync", "pwrite-fdatasync", "fsync-per-fault")
USERSPACE_FLUSH_MODES = ("map-sync", "sealed-extent", "flush-only")

# name -> (unit, better, scope); kernel counters have a running_fraction, ours do not.
COUNTER_FACTS = {
    "stores": ("count", "neither", "writer-threads"),
    "bytes_stored": ("bytes", "neither", "writer-threads"),
    "commits": ("count", "neither", "writer-threads"),
    "lines_flushed": ("lines", "lower", "writer-threads"),
    "fences": ("count", "lower", "writer-threads"),
    "syscalls": ("count", "lower", "writer-threads"),
    "sys_fdatasync": ("count", "lower", "writer-threads"),
    "sys_msync": ("count", "lower", "writer-threads"),
    "page_faults": ("count", "lower", "writer-threads"),
    "task_clock": ("ns", "lower", "writer-threads"),
    "cycles": ("count", "lower", "writer-threads"),
    "fs_dax:dax_pte_fault": ("count", "lower", "writer-threads"),
    "jbd2:jbd2_end_commit": ("count", "lower", "system-wide"),
    "xfs:xfs_log_force": ("count", "lower", "system-wide"),
}
SUITE_COUNTERS = {"stores", "bytes_stored", "commits", "lines_flushed", "fences", "syscalls",
                  "sys_fdatasync", "sys_msync"}

TARGET_FACTS = {
    DAX_TARGET: {"kind": "file", "directory": "/mnt/pmem0", "filesystem": "ext4",
                 "mount_point": "/mnt/pmem0", "mount_source": "/dev/pmem0",
                 "mount_options": "rw,relatime,dax=always", "persistent": True, "dax": True,
                 "map_sync": "accepted", "persistence_domain": "memory controller (ADR)",
                 "device": False, "emulated": None, "warning": None},
    PAGE_CACHE_TARGET: {"kind": "file", "directory": "/var/tmp", "filesystem": "ext4",
                        "mount_point": "/", "mount_source": "/dev/vda",
                        "mount_options": "rw,relatime", "persistent": True, "dax": False,
                        "map_sync": "refused: mmap MAP_SHARED_VALIDATE|MAP_SYNC: EOPNOTSUPP "
                                    "(Operation not supported)",
                        "persistence_domain": "none until synced (page cache)",
                        "device": False, "emulated": None, "warning": None},
}

# What the driver writes as context.json's `registry` (bench/run/registry_json.cpp), cut to
# what the analysis reads; tests/e2e/test_run.py pins the driver's against the same order.
_FLUSH_PARAM = {"name": "flush", "kind": "choice", "default": "auto", "help": "fixture",
                "shapes_case": True}
REGISTRY = {
    "modes": [{"name": name, "durability": durability, "summary": "fixture",
               "params": [_FLUSH_PARAM] * (durability == "pmem" or name == "flush-only")
               + [{"name": p, "kind": "choice", "default": "on", "help": "fixture",
                   "shapes_case": True} for p in params]}
              for name, durability, params in (
                  ("fdatasync", "syscall", ()), ("msync", "syscall", ()),
                  ("pwrite-fdatasync", "syscall", ()),
                  ("fsync-per-fault", "pmem", ("sync_call", "reprotect", "fault_sync")),
                  ("map-sync", "pmem", ()), ("sealed-extent", "pmem", ()),
                  ("flush-only", "never", ()), ("none", "never", ()))],
    "workloads": [{"name": name, "summary": "fixture", "params": []}
                  for name in ("log-append", "random-update", "first-touch", "kv-put",
                               "trace-replay")],
    "flushes": [{"name": name, "summary": "fixture"}
                for name in ("clwb", "clflushopt", "clflush", "ntstore", "libpmem", "none")],
    "targets": [{"name": "file", "syntax": "file:DIR", "summary": "fixture"}],
    "crash": {"cut_verdicts": ["FAIL", "LOSS-EXPECTED", "NO-LOSS-SEEN", "PASS", "ERROR"],
              "row_verdicts": ["FAIL", "NO-LOSS-SEEN", "ERROR", "LOSS-EXPECTED", "PASS",
                               "UNSUPPORTED"]},
}

DEFAULT_PARAMS = {"duration_s": 1.0, "ops": 0, "warmup_s": 0.2, "latency_sample_every": 1,
                  "threads": 1, "files": "per-thread", "file_state": "zeroed",
                  "working_set": 67108864, "background": "none", "flush": "auto",
                  "record_size": 64, "commit_every": 1, "distribution": "uniform"}


def case(workload: str, mode: str, ops_per_sec=None, *, target: str = DAX_TARGET,
         shape: dict | None = None, counters: dict | None = None, latency: dict | None = None,
         commit_latency: dict | None = None, status: str = "ok", reason: str | None = None,
         durable: bool | None = None, flush: str | None = None,
         params: dict | None = None, prep: dict | None = None) -> dict:
    """A case for make_run. `ops_per_sec`: one integer rate (JITTER applied per repetition)
    or a list, one per repetition. `counters`: name -> per-op value (or per-repetition list,
    or None for an unavailable counter). `latency`/`commit_latency`: {"p50": ns, "p99": ns}
    (scalars or per-repetition lists); other percentiles are derived. `params`: parameters
    set to other than DEFAULT_PARAMS that the shape does not name (a config's own default).
    `prep`: preparation step name -> ns (scalar or per-repetition list) over PREP_NS."""
    return {"workload": workload, "mode": mode, "ops_per_sec": ops_per_sec, "target": target,
            "prep": prep or {},
            "shape": shape or {}, "counters": counters or {}, "latency": latency,
            "commit_latency": commit_latency, "status": status, "reason": reason,
            "durable": durable, "flush": flush, "params": params or {}}


def case_id(spec: dict) -> str:
    shape = ",".join(f"{k}={v}" for k, v in spec["shape"].items()) or "defaults"
    return f"{spec['workload']}/{spec['mode']}/{spec['target']}/{shape}"


def _per_rep(value, repetition: int):
    if isinstance(value, (list, tuple)):
        return value[repetition]
    return value


def _rates(spec: dict, repetitions: int) -> list[int]:
    given = spec["ops_per_sec"] if spec["ops_per_sec"] is not None else 100_000
    if isinstance(given, (list, tuple)):
        assert len(given) >= repetitions, f"{case_id(spec)}: fewer rates than repetitions"
        return [int(round(v)) for v in given[:repetitions]]
    return [int(round(given * JITTER[i % len(JITTER)])) for i in range(repetitions)]


def _latency_summary(p50: float, p99: float, count: int) -> dict:
    p50, p99 = int(p50), max(int(p99), int(p50) + 4)
    p90 = (p50 + p99) // 2
    p999, top = p99 * 2, p99 * 4
    return {"count": count, "p50": p50, "p90": p90, "p99": p99, "p999": p999, "max": top,
            "mean": (p50 + p90) / 2}


def _histogram(summary: dict) -> list[list]:
    """Buckets at the percentiles, holding the fractions that make them the percentiles."""
    count = summary["count"]
    shares = [int(count * 0.5), int(count * 0.4), int(count * 0.09), int(count * 0.009)]
    shares.append(count - sum(shares))
    uppers = [summary[k] for k in ("p50", "p90", "p99", "p999", "max")]
    return [[upper, share] for upper, share in zip(uppers, shares) if share > 0]


def _default_latency(mode: str) -> dict:
    return {"p50": 2_000, "p99": 9_000} if mode in SYSCALL_MODES else {"p50": 300, "p99": 1_200}


def _counter(name: str, per_op, ops: int) -> dict:
    unit, better, scope = COUNTER_FACTS.get(name, ("count", "lower", "writer-threads"))
    kernel = name not in SUITE_COUNTERS
    if per_op is None:
        return {"value": None, "per_op": None, "unit": unit, "better": better,
                "status": "unavailable: ENOENT (no hardware PMU)", "scope": scope,
                "running_fraction": None}
    return {"value": float(per_op * ops), "per_op": float(per_op), "unit": unit,
            "better": better, "status": "ok", "scope": scope,
            "running_fraction": 1.0 if kernel else None}


def _durable(spec: dict) -> bool:
    if spec["durable"] is not None:
        return spec["durable"]
    dax = TARGET_FACTS.get(spec["target"], {}).get("dax", False)
    return spec["mode"] in SYSCALL_MODES or (dax and spec["mode"] in ("map-sync", "sealed-extent"))


def _flush(spec: dict) -> str | None:
    if spec["flush"] is not None:
        return spec["flush"]
    return "clwb" if spec["mode"] in USERSPACE_FLUSH_MODES else None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# The preparation steps per file state (docs/results-schema.md, "Preparation"), with the ns a
# fixture gives each unless its case's `prep` says otherwise.
PREP_STEPS = {"sparse": ["ftruncate", "fsync"], "fallocated": ["ftruncate", "fallocate", "fsync"],
              "zeroed": ["ftruncate", "zero-fill", "fsync"]}
PREP_NS = {"ftruncate": 10_000, "fallocate": 100_000, "zero-fill": 2_000_000, "fsync": 50_000,
           "fiemap-before": 20_000, "fiemap-after": 20_000}


def _bytes(size) -> int:
    """A size as the driver resolves it: 4096, or "1G" as a fixture's shape may give it."""
    text = str(size)
    return int(text[:-1]) * 1024 ** ("KMG".index(text[-1]) + 1) if text[-1] in "KMG" \
        else int(text)


def _preparation(spec: dict, params: dict, repetition: int) -> dict:
    sealed = spec["mode"] == "sealed-extent"
    state = "zeroed" if sealed else params["file_state"]
    # A state only a fixture knows (a test of the tables, not of the driver) gets sparse steps.
    names = PREP_STEPS.get(state, PREP_STEPS["sparse"])
    names = names + (["fiemap-before", "fiemap-after"] if sealed else [])
    ns = {**PREP_NS, **{k: _per_rep(v, repetition) for k, v in spec.get("prep", {}).items()}}
    steps = [{"name": n, "ns": int(ns[n]), "bytes": _bytes(params["working_set"])} for n in names]
    files = params["threads"] if params["files"] == "per-thread" else 1
    one = {"ns": sum(step["ns"] for step in steps), "steps": steps}
    return {"clock": "CLOCK_MONOTONIC", "ns": one["ns"] * files, "files": [one] * files}


def _base_record(spec: dict, run_id: str, repetition: int, emulated: str | None) -> dict:
    durable = _durable(spec)
    params = {**DEFAULT_PARAMS, **spec.get("params", {}), **spec["shape"]}
    return {"schema_version": schema.SCHEMA_VERSION, "run_id": run_id, "case_id": case_id(spec),
            "target": spec["target"], "kernel": spec.get("kernel"), "mode": spec["mode"],
            "workload": spec["workload"],
            "flush": _flush(spec),
            "params": params,
            "shape": {k: v if isinstance(v, str) else str(v) for k, v in spec["shape"].items()},
            "repetition": repetition, "status": spec["status"], "reason": spec["reason"],
            "durable": durable,
            "durable_reason": "fixture: durable" if durable else "fixture: promises nothing",
            "emulated": emulated, "extent_map_unchanged": None,
            "preparation": (_preparation(spec, params, repetition) if spec["status"] == "ok"
                            else None)}


def _failed_record(spec: dict, run_id: str, emulated: str | None) -> dict:
    record = _base_record(spec, run_id, 0, emulated)
    record.update({"ops": None, "commits": None, "duration_ns": None, "ops_per_sec": None,
                   "latency_ns": {"op": None, "commit": None}, "latency_sample_every": None,
                   "histogram": {"op": None, "commit": None}, "counters": {},
                   "op_digest": None})
    record["reason"] = spec["reason"] or f"{spec['mode']}: EOPNOTSUPP (fixture)"
    return record


def _ok_record(spec: dict, run_id: str, repetition: int, rate: int,
               emulated: str | None) -> dict:
    record = _base_record(spec, run_id, repetition, emulated)
    ops = rate  # DURATION_NS is one second
    latency = spec["latency"] or _default_latency(spec["mode"])
    op = _latency_summary(_per_rep(latency["p50"], repetition),
                          _per_rep(latency["p99"], repetition), ops)
    commit_given = spec["commit_latency"] or latency
    commit = _latency_summary(_per_rep(commit_given["p50"], repetition),
                              _per_rep(commit_given["p99"], repetition), ops)
    per_op = {"stores": 1.0, "bytes_stored": 64.0, "commits": 1.0,
              **{name: _per_rep(v, repetition) for name, v in spec["counters"].items()}}
    record.update({
        "ops": ops, "commits": ops, "duration_ns": DURATION_NS,
        "ops_per_sec": ops * 1e9 / DURATION_NS,
        "latency_ns": {"op": op, "commit": commit},
        "latency_sample_every": {"op": 1, "commit": 1},
        "histogram": {"op": _histogram(op), "commit": _histogram(commit)},
        "counters": {name: _counter(name, value, ops) for name, value in per_op.items()},
        "op_digest": _digest(f"{case_id(spec)}/{ops}"),
    })
    return record


def make_context(run_id: str, host: str, targets: list[str], emulated: str | None,
                 config_name: str, suite_version: str) -> dict:
    return {
        "schema_version": schema.SCHEMA_VERSION, "run_id": run_id,
        "suite": {"name": "daxbench", "version": suite_version, "build_type": "Release",
                  "compiler": "g++ 12.2.0"},
        "command_line": f"./build/daxbench run --config configs/{config_name}.yaml",
        "host": {"name": host, "kernel": "Linux 6.1.0-fixture", "machine": "x86_64",
                 "cpus_online": 2, "cpu_model": "Fixture CPU @ 2.00GHz",
                 "cpu_flags": {"clflush": True, "clflushopt": True, "clwb": True,
                               "movdir64b": False},
                 "flush_primitives_available": {"clwb": True, "clflushopt": True,
                                                "clflush": True, "ntstore": True,
                                                "libpmem": False, "none": True},
                 "caches": [], "cpu_scaling_governor": None,
                 "transparent_hugepage": "always [madvise] never"},
        "tsc": {"ticks_per_ns": 2.0, "invariant": True, "calibration": "fixture",
                "timing_cost_ns": 35.0},
        "emulated": emulated,
        "counters": {"perf_event_paranoid": -1, "hardware_pmu": False,
                     "tracefs": {"path": "/sys/kernel/tracing", "mounted_by_daxbench": False,
                                 "problem": None, "at_end": None}},
        "targets": [{"spec": spec, **TARGET_FACTS.get(spec, TARGET_FACTS[PAGE_CACHE_TARGET]),
                     "emulated": emulated} for spec in targets],
        "config": {"path": f"configs/{config_name}.yaml", "name": config_name,
                   "text": f"name: {config_name}\n"},
        "registry": REGISTRY,
    }


def make_run(path, cases: list[dict], repetitions: int = 9, run_id: str = "fixture-run",
             host: str = "fixture-host", emulated: str | None = None, micro: dict | None = None,
             crash: list[dict] | None = None, config_name: str = "fixture",
             suite_version: str = "v1.0-fixture") -> Path:
    """Writes records.jsonl and context.json (and micro.json / crash.jsonl when given) into
    `path`, every record and the context checked against the schema. Returns the folder."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    records = []
    for spec in cases:
        if spec["status"] != "ok":
            records.append(_failed_record(spec, run_id, emulated))
            continue
        for repetition, rate in enumerate(_rates(spec, repetitions)):
            records.append(_ok_record(spec, run_id, repetition, rate, emulated))
    targets = list(dict.fromkeys(spec["target"] for spec in cases))
    context = make_context(run_id, host, targets, emulated, config_name, suite_version)
    for record in records:
        schema.check_record(record)
    schema.check_context(context)
    with (path / "records.jsonl").open("w") as f:
        for record in records:
            f.write(json.dumps(record) + "\n")
    (path / "context.json").write_text(json.dumps(context, indent=1))
    if micro is not None:
        (path / "micro.json").write_text(json.dumps(micro))
    if crash is not None:
        (path / "crash.jsonl").write_text("".join(json.dumps(r) + "\n" for r in crash))
    return path
