"""The leak check: a clean synthetic release passes, every planted leak is caught.

The synthetic course (``make_course``) is also used by ``test_release.py``: a
tiny reference package with regions, a real nbgrader source notebook written
with nbformat, hidden tests, and this repository's ``nbgrader_config.py``.
"""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import nbformat
import pytest

from autograder.commands import release as release_cmd
from autograder.leakcheck import KINDS, Finding, leak_check
from autograder.paths import course_root

REPO = course_root()
A = "a"

LAYERS = '''\
"""Tiny layers for the synthetic course."""
import numpy as np


def affine_forward(x, w, b):
    """
    Inputs:
    - x: (N, D); w: (D, M); b: (M,)

    Returns (out, cache) with out of shape (N, M).
    """
    out = None
    # TODO: compute the affine forward pass into out.
    ### BEGIN SOLUTION
    out = x.reshape(x.shape[0], -1).dot(w) + b
    ### END SOLUTION
    cache = (x, w, b)
    return out, cache


class TwoLayerNet:
    """A two-layer net."""

    def __init__(self, hidden_dim=10, weight_scale=1e-3):
        self.params = {}
        ### BEGIN SOLUTION
        # TODO: initialise W1 with weight_scale * randn
        rng = np.random.default_rng(0)
        self.params["W1"] = weight_scale * rng.standard_normal((4, hidden_dim))
        ### END SOLUTION

    def loss(self, X):
        if X is None:
            return None
        ### BEGIN SOLUTION
        hidden_scores = np.maximum(0, X.dot(self.params["W1"]))
        return hidden_scores.sum()
        ### END SOLUTION
'''

UTIL = '''\
"""Given helpers (no regions): copied unchanged."""


def rel_error(x, y):
    return abs(x - y) / max(1e-8, abs(x) + abs(y))
'''

HIDDEN_TEST = '''\
import numpy as np


def test_affine_forward_matches_reference_on_random_inputs(submission, reference):
    x = np.ones((2, 3))
    assert submission.layers.affine_forward(x, np.ones((3, 4)), np.zeros(4))
'''


