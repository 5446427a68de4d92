"""The stub stage: solution regions become NotImplementedError stubs, everything
else stays byte-identical, bad markers are errors naming file and line."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder.paths import solutions_dir
from autograder.stub import StubError, find_regions, stub_package, stub_source, stub_tree

SRC = textwrap.dedent('''\
    """Module docstring."""
    import numpy as np


    def affine_forward(x, w, b):
        """
        Computes the forward pass.

        Returns a tuple (out, cache).
        """
        out = None
        # TODO: Implement the affine forward pass.
        ### BEGIN SOLUTION
        out = x.reshape(x.shape[0], -1).dot(w) + b
        ### END SOLUTION
        cache = (x, w, b)
        return out, cache


    class FullyConnectedNet(object):
        """A net."""

        def __init__(self, hidden_dims,
                     reg=0.0):
            self.params = {}
            ### BEGIN SOLUTION
            # TODO: initialise the weights
            #   one W and b per layer
            dims = [3] + list(hidden_dims)
            self.params["W1"] = np.zeros(dims[:2])
            ### END SOLUTION

        async def fetch(self):
            def inner(y):
                ### BEGIN SOLUTION
                return y + 1
                ### END SOLUTION
            return inner
    ''')


def test_regions_become_stubs_and_the_rest_is_byte_identical():
    out = stub_source(SRC, "cs231n/layers.py")
    expected = SRC
    expected = expected.replace(
        '    ### BEGIN SOLUTION\n    out = x.reshape(x.shape[0], -1).dot(w) + b\n    ### END SOLUTION\n',
        '    raise NotImplementedError("affine_forward is not implemented yet (cs231n/layers.py)")\n')
    expected = expected.replace(
        '        ### BEGIN SOLUTION\n        # TODO: initialise the weights\n        #   one W and b per layer\n'
        '        dims = [3] + list(hidden_dims)\n        self.params["W1"] = np.zeros(dims[:2])\n'
        '        ### END SOLUTION\n',
        '        # TODO: initialise the weights\n        #   one W and b per layer\n'
        '        raise NotImplementedError("FullyConnectedNet.__init__ is not implemented yet '
        '(cs231n/layers.py)")\n')
    expected = expected.replace(
        '            ### BEGIN SOLUTION\n            return y + 1\n            ### END SOLUTION\n',
        '            raise NotImplementedError("FullyConnectedNet.fetch.inner is not implemented yet '
        '(cs231n/layers.py)")\n')
    assert out == expected
    compile(out, "layers.py", "exec")


def test_find_regions_names_the_innermost_function():
    regions = find_regions(SRC, "layers.py")
    assert [r.function for r in regions] == [
        "affine_forward", "FullyConnectedNet.__init__", "FullyConnectedNet.fetch.inner"]
    assert [r.indent for r in regions] == [" " * 4, " " * 8, " " * 12]
    assert len(regions[1].todo_lines) == 2


def test_stubbed_function_raises_the_message():
    ns: dict = {}
    exec(compile(stub_source(SRC, "cs231n/layers.py"), "layers.py", "exec"), ns)
    with pytest.raises(NotImplementedError, match=r"^affine_forward is not implemented yet \(cs231n/layers.py\)$"):
        ns["affine_forward"](1, 2, 3)


def test_file_without_regions_is_unchanged():
    text = "def f(x):\n    return x  # given\n\n\nY = '''BEGIN'''\n"
    assert stub_source(text, "cs231n/f.py") == text


def test_crlf_line_endings_are_kept():
    text = "def f(x):\r\n    ### BEGIN SOLUTION\r\n    return x\r\n    ### END SOLUTION\r\n"
    assert stub_source(text, "cs231n/f.py") == (
        'def f(x):\r\n    raise NotImplementedError("f is not implemented yet (cs231n/f.py)")\r\n')


def test_region_after_the_last_statement_and_without_code():
    text = "def f(x):\n    y = x\n    ### BEGIN SOLUTION\n    ### END SOLUTION\n\n\nZ = 1\n"
    out = stub_source(text, "cs231n/f.py")
    assert out == ('def f(x):\n    y = x\n    raise NotImplementedError("f is not implemented yet '
                   '(cs231n/f.py)")\n\n\nZ = 1\n')


BAD = {
    "marker in a docstring": (
        'def f():\n    """Put code between ### BEGIN SOLUTION and the end."""\n    return 1\n', 2, "inside a string"),
    "marker in a string literal": (
        'def f():\n    s = "x"\n    t = """a\n### END SOLUTION\n"""\n', 4, "inside a string"),
    "nested": (
        "def f():\n    ### BEGIN SOLUTION\n    x = 1\n    ### BEGIN SOLUTION\n    ### END SOLUTION\n", 4, "nested"),
    "END without BEGIN": ("def f():\n    x = 1\n    ### END SOLUTION\n", 3, "without a matching"),
    "BEGIN without END": ("def f():\n    ### BEGIN SOLUTION\n    x = 1\n", 2, "without a matching"),
    "module level": ("import os\n### BEGIN SOLUTION\nX = 1\n### END SOLUTION\n", 2, "outside a function"),
    "class level": ("class A:\n    ### BEGIN SOLUTION\n    x = 1\n    ### END SOLUTION\n", 2, "outside a function"),
    "trailing marker": ("def f():\n    x = 1  ### BEGIN SOLUTION\n    ### END SOLUTION\n", 2, "own"),
    "misspelt marker": ("def f():\n    ## BEGIN SOLUTION\n    x = 1\n    ## END SOLUTION\n", 2, "unrecognised"),
    "indent mismatch": (
        "def f():\n    ### BEGIN SOLUTION\n    x = 1\n        ### END SOLUTION\n", 4, "indented differently"),
    "spans two functions": (
        "def f():\n    ### BEGIN SOLUTION\n    x = 1\ndef g():\n    ### END SOLUTION\n    return 2\n", 2,
        "extends past"),
    "stub would not compile": (
        "def f(x):\n    if x:\n    ### BEGIN SOLUTION\n        return 1\n    ### END SOLUTION\n    return 0\n", 3,
        "does not compile"),
    "syntax error": ("def f(:\n    ### BEGIN SOLUTION\n    ### END SOLUTION\n", 1, ""),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_regions_are_errors_naming_file_and_line(case):
    text, line, words = BAD[case]
    with pytest.raises(StubError) as info:
        stub_source(text, "cs231n/bad.py", path="solutions/a/cs231n/bad.py")
    err = info.value
    assert str(err).startswith(f"solutions/a/cs231n/bad.py:{line}: "), str(err)
    assert words in err.message


