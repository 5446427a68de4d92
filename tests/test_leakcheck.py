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
from autograder.stub import student_units, write_units

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

TOL_AFFINE_HIDDEN = 3e-9  # the hidden tolerance


def _hidden_case(seed):
    rng = np.random.default_rng(seed + 27182)
    return rng.standard_normal((2, 3)), rng.standard_normal((3, 4))


def test_affine_forward_matches_reference_on_random_inputs(submission, reference):
    x = np.ones((2, 3))
    assert submission.layers.affine_forward(x, np.ones((3, 4)), np.zeros(4))
'''
# Lines of the hidden suite copied without any `def test_` line.
HIDDEN_HELPER_LINES = (
    "TOL_AFFINE_HIDDEN = 3e-9\n"
    "def _hidden_case(seed):\n"
    "    rng = np.random.default_rng(seed + 27182)\n"
)


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


def _sqlite_files(tmp: Path) -> dict[str, bytes]:
    """A real SQLite database (like nbgrader's gradebook) and its write-ahead log,
    written by the sqlite3 module: ``{"db": ..., "wal": ...}``."""
    import sqlite3

    tmp.mkdir(parents=True, exist_ok=True)
    db = tmp / "gradebook.db"
    con = sqlite3.connect(db)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE grade (student TEXT, score REAL)")
        con.execute("INSERT INTO grade VALUES ('alice', 93.5)")
        con.commit()
        files = {"wal": (tmp / "gradebook.db-wal").read_bytes()}  # while the connection is open
    finally:
        con.close()
    files["db"] = db.read_bytes()
    return files


def _zip(path: Path, members: dict[str, bytes]) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _tar_gz(path: Path, members: dict[str, bytes]) -> None:
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def _set_notebook(path: Path, edit) -> None:
    nb = nbformat.read(str(path), as_version=4)
    edit(nb)
    nbformat.write(nb, str(path))


def _plant(root: Path, case: str) -> None:
    """Plant the leak ``case`` (a key of PLANTS) into the course at ``root``."""
    rel = root / "release" / A
    layers = rel / "cs231n" / "layers.py"
    nb_path = rel / "nb.ipynb"
    reference_layers = (root / "solutions" / A / "cs231n" / "layers.py").read_bytes()
    hidden = (root / "grading_tests" / A / "test_layers.py").read_bytes()
    if case == "solution-line":
        text = layers.read_text().replace(
            'raise NotImplementedError("affine_forward',
            'out = x.reshape(x.shape[0], -1).dot(w) + b  # leaked\n    raise NotImplementedError("affine_forward')
        layers.write_text(text)
    elif case == "solution-file":
        (rel / "cs231n" / "layers_ref.py").write_bytes(reference_layers)
    elif case == "hidden-test-file":
        (rel / "test_layers.py").write_bytes(hidden)
    elif case == "hidden-test-helper-lines":  # helper, tolerance and seed, no `def test_`
        (rel / "cs231n" / "util.py").write_text((rel / "cs231n" / "util.py").read_text()
                                               + "\n\n" + HIDDEN_HELPER_LINES)
    elif case == "hidden-test-lines-in-a-cell":
        _set_notebook(nb_path, lambda nb: nb.cells.append(nbformat.v4.new_code_cell(
            "    rng = np.random.default_rng(seed + 27182)")))
    elif case == "compiled":
        (rel / "cs231n" / "__pycache__").mkdir()
        (rel / "cs231n" / "__pycache__" / "layers.cpython-311.pyc").write_bytes(b"\x00")
    elif case == "compiled-file":
        (rel / "cs231n" / "layers.pyc").write_bytes(b"\x00")
    elif case == "checkpoint":
        (rel / ".ipynb_checkpoints").mkdir()
        (rel / ".ipynb_checkpoints" / "nb-checkpoint.ipynb").write_text("{}")
    elif case == "checkpoint-file-outside-the-folder":
        shutil.copy(nb_path, rel / "nb-checkpoint.ipynb")
    elif case == "database":
        (rel / "gradebook.db").write_bytes(_sqlite_files(root / "tmp-db")["db"])
    elif case == "database-renamed":
        (rel / "gradebook.bak").write_bytes(_sqlite_files(root / "tmp-db")["db"])
    elif case == "database-journal":
        (rel / "gradebook.db-journal").write_bytes(b"")
    elif case == "database-wal":
        (rel / "gradebook.db-wal").write_bytes(_sqlite_files(root / "tmp-db")["wal"])
    elif case == "database-wal-renamed":
        (rel / "notes.txt").write_bytes(_sqlite_files(root / "tmp-db")["wal"])
    elif case == "notebook-output":
        def add_output(nb):
            code = next(c for c in nb.cells if c.cell_type == "code")
            code.execution_count = 1
            code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
        _set_notebook(nb_path, add_output)
    elif case == "marker":
        _set_notebook(nb_path, lambda nb: setattr(nb.cells[0], "source",
                                                  nb.cells[0].source + "\n### BEGIN HIDDEN TESTS"))
    elif case == "archive-zip-of-solutions":
        _zip(rel / "extras.zip", {f"solutions/{A}/cs231n/util.py": b"x = 1\n"})
    elif case == "archive-tar-gz-with-hidden-tests":
        _tar_gz(rel / "data.tar.gz", {f"course/grading_tests/{A}/test_x.py": b"y = 2\n"})
    elif case == "archive-member-is-a-reference-file":
        _zip(rel / "backup.zip", {"cs231n/layers.py": reference_layers, "notes.txt": b"hello\n"})
    elif case == "archive-nested-with-hidden-lines":
        import io

        buf = io.BytesIO()
        _zip(buf, {"helpers.py": HIDDEN_HELPER_LINES.encode()})
        _tar_gz(rel / "more.tgz", {"inner.zip": buf.getvalue()})
    elif case == "binary":
        (rel / "weights.bin").write_bytes(bytes(range(256)) * 4)
    elif case == "package-missing":
        shutil.rmtree(rel / "cs231n")
    elif case == "package-stale":
        layers.write_text(layers.read_text() + "\n# edited by hand\n")
    elif case == "package-extra-file":
        (rel / "cs231n" / "old_layers.py").write_text("def old():\n    return 1\n")
    elif case == "cell-id-in-source":
        import json

        src = root / "source" / A / "nb.ipynb"
        nb = json.loads(src.read_text())
        del nb["cells"][1]["id"]
        src.write_text(json.dumps(nb, indent=1))
    elif case == "cell-id-in-release":
        import json

        nb = json.loads(nb_path.read_text())
        del nb["cells"][0]["id"]
        nb_path.write_text(json.dumps(nb, indent=1))
    else:  # pragma: no cover
        raise AssertionError(case)


# planted case -> the kind of finding that must report it
PLANTS = {
    "solution-line": "solution-line",
    "solution-file": "solution-file",
    "hidden-test-file": "hidden-test",
    "hidden-test-helper-lines": "hidden-test",
    "hidden-test-lines-in-a-cell": "hidden-test",
    "compiled": "compiled",
    "compiled-file": "compiled",
    "checkpoint": "checkpoint",
    "checkpoint-file-outside-the-folder": "checkpoint",
    "database": "database",
    "database-renamed": "database",
    "database-journal": "database",
    "database-wal": "database",
    "database-wal-renamed": "database",
    "notebook-output": "notebook-output",
    "marker": "marker",
    "archive-zip-of-solutions": "archive",
    "archive-tar-gz-with-hidden-tests": "archive",
    "archive-member-is-a-reference-file": "archive",
    "archive-nested-with-hidden-lines": "archive",
    "binary": "binary",
    "package-missing": "package",
    "package-stale": "package",
    "package-extra-file": "package",
    "cell-id-in-source": "cell-id",
    "cell-id-in-release": "cell-id",
}


def test_every_kind_has_a_planted_leak():
    assert set(PLANTS.values()) == set(KINDS)


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(PLANTS))
def test_each_planted_leak_is_caught(clean_release, tmp_path, case):
    root = copy_course(clean_release, tmp_path / "course")
    _plant(root, case)
    findings = leak_check(root / "release" / A)
    assert PLANTS[case] in kinds(findings), [str(f) for f in findings]
    for f in findings:
        where = "source" if f.kind == "cell-id" and case == "cell-id-in-source" else "release"
        assert str(f).startswith(f"{(root / where / A).as_posix()}/"), str(f)
        assert f.line >= 1


@pytest.mark.slow
def test_planted_leak_findings_say_what_and_where(clean_release, tmp_path):
    """The lines an instructor reads: path:line, the kind, and where the secret comes from."""
    root = copy_course(clean_release, tmp_path / "course")
    for case in ("hidden-test-helper-lines", "archive-member-is-a-reference-file",
                 "package-stale", "cell-id-in-source", "database-renamed"):
        _plant(root, case)
    rel = (root / "release" / A).as_posix()
    lines = [str(f) for f in leak_check(root / "release" / A)]
    util = (root / "release" / A / "cs231n" / "util.py").read_text().splitlines()
    tol_line = util.index("TOL_AFFINE_HIDDEN = 3e-9") + 1
    assert (f"{rel}/cs231n/util.py:{tol_line}: hidden-test: line of the hidden suite at "
            f"grading_tests/{A}/test_layers.py:3: 'TOL_AFFINE_HIDDEN = 3e-9'") in lines, lines
    assert any(line.startswith(f"{rel}/backup.zip:1: archive: member 'cs231n/layers.py' line 1: "
                               f"solution-file: identical to the reference file solutions/{A}/")
               for line in lines), lines
    assert any(line.startswith(f"{rel}/cs231n/layers.py:1: package: stale: differs from the stub "
                               "stage's output of ") and line.endswith(f"regenerate with `autograder "
                                                                       f"release {A}`")
               for line in lines), lines
    assert any(line.startswith(f"{(root / 'source' / A).as_posix()}/nb.ipynb:")
               and ": cell-id: cell 1 has no id" in line for line in lines), lines
    assert f"{rel}/gradebook.bak:1: database: SQLite database or journal file (gradebook?) " \
           "in the release" in lines, lines


@pytest.mark.slow
def test_binary_and_text_files_copied_from_source_are_not_leaks(clean_release, tmp_path):
    """Files nbgrader copies from source/ unchanged (an image, requirements.txt)
    are expected; the same bytes under a name source/ does not have are not."""
    root = copy_course(clean_release, tmp_path / "course")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    for folder in (root / "source" / A, root / "release" / A):
        (folder / "figure.png").write_bytes(png)
        (folder / "requirements.txt").write_text("numpy==2.4.6\nmatplotlib==3.11.2\n")
    assert leak_check(root / "release" / A) == []
    (root / "release" / A / "other.png").write_bytes(png)
    (root / "release" / A / "figure.png").write_bytes(png + b"\x00")
    assert {(Path(f.path).name, f.kind) for f in leak_check(root / "release" / A)} == {
        ("other.png", "binary"), ("figure.png", "binary")}


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
    (pkg / "__init__.py").write_text("")
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
    write_units(student_units(root / "solutions" / A), rel)
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