def make_notebook(path: Path) -> None:
    """An nbgrader source notebook: a solution cell, a test cell with hidden
    tests, a written-answer cell, and an executed cell with outputs."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}

    def meta(grade_id, **kw):
        base = {"grade": False, "solution": False, "locked": False, "schema_version": 3,
                "grade_id": grade_id}
        base.update(kw)
        return {"nbgrader": base}

    cells = [
        nbformat.v4.new_markdown_cell("# Synthetic assignment\nImplement `affine_forward`."),
        nbformat.v4.new_code_cell("import numpy as np\nfrom cs231n.layers import affine_forward",
                                  metadata=meta("imports", locked=True)),
        nbformat.v4.new_code_cell(
            "def scale(x):\n    ### BEGIN SOLUTION\n    doubled_value = 2 * x\n"
            "    return doubled_value\n    ### END SOLUTION",
            metadata=meta("scale", solution=True)),
        nbformat.v4.new_code_cell(
            "assert scale(1) == 2\n### BEGIN HIDDEN TESTS\nassert scale(secret_probe_value) == 14\n"
            "### END HIDDEN TESTS",
            metadata=meta("test_scale", grade=True, locked=True, points=1)),
        nbformat.v4.new_markdown_cell("The affine layer is linear because matrix products distribute.",
                                      metadata=meta("inline_answer", solution=True, grade=True, points=1)),
    ]
    executed = nbformat.v4.new_code_cell("print(scale(3))", metadata=meta("demo_run", locked=True))
    executed.execution_count = 4
    executed.outputs = [nbformat.v4.new_output("stream", name="stdout", text="6\n")]
    cells.append(executed)
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"  # fixed ids: the release is byte-reproducible
    nb.cells = cells
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def make_course(root: Path, with_notebook: bool = True) -> Path:
    """A synthetic course at ``root`` (assignment ``a``); returns ``root``."""
    pkg = root / "solutions" / A / "cs231n"
    (pkg / "classifiers").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "layers.py").write_text(LAYERS)
    (pkg / "util.py").write_text(UTIL)
    (pkg / "classifiers" / "__init__.py").write_text("")
    (pkg / "classifiers" / "net.py").write_text(
        LAYERS.split("class TwoLayerNet")[0].replace("Tiny layers", "A net module")
        + "class TwoLayerNet" + LAYERS.split("class TwoLayerNet")[1])
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "layers.cpython-311.pyc").write_bytes(b"\x00compiled")
    tests = root / "grading_tests" / A
    tests.mkdir(parents=True)
    (tests / "test_layers.py").write_text(HIDDEN_TEST)
    (root / "source" / A).mkdir(parents=True)
    if with_notebook:
        make_notebook(root / "source" / A / "nb.ipynb")
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    return root


@pytest.fixture(scope="module")
def clean_release(tmp_path_factory) -> Path:
    """A synthetic course whose release was generated by ``autograder release``."""
    from autograder.release import release

    root = make_course(tmp_path_factory.mktemp("course"))
    result = release(A, root)
    assert result.findings == [], [str(f) for f in result.findings]
    return root


def copy_course(root: Path, dest: Path) -> Path:
    shutil.copytree(root, dest)
    return dest


def kinds(findings: list[Finding]) -> set[str]:
    return {f.kind for f in findings}


@pytest.mark.slow
def test_clean_release_passes(clean_release):
    rel = clean_release / "release" / A
    assert (rel / "nb.ipynb").is_file() and (rel / "cs231n" / "layers.py").is_file()
    assert leak_check(rel) == []


def _plant(root: Path, kind: str) -> None:
    """Plant one leak of ``kind`` into the release of ``root``."""
    rel = root / "release" / A
    layers = rel / "cs231n" / "layers.py"
    nb_path = rel / "nb.ipynb"
    if kind == "solution-line":
        text = layers.read_text().replace(
            'raise NotImplementedError("affine_forward',
            'out = x.reshape(x.shape[0], -1).dot(w) + b  # leaked\n    raise NotImplementedError("affine_forward')
        layers.write_text(text)
    elif kind == "solution-file":
        shutil.copy(root / "solutions" / A / "cs231n" / "layers.py", rel / "cs231n" / "layers_ref.py")
    elif kind == "hidden-test":
        shutil.copy(root / "grading_tests" / A / "test_layers.py", rel / "test_layers.py")
    elif kind == "compiled":
        (rel / "cs231n" / "__pycache__").mkdir()
        (rel / "cs231n" / "__pycache__" / "layers.cpython-311.pyc").write_bytes(b"\x00")
    elif kind == "checkpoint":
        (rel / ".ipynb_checkpoints").mkdir()
        (rel / ".ipynb_checkpoints" / "nb-checkpoint.ipynb").write_text("{}")
    elif kind == "database":
        (rel / "gradebook.db").write_bytes(b"SQLite format 3\x00")
    elif kind == "notebook-output":
        nb = nbformat.read(str(nb_path), as_version=4)
        code = next(c for c in nb.cells if c.cell_type == "code")
        code.execution_count = 1
        code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
        nbformat.write(nb, str(nb_path))
    elif kind == "marker":
        nb = nbformat.read(str(nb_path), as_version=4)
        nb.cells[0].source += "\n### BEGIN HIDDEN TESTS"
        nbformat.write(nb, str(nb_path))
    else:  # pragma: no cover
        raise AssertionError(kind)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_each_planted_leak_is_caught(clean_release, tmp_path, kind):
    root = copy_course(clean_release, tmp_path / "course")
    _plant(root, kind)
    findings = leak_check(root / "release" / A)
    assert kind in kinds(findings), [str(f) for f in findings]
    for f in findings:
        assert str(f).startswith(f"{(root / 'release' / A).as_posix()}/")
        assert f.line >= 1


@pytest.mark.slow
def test_leaks_in_notebook_cells_and_def_lines(clean_release, tmp_path):
    """Solution lines of notebook regions and hidden `def test_` lines in a cell."""
    root = copy_course(clean_release, tmp_path / "course")
    nb_path = root / "release" / A / "nb.ipynb"
    nb = nbformat.read(str(nb_path), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "doubled_value = 2 * x\n"
        "def test_affine_forward_matches_reference_on_random_inputs(submission, reference):\n"
        "    pass"))
    nbformat.write(nb, str(nb_path))
    findings = leak_check(root / "release" / A)
    assert {"solution-line", "hidden-test"} <= kinds(findings), [str(f) for f in findings]
    lines = nb_path.read_text().splitlines()
    for f in findings:  # the line number points at the offending JSON line
        assert "doubled_value" in lines[f.line - 1] or "def test_" in lines[f.line - 1]


@pytest.mark.slow
def test_leak_check_cli_exit_codes(clean_release, tmp_path, capsys, monkeypatch):
    import argparse

    parser = argparse.ArgumentParser(prog="autograder")
    release_cmd.register(parser.add_subparsers(dest="command"))
    monkeypatch.chdir(clean_release)
    args = parser.parse_args(["leak-check", f"release/{A}"])
    assert args.func(args) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("leak check OK")

    root = copy_course(clean_release, tmp_path / "course")
    _plant(root, "solution-line")
    monkeypatch.chdir(root)
    args = parser.parse_args(["leak-check", f"release/{A}"])
    assert args.func(args) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [line for line in out if line.startswith(f"release/{A}/cs231n/layers.py:")]
    assert any(": solution-line: " in line for line in out)


def test_trivial_and_given_lines_are_not_secret(tmp_path):
    """`out = None`, `return out, cache`, `pass` and lines also given outside a
    region never count as leaks."""
    root = tmp_path
    pkg = root / "solutions" / A / "cs231n"
    pkg.mkdir(parents=True)
    (pkg / "m.py").write_text(textwrap.dedent('''\
        def f(x):
            N, D = x.shape
            ### BEGIN SOLUTION
            out = None
            N, D = x.shape
            pass
            secret_total = x.sum(axis=0)
            ### END SOLUTION
            return out, cache
        '''))
    rel = root / "release" / A
    rel.mkdir(parents=True)
    (rel / "m.py").write_text("out = None\nN, D = x.shape\npass\nreturn out, cache\n")
    assert leak_check(rel) == []
    (rel / "m.py").write_text("y = 1\n    secret_total   =  x.sum(axis=0)\n")
    (f,) = leak_check(rel)
    assert (f.line, f.kind) == (2, "solution-line") and "m.py:7" in f.message


def test_missing_release_or_solutions_dir_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="release directory not found"):
        leak_check(tmp_path / "release" / "nope")
    (tmp_path / "release" / "b").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="reference solutions not found"):
        leak_check(tmp_path / "release" / "b")
