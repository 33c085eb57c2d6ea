"""Small results folders with known values for the analysis tests: ready-made runs (a basic
one, a wide one, a base/new pair with a known regression, improvement and noise, and a
3-repetition pair) written by the deterministic writer in fixture_records.py. The writer's
names the tests use are re-exported, so a test imports this one module."""
from __future__ import annotations

import json
import math
import random
from pathlib import Path

from fixture_records import (  # noqa: F401  (re-exported for the tests)
    DAX_TARGET, DEFAULT_PARAMS, DURATION_NS, JITTER, JITTER_OTHER, PAGE_CACHE_TARGET,
    SYSCALL_MODES, case, case_id, make_context, make_run, schema)

# ---- ready-made runs -------------------------------------------------------------------

# case id -> the exact median ops/s of basic_run.
BASIC_MEDIANS = {}


def _basic_cases() -> list[dict]:
    rates = {("random-update", "fdatasync"): 20_000, ("random-update", "msync"): 18_000,
             ("random-update", "map-sync"): 4_000_000, ("random-update", "none"): 12_000_000,
             ("append-log", "fdatasync"): 15_000, ("append-log", "msync"): 14_000,
             ("append-log", "map-sync"): 2_500_000, ("append-log", "none"): 9_000_000}
    syncing = {"syscalls": 1.0, "page_faults": 0.01, "jbd2:jbd2_end_commit": 0.9,
               "lines_flushed": 0.0, "fences": 0.0, "cycles": None}
    flushing = {"syscalls": 0.0, "page_faults": 0.002, "fs_dax:dax_pte_fault": 0.002,
                "jbd2:jbd2_end_commit": 0.0, "lines_flushed": 1.0, "fences": 1.0,
                "cycles": None}
    cases = []
    for (workload, mode), rate in rates.items():
        counters = syncing if mode in SYSCALL_MODES else flushing
        if mode == "none":
            counters = {**flushing, "lines_flushed": 0.0, "fences": 0.0}
        cases.append(case(workload, mode, rate, shape={"record_size": "4K"}
                          if workload == "append-log" else {}, counters=counters))
    return cases


for _spec in _basic_cases():
    BASIC_MEDIANS[case_id(_spec)] = _spec["ops_per_sec"]


def make_basic_run(path) -> Path:
    """Two workloads x four modes (fdatasync, msync, map-sync, none) on a DAX target, 9
    repetitions; medians exactly BASIC_MEDIANS."""
    return make_run(path, _basic_cases(), repetitions=9, run_id="basic-run")


LONG_SHAPE = {"record_size": "4K", "working_set": "1G", "distribution": "zipf",
              "background": "metadata", "threads": 2, "file_state": "preallocated"}


def make_wide_run(path) -> Path:
    """Every one of the eight modes on one long-named group, plus an unsupported and a
    failed case with long reasons: the widest table a report must fit in 80 columns."""
    rates = dict(zip(("fdatasync", "msync", "pwrite-fdatasync", "fsync-per-fault",
                      "map-sync", "sealed-extent", "flush-only", "none"),
                     (12_345, 11_000, 10_500, 3_210, 1_520_000, 1_610_000, 9_870_000,
                      123_456_789)))
    cases = [case("random-update-with-a-long-name", mode, rate, shape=LONG_SHAPE,
                  counters={"syscalls": 1.0 if mode in SYSCALL_MODES else 0.0,
                            "lines_flushed": 1.0, "fences": 1.0})
             for mode, rate in rates.items()]
    cases.append(case("random-update-with-a-long-name", "map-sync", target=PAGE_CACHE_TARGET,
                      shape=LONG_SHAPE, status="unsupported",
                      reason="mmap MAP_SHARED_VALIDATE|MAP_SYNC: EOPNOTSUPP (Operation not "
                             "supported) on a filesystem mounted without dax=always, "
                             "which this target is not"))
    cases.append(case("random-update-with-a-long-name", "msync", target=PAGE_CACHE_TARGET,
                      shape=LONG_SHAPE, status="failed",
                      reason="msync: EIO (Input/output error)"))
    cases.append(case("random-update-with-a-long-name", "fdatasync", 30_000,
                      target=PAGE_CACHE_TARGET, shape=LONG_SHAPE))
    return make_run(path, cases, repetitions=9, run_id="wide-run_with_%_and_#")


