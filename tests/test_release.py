"""The release stage: real nbgrader GenerateAssignment + the stub hook + the leak
check, on a synthetic course (and on the real assignment when it exists)."""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_leakcheck import A, make_course  # noqa: E402

from autograder.commands import release as release_cmd  # noqa: E402
from autograder.paths import course_root  # noqa: E402
from autograder.release import release  # noqa: E402

pytestmark = pytest.mark.slow
REPO = course_root()
VENV_BIN = os.path.dirname(sys.executable)


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autograder")
    release_cmd.register(p.add_subparsers(dest="command"))
    return p


def test_release_writes_notebooks_and_stubbed_package_via_the_hook(tmp_path):
    root = make_course(tmp_path / "course")
    result = release(A, root)
    assert result.findings == []
    assert result.hook_wrote_packages, result.messages
    rel = root / "release" / A
    assert sorted(snapshot(rel)) == ["cs231n/__init__.py", "cs231n/classifiers/__init__.py",
                                     "cs231n/classifiers/net.py", "cs231n/layers.py",
                                     "cs231n/util.py", "nb.ipynb"]
    layers = (rel / "cs231n" / "layers.py").read_text()
    assert 'raise NotImplementedError("TwoLayerNet.loss is not implemented yet (cs231n/layers.py)")' in layers
    assert (rel / "cs231n" / "util.py").read_bytes() == (root / "solutions" / A / "cs231n" / "util.py").read_bytes()
    # the gradebook is nbgrader's own, at the course root
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "cs231n") as gb:
        assignment = gb.find_assignment(A)
        assert [n.name for n in assignment.notebooks] == ["nb"]
    # outputs cleared, solutions replaced
    import nbformat

    nb = nbformat.read(str(rel / "nb.ipynb"), as_version=4)
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    assert "doubled_value" not in (rel / "nb.ipynb").read_text()

    # byte-identical when run again
    first = snapshot(rel)
    again = release(A, root)
    assert again.findings == [] and snapshot(rel) == first


