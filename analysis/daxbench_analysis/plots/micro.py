"""The micro-benchmark figures (micro.json, Google Benchmark's JSON): first-touch faults
MAP_SHARED vs MAP_SYNC, cost per cache line by flush primitive, memcpy + CLWB vs
non-temporal stores with their crossover."""
from __future__ import annotations

from collections.abc import Iterator

from matplotlib import transforms

from daxbench_analysis.model.run import Run, micro_entries
from daxbench_analysis.plots import style
from daxbench_analysis.plots.common import Figure, skip


def micro_results(run: Run) -> dict[str, dict]:
    """Benchmark name -> {"counters": {...}, "error": str|None, "params": {...}, "parts": [...]}.
    With repetitions, Google Benchmark's median aggregate; otherwise the iteration entry."""
    chosen = micro_entries(run.micro)
    results = {}
    for bench in chosen:
        name = bench.get("run_name") or bench["name"]
        parts = name.split("/")
        params = dict(p.split(":", 1) for p in parts if ":" in p)
        error = bench.get("error_message") if bench.get("error_occurred") else None
        results.setdefault(name, {"bench": bench, "error": error, "params": params,
                                  "parts": [p for p in parts if ":" not in p]})
    return results


def micro_target(run: Run) -> str:
    return str((run.context.get("micro") or {}).get("target") or "host")


def micro_provenance(run: Run) -> str:
    micro = run.context.get("micro") or {}
    return (run.provenance(micro_target(run))
            + f" | micro set {micro.get('set', '?')}"
            + f" | benchmark lib {micro.get('library_build_type', '?')}")


def micro_figures_possible(run: Run, figure: str) -> bool:
    if run.micro is None:
        skip(figure, "the run has no micro.json")
        return False
    return True


def micro_fault_figures(run: Run) -> Iterator[Figure]:
    if not micro_figures_possible(run, "micro fault"):
        return
    values, missing = {}, {}
    states: list[str] = []
    for name, result in micro_results(run).items():
        parts = result["parts"]
        if parts[0] != "fault" or len(parts) < 2:
            continue
        state = parts[1]
        mapping = parts[2] if len(parts) > 2 and parts[2].startswith("map_") else "map_private"
        if state not in states:
            states.append(state)
        key = (state, mapping)
        ns = result["bench"].get("ns_per_op")
        if result["error"] or ns is None:
            missing[key] = result["error"] or "no ns_per_op"
        else:
            values[key] = float(ns)
    if not values:
        skip("micro fault", "micro.json has no fault/ benchmark result")
        return
    mappings = [m for m in ("map_shared", "map_sync", "map_private")
                if any(k[1] == m for k in [*values, *missing])]
    look = {"map_shared": ("msync", "MAP_SHARED"), "map_sync": ("map-sync", "MAP_SYNC"),
            "map_private": ("none", "anonymous (DRAM)")}
    fig, axes = style.new_figure(6.5, 4.2)
    ax = axes[0][0]
    where = transforms.blended_transform_factory(ax.transData, ax.transAxes)
    # A state lays out only the mappings it has a result of (anonymous memory has one): no
    # empty slots, each group centred on its tick.
    present = {state: [m for m in mappings if (state, m) in values or (state, m) in missing]
               for state in states}
    width = 0.8 / max(len(found) for found in present.values())
    labelled = set()
    for s, state in enumerate(states):
        for slot, mapping in enumerate(present[state]):
            x = s + (slot - (len(present[state]) - 1) / 2) * width
            mode, label = look[mapping]
            if (state, mapping) in values:
                ax.bar([x], [values[(state, mapping)]], width,
                       label=None if mapping in labelled else label, **style.bar_style(mode))
                labelled.add(mapping)
            else:
                ax.text(x, 0.02, "refused", transform=where, rotation=90, ha="center",
                        va="bottom", fontsize=6, color="#555555")
    ax.set_xticks(range(len(states)), states)
    ax.set_ylabel("ns per first store to a page")
    ax.set_title("micro: first-touch fault by file state, MAP_SHARED vs MAP_SYNC")
    ax.legend()
    refused = sorted({why for why in missing.values()})
    if refused:
        ax.text(0.01, 0.98, "refused: " + "; ".join(refused)[:140], transform=ax.transAxes,
                fontsize=6, va="top")
    style.finish(fig, micro_provenance(run), None)
    yield f"micro-fault-{style.slug(micro_target(run))}", fig


