"""The "Where the time goes" section as blocks (model/attribution.py): per group of cases, a
terms x modes table of ns per operation — each counted event times its unit cost, the
residual, the median op time and the explained fraction —, then the cases below the target
with their likely missing term, the missing unit costs, and the cases with no attribution."""
from __future__ import annotations

from daxbench_analysis.model import attribution as model
from daxbench_analysis.model.run import Run
from daxbench_analysis.numbers import humanize
from daxbench_analysis.sections.blocks import Block, Column, Heading, ItemList, Paragraph, Table

TITLE = "Where the time goes (cost attribution)"
LEGEND = ("Median time per operation (threads x duration / ops, median over repetitions) as "
          "each counted event per operation times its unit cost, a micro-benchmark measured "
          "on the same target in the same run under the case's conditions (micro.json; which "
          "benchmark feeds which term: docs/analysis.md), plus the residual the model does "
          "not explain. Cells in ns per operation. A sync's unit cost includes the journal "
          "commit it waits for, so journal commits only say how many syncs allocated; a "
          "flush term covers the record's store, its lines and its share of a fence. Target: "
          f"explained >= {model.TARGET_EXPLAINED:.0%} for modes of counted events.")


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


def _ns(x: float | None) -> str:
    return "-" if x is None else humanize(x)


def attribution_section(run: Run, items: list[model.Attribution] | None = None) -> list[Block]:
    items = model.attributions(run) if items is None else items
    if not any(a.status == "ok" for a in items):
        unavailable = [f"{a.case.case_id}: {a.status}" for a in items]
        if not run.micro:
            return []   # a run without micro: nothing to attribute, nothing to say twice
        return [Heading(TITLE), ItemList("No attribution:", unavailable)]
    blocks: list[Block] = [Heading(TITLE), Paragraph(LEGEND)]
    groups: dict[tuple, list[model.Attribution]] = {}
    for a in items:
        if a.status == "ok":
            groups.setdefault(a.case.group_key, []).append(a)
    for (workload, target, shape), group in groups.items():
        title = f"{workload} on {target} ({','.join(f'{k}={v}' for k, v in shape) or 'defaults'})"
        names = list(dict.fromkeys(t.name for a in group for t in a.terms))
        rows = [[name, *(_ns(sum(t.ns for t in a.terms if t.name == name))
                         if any(t.name == name for t in a.terms) else "" for a in group)]
                for name in names]
        rows.append(["residual", *(_ns(a.residual_ns) for a in group)])
        rows.append(["op time", *(_ns(a.op_ns) for a in group)])
        rows.append(["explained", *(_pct(a.explained) for a in group)])
        columns = [Column("ns/op", align="left")] + [Column(a.case.column) for a in group]
        caption = (f"{title}: where the time goes, ns per operation. "
                   f"{run.provenance(target).replace(' | ', '; ')}.")
        blocks += [Heading(title, level=3), Table(columns, rows, caption=caption, matrix=True)]
    short = [f"{a.case.case_id}: explained {_pct(a.explained)}; likely missing: {a.finding}"
             for a in items if a.finding]
    if short:
        blocks.append(ItemList(f"Beyond {1 - model.TARGET_EXPLAINED:.0%} of the op time "
                               "(findings):", short))
    missing = [f"{a.case.case_id}: {m.events} ({m.per_op:.3g}/op): no unit cost {m.wanted}"
               for a in items for m in a.missing]
    if missing:
        blocks.append(ItemList("Events without a unit cost (their time is in the residual):",
                               missing))
    notes = list(dict.fromkeys(note for a in items for note in a.notes))
    if notes:
        blocks.append(ItemList("Notes:", notes))
    unavailable = [f"{a.case.case_id}: {a.status}" for a in items if a.status != "ok"]
    if unavailable:
        blocks.append(ItemList("No attribution:", unavailable))
    return blocks