# The comparison fixtures: case name -> (base rate, new rate / base rate).
REGRESSED = case_id(case("random-update", "fdatasync"))
IMPROVED = case_id(case("random-update", "map-sync"))
NOISE = case_id(case("random-update", "none"))
ONLY_IN_BASE = case_id(case("append-log", "msync"))
ONLY_IN_NEW = case_id(case("append-log", "map-sync"))


def _pair_cases(new: bool, repetitions: int) -> list[dict]:
    """Regressed: 20% fewer ops/s and 25% longer latency; improved: 25% more ops/s and
    20% shorter latency; noise: the same medians, a different draw."""
    def scaled(rate, factor, jitter):
        return [int(round(rate * factor * jitter[i])) for i in range(repetitions)]

    def latency(p50, p99, factor, jitter):
        return {"p50": [int(p50 * factor * jitter[i]) for i in range(repetitions)],
                "p99": [int(p99 * factor * jitter[i]) for i in range(repetitions)]}

    jitter = JITTER_OTHER if new else JITTER
    cases = [
        case("random-update", "fdatasync", scaled(20_000, 0.8 if new else 1, JITTER),
             latency=latency(40_000, 90_000, 1.25 if new else 1, JITTER)),
        case("random-update", "map-sync", scaled(4_000_000, 1.25 if new else 1, JITTER),
             latency=latency(250, 1_000, 0.8 if new else 1, JITTER)),
        case("random-update", "none", scaled(12_000_000, 1, jitter),
             latency=latency(80, 250, 1, jitter)),
    ]
    cases.append(case("append-log", "map-sync" if new else "msync", 1_000_000 if new else 14_000))
    return cases


def make_compare_pair(folder, repetitions: int = 9, suffix: str = "",
                      keep: tuple[str, ...] | None = None, new_host: str = "fixture-host"
                      ) -> tuple[Path, Path]:
    """base/ and new/ under `folder`: REGRESSED is 20% slower in new (every repetition, so
    clearly significant with 9), IMPROVED 25% faster, NOISE unchanged; ONLY_IN_BASE and
    ONLY_IN_NEW appear in one run each. `keep`: only these case ids."""
    folder = Path(folder)

    def cases(new):
        return [c for c in _pair_cases(new, repetitions) if keep is None or case_id(c) in keep]
    base = make_run(folder / f"base{suffix}", cases(False), repetitions=repetitions,
                    run_id=f"base{suffix}-run")
    new = make_run(folder / f"new{suffix}", cases(True), repetitions=repetitions,
                   run_id=f"new{suffix}-run", host=new_host)
    return base, new


def make_few_reps_pair(folder) -> tuple[Path, Path]:
    """The compare pair with 3 repetitions, as configs/quick.yaml has: the same 20% regression
    and 25% improvement with 1% noise, which Welch's t-test shows at 3 (a rank test could not:
    with 3 and 3 the U test's smallest two-sided p is 0.1)."""
    return make_compare_pair(folder, repetitions=3, suffix="-3reps")


def make_halved_copy(run, dest, run_id: str | None = None) -> Path:
    """A copy of results folder `run` at `dest` with every ok record's throughput halved (the
    same operations in twice the time; latencies and counters as they were): a regression
    `compare` must see."""
    run, dest = Path(run), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    context = json.loads((run / "context.json").read_text())
    context["run_id"] = run_id or f"{context['run_id']}-halved"
    lines = []
    for line in (run / "records.jsonl").read_text().splitlines():
        record = json.loads(line)
        record["run_id"] = context["run_id"]
        if record["status"] == "ok":
            record["duration_ns"] *= 2
            record["ops_per_sec"] = record["ops"] * 1e9 / record["duration_ns"]
        schema.check_record(record)
        lines.append(json.dumps(record) + "\n")
    (dest / "records.jsonl").write_text("".join(lines))
    (dest / "context.json").write_text(json.dumps(context, indent=1))
    return dest


