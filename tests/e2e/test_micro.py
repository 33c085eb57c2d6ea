"""daxbench-micro on its own: a tiny real run writes Google Benchmark JSON with our counters."""
import json
import subprocess

COUNTERS = {"ns_per_op", "tsc_per_op", "lines_flushed", "fences"}


def run_micro(driver, folder, benchmark_filter, *flags, timeout):
    """daxbench-micro's quick set, filtered, on a fresh target folder under `folder`: the
    target folder and its JSON output."""
    micro = driver.parent / "daxbench-micro"
    out = folder / "micro.json"
    target = folder / "target"
    target.mkdir()
    done = subprocess.run(
        [str(micro), "--target", f"file:{target}", "--set", "quick",
         f"--benchmark_filter={benchmark_filter}", *flags, f"--benchmark_out={out}",
         "--benchmark_out_format=json"],
        capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return target, out


def test_tiny_micro_run_writes_benchmark_json_with_our_counters(root, driver, tmp_path):
    target, out = run_micro(
        driver, tmp_path,
        "^(sfence|flush/clwb/size:64/fence_every:1/|fault/zeroed/map_sync|raw_loop/)",
        "--benchmark_min_time=0.01", timeout=120)
    result = json.loads(out.read_text())
    context = result["context"]
    assert context["library_build_type"] in {"debug", "release"}
    assert context["daxbench_build_type"] and context["target"] == f"file:{target}"
    names = {b["name"] for b in result["benchmarks"]}
    assert "sfence" in names and any(n.startswith("raw_loop/random-update/sealed-extent/") for n in names)
    for bench in result["benchmarks"]:
        if bench.get("error_occurred"):  # only what this machine cannot do, with the reason
            assert bench["error_message"].startswith("unsupported: "), bench
            continue
        assert COUNTERS <= bench.keys(), bench["name"]
        assert bench["ns_per_op"] > 0 and bench["tsc_per_op"] > 0
        if bench["name"].startswith("flush/clwb/size:64/fence_every:1/"):
            assert bench["lines_flushed"] == 1 and bench["fences"] == 1
            assert bench["label"] == "clwb file"
    fault = [b for b in result["benchmarks"] if b["name"].startswith("fault/zeroed/map_sync")][0]
    if context["target_dax"] == "false":  # MAP_SYNC is refused off DAX, with the errno
        assert fault["error_occurred"] and "EOPNOTSUPP" in fault["error_message"]
    assert list(target.iterdir()) == []  # the scratch folder is gone


def test_the_unit_costs_of_cost_attribution(driver, disk_tmp_path):
    """unit/: a sync after dirtying fresh or written pages (their faults counted, timed apart),
    a pwrite, fsync-per-fault's trap; every benchmark ran (or says why not) and cleaned up.
    On a disk filesystem (its page cache accounts what a store dirties)."""
    target, out = run_micro(
        driver, disk_tmp_path,
        "^unit/(fdatasync/.*/dirty_pages:1/|pwrite/fresh/size:64/|trap/)", timeout=300)
    found = {b["run_name"].split("/iterations:")[0]: b
             for b in json.loads(out.read_text())["benchmarks"]}
    assert set(found) == {"unit/fdatasync/fresh/dirty_pages:1",
                          "unit/fdatasync/written/dirty_pages:1",
                          "unit/fdatasync/written_4k_folios/dirty_pages:1",
                          "unit/pwrite/fresh/size:64",
                          "unit/trap/fresh", "unit/trap/written"}
    for name, bench in found.items():
        assert not bench.get("error_occurred"), (name, bench.get("error_message"))
        assert bench["ns_per_op"] > 0, name
    # A fresh page faults on its first store; the stores' own time is beside the call's.
    fresh = found["unit/fdatasync/fresh/dirty_pages:1"]
    assert fresh["page_faults"] >= 1 and fresh["ns_per_fault"] > 0
    assert found["unit/fdatasync/written/dirty_pages:1"]["dirty_pages"] == 1
    # What one store dirtied, by whole folios: a fresh page's and a page written by a 4 KiB
    # pwrite are 4 KiB folios; the file zeroed by large writes has folios of at least that.
    assert fresh["dirtied_bytes"] == 4096
    assert found["unit/fdatasync/written_4k_folios/dirty_pages:1"]["dirtied_bytes"] == 4096
    assert found["unit/fdatasync/written/dirty_pages:1"]["dirtied_bytes"] >= 4096
    assert list(target.iterdir()) == []  # the scratch folder is gone
