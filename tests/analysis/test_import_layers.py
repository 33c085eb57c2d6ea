"""The analysis package's layers, checked from its source with `ast` (nothing is imported):
no import cycle among its modules, and no import that goes up the layer order
base (stats, numbers) <- model <- sections <- render/plots <- cli. Written once, here: a new
module gets its layer in LAYERS, or this test names it."""
import ast
from pathlib import Path

from analysis_paths import ROOT

PACKAGE = "daxbench_analysis"
SOURCE = ROOT / "analysis" / PACKAGE
# Module (or package) -> layer; the longest matching prefix decides. An import may go to the
# same layer or a lower one, never a higher one.
LAYERS = {
    "": 0,                       # the package itself (its __init__ imports nothing)
    "stats": 0, "numbers": 0,    # base: the C++ statistics, number formatting
    "model": 1,                  # the results folder, the registry, fio pairs, crash cells
    "sections": 2, "compare": 2, "history": 2,   # views of the model, knowing no format
    "render": 3, "plots": 3, "dashboard": 3,     # formats: text, markdown, LaTeX, figures, HTML
    "__main__": 4,               # the command line
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(SOURCE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that `name` imports (relative imports resolved)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[:len(base) - (node.level - 1)]
                prefix = ".".join([PACKAGE, *base, *([node.module] if node.module else [])])
            else:
                prefix = node.module or ""
            # `from pkg import sub` imports the module pkg.sub where there is one.
            targets = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}"[len(PACKAGE) + 1:] in known
                       else prefix for a in node.names]
        for target in targets:
            if target == PACKAGE or target.startswith(PACKAGE + "."):
                inner = target[len(PACKAGE) + 1:]
                if inner != name:
                    found.add(inner)
    return found


def layer_of(name: str) -> int:
    matches = [prefix for prefix in LAYERS
               if prefix == "" or name == prefix or name.startswith(prefix + ".")]
    return LAYERS[max(matches, key=len)]


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), or a self-import."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_every_module_has_a_layer():
    # The package itself matches "" for anything: a top-level module must be named in LAYERS.
    unplaced = [name for name in modules() if name and name.split(".")[0] not in LAYERS]
    assert not unplaced, f"modules without a layer in LAYERS: {unplaced}"


def test_no_import_cycle():
    found = cycles(graph())
    assert not found, "import cycles in daxbench_analysis: " + "; ".join(
        " <-> ".join(group) for group in found)


def test_no_import_goes_up_the_layers():
    upward = [f"{name} (layer {layer_of(name)}) imports {target} (layer {layer_of(target)})"
              for name, targets in sorted(graph().items()) for target in sorted(targets)
              if layer_of(target) > layer_of(name)]
    assert not upward, "imports up the layer order:\n  " + "\n  ".join(upward)


def test_the_check_sees_the_imports():
    """Guards the checker itself: edges it must find in today's package."""
    edges = graph()
    assert "model.run" in edges["model.crash"]
    assert "plots.common" in edges["plots.fio"]
    assert "sections.report" in edges["render.reports"]