# Realistic noise for A/A comparisons, as measured on a shared 2-core machine with quick.yaml
# (docs/analysis.md): the spread of ln(ops/s) over 3 repetitions of a case is 2% for the
# quietest cases and 20-30% for most; latency percentiles spread half as much. Each case gets
# one of these, cycling, and every run a drift of its own (the machine's load of the moment).
NOISY_CASE_SIGMAS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.4)
NOISY_RUN_DRIFT = 0.02
NOISY_WORKLOADS = ("log-append", "random-update", "first-touch", "kv-put", "trace-replay")
NOISY_MODES = ("fdatasync", "msync", "pwrite-fdatasync", "fsync-per-fault", "map-sync",
               "sealed-extent", "flush-only", "none")


def noisy_cases(rng: random.Random, repetitions: int) -> list[dict]:
    """Forty cases (every workload x mode) with lognormal noise; the same medians for every
    rng, so that two draws are an A/A pair."""
    drift = math.exp(rng.gauss(0, NOISY_RUN_DRIFT))
    cases = []
    for index, (workload, mode) in enumerate((w, m) for w in NOISY_WORKLOADS for m in NOISY_MODES):
        sigma = NOISY_CASE_SIGMAS[index % len(NOISY_CASE_SIGMAS)]
        rate = 1_000 * (index + 1) ** 2
        noise = [drift * math.exp(rng.gauss(0, sigma)) for _ in range(repetitions)]
        latency_noise = [math.exp(rng.gauss(0, sigma / 2)) for _ in range(repetitions)]
        cases.append(case(workload, mode, [rate * f for f in noise], latency={
            "p50": [int(2_000 * f) for f in latency_noise],
            "p99": [int(9_000 * f * math.exp(rng.gauss(0, sigma / 2))) for f in latency_noise]}))
    return cases


def make_noisy_aa_pair(folder, repetitions: int = 3, seed: int = 1) -> tuple[Path, Path]:
    """base/ and new/ under `folder`: the same forty cases, nothing changed, two draws of
    NOISY_CASE_SIGMAS noise (seeded)."""
    folder = Path(folder)
    rng = random.Random(seed)
    base = make_run(folder / "aa-base", noisy_cases(rng, repetitions), repetitions=repetitions,
                    run_id="aa-base-run")
    new = make_run(folder / "aa-new", noisy_cases(rng, repetitions), repetitions=repetitions,
                   run_id="aa-new-run")
    return base, new


def make_emulated_run(path) -> Path:
    """basic_run's cases recorded in a TCG guest: counts exact, times not native."""
    return make_run(path, _basic_cases(), repetitions=9, run_id="emulated-run", emulated="tcg")


# ---- a history of runs (added by the history/dashboard helper) ---------------------------

HISTORY_STEP_RUN = 3   # from this run of make_history_series on, REGRESSED is 20% slower
HISTORY_STABLE = (case_id(case("random-update", "none")),
                  case_id(case("append-log", "map-sync", shape={"record_size": "4K"})))


def _history_cases(slower: bool, jitter: tuple) -> list[dict]:
    def rates(rate, factor=1.0):
        return [int(round(rate * factor * j)) for j in jitter]

    def latency(p50, p99, factor=1.0):
        return {"p50": [int(p50 * factor * j) for j in jitter],
                "p99": [int(p99 * factor * j) for j in jitter]}

    return [case("random-update", "fdatasync", rates(20_000, 0.8 if slower else 1.0),
                 latency=latency(40_000, 90_000, 1.25 if slower else 1.0)),
            case("random-update", "none", rates(12_000_000), latency=latency(80, 250)),
            case("append-log", "map-sync", rates(2_500_000), shape={"record_size": "4K"},
                 latency=latency(300, 1_200))]


