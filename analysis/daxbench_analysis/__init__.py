"""daxbench's analysis: reports, plots, comparisons and the regression dashboard, over the
results folders that `daxbench run` writes (docs/results-schema.md). Statistics come from
the C++ library the driver uses (analysis/stats, exported by pybind11 as `_daxstats`), so a
report and the driver's summary.csv agree to the last digit."""
