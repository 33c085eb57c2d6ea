"""End to end through run.sh, as a user runs it: the quick config, and a bad config."""
import csv
import json
import pathlib
import subprocess

import schema

MODES = {"fsync-per-fault", "fdatasync", "map-sync", "sealed-extent", "msync",
         "pwrite-fdatasync", "flush-only", "none"}
WORKLOADS = {"log-append", "random-update", "first-touch", "kv-put", "trace-replay"}


def run_sh(root, *args, **kwargs):
    return subprocess.run([str(root / "run.sh"), *args], capture_output=True, text=True, **kwargs)


def test_quick_config_covers_every_mode_and_workload(root, tmp_path, disk_tmp_path):
    out = tmp_path / "quick-run"
    # On a disk filesystem: the page-cache semantics asserted below (durable syncs, map-sync
    # refused, sealed-extent's FIEMAP) are not tmpfs's.
    target = disk_tmp_path / "target"
    target.mkdir()
    done = run_sh(root, "--config", "quick", "--out", str(out), "--target", f"file:{target}", timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == str(out)  # the path is the last line
    assert "[1/" in done.stderr and "eta" in done.stderr      # progress on stderr
    assert "case (medians over repetitions)" in done.stderr  # and the table at the end
    assert "(not durable here)" in done.stderr
    # The analysis ran after the cases: the reports and every figure's three formats.
    for report in ("report.txt", "report.md", "report.tex"):
        assert (out / report).stat().st_size > 0, report
    assert max(len(line) for line in (out / "report.txt").read_text().splitlines()) <= 80
    figures = list((out / "plots").glob("*.png"))
    assert figures and all((out / "plots" / f"{f.stem}.{ext}").stat().st_size > 0
                           for f in figures for ext in ("svg", "pdf"))

    records = schema.read_records(out)
    for record in records:
        assert "tool" in record, record["case_id"]
        schema.check_record(record)
    # quick.yaml turns fio on for a few cases (docs/fio.md); test_fio.py checks those records.
    assert {r["tool"] for r in records} == {"daxbench", "fio"}
    records = [r for r in records if r["tool"] == "daxbench"]
    seen = {(r["mode"], r["workload"]) for r in records}
    assert seen == {(m, w) for m in MODES for w in WORKLOADS}

    target_is_dax = json.loads((out / "context.json").read_text())["targets"][0]["dax"]
    for record in records:
        if record["mode"] == "map-sync" and not target_is_dax:
            assert record["status"] == "unsupported"
            assert "EOPNOTSUPP" in record["reason"]
        elif record["status"] == "unsupported" and record["params"].get("flush") != "auto":
            # A flush primitive this CPU lacks (clwb on this AMD EPYC): refused by CPUID.
            cpu = json.loads((out / "context.json").read_text())["host"]["cpu_flags"]
            flush = record["params"]["flush"]
            assert cpu.get(flush) is False, (record["case_id"], record["reason"])
            assert f"flush {flush}: the CPU lacks {flush}" in record["reason"], record["reason"]
        else:
            assert record["status"] == "ok", (record["case_id"], record["reason"])
        if not target_is_dax:  # page cache: only the syscall modes are durable
            assert record["durable"] == (record["mode"] in {"fdatasync", "msync", "pwrite-fdatasync"})
        # The kernel's count of the writers' sync calls (tracepoints; unavailable without root)
        # equals the suite's own.
        for call in ("fsync", "fdatasync", "msync") if record["status"] == "ok" else ():
            kernel = record["counters"][f"syscalls:sys_enter_{call}"]
            if kernel["status"] == "ok":
                assert kernel["value"] == record["counters"][f"sys_{call}"]["value"], (record["case_id"], call)

    context = json.loads((out / "context.json").read_text())
    schema.check_context(context)
    assert context["run_id"] == records[0]["run_id"]
    # The driver's registry (docs/results-schema.md): the order and rules the analysis used
    # to copy, and each record's shape is its case id's parameters.
    from daxbench_analysis.model import registry
    written = context["registry"]
    # The fallback describes folders written before the registry: its modes keep their order
    # and parameters in the driver's, and a mode added later needs no fallback entry (with
    # MODES below, today's eight modes are exactly the fallback's).
    driver_order = tuple(m["name"] for m in written["modes"])
    fallback = set(registry.FALLBACK_MODE_ORDER)
    assert tuple(m for m in driver_order if m in fallback) == registry.FALLBACK_MODE_ORDER
    assert {m["name"] for m in written["modes"]} == MODES
    assert {w["name"] for w in written["workloads"]} == WORKLOADS
    assert {p["name"] for m in written["modes"] if m["name"] in fallback
            for p in m["params"]} == set(registry.FALLBACK_MODE_PARAMS)
    assert tuple(written["crash"]["cut_verdicts"]) == registry.FALLBACK_CUT_VERDICTS
    assert tuple(written["crash"]["row_verdicts"]) == registry.FALLBACK_ROW_VERDICTS
    for record in schema.read_records(out):
        prefix = f"{record['workload']}/{record['mode']}/{record['target']}/"
        assert record["shape"] == registry.parse_shape_id(record["case_id"][len(prefix):]), \
            record["case_id"]

    with open(out / "summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {row["case_id"] for row in rows} == {r["case_id"] for r in records}
    for row in rows:
        if row["status"] == "ok":
            assert int(row["repetitions"]) == 3
            assert float(row["ops_per_sec_ci95_low"]) <= float(row["ops_per_sec_median"]) <= float(row["ops_per_sec_ci95_high"])

    # quick.yaml's `micro: {set: quick}`: Google Benchmark's JSON, our summary, the overhead ratios.
    micro = json.loads((out / "micro.json").read_text())
    assert micro["benchmarks"] and "library_build_type" in micro["context"]
    with open(out / "micro_summary.csv", newline="") as f:
        micro_rows = list(csv.DictReader(f))
    assert {row["name"] for row in micro_rows} == {b["name"] for b in micro["benchmarks"]}
    # Every fresh mapping must fault at least once; a fault row without its count is unreadable.
    fault_rows = [r for r in micro_rows if r["name"].startswith("fault/") and r["status"] == "ok"]
    assert fault_rows and all(float(r["page_faults"]) > 0 for r in fault_rows)
    assert context["micro"]["status"] == "ok"
    for mode in ("none", "sealed-extent"):
        overhead = context["micro"]["harness_overhead"][mode]
        if mode == "sealed-extent" and not context["host"]["cpu_flags"]["clwb"]:
            # The raw loop flushes with clwb (docs/micro.md): without it there is no pair.
            assert overhead["status"].startswith("unavailable: "), overhead
            continue
        assert overhead["status"] == "ok" and overhead["ratio"] > 0, overhead
        assert f"harness overhead random-update/{mode}/" in done.stderr
    assert list(target.iterdir()) == []  # the scratch folder is gone


def test_bad_config_aborts_before_any_case_with_location_and_choices(root, tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("cases:\n  - workload: random-update\n    mode: [fdatasync, map_sync]\n")
    out = tmp_path / "never"
    done = run_sh(root, "--config", str(config), "--out", str(out), timeout=600)
    assert done.returncode == 2
    assert f"{config}:3:23: unknown mode 'map_sync'" in done.stderr
    assert "did you mean 'map-sync'?" in done.stderr
    assert not out.exists()  # nothing ran, nothing was written


def test_missing_target_directory_aborts_before_any_case(root, tmp_path):
    out = tmp_path / "never"
    done = run_sh(root, "--config", "quick", "--out", str(out), "--target", f"file:{tmp_path}/absent",
                  timeout=600)
    assert done.returncode == 2
    assert "is not a directory" in done.stderr
    assert not out.exists()


def test_out_folder_with_files_is_refused_and_left_alone(root, tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    done = run_sh(root, "--config", "quick", "--out", str(out), timeout=600)
    assert done.returncode == 2
    assert "exists and is not empty" in done.stderr
    assert [p.name for p in out.iterdir()] == ["precious.txt"]


def test_no_arguments_prints_usage(root):
    done = run_sh(root, timeout=60)
    assert done.returncode == 2
    assert "./run.sh --config NAME" in done.stderr


def test_list_names_everything_registered(root):
    done = run_sh(root, "--list", timeout=600)
    assert done.returncode == 0
    for name in MODES | WORKLOADS | {"file:DIR", "clwb", "clflushopt", "clflush"}:
        assert name in done.stdout