def make_history_series(folder, runs: int = 5) -> list[Path]:
    """Nightly runs, one day apart, their run ids starting with their UTC time as daxbench's
    do: `runs` on host "alpha" (REGRESSED steps down 20% at HISTORY_STEP_RUN, the
    HISTORY_STABLE cases only jitter), two on host "beta" and one emulated (TCG) on "alpha".
    Returned oldest first."""
    folder = Path(folder)
    made = []
    plan = [(f"202611{day:02d}", "alpha", None) for day in range(1, runs + 1)]
    plan += [("20261102", "beta", None), ("20261104", "beta", None),
             (f"202611{runs + 1:02d}", "alpha", "tcg")]
    for index, (day, host, emulated) in enumerate(sorted(plan)):
        alpha_index = sum(1 for d, h, e in plan if h == "alpha" and not e and d < day)
        slower = host == "alpha" and not emulated and alpha_index >= HISTORY_STEP_RUN
        run_id = f"{day}T020000Z-{host}-nightly-{index:04x}"
        made.append(make_run(folder / run_id, _history_cases(slower, (JITTER, JITTER_OTHER)[
            index % 2]), repetitions=9, run_id=run_id, host=host, emulated=emulated,
            config_name="nightly"))
    return made


# ---- a run with every kind of figure (added by the plots helper) -------------------------

PLOT_RECORD_SIZES = (64, 256, 1024, 4096)
PLOT_FILE_STATES = ("sparse", "fallocated", "zeroed")
PLOT_FLUSH_SIZES = (64, 256, 4096, 65536)


def _micro_benchmark(name: str, ns_per_op: float | None, lines: int = 1,
                     error: str | None = None) -> dict:
    """One Google Benchmark entry as daxbench-micro writes it (docs/micro.md)."""
    entry = {"name": name, "run_name": name, "run_type": "iteration", "repetitions": 1,
             "repetition_index": 0, "threads": 1, "iterations": 1000, "time_unit": "ns"}
    if error is not None:
        return {**entry, "error_occurred": True, "error_message": error}
    return {**entry, "real_time": ns_per_op, "cpu_time": ns_per_op, "ns_per_op": ns_per_op,
            "ns_per_line": ns_per_op / lines, "tsc_per_op": 2 * ns_per_op,
            "lines_flushed": float(lines), "fences": 1.0}


def make_micro_json() -> dict:
    """flush/ for three primitives at fence_every 1 and 64, nt_vs_clwb with a crossover at
    4 KiB, fault/ with MAP_SYNC refused on one state."""
    benchmarks = []
    for primitive, base in (("clwb", 160.0), ("clflushopt", 200.0), ("ntstore", 100.0)):
        for fence_every in (1, 64):
            for size in PLOT_FLUSH_SIZES:
                lines = size // 64
                per_line = base / (1 if fence_every == 1 else 16)
                benchmarks.append(_micro_benchmark(
                    f"flush/{primitive}/size:{size}/fence_every:{fence_every}/dirty/seq/"
                    "memory:file", per_line * lines, lines))
    benchmarks.append(_micro_benchmark(
        "flush/clflush/size:64/fence_every:1/dirty/seq/memory:file", None,
        error="unsupported: the CPU lacks CLFLUSH (CPUID)"))
    for size in PLOT_FLUSH_SIZES:
        lines = size // 64
        benchmarks.append(_micro_benchmark(f"nt_vs_clwb/clwb/size:{size}/memory:file",
                                           50.0 * lines, lines))
        nt_per_line = 80.0 if size < 4096 else 30.0
        benchmarks.append(_micro_benchmark(f"nt_vs_clwb/nt/size:{size}/memory:file",
                                           nt_per_line * lines, lines))
    for state, shared in (("sparse", 3300.0), ("fallocated", 2600.0), ("zeroed", 4400.0)):
        benchmarks.append(_micro_benchmark(
            f"fault/{state}/map_shared/memory:file/iterations:512/manual_time", shared))
        sync_name = f"fault/{state}/map_sync/memory:file/iterations:512/manual_time"
        benchmarks.append(_micro_benchmark(sync_name, None, error="MAP_SYNC: EOPNOTSUPP")
                          if state == "sparse" else _micro_benchmark(sync_name, shared * 1.5))
    benchmarks.append(_micro_benchmark("fault/anonymous/memory:dram/iterations:512/manual_time",
                                       1350.0))
    return {"context": {"library_build_type": "debug"}, "benchmarks": benchmarks}