def test_plain_nbgrader_generate_assignment_runs_the_hook(tmp_path):
    """`nbgrader generate_assignment a` alone (the CLI, in the course root) writes
    the same bytes as `autograder release a`."""
    root = make_course(tmp_path / "course")
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run([os.path.join(VENV_BIN, "nbgrader"), "generate_assignment", A, "--force"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Running post-convert hook" in proc.stdout + proc.stderr
    assert "Post-convert hook failed" not in proc.stdout + proc.stderr
    by_cli = snapshot(root / "release" / A)
    assert "cs231n/layers.py" in by_cli
    result = release(A, root)
    assert result.hook_wrote_packages and result.findings == []
    assert snapshot(root / "release" / A) == by_cli


def test_release_writes_the_package_itself_when_the_hook_is_not_configured(tmp_path):
    root = make_course(tmp_path / "course")
    config = root / "nbgrader_config.py"
    config.write_text("\n".join(line for line in config.read_text().splitlines()
                                if "post_convert_hook" not in line or line.lstrip().startswith("#")) + "\n")
    result = release(A, root)
    assert not result.hook_wrote_packages
    assert any("did not write it" in m for m in result.messages)
    assert (root / "release" / A / "cs231n" / "layers.py").is_file()
    assert result.findings == []


def test_reference_package_in_source_is_replaced_by_the_stubbed_one(tmp_path):
    root = make_course(tmp_path / "course")
    shutil.copytree(root / "solutions" / A / "cs231n", root / "source" / A / "cs231n")
    result = release(A, root)
    assert any("the stub stage replaces it" in m for m in result.messages)
    assert result.findings == []
    assert "### BEGIN SOLUTION" not in (root / "release" / A / "cs231n" / "layers.py").read_text()


def test_release_command_fails_on_a_bad_region_and_leaves_release_alone(tmp_path, capsys):
    root = make_course(tmp_path / "course")
    bad = root / "solutions" / A / "cs231n" / "bad.py"
    bad.write_text('def f():\n    """Write it between ### BEGIN SOLUTION markers."""\n')
    args = parser().parse_args(["release", A, "--root", str(root)])
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert f"{bad}:2: solution marker text 'BEGIN SOLUTION' inside a string" in err
    assert not (root / "release").exists()


def test_release_command_exit_codes_and_leak_lines(tmp_path, capsys, monkeypatch):
    root = make_course(tmp_path / "course")
    monkeypatch.chdir(root)
    args = parser().parse_args(["release", A, "--root", str(root)])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "post_convert_hook wrote cs231n/" in out
    assert out.strip().splitlines()[-1].startswith("leak check OK")
    # a hidden test that found its way into source/ is copied by nbgrader and caught
    shutil.copy(root / "grading_tests" / A / "test_layers.py", root / "source" / A / "test_layers.py")
    assert args.func(args) == 1
    out = capsys.readouterr().out
    assert f"release/{A}/test_layers.py:1: hidden-test: " in out


def test_without_notebooks_only_the_package_is_released(tmp_path):
    root = make_course(tmp_path / "course", with_notebook=False)
    result = release(A, root)
    assert result.notebooks == 0 and result.findings == []
    assert any("nbgrader skipped" in m for m in result.messages)
    assert (root / "release" / A / "cs231n" / "layers.py").is_file()


# --------------------------------------------------------------------------- the real course

REAL = "assignment2"
HAS_REAL = (REPO / "solutions" / REAL / "cs231n" / "__init__.py").is_file()


@pytest.mark.skipif(not HAS_REAL, reason="solutions/assignment2/cs231n is not written yet")
def test_real_assignment2_release_is_clean_and_matches_the_committed_one(tmp_path):
    """Regenerate release/assignment2 in a scratch copy of the course; it must be
    leak-free, and byte-identical to the committed release/assignment2 when
    that has been generated."""
    root = tmp_path / "course"
    for part in ("solutions", "source", "grading_tests"):
        src = REPO / part / REAL
        if src.is_dir():
            shutil.copytree(src, root / part / REAL,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
    (root / "source" / REAL).mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    result = release(REAL, root)
    assert result.findings == [], "\n".join(map(str, result.findings))
    committed = REPO / "release" / REAL
    if not (committed / "cs231n").is_dir():
        pytest.skip("release/assignment2 has not been generated and committed yet")
    assert snapshot(root / "release" / REAL) == snapshot(committed), \
        "release/assignment2 is out of date: run `autograder release assignment2` and commit it"


def test_source_cells_without_ids_are_refused(tmp_path):
    """nbformat would invent random ids for them: the release would not be reproducible."""
    import json

    from autograder.release import ReleaseError

    root = make_course(tmp_path / "course")
    nb_path = root / "source" / A / "nb.ipynb"
    nb = json.loads(nb_path.read_text())
    del nb["cells"][2]["id"]
    nb_path.write_text(json.dumps(nb, indent=1))
    with pytest.raises(ReleaseError, match=r"nb.ipynb: cell 2 has no id"):
        release(A, root)


def test_top_level_modules_are_stubbed_released_and_checked(tmp_path):
    """Every .py under solutions/<a>/ is released as its stub, a top-level module too;
    the leak check requires it and finds it stale."""
    from autograder.leakcheck import leak_check

    root = make_course(tmp_path / "course")
    (root / "solutions" / A / "helpers.py").write_text(
        "def twice(x):\n    # TODO: return 2 * x\n    ### BEGIN SOLUTION\n    return x + x\n"
        "    ### END SOLUTION\n")
    result = release(A, root)
    assert result.findings == [], "\n".join(map(str, result.findings))
    helpers = root / "release" / A / "helpers.py"
    assert helpers.read_text() == (
        "def twice(x):\n    # TODO: return 2 * x\n"
        '    raise NotImplementedError("twice is not implemented yet (helpers.py)")\n')
    helpers.unlink()
    assert [(Path(f.path).name, f.kind) for f in leak_check(root / "release" / A)] == [
        ("helpers.py", "package")]


# --------------------------------------------------------------------------- plain nbgrader


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    env.pop("AUTOGRADER_COURSE_ROOT", None)
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def _nbgrader_generate(root: Path, assignment: str) -> subprocess.CompletedProcess:
    return _run([os.path.join(VENV_BIN, "nbgrader"), "generate_assignment", assignment, "--force"], root)


def _leak_check_cli(root: Path, assignment: str) -> subprocess.CompletedProcess:
    return _run([os.path.join(VENV_BIN, "autograder"), "leak-check", f"release/{assignment}"], root)


def test_plain_nbgrader_with_a_failing_stub_stage_is_caught_by_the_leak_check(tmp_path):
    """nbgrader logs a failing post_convert_hook at INFO and exits 0; the hook
    prints the error, and `autograder leak-check` fails (a bad region, then a
    missing package, and a source cell without an id)."""
    import json

    root = make_course(tmp_path / "course")
    bad = root / "solutions" / A / "cs231n" / "bad.py"
    bad.write_text("def f():\n    x = 1  ### BEGIN SOLUTION\n")
    nb_path = root / "source" / A / "nb.ipynb"
    nb = json.loads(nb_path.read_text())
    del nb["cells"][2]["id"]
    nb_path.write_text(json.dumps(nb, indent=1))

    proc = _nbgrader_generate(root, A)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # nbgrader swallows the hook's error
    assert "Post-convert hook failed" in proc.stdout + proc.stderr
    assert "autograder: stub stage FAILED" in proc.stderr and "bad.py:2: solution marker" in proc.stderr
    assert "autograder: warning: " in proc.stderr and "cell 2 has no id" in proc.stderr
    assert (root / "release" / A / "nb.ipynb").is_file()
    assert not (root / "release" / A / "cs231n").exists()

    check = _leak_check_cli(root, A)
    assert check.returncode == 1, check.stdout + check.stderr
    lines = check.stdout.splitlines()
    assert any(line.startswith(f"release/{A}:1: package: cannot stub ") and "bad.py:2: " in line
               for line in lines), lines
    assert any(line.startswith(f"source/{A}/nb.ipynb:") and ": cell-id: cell 2 has no id" in line
               for line in lines), lines

    bad.unlink()  # the instructor fixes the module but does not regenerate
    check = _leak_check_cli(root, A)
    assert check.returncode == 1
    assert check.stdout.startswith(f"release/{A}/cs231n:1: package: missing: the stub stage did "
                                   "not write it"), check.stdout
    assert "leak check FAILED" in check.stderr


def _copy_real_course(dest: Path) -> Path:
    for part in ("solutions", "source", "grading_tests"):
        src = REPO / part / REAL
        if src.is_dir():
            shutil.copytree(src, dest / part / REAL,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
    (dest / "source" / REAL).mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", dest / "nbgrader_config.py")
    return dest


@pytest.mark.skipif(not HAS_REAL, reason="solutions/assignment2/cs231n is not written yet")
def test_real_course_plain_nbgrader_gives_the_committed_release(tmp_path):
    """`nbgrader generate_assignment assignment2 --force` alone (the CLI, hook and
    all) on a copy of the course writes exactly the committed release/assignment2,
    and `autograder leak-check release/assignment2` passes."""
    root = _copy_real_course(tmp_path / "course")
    proc = _nbgrader_generate(root, REAL)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Running post-convert hook" in out and "Post-convert hook failed" not in out, out
    assert snapshot(root / "release" / REAL) == snapshot(REPO / "release" / REAL), \
        "release/assignment2 is out of date: run `autograder release assignment2` and commit it"
    check = _leak_check_cli(root, REAL)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.startswith(f"leak check OK: {len(snapshot(root / 'release' / REAL))} files")


# --------------------------------------------------------------------------- released notebooks, run

RELEASED = REPO / "release" / REAL
RELEASED_NOTEBOOKS = ["FullyConnectedNets", "BatchNormalization", "Dropout", "ConvolutionalNetworks",
                      "PyTorch"]
# Cells that depend on a stub only through an earlier cell (training results,
# a trained model): with every stub in place each shows one line saying what to do first.
GUARDED = {
    "FullyConnectedNets": {"test-best-model": "best_model is not trained yet: fill in the cell above"},
    "BatchNormalization": {
        "plot-bn-vs-baseline": "the nets are not trained yet: run the training cell above first",
        "plot-weight-scale": "the weight scale experiment is not complete: run the cell above first",
    },
    "Dropout": {"plot-dropout-experiment": "the dropout nets are not trained yet: run the cell above first"},
    "ConvolutionalNetworks": {
        "cnn-overfit-plot": "the net is not trained yet: run the cell above first",
        "cnn-filters": "the convnet is not trained yet: run the training cell above first",
    },
    "PyTorch": {"test-set": "best_model is not trained yet: implement build_best_model"},
}
# ...and with the reference package, the cells after a `YOUR CODE HERE` cell.
AFTER_SOLUTION_CELL = {"FullyConnectedNets": {"test-best-model"}}
STUB_LINE = re.compile(r"^NotImplementedError: (?P<function>[\w.]+) is not implemented yet "
                       r"\((?P<file>cs231n/[\w/]+\.py)\)\. Fill in the TODO in that file, then "
                       r"re-run this cell\.$")
YOUR_CODE_HERE_LINE = ("NotImplementedError: this cell is not filled in yet. Replace the "
                       "'raise NotImplementedError()' under 'YOUR CODE HERE' with your code, then "
                       "re-run this cell.")


def _run_released(name: str, folder: Path, package: Path | None) -> "nbformat.NotebookNode":
    """Execute release/assignment2/<name>.ipynb in a copy of the release (its own
    cs231n/, or ``package`` dropped in instead) with a real kernel, allow_errors."""
    import nbformat
    from kernels import notebook_client

    shutil.copytree(RELEASED, folder, ignore=shutil.ignore_patterns("__pycache__"))
    if package is not None:
        shutil.rmtree(folder / "cs231n")
        shutil.copytree(package, folder / "cs231n", ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # cs231n/ from the folder
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               MPLBACKEND="module://matplotlib_inline.backend_inline")
    nb = nbformat.read(str(folder / f"{name}.ipynb"), as_version=4)
    notebook_client(nb, timeout=600, allow_errors=True,
                    resources={"metadata": {"path": str(folder)}}).execute(env=env)
    return nb


def _errors(nb) -> dict[str, list[str]]:
    """``{cell id: [error line]}``; asserts every error is one line without traceback frames."""
    out: dict[str, list[str]] = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.output_type != "error":
                continue
            tb = o.traceback
            assert len(tb) == 1 and "\n" not in tb[0] and "Traceback" not in tb[0] \
                and "File " not in tb[0] and "\x1b[" not in tb[0], (cell.id, o.ename, tb)
            out.setdefault(cell.id, []).append(tb[0])
    return out


def _is_graded(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


@pytest.mark.skipif(not (RELEASED / "cs231n").is_dir(), reason="release/assignment2 not generated")
@pytest.mark.parametrize("name", RELEASED_NOTEBOOKS)
def test_released_notebook_with_every_stub_shows_one_line_errors(name, tmp_path):
    """The student's first run: every error is one line (NotImplementedError naming
    the function and file, or what to run first), nothing is computed from
    leftovers, and each graded cell names the function it waits for."""
    nb = _run_released(name, tmp_path / "release", package=None)
    errors = _errors(nb)
    for cid, lines in errors.items():
        for line in lines:
            assert line.startswith("NotImplementedError: ") and line.endswith("."), (cid, line)
    for cid, words in GUARDED[name].items():
        assert cid in errors, f"{cid} raised nothing with every stub in place"
        assert len(errors[cid]) == 1 and words in errors[cid][0], (cid, errors[cid])
    graded = [c for c in nb.cells if _is_graded(c)]
    assert graded
    for cell in graded:
        lines = errors.get(cell.id, [])
        assert len(lines) == 1 and STUB_LINE.match(lines[0]), (cell.id, lines)
    printed = "\n".join(_stdout(c) for c in nb.cells)
    assert not re.search(r"accuracy\W+\d", printed, re.IGNORECASE), printed


def _code_cells(path: Path) -> list[tuple[str, str]]:
    import nbformat

    return [(c.id, c.source) for c in nbformat.read(str(path), as_version=4).cells
            if c.cell_type == "code"]


def _with_code_to_fill() -> list[str]:
    """The notebooks whose released code differs from the source: those with a
    code cell the student fills in (nbgrader's `YOUR CODE HERE` stub)."""
    return [name for name in RELEASED_NOTEBOOKS if (RELEASED / f"{name}.ipynb").is_file()
            and any("# YOUR CODE HERE" in src for _, src in _code_cells(RELEASED / f"{name}.ipynb"))]


@pytest.mark.skipif(not (RELEASED / "cs231n").is_dir(), reason="release/assignment2 not generated")
@pytest.mark.parametrize("name", RELEASED_NOTEBOOKS)
def test_released_code_cells_are_the_source_ones_except_the_cells_to_fill(name):
    """Only solution code cells change from source to release (to nbgrader's
    `YOUR CODE HERE` stub). So a released notebook without one runs with the
    reference package exactly like its source notebook, which
    test_source_notebooks.py executes; the next test runs the others."""
    from autograder.paths import source_dir

    released = _code_cells(RELEASED / f"{name}.ipynb")
    source = _code_cells(source_dir(REAL) / f"{name}.ipynb")
    assert [cid for cid, _ in released] == [cid for cid, _ in source]
    for (cid, rel_src), (_, src) in zip(released, source):
        if "### BEGIN SOLUTION" in src:
            assert "# YOUR CODE HERE\nraise NotImplementedError()" in rel_src, cid
            assert rel_src != src
        else:
            assert rel_src == src, cid
    assert (name in _with_code_to_fill()) == any("### BEGIN SOLUTION" in src for _, src in source)


@pytest.mark.skipif(not (RELEASED / "cs231n").is_dir(), reason="release/assignment2 not generated")
@pytest.mark.parametrize("name", _with_code_to_fill())
def test_released_notebook_with_the_reference_package_fails_only_at_code_cells_to_fill(name, tmp_path):
    """With the reference package dropped into the release, the only errors are
    the `YOUR CODE HERE` cells (one line each) and the cells that need them; every
    public check says OK."""
    nb = _run_released(name, tmp_path / "release", package=REPO / "solutions" / REAL / "cs231n")
    errors = _errors(nb)
    to_fill = {c.id for c in nb.cells if c.cell_type == "code" and "# YOUR CODE HERE" in c.source}
    assert to_fill
    assert {cid for cid in errors if cid in to_fill} == to_fill
    for cid in to_fill:
        assert errors[cid] == [YOUR_CODE_HERE_LINE], (cid, errors[cid])
    others = {cid: lines for cid, lines in errors.items() if cid not in to_fill}
    assert set(others) == AFTER_SOLUTION_CELL.get(name, set()), others
    for cid, lines in others.items():
        assert len(lines) == 1 and GUARDED[name][cid] in lines[0], (cid, lines)
    for cell in nb.cells:
        if _is_graded(cell):
            lines = _stdout(cell).splitlines()
            assert lines and all(": OK (" in line for line in lines), (cell.id, lines)
