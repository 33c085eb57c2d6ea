"""The power cuts catch a broken flush primitive: the test driver `daxbench-mutants` (the
driver plus the test-only mutants of tests/unit/mutant_flush.h) runs sealed-extent and map-sync
on a zeroed ext4 file under ADR with the correct primitive (`auto`) and with each mutant. Under
the persistence model, a primitive that skips the last line of a range, or flushes with CLWB
and never fences, leaves acknowledged records only in the CPU cache: the strict image must
lose them in every cut, while `auto` loses nothing. A mutant that is not caught is
NO-LOSS-SEEN, which fails the run. Each mutant's cell boots alone (crash_run.cpp: another
cell's SFENCE on the same vCPU would drain its lines): 6 cuts, about 2 minutes."""
import subprocess

import pytest

import schema
from lab_gate import fail_unless_the_lab_ran, require_lab

CONFIG = """\
name: crash-mutants
crash:
  filesystems: [ext4]
  persistence: [adr]
  modes: [map-sync, sealed-extent]
  flushes: [auto, mutant-skips-last-line, mutant-drains-without-fence]
  file_states: [zeroed]
  workloads: [log-append]
  concurrent_write: none
  mixes: 0
  cuts: 1
  cut_after_s: [0.5, 3]
  seed: 7
  file_size: 1M
"""
MUTANTS = ("mutant-skips-last-line", "mutant-drains-without-fence")


@pytest.fixture(scope="module")
def mutant_run(driver, tmp_path_factory):
    require_lab()
    folder = tmp_path_factory.mktemp("mutants")
    (folder / "crash-mutants.yaml").write_text(CONFIG)
    out = folder / "run"
    done = subprocess.run([str(driver.parent / "daxbench-mutants"), "run", "--config",
                           str(folder / "crash-mutants.yaml"), "--out", str(out)],
                          capture_output=True, text=True, timeout=900)
    assert (out / "crash.jsonl").exists(), done.stderr[-4000:]
    records = schema.read_crash(out)
    fail_unless_the_lab_ran(records, kind="crash")
    return done, records


def test_the_suite_driver_cannot_name_a_mutant(driver, tmp_path):
    config = tmp_path / "crash-mutants.yaml"
    config.write_text(CONFIG)
    done = subprocess.run([str(driver), "check", "--config", str(config)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"{config}:6:" in done.stderr and "mutant-skips-last-line" in done.stderr
    assert "valid: auto, clwb" in done.stderr, done.stderr


def test_every_mutant_is_caught_on_the_strict_image_in_every_cut(mutant_run):
    done, records = mutant_run
    assert done.returncode == 0, done.stderr[-4000:]
    # 2 modes x 3 primitives x 1 cut
    assert len(records) == 6
    for r in records:
        schema.check_crash_record(r)
        assert r["status"] == "ok", (r["cell"], r["reason"])
        assert r["acknowledged"] > 0, r["cell"]
        assert set(r["images"]) == {"strict", "live"}, r["cell"]
    for r in (r for r in records if r["flush"] in MUTANTS):
        assert r["expectation"] == "loses-cache", r["cell"]
        assert r["job_dir"].endswith(f"-flush-{r['flush']}-cut0"), r["job_dir"]  # alone
        assert r["images"]["strict"]["lost"] > 0, (r["cell"], r["cut"], r["seed"])
        assert r["images"]["strict"]["verdict"] == "LOSS-EXPECTED", r["cell"]
        assert r["verdict"] == "LOSS-EXPECTED", r["cell"]
    # The correct primitive in the same boots loses nothing, on either image.
    for r in (r for r in records if r["flush"] == "auto"):
        assert r["expectation"] == "durable", r["cell"]
        assert all(image["lost"] == 0 for image in r["images"].values()), (r["cell"], r["cut"])
        assert r["verdict"] == "PASS", r["cell"]