def make_crash_records() -> list[dict]:
    """Crash matrix cells: a safe syscall mode, a lossy control, one FAIL."""
    records = []
    for target in ("lab:ext4", "lab:xfs"):
        for state in ("sparse", "zeroed"):
            for mode, lost, verdict in (("fdatasync", 0, "PASS"), ("map-sync", 0, "PASS"),
                                        ("none", 40, "LOSS-EXPECTED")):
                if mode == "map-sync" and state == "sparse" and target == "lab:xfs":
                    lost, verdict = 3, "FAIL"
                records.append({"mode": mode, "file_state": state, "target": target,
                                "workload": "random-update", "acknowledged": 100,
                                "lost": lost, "torn": 0, "unacknowledged_present": 2,
                                "verdict": verdict})
    return records


def make_plots_run(path, emulated: str | None = None, with_extras: bool = True) -> Path:
    """A record_size sweep (4 sizes x 3 modes), first-touch per file state (map-sync beside
    the others), and, with_extras, micro.json and crash.jsonl."""
    cases = []
    for record_size in PLOT_RECORD_SIZES:
        for mode, rate in (("fdatasync", 20_000), ("map-sync", 4_000_000), ("none", 9_000_000)):
            counters = {"syscalls": 1.0 if mode == "fdatasync" else 0.0, "page_faults": 0.01,
                        "lines_flushed": record_size / 64 if mode == "map-sync" else 0.0,
                        "fences": 1.0 if mode == "map-sync" else 0.0,
                        "jbd2:jbd2_end_commit": 0.9 if mode == "fdatasync" else 0.0}
            cases.append(case("random-update", mode, rate * 64 // record_size,
                              shape={"record_size": record_size}, counters=counters))
    for state, rate in zip(PLOT_FILE_STATES, (300_000, 380_000, 230_000)):
        for mode in ("fdatasync", "map-sync", "none"):
            cases.append(case("first-touch", mode, rate // (2 if mode == "map-sync" else 1),
                              shape={"file_state": state}))
    cases.append(case("first-touch", "msync", shape={"file_state": "sparse"},
                      status="unsupported", reason="fixture: EOPNOTSUPP"))
    return make_run(path, cases, repetitions=5, run_id="plots-run", emulated=emulated,
                    micro=make_micro_json() if with_extras else None,
                    crash=make_crash_records() if with_extras else None)


# ---- a base/new pair for the reply (added by the reply helper) ---------------------------

LAB_TARGET = "lab:ext4"
# uname -s -r -v, as context.json has them: the reply names the release.
REPLY_KERNELS = ("Linux 6.1.0-base #1 SMP PREEMPT_DYNAMIC Debian 6.1.0-1", "Linux 6.2.0-new #2 SMP")


def _reply_cases(new: bool, target: str) -> list[dict]:
    """log-append/fdatasync: 20% fewer ops/s, twice the page faults (exact counts), the same
    syscalls, journal commits and op p50 within their noise; log-append/none: unchanged."""
    faults = [0.5] * 3 if new else [0.25] * 3
    commits = [0.5, 0.49, 0.51] if new else [0.5, 0.52, 0.48]
    return [
        case("log-append", "fdatasync", [8000, 8080, 7920] if new else [10000, 10100, 9900],
             target=target, latency={"p50": [2040, 1900, 2150] if new else [2000, 2100, 1900],
                                     "p99": [9000, 9100, 8900]},
             counters={"page_faults": faults, "syscalls": 1.0, "jbd2:jbd2_end_commit": commits}),
        case("log-append", "none", [1_000_000, 1_010_000, 990_000], target=target,
             latency={"p50": 300, "p99": 1200}, counters={"page_faults": 0.001, "syscalls": 0.0}),
    ]