def _write_package(root: Path) -> Path:
    pkg = root / "cs231n"
    (pkg / "classifiers").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from . import layers\n")
    (pkg / "layers.py").write_text(SRC)
    (pkg / "classifiers" / "__init__.py").write_text("")
    (pkg / "classifiers" / "net.py").write_text(
        "from ..layers import affine_forward\n\n\ndef net(x):\n    ### BEGIN SOLUTION\n"
        "    return affine_forward(x, x, x)\n    ### END SOLUTION\n")
    (pkg / "data.txt").write_bytes(b"\x00\x01raw")
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "layers.cpython-311.pyc").write_bytes(b"junk")
    (pkg / "stale.pyc").write_bytes(b"junk")
    return pkg


def test_stub_tree_skips_caches_copies_other_files_and_is_deterministic(tmp_path):
    pkg = _write_package(tmp_path / "solutions")
    files = stub_tree(pkg)
    assert sorted(files) == ["__init__.py", "classifiers/__init__.py", "classifiers/net.py",
                             "data.txt", "layers.py"]
    assert files["data.txt"] == b"\x00\x01raw"
    assert files["__init__.py"] == b"from . import layers\n"
    assert b"(cs231n/classifiers/net.py)" in files["classifiers/net.py"]
    assert stub_tree(pkg) == files
    # writing twice gives the same bytes and removes stale files
    dest = tmp_path / "release" / "cs231n"
    stub_package(pkg, dest)
    (dest / "stale.py").write_text("x = 1\n")
    stub_package(pkg, dest)
    on_disk = {p.relative_to(dest).as_posix(): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    assert on_disk == files


def test_stub_error_writes_nothing(tmp_path):
    pkg = _write_package(tmp_path / "solutions")
    (pkg / "zzz.py").write_text("### BEGIN SOLUTION\nX = 1\n### END SOLUTION\n")
    dest = tmp_path / "release" / "cs231n"
    with pytest.raises(StubError, match=r"zzz.py:1: solution region outside a function"):
        stub_package(pkg, dest)
    assert not dest.exists()


IMPORT_ALL = textwrap.dedent('''\
    import importlib, pkgutil, sys
    import {pkg}
    names = sorted(m.name for m in pkgutil.walk_packages({pkg}.__path__, "{pkg}."))
    for name in names:
        importlib.import_module(name)
    print(len(names) + 1)
''')


def _import_all(parent: Path, pkg: str = "cs231n") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-c", IMPORT_ALL.format(pkg=pkg)], cwd=parent,
                          env=env, capture_output=True, text=True, timeout=300)


def test_stubbed_package_imports_cleanly_in_a_subprocess(tmp_path):
    pkg = _write_package(tmp_path / "solutions")
    stub_package(pkg, tmp_path / "release" / "cs231n")
    proc = _import_all(tmp_path / "release")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "4"
    call = subprocess.run(
        [sys.executable, "-c", "from cs231n.classifiers.net import net\nnet(1)"],
        cwd=tmp_path / "release", capture_output=True, text=True, timeout=120)
    assert 'NotImplementedError: net is not implemented yet (cs231n/classifiers/net.py)' in call.stderr


