"""The rule for the lab's tests, imported by them: they run wherever QEMU can, and only
DAXBENCH_TEST_NO_LAB=1 leaves them out (loudly, at the end of the run; see conftest.py).
Its own module, not conftest.py: tests/analysis has a conftest.py too, and `from conftest
import` gets whichever pytest loaded first."""
import os

import pytest

# Set by ./run.sh --test's caller on a platform that cannot run QEMU (no package reachable,
# no TCG). Nothing else may skip a lab test: a lab that fails to build or boot is a failure.
NO_LAB = os.environ.get("DAXBENCH_TEST_NO_LAB", "0") not in ("", "0")
NO_LAB_REASON = "DAXBENCH_TEST_NO_LAB=1: the lab and power-cut tests were left out on request"


def require_lab():
    """Skips the calling test only when the user opted out of the lab."""
    if NO_LAB:
        pytest.skip(NO_LAB_REASON)


def fail_unless_the_lab_ran(records, kind="case"):
    """A lab record that is `unsupported` for the lab as a whole means this machine could
    not boot a guest: without the opt-out that is a failure, with the reason quoted."""
    lab = [r for r in records if r["target"].startswith("lab:")]
    whole = {r["reason"] for r in lab if r["status"] == "unsupported" and
             (r["reason"] or "").startswith("lab: ")}
    if whole:
        pytest.fail(f"the lab could not run here ({len(lab)} {kind} records): " +
                    "; ".join(sorted(whole)) +
                    " (set DAXBENCH_TEST_NO_LAB=1 only on a platform that cannot run QEMU)")