def make_reply_pair(folder, lab: bool = False) -> tuple[Path, Path]:
    """base/ and new/ with 3 repetitions of _reply_cases, each side under its own kernel
    (REPLY_KERNELS): on the host (file:/var/tmp), or `lab` in a TCG guest on lab:ext4, whose
    kernel is the guest's (context.json lab.lab:ext4.guest_context) and the host's another."""
    folder = Path(folder)
    made = []
    for label, kernel in zip(("base", "new"), REPLY_KERNELS):
        target = LAB_TARGET if lab else PAGE_CACHE_TARGET
        path = make_run(folder / f"reply-{label}", _reply_cases(label == "new", target),
                        repetitions=3, run_id=f"reply-{label}-run",
                        emulated="tcg" if lab else None)
        context = json.loads((path / "context.json").read_text())
        context["command_line"] = (f"./build/daxbench run --config configs/fixture.yaml "
                                   f"--out results/reply-{label}")
        if lab:
            guest = {**context, "host": {**context["host"], "name": "daxbench-lab",
                                         "kernel": kernel, "cpu_model": "QEMU TCG CPU"}}
            context["lab"] = {LAB_TARGET: {"status": "ok", "accel": "tcg",
                                           "guest_context": guest}}
            context["emulated"] = None  # the host's own context: the guest was emulated
        else:
            context["host"]["kernel"] = kernel
        (path / "context.json").write_text(json.dumps(context, indent=1))
        made.append(path)
    return made[0], made[1]


# ---- runs that stress a figure's layout (added by the figures helper) --------------------

# As a real host says it, and a lab run's id: long enough to run off a 6.5-inch figure.
LONG_KERNEL = "Linux 6.18.44-fc-v1252 #1 SMP PREEMPT_DYNAMIC @0 Thu Nov 27 12:00:00 UTC 2026"
LAB_EXT4 = "lab:ext4"


def _long_kernel(path: Path) -> Path:
    context = json.loads((path / "context.json").read_text())
    context["host"]["kernel"] = LONG_KERNEL
    (path / "context.json").write_text(json.dumps(context, indent=1))
    return path


def make_figure_host_run(path) -> Path:
    """Like quick.yaml on a page-cache host: every mode of random-update on a sparse file
    (the config's default, not named in the shape) with map-sync unsupported, sealed-extent
    on its own zeroed file, flush-only per primitive, a record_size=4K group where only msync
    ran; micro.json; a long kernel string."""
    sparse = {"file_state": "sparse"}
    cases = []
    for mode, rate in zip(NOISY_MODES, (300, 290, 280, 250, 0, 4_000_000, 4_500_000,
                                        30_000_000)):
        if mode == "map-sync":
            cases.append(case("random-update", mode, target=PAGE_CACHE_TARGET, params=sparse,
                              status="unsupported", reason="MAP_SYNC: EOPNOTSUPP (fixture)"))
        elif mode == "sealed-extent":
            cases.append(case("random-update", mode, rate, target=PAGE_CACHE_TARGET,
                              shape={"file_state": "zeroed"},
                              counters={"lines_flushed": 1.0, "fences": 1.0}))
        else:
            cases.append(case("random-update", mode, rate, target=PAGE_CACHE_TARGET,
                              params=sparse, counters={
                                  "syscalls": 1.0 if mode in SYSCALL_MODES else 0.0,
                                  "page_faults": 1.0, "fs_dax:dax_pte_fault": 0.0,
                                  "jbd2:jbd2_end_commit": 0.0}))
    # Every primitive, as quick.yaml has them: a latency legend long enough to reach p99.
    for flush in ("clwb", "clflushopt", "clflush", "ntstore", "libpmem", "none"):
        cases.append(case("random-update", "flush-only", 4_000_000, target=PAGE_CACHE_TARGET,
                          params=sparse, shape={"flush": flush},
                          counters={"lines_flushed": 1.0, "fences": 1.0}))
    cases.append(case("random-update", "msync", 280, target=PAGE_CACHE_TARGET, params=sparse,
                      shape={"record_size": "4K"}))
    return _long_kernel(make_run(path, cases, repetitions=3,
                                 run_id="20261204T224000Z-a-rather-long-host-name-quick",
                                 micro=make_micro_json()))


