"""A run's whole report as one document of blocks: the main section, where the time goes
(cost attribution), the one-time cost of sealing, daxbench vs fio, then the crash matrix.
Every format of the report is rendered from this (render/)."""
from __future__ import annotations

from daxbench_analysis.model.run import Run
from daxbench_analysis.sections.blocks import Document
from daxbench_analysis.sections.attribution import attribution_section
from daxbench_analysis.sections.break_even import break_even_section
from daxbench_analysis.sections.crash import crash_section
from daxbench_analysis.sections.fio import fio_section
from daxbench_analysis.sections.groups import group_tables
from daxbench_analysis.sections.main import main_section


def report_document(run: Run, baseline: str = "fdatasync") -> Document:
    tables = group_tables(run, baseline)
    return Document([*main_section(run, tables, baseline), *attribution_section(run),
                     *break_even_section(run), *fio_section(run), *crash_section(run)])
