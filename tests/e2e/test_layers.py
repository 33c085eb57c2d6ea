"""tools/check_layers.py, the test command's layering check: on the real tree it passes, and
on a small tree of its own it names file:line and both layers of each include that goes up,
sideways, out of the tree or out of every layer."""
import pathlib
import subprocess
import sys

import pytest

# The script of this checkout (not from conftest: see lab_gate.py on `from conftest import`).
SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "tools" / "check_layers.py"

LAYERS = """\
# a small stack: base, two plug-ins beside each other, a top that stands on both
base      src/base
left      src/left     base
right     src/right    base
top       src/top      left right
"""


def check(tree):
    # The script under test comes from the real tree; it reads the layers of `tree`.
    return subprocess.run([sys.executable, str(SCRIPT), str(tree)], capture_output=True,
                          text=True)


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "cmake").mkdir()
    (tmp_path / "cmake" / "layers.txt").write_text(LAYERS)
    for folder in ("src/base", "src/left", "src/right", "src/top", "bench", "workloads"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    files = {
        "src/base/clock.h": "#pragma once\n",
        "src/left/left.h": '#pragma once\n#include "src/base/clock.h"\n',
        "src/right/right.h": '#pragma once\n#include "src/base/clock.h"\n',
        "src/top/top.cpp": '#include "src/left/left.h"\n#include "src/right/right.h"\n'
                           '#include "src/base/clock.h"\n#include <vector>\n',
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_the_real_tree_keeps_its_layers(root):
    result = subprocess.run([sys.executable, str(root / "tools" / "check_layers.py"), str(root)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every include looks down" in result.stderr


def test_a_tree_that_looks_down_passes(tree):
    result = check(tree)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_upward_include_fails_naming_the_line_and_both_layers(tree):
    (tree / "src/base/clock.h").write_text('#pragma once\n\n#include "src/top/top.cpp"\n')
    result = check(tree)
    assert result.returncode == 1
    assert result.stdout.startswith("src/base/clock.h:3: [base] includes src/top/top.cpp [top], "
                                    "an upward include: top stands on base")
    assert "1 include(s) break the layers" in result.stderr


def test_a_sideways_include_between_plug_ins_fails(tree):
    (tree / "src/left/left.h").write_text('#pragma once\n#include "src/right/right.h"\n')
    result = check(tree)
    assert result.returncode == 1
    assert ("src/left/left.h:2: [left] includes src/right/right.h [right], a sideways include: "
            "left does not stand on right (left may include: base)") in result.stdout


def test_a_file_in_no_layer_and_an_unknown_include_fail(tree):
    (tree / "bench" / "stray.cpp").write_text("int x;\n")
    (tree / "src/top/top.cpp").write_text('#include "src/gone.h"\n')
    result = check(tree)
    assert result.returncode == 1
    assert "bench/stray.cpp: in no layer of cmake/layers.txt" in result.stdout
    assert 'src/top/top.cpp:1: [top] includes "src/gone.h", which is no file' in result.stdout


def test_a_floor_declared_after_its_user_is_an_error_of_the_list(tree):
    (tree / "cmake" / "layers.txt").write_text("top src/top base\nbase src/base\n")
    result = check(tree)
    assert result.returncode == 2
    assert "'top' stands on 'base', which is not declared above it" in result.stderr


def test_the_build_reads_the_same_list(root):
    # One list: CMake's layer libraries come from cmake/layers.txt, not from a copy of it,
    # and no glob gathers the folders into one library again.
    assert "cmake/layers.txt" in (root / "cmake" / "layers.cmake").read_text()
    top = (root / "CMakeLists.txt").read_text()
    assert "include(cmake/layers.cmake)" in top
    assert "bench/*" not in top and "workloads/*" not in top
