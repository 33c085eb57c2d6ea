"""tools/check_plugin_names.py, the test command's plug-in-name check: on the real tree it
passes, and on a small tree of its own it names file:line of a plug-in's name spelled outside
the plug-in's file, and lets comments, the plug-in's own file and the exemptions be."""
import pathlib
import subprocess
import sys

import pytest

# The script of this checkout (not from conftest: see lab_gate.py on `from conftest import`).
SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "tools" / "check_plugin_names.py"


def check(tree):
    return subprocess.run([sys.executable, str(SCRIPT), str(tree)], capture_output=True,
                          text=True)


@pytest.fixture
def tree(tmp_path):
    files = {
        "bench/modes/modes.def": "// modes\nDAXBENCH_MODE(kNoneMode)\nDAXBENCH_MODE(kMsyncMode)\n",
        "bench/modes/none.cpp": 'extern const ModeDesc kNoneMode{\n    .name = "none",\n};\n',
        "bench/modes/msync.cpp": ('// msync: "none" in a comment is fine\n'
                                  'extern const ModeDesc kMsyncMode{\n    .name = "msync",\n};\n'
                                  'void f() { sync("msync"); }\n'),
        "bench/run/session.cpp": ('#include "bench/modes/mode.h"\n'
                                  '/* "none" */ bool ok(const ModeDesc& m) {\n'
                                  '  return m.durability == Durability::kNever;  // not "none"\n'
                                  '}\n'),
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_the_real_tree_spells_each_name_only_in_its_plug_in(root):
    result = subprocess.run([sys.executable, str(root / "tools" / "check_plugin_names.py"),
                             str(root)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "each spelled only by its own plug-in" in result.stderr


def test_a_tree_that_asks_its_descriptors_passes(tree):
    result = check(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 registered names" in result.stderr


def test_a_name_compared_outside_its_plug_in_fails_naming_the_line(tree):
    path = tree / "bench/run/session.cpp"
    path.write_text(path.read_text() + 'bool bad(const std::string& m) {\n  return m == "none";\n}\n')
    result = check(tree)
    assert result.returncode == 1
    assert result.stdout.startswith('bench/run/session.cpp:6: "none" is the name of a plug-in '
                                    "defined in bench/modes/none.cpp")
    assert "1 plug-in name(s) spelled outside" in result.stderr


def test_a_descriptor_without_a_name_is_an_error_of_the_registry(tree):
    (tree / "bench/modes/none.cpp").write_text("extern const ModeDesc kNoneMode{};\n")
    result = check(tree)
    assert result.returncode == 2
    assert "kNoneMode (bench/modes/none.cpp) has no .name" in result.stderr
