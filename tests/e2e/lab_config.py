"""One small config run by a driver in the lab, for tests that boot a guest for a single
question: writes the config, runs it to the end, and returns the records only if the lab ran
(lab_gate.fail_unless_the_lab_ran), so each test asserts just what it is about."""
import os
import subprocess

import schema
from lab_gate import fail_unless_the_lab_ran


def run_lab_config(binary, folder, text, env=None, timeout=600):
    """Runs `binary run` on the config `text` in `folder`; returns (process, out, records)."""
    config = folder / "config.yaml"
    config.write_text(text)
    out = folder / "run"
    done = subprocess.run([str(binary), "run", "--config", str(config), "--out", str(out)],
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    records = schema.read_records(out)
    fail_unless_the_lab_ran(records)
    return done, out, records