def make_figure_lab_run(path) -> Path:
    """The sweep's log-append on lab:ext4 (TCG): fdatasync, map-sync and none on a sparse
    file at commit_every 1 and 16, sealed-extent on its zeroed one; a crash matrix."""
    cases = []
    for every in (1, 16):
        for mode, rate in (("fdatasync", 900), ("map-sync", 150_000), ("none", 200_000)):
            cases.append(case("log-append", mode, rate * every, target=LAB_EXT4,
                              params={"file_state": "sparse"}, shape={"commit_every": every},
                              durable=mode != "none", counters={"page_faults": 1.0}))
        cases.append(case("log-append", "sealed-extent", 600_000 * every, target=LAB_EXT4,
                          shape={"commit_every": every, "file_state": "zeroed"}, durable=True,
                          counters={"page_faults": 0.0}))
    return _long_kernel(make_run(path, cases, repetitions=3, emulated="tcg",
                                 run_id="20261204T224000Z-lab-sweep",
                                 crash=make_crash_records()))


# ---- cost attribution (model/attribution.py) ------------------------------------------------

# Unit costs (ns) of the synthetic micro-suite the attribution tests and figures use.
ATTRIBUTION_UNITS = {
    "unit/fdatasync/fresh/dirty_pages:1": 240_000.0,
    "unit/fdatasync/written/dirty_pages:1": 80_000.0,
    "unit/pwrite/fresh/size:64": 2_000.0,
    "unit/pwrite/written/size:64": 1_200.0,
    "unit/trap/fresh": 9_000.0,
    "fault/sparse/map_shared/memory:file": 3_300.0,
    "fault/zeroed/map_shared/memory:file": 4_400.0,
    "flush/clwb/size:64/fence_every:1/dirty/rand/memory:file": 160.0,
}
# The written-page fault: the stores before a sync of written pages (their ns_per_fault).
ATTRIBUTION_WRITTEN_FAULT_NS = 1_500.0
ATTRIBUTION_RATES = {"fdatasync": 4_000, "msync": 3_000, "pwrite-fdatasync": 3_500,
                     "fsync-per-fault": 3_800, "flush-only": 5_000_000, "none": 2_000_000}


def make_attribution_micro(target: str = PAGE_CACHE_TARGET) -> dict:
    """micro.json with ATTRIBUTION_UNITS as Google Benchmark writes them (manual-time tails on
    the fixed-count ones), run on `target`; no unit/msync benchmark, so msync's term is missing."""
    benchmarks = []
    for name, ns in ATTRIBUTION_UNITS.items():
        tail = "" if name.startswith("flush/") else "/iterations:256/manual_time"
        entry = {**_micro_benchmark(name + tail, ns), "run_name": name + tail}
        if name.startswith("fault/"):
            entry["page_faults"] = 1.0
        if name == "unit/fdatasync/written/dirty_pages:1":
            entry.update(page_faults=1.0, ns_per_fault=ATTRIBUTION_WRITTEN_FAULT_NS)
        benchmarks.append(entry)
    return {"context": {"library_build_type": "debug", "target": target},
            "benchmarks": benchmarks}


