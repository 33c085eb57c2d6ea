"""The C++ statistics (analysis/stats/*.h) as Python functions: the driver's own code, built
by pybind11 into the build folder. Import from here, never re-implement a statistic."""
try:
    from _daxstats import *  # noqa: F401,F403  (the module defines __all__)
    import _daxstats as _module
except ImportError as error:  # pragma: no cover - says how to fix a setup problem
    raise ImportError(
        "the _daxstats module is not built or not on PYTHONPATH: `./run.sh` builds it into "
        "build/analysis/ and runs the analysis with PYTHONPATH set; by hand: "
        "PYTHONPATH=analysis:build/analysis /usr/bin/python3 -m daxbench_analysis ..."
    ) from error

__all__ = list(getattr(_module, "__all__", [n for n in dir(_module) if not n.startswith("_")]))