def micro_flush_figures(run: Run) -> Iterator[Figure]:
    if not micro_figures_possible(run, "micro flush"):
        return
    curves: dict[int, dict[str, list[tuple[int, float]]]] = {}
    unsupported = set()
    for result in micro_results(run).values():
        parts, params = result["parts"], result["params"]
        if parts[0] != "flush" or parts[2:4] != ["dirty", "seq"]:
            continue
        if params.get("memory") != "file" or "size" not in params:
            continue
        if result["error"]:
            unsupported.add(parts[1])
            continue
        per_line = result["bench"].get("ns_per_line")
        if per_line is None:
            continue
        fence_every = int(params.get("fence_every", 1))
        curves.setdefault(fence_every, {}).setdefault(parts[1], []).append(
            (int(params["size"]), float(per_line)))
    if not curves:
        skip("micro flush", "micro.json has no dirty/seq/file flush benchmark result")
        return
    fences = sorted(curves)
    fig, axes = style.new_figure(3.6 * len(fences) + 0.6, 4, ncols=len(fences), sharey=True)
    for ax, fence_every in zip(axes[0], fences):
        for primitive in sorted(curves[fence_every], key=flush_rank):
            points = sorted(curves[fence_every][primitive])
            ax.plot([p[0] for p in points], [p[1] for p in points], label=primitive,
                    color=style.flush_color(primitive), marker=style.flush_marker(primitive),
                    markersize=4)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("bytes per operation")
        ax.set_title(f"SFENCE every {fence_every} line{'s' if fence_every > 1 else ''}")
    axes[0][0].set_ylabel("ns per cache line")
    axes[0][0].legend()
    note = f" (unsupported here: {', '.join(sorted(unsupported))})" if unsupported else ""
    fig.suptitle("micro: cost per cache line by flush primitive, dirty, sequential, file"
                 + note)
    style.finish(fig, micro_provenance(run), None)
    yield f"micro-flush-{style.slug(micro_target(run))}", fig


def flush_rank(primitive: str) -> int:
    order = style.FLUSH_ORDER
    return order.index(primitive) if primitive in order else len(order)


def micro_nt_vs_clwb_figures(run: Run) -> Iterator[Figure]:
    if not micro_figures_possible(run, "micro nt-vs-clwb"):
        return
    curves: dict[str, dict[str, list[tuple[int, float]]]] = {}
    for result in micro_results(run).values():
        parts, params = result["parts"], result["params"]
        if parts[0] != "nt_vs_clwb" or result["error"] or "size" not in params:
            continue
        per_line = result["bench"].get("ns_per_line")
        if per_line is not None:
            curves.setdefault(params.get("memory", "?"), {}).setdefault(parts[1], []).append(
                (int(params["size"]), float(per_line)))
    if not curves:
        skip("micro nt-vs-clwb", "micro.json has no nt_vs_clwb benchmark result (set quick?)")
        return
    memories = sorted(curves)
    fig, axes = style.new_figure(4.2 * len(memories) + 0.6, 4, ncols=len(memories))
    for ax, memory in zip(axes[0], memories):
        for variant in sorted(curves[memory]):
            points = sorted(curves[memory][variant])
            ax.plot([p[0] for p in points], [p[1] for p in points],
                    label="memcpy + CLWB" if variant == "clwb" else "non-temporal stores",
                    color=style.flush_color(variant), marker=style.flush_marker(variant),
                    markersize=4)
        crossover = nt_crossover(curves[memory])
        if crossover:
            ax.axvline(crossover, color="#777777", linestyle=":", linewidth=0.8)
            ax.text(crossover, 0.97, f" NT cheaper from {crossover} B",
                    transform=transforms.blended_transform_factory(ax.transData, ax.transAxes),
                    fontsize=7, va="top")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("bytes per operation")
        ax.set_ylabel("ns per cache line")
        ax.set_title(f"memory: {memory}")
        ax.legend(loc="lower left")
    fig.suptitle("micro: memcpy + CLWB vs non-temporal stores (+ SFENCE)")
    style.finish(fig, micro_provenance(run), None)
    yield f"micro-nt-vs-clwb-{style.slug(micro_target(run))}", fig


def nt_crossover(curves: dict[str, list[tuple[int, float]]]) -> int | None:
    """The smallest size from which non-temporal stores stay cheaper than CLWB."""
    clwb, nt = dict(curves.get("clwb", [])), dict(curves.get("nt", []))
    sizes = sorted(set(clwb) & set(nt))
    for index, size in enumerate(sizes):
        if all(nt[s] < clwb[s] for s in sizes[index:]):
            return size
    return None