def make_attribution_run(path) -> Path:
    """random-update (64 B, commit_every 1, sparse file) on the host in six modes with exact
    rates (so exact op times) and counters, micro.json with ATTRIBUTION_UNITS on that target,
    and the fdatasync case on lab:ext4 too (emulated: no unit costs measured there)."""
    sparse = {"file_state": "sparse"}
    journal = {"jbd2:jbd2_end_commit": 0.75}
    counters = {
        "fdatasync": {"sys_fdatasync": 1.0, "page_faults_minor": 1.0, "page_faults_major": 0.0,
                      **journal},
        "msync": {"sys_msync": 1.0, "msync_bytes": 4096.0, "page_faults_minor": 1.0,
                  "page_faults_major": 0.0, **journal},
        "pwrite-fdatasync": {"sys_pwrite": 1.0, "sys_fdatasync": 1.0, "page_faults_minor": 0.0,
                             "page_faults_major": 0.0, **journal},
        "fsync-per-fault": {"faults_trapped": 1.0, "sys_fdatasync": 1.0, "sys_mprotect": 1.0,
                            "page_faults_minor": 0.0, "page_faults_major": 0.0,
                            "lines_flushed": 1.0, "fences": 1.0, **journal},
        "flush-only": {"lines_flushed": 1.0, "fences": 1.0, "page_faults_minor": 0.0,
                       "page_faults_major": 0.0},
        "none": {"page_faults_minor": 0.5, "page_faults_major": 0.0},
    }
    cases = [case("random-update", mode, [rate] * 3, target=PAGE_CACHE_TARGET, params=sparse,
                  counters=counters[mode],
                  flush="clwb" if mode in ("fsync-per-fault", "flush-only") else None)
             for mode, rate in ATTRIBUTION_RATES.items()]
    cases.append(case("random-update", "fdatasync", [900] * 3, target=LAB_EXT4, params=sparse,
                      counters=counters["fdatasync"]))
    run = make_run(path, cases, repetitions=3, run_id="attribution-run",
                   micro=make_attribution_micro())
    # The lab's records are emulated (make_run marks all or none).
    lines = []
    for line in (run / "records.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["target"] == LAB_EXT4:
            record["emulated"] = "tcg"
        lines.append(json.dumps(record))
    (run / "records.jsonl").write_text("\n".join(lines) + "\n")
    return run

# ---- sealing once vs paying per fault (model/break_even.py) ----------------------------

MIB = 1 << 20
# working set -> S, the sealed file's preparation less the sparse partner's, in ns; the
# partner's per-fault extra cost (fault_ns - trap_ns) is BREAK_EVEN_FAULT_NS: N = S / it.
BREAK_EVEN_SEAL_NS = {1 * MIB: 2_000_000, 16 * MIB: 20_000_000, 256 * MIB: 300_000_000}
BREAK_EVEN_FAULT_NS = 50_000
BREAK_EVEN_N = {size: seal / BREAK_EVEN_FAULT_NS for size, seal in BREAK_EVEN_SEAL_NS.items()}


def make_break_even_run(path, without_partner: int | None = 256 * MIB) -> Path:
    """first-touch per working set: sealed-extent (whose zero-fill makes S exact), and on a
    sparse file fsync-per-fault (fault_ns 60 us, trap_ns 10 us), none, and map-sync refused;
    at `without_partner` no fsync-per-fault case."""
    from fixture_records import PREP_NS
    sparse_prep = PREP_NS["ftruncate"] + PREP_NS["fsync"]
    sealed_rest = sparse_prep + PREP_NS["fiemap-before"]  # fiemap-after is no part of S
    cases = []
    for size, seal in BREAK_EVEN_SEAL_NS.items():
        pages = size // 4096
        shape = {"working_set": size}
        # As the driver writes it: sealed-extent's fixed state is in its id (config: sparse).
        cases.append(case("first-touch", "sealed-extent", [pages] * 3,
                          target=PAGE_CACHE_TARGET, shape={**shape, "file_state": "zeroed"},
                          prep={"zero-fill": seal + sparse_prep - sealed_rest},
                          counters={"lines_flushed": 1.0, "fences": 1.0}))
        sparse = {"file_state": "sparse"}
        if size != without_partner:
            cases.append(case("first-touch", "fsync-per-fault", [pages] * 3,
                              target=PAGE_CACHE_TARGET, shape=shape, params=sparse,
                              counters={"fault_ns": 60_000 / pages, "trap_ns": 10_000 / pages,
                                        "syscalls": 1.0}))
        cases.append(case("first-touch", "none", [pages * 4] * 3, target=PAGE_CACHE_TARGET,
                          shape=shape, params=sparse))
        cases.append(case("first-touch", "map-sync", target=PAGE_CACHE_TARGET, shape=shape,
                          params=sparse, status="unsupported",
                          reason="mmap MAP_SHARED_VALIDATE|MAP_SYNC: EOPNOTSUPP (fixture)"))
    return make_run(path, cases, repetitions=3, run_id="break-even-run")