REAL = solutions_dir("assignment2") / "cs231n"


@pytest.mark.skipif(not (REAL / "__init__.py").is_file(),
                    reason="solutions/assignment2/cs231n is not written yet")
def test_real_assignment2_package_stubs_and_imports(tmp_path):
    files = stub_tree(REAL)  # raises StubError path:line on a bad region
    assert stub_tree(REAL) == files
    n_regions = 0
    for rel, data in files.items():
        src = (REAL / rel).read_bytes()
        if rel.endswith(".py") and b"### BEGIN SOLUTION" in src:
            n_regions += src.count(b"### BEGIN SOLUTION")
            assert b"### BEGIN SOLUTION" not in data and b"NotImplementedError(" in data, rel
        else:
            assert data == src, f"{rel} has no regions and must be copied unchanged"
    assert n_regions > 0
    stub_package(REAL, tmp_path / "cs231n")
    proc = _import_all(tmp_path)
    assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------------------- a whole solutions/<a>/

HELPERS = ('"""A top-level module of the assignment (not in a package)."""\n\n\n'
           "def normalise(x):\n    # TODO: scale x to unit length.\n    ### BEGIN SOLUTION\n"
           "    return x / abs(x)\n    ### END SOLUTION\n")


def test_student_units_stub_packages_and_top_level_modules(tmp_path):
    """Every .py under solutions/<a>/ is released as its stub: packages whole,
    top-level modules too; other top-level files stay with the instructor."""
    from autograder.stub import flat_tree, student_units, unit_differences, write_units

    base = tmp_path / "solutions" / "a"
    _write_package(base)
    (base / "helpers.py").write_text(HELPERS)
    (base / "NOTES.md").write_text("instructor notes: the answer is 42\n")
    (base / "__pycache__").mkdir()
    (base / "__pycache__" / "helpers.cpython-311.pyc").write_bytes(b"junk")
    units = student_units(base)
    assert [(u.name, u.is_package) for u in units] == [("cs231n", True), ("helpers.py", False)]
    files = flat_tree(units)
    assert sorted(files) == ["cs231n/__init__.py", "cs231n/classifiers/__init__.py",
                             "cs231n/classifiers/net.py", "cs231n/data.txt", "cs231n/layers.py",
                             "helpers.py"]
    assert files["helpers.py"].decode() == HELPERS.replace(
        "    ### BEGIN SOLUTION\n    return x / abs(x)\n    ### END SOLUTION\n",
        '    raise NotImplementedError("normalise is not implemented yet (helpers.py)")\n')

    dest = tmp_path / "release" / "a"
    assert unit_differences(units, dest) == [("cs231n", "missing"), ("helpers.py", "missing")]
    write_units(units, dest)
    assert unit_differences(units, dest) == []
    assert not (dest / "NOTES.md").exists()
    (dest / "helpers.py").write_text("stale\n")
    (dest / "cs231n" / "layers.py").write_text("stale\n")
    (dest / "cs231n" / "old.py").write_text("x = 1\n")
    (dest / "cs231n" / "data.txt").unlink()
    assert unit_differences(units, dest) == [
        ("cs231n/data.txt", "missing"), ("cs231n/layers.py", "differs"), ("cs231n/old.py", "extra"),
        ("helpers.py", "differs")]
    write_units(units, dest)
    proc = subprocess.run([sys.executable, "-c", "import helpers\nhelpers.normalise(2)"],
                          cwd=dest, capture_output=True, text=True, timeout=120)
    assert "NotImplementedError: normalise is not implemented yet (helpers.py)" in proc.stderr


def test_python_outside_a_package_is_an_error_not_skipped(tmp_path):
    from autograder.stub import student_units

    base = tmp_path / "solutions" / "a"
    _write_package(base)
    (base / "tools").mkdir()
    (base / "tools" / "grade_me.py").write_text("def f():\n    ### BEGIN SOLUTION\n    return 1\n"
                                                "    ### END SOLUTION\n")
    with pytest.raises(StubError, match=r"tools/grade_me.py:1: tools/ has .py files but no "
                                        r"__init__.py: it is not a package"):
        student_units(base)
    (base / "tools" / "__init__.py").write_text("")
    assert [u.name for u in student_units(base)] == ["cs231n", "tools"]
    (base / "helpers.py").write_text("def g():\n    x = 1  ### BEGIN SOLUTION\n")
    with pytest.raises(StubError, match=r"helpers.py:2: solution marker must be on a line of its own"):
        student_units(base)
