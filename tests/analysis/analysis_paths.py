"""Where the analysis package and the built `_daxstats` are, and the environment that runs
`python3 -m daxbench_analysis` from them. Its own module, not conftest.py: tests/e2e has a
conftest.py too, and `from conftest import` gets whichever pytest loaded first."""
import os
import sys
from pathlib import Path

ROOT = Path(os.environ.get("DAXBENCH_ROOT", Path(__file__).resolve().parents[2]))
BUILD = Path(os.environ.get("DAXBENCH_BUILD", ROOT / "build"))
ANALYSIS_PATHS = [ROOT / "analysis", BUILD / "analysis"]
for _path in reversed(ANALYSIS_PATHS):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


def analysis_env() -> dict:
    """The environment for running `python3 -m daxbench_analysis` as a subprocess."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*map(str, ANALYSIS_PATHS),
                                         *filter(None, [env.get("PYTHONPATH")])])
    env["DAXBENCH_ROOT"] = str(ROOT)
    env["MPLBACKEND"] = "Agg"
    return env
