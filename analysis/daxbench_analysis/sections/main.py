"""The main section of a report as blocks: the title, the run's and targets' facts, the
legend, and per group of cases (groups.py) its heading, its metrics x modes table and the
modes that did not run."""
from __future__ import annotations

from daxbench_analysis.model.run import Run
from daxbench_analysis.sections.blocks import (Block, Column, Fact, Facts, Heading, ItemList,
                                               Note, Table, Title)
from daxbench_analysis.sections.groups import GroupTable, legend, run_facts, target_facts


def main_section(run: Run, tables: list[GroupTable], baseline: str) -> list[Block]:
    blocks: list[Block] = [Title("daxbench report", str(run.context.get("run_id", run.path.name)))]
    facts = [Fact(label, [value]) for label, value in run_facts(run)]
    facts += [Fact("target", lines, subject=spec) for spec, lines in target_facts(run)]
    blocks += [Facts(facts), Note(legend(baseline))]
    for table in tables:
        blocks.append(Heading(table.title))
        if table.rows:
            blocks.append(group_block(run, table))
        if table.not_run:
            blocks.append(ItemList("Not run:", [f"{column}: {status}: {reason}" for column,
                                                 status, reason in table.not_run], bullets=False))
    return blocks


def group_block(run: Run, table: GroupTable) -> Table:
    # "|" is not a text character in LaTeX's default font encoding: provenance with "; ".
    caption = f"{table.title}. {run.provenance(table.target).replace(' | ', '; ')}."
    if table.not_run:
        caption += " Not run: " + "; ".join(f"{column} ({status}: {reason})"
                                            for column, status, reason in table.not_run) + "."
    columns = [Column("metric", align="left")] + [Column(c.header) for c in table.columns]
    rows = [[row.label, *row.cells] for row in table.rows]
    return Table(columns, rows, caption=caption, matrix=True)
