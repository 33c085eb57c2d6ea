#!/usr/bin/env python3
"""The layering check of the test command: every `#include "..."` in the C++ layers must name
a file of the including file's own layer or of a layer it stands on (cmake/layers.txt, the
list the build links by). Names file:line and both layers for each include that goes up or
sideways; exit 1 if there is one, 2 if the list itself is wrong.

usage: tools/check_layers.py [ROOT]   (default: the tree this script is in)
"""
import os
import re
import sys

LAYERS_FILE = os.path.join("cmake", "layers.txt")
SOURCE_SUFFIXES = (".cpp", ".h", ".def")
# Every C++ file under these must be in a layer: a new folder cannot slip past the check.
CHECKED_ROOTS = ("bench", "workloads", "analysis/stats", "analysis/python")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


class LayerError(Exception):
    pass


def read_layers(root):
    """[(name, folder, floors)] in file order; floors must be declared above their user."""
    layers, seen = [], {}
    path = os.path.join(root, LAYERS_FILE)
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if len(words) < 2:
                raise LayerError(f"{LAYERS_FILE}:{number}: expected: layer folder [floors...]")
            name, folder, floors = words[0], words[1].rstrip("/"), words[2:]
            if name in seen:
                raise LayerError(f"{LAYERS_FILE}:{number}: layer '{name}' declared twice")
            for floor in floors:
                if floor not in seen:
                    raise LayerError(f"{LAYERS_FILE}:{number}: '{name}' stands on '{floor}', "
                                     "which is not declared above it")
            seen[name] = (folder, floors)
            layers.append((name, folder, floors))
    return layers


def below(layers):
    """Each layer's floors, direct or not."""
    closure = {}
    for name, _, floors in layers:  # floors come first in the file, so are complete already
        reach = set(floors)
        for floor in floors:
            reach |= closure[floor]
        closure[name] = reach
    return closure


def layer_of(layers, rel):
    """The layer whose folder (or file) is the longest prefix of `rel`, or None."""
    best = None
    for name, folder, _ in layers:
        if rel == folder or rel.startswith(folder + "/"):
            if best is None or len(folder) > len(best[1]):
                best = (name, folder)
    return best[0] if best else None


def sources(root, layers):
    for folder in CHECKED_ROOTS + tuple(folder for _, folder, _ in layers):
        top = os.path.join(root, folder)
        if os.path.isfile(top):
            yield folder
            continue
        for d, _, files in os.walk(top):
            for f in sorted(files):
                if f.endswith(SOURCE_SUFFIXES):
                    yield os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/")


def check(root):
    layers = read_layers(root)
    closure = below(layers)
    problems, checked = [], set()
    for rel in sources(root, layers):
        if rel in checked:
            continue  # bench/ walks into bench/base, ...; a file counts once
        checked.add(rel)
        mine = layer_of(layers, rel)
        if mine is None:
            problems.append(f"{rel}: in no layer of {LAYERS_FILE} (add its folder there)")
            continue
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                name = m.group(1)
                if os.path.exists(os.path.join(root, name)):
                    target = os.path.normpath(name).replace(os.sep, "/")
                elif os.path.exists(os.path.join(root, os.path.dirname(rel), name)):
                    target = os.path.normpath(os.path.join(os.path.dirname(rel), name))
                else:
                    problems.append(f"{rel}:{number}: [{mine}] includes \"{name}\", "
                                    "which is no file of this tree")
                    continue
                theirs = layer_of(layers, target)
                if theirs == mine or theirs in closure[mine]:
                    continue
                allowed = ", ".join(n for n, _, _ in layers if n in closure[mine]) or "nothing"
                if theirs is None:
                    why = "which is in no layer"
                elif mine in closure[theirs]:
                    why = f"an upward include: {theirs} stands on {mine}"
                else:
                    why = f"a sideways include: {mine} does not stand on {theirs}"
                problems.append(f"{rel}:{number}: [{mine}] includes {target} [{theirs}], {why} "
                                f"({mine} may include: {allowed})")
    return problems, len(checked)


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        problems, files = check(root)
    except (LayerError, OSError) as e:
        print(f"check_layers: {e}", file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    if problems:
        print(f"check_layers: {len(problems)} include(s) break the layers of {LAYERS_FILE}",
              file=sys.stderr)
        return 1
    print(f"check_layers: {files} files, every include looks down ({LAYERS_FILE})",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
