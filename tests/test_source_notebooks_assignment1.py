"""The nbgrader source notebooks of assignment 1, its public checks and its release.

* Structure (fast): every notebook is valid nbformat 4.5 with nbgrader metadata
  nbgrader accepts and no outputs; one locked autograder-test cell per graded
  part, whose source is the two-line ``check_part(..., strict=True)`` call;
  grade ids unique across the assignment; points as in the parts table
  (``cs231n.checks.PARTS``, ``grading_tests/assignment1/assignment.toml``,
  ``docs/assignment1-parts.md``); inline questions are manually graded
  markdown answer cells; released code cells are the source ones except the
  cells the student fills in.
* ``cs231n.checks`` (fast, in a subprocess): every public check passes on the
  reference and fails on typical mistakes; ``strict=True`` raises
  ``PublicCheckFailed``.
* Execution (slow): each source notebook runs top to bottom in a real
  ``python3`` kernel with the reference package, without errors, every public
  check it runs saying OK; each released notebook runs top to bottom with
  the stubs, every error one line and every graded cell one
  ``NotImplementedError`` naming the function and its file; ``python -m
  cs231n.checks`` in a copy of the release says "not implemented yet" for
  every part with the stubs and OK with the reference. ``pytest -s`` prints
  the execution times.

The session's ``cs231n`` is assignment 2's reference (tests/conftest.py).
This module never imports assignment 1's package of the same name: its code
runs in subprocesses and kernels that have ``solutions/assignment1`` (or a
copy of the release) first on their path.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import nbformat
import pytest
from kernels import notebook_client
from nbgrader.nbgraderformat import MetadataValidator

from autograder.paths import course_root, grading_tests_dir, release_dir, solutions_dir, source_dir

ASSIGNMENT = "assignment1"
SOURCE_DIR = source_dir(ASSIGNMENT)
REFERENCE_DIR = solutions_dir(ASSIGNMENT)
RELEASE_DIR = release_dir(ASSIGNMENT)
PARTS_DOC = course_root() / "docs" / "assignment1-parts.md"

# The graded parts: {notebook: {part: points}}, in the order of the notebooks.
# The points are grading_tests/assignment1/assignment.toml's (100 in all).
EXPECTED_PARTS = {
    "knn": {"knn_two_loops": 3, "knn_predict_labels": 4, "knn_one_loop": 3, "knn_no_loops": 5,
            "knn_accuracy": 3},
    "svm": {"svm_loss_naive": 8, "svm_loss_vectorized": 8, "linear_classifier_train": 6,
            "svm_accuracy": 4},
    "softmax": {"softmax_loss_naive": 8, "softmax_loss_vectorized": 8, "softmax_accuracy": 4},
    "two_layer_net": {"two_layer_net_scores": 5, "two_layer_net_loss": 5,
                      "two_layer_net_backward": 8, "two_layer_net_train": 5,
                      "two_layer_net_accuracy": 5},
    "features": {"features_accuracy": 8},
}
EXPECTED_PARTS_FLAT = [part for parts in EXPECTED_PARTS.values() for part in parts]
TOTAL_POINTS = 100
NOTEBOOKS = list(EXPECTED_PARTS)
GRADED_SOURCE = re.compile(
    r"\A# Graded part: (?P<part>\w+) \((?P<points>\d+) points?\)\. Hidden tests grade this "
    r"part when you submit; this cell runs its public check\.\n"
    r"check_part\(\"(?P=part)\", strict=True\)\Z"
)
CHECK_LINE = re.compile(r"^\S.*: (OK|FAILED) \(.*\)$")
SOURCE_BUDGET_SECONDS = 150  # all five source notebooks together (about 35 s on 2 cores)
EXECUTION_TIMES: dict[str, float] = {}

# Cells that use an earlier cell's result: with every stub in place each shows
# one line saying what to run first.
GUARDED = {
    "knn": {"test-predict-labels": "dists is not computed yet",
            "plot-cross-validation": "the cross-validation is not done yet",
            "test-best-k": "the cross-validation is not done yet"},
    "svm": {"svm-tuning-plot": "results is empty", "svm-test": "best_svm is not trained yet",
            "svm-weights": "best_svm is not trained yet"},
    "softmax": {"softmax-test": "best_softmax is not trained yet",
                "softmax-weights": "best_softmax is not trained yet"},
    "two_layer_net": {"plot-training": "the net is not trained yet",
                      "show-weights": "the net is not trained yet",
                      "show-best-weights": "best_net is not trained yet",
                      "test-best-net": "best_net is not trained yet"},
    "features": {"svm-features-test": "best_svm is not trained yet",
                 "misclassified": "best_svm is not trained yet",
                 "nn-features-test": "best_net is not trained yet"},
}
STUB_LINE = re.compile(r"^NotImplementedError: (?P<function>[\w.]+) is not implemented yet "
                       r"\((?P<file>cs231n/[\w/]+\.py)\)\. Fill in the TODO in that file, then "
                       r"re-run this cell\.$")
YOUR_CODE_HERE_LINE = ("NotImplementedError: this cell is not filled in yet. Replace the "
                       "'raise NotImplementedError()' under 'YOUR CODE HERE' with your code, then "
                       "re-run this cell.")


def _read(name, folder=SOURCE_DIR):
    return nbformat.read(str(folder / (name + ".ipynb")), as_version=4)


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def _is_autograder_test(cell):
    meta = _nbgrader(cell)
    return cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")


def _is_manual_answer(cell):
    meta = _nbgrader(cell)
    return cell.cell_type == "markdown" and meta.get("grade") and meta.get("solution")


def _checks_module():
    """assignment 1's checks.py, loaded from its file under another name (its
    module level needs only numpy; the checks themselves never run here)."""
    spec = importlib.util.spec_from_file_location("assignment1_checks",
                                                  REFERENCE_DIR / "cs231n" / "checks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _env(pythonpath=None):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    # The arrays are small: one BLAS thread is faster, and much faster when
    # other processes share the cores.
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               MPLBACKEND="module://matplotlib_inline.backend_inline",
               PYTHONDONTWRITEBYTECODE="1")
    return env


def _execute(nb, cwd, env, allow_errors=False, timeout=300):
    client = notebook_client(nb, timeout=timeout, allow_errors=allow_errors,
                             resources={"metadata": {"path": str(cwd)}})
    client.execute(env=env)
    return nb


def _stream_text(cell, name="stdout"):
    return "".join(o.get("text", "") for o in cell.outputs
                   if o.output_type == "stream" and o.get("name") == name)


# --------------------------------------------------------------------------
# Structure
# --------------------------------------------------------------------------


def test_parts_table_matches_checks_module_and_assignment_toml():
    checks = _checks_module()
    expected = {part: (nb, pts) for nb, parts in EXPECTED_PARTS.items()
                for part, pts in parts.items()}
    assert checks.PARTS == expected
    assert list(checks.PARTS) == list(expected)  # the notebooks' order
    assert checks.NOTEBOOKS == tuple(NOTEBOOKS)
    assert checks.TOTAL_POINTS == TOTAL_POINTS == sum(pts for _, pts in expected.values())
    toml = tomllib.loads((grading_tests_dir(ASSIGNMENT) / "assignment.toml").read_text())
    assert set(toml["parts"]) == set(expected)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_format(name):
    nb = _read(name)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    validator = MetadataValidator()
    ids = [cell.get("id") for cell in nb.cells]
    assert all(ids) and len(ids) == len(set(ids))
    for cell in nb.cells:
        validator.validate_cell(cell)
        if cell.cell_type == "code":
            assert cell.outputs == [], "saved with outputs: %s" % cell.id
            assert cell.execution_count is None


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_setup_cell_and_data(name):
    nb = _read(name)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    first_code = next(c.source for c in nb.cells if c.cell_type == "code")
    assert "%load_ext autoreload" in first_code and "%autoreload 2" in first_code
    assert "from cs231n.notebook import setup_notebook" in first_code
    assert "setup_notebook()" in first_code
    assert "from cs231n.checks import check_part" in first_code
    assert "get_digits_data()" in code
    # the CIFAR-10 alternative: commented out, from a local folder, no download
    assert re.search(r"^# .*= load_CIFAR10\('cifar-10-batches-py'\)$", code, re.M)
    assert "download" not in code.lower()


def test_graded_cells_across_the_assignment():
    grade_ids = []
    autograded = {}
    manual = {}
    for name in NOTEBOOKS:
        nb = _read(name)
        found = {}
        for cell in nb.cells:
            meta = _nbgrader(cell)
            if meta.get("grade_id"):
                grade_ids.append(meta["grade_id"])
            if _is_autograder_test(cell):
                assert meta["locked"] is True
                assert meta["schema_version"] == 3
                match = GRADED_SOURCE.match(cell.source)
                assert match, "graded cell source not in the two-line form:\n" + cell.source
                assert match["part"] == meta["grade_id"]
                assert int(match["points"]) == meta["points"]
                found[meta["grade_id"]] = meta["points"]
            elif _is_manual_answer(cell):
                assert meta["points"] in (1, 2)
                assert cell.source.startswith("**Your Answer:**\n\n### BEGIN SOLUTION\n")
                assert cell.source.endswith("\n### END SOLUTION")
                manual[meta["grade_id"]] = meta["points"]
            elif meta.get("solution"):  # a code cell the student fills in
                assert cell.cell_type == "code" and not meta.get("grade")
                assert "### BEGIN SOLUTION" in cell.source
        assert found == EXPECTED_PARTS[name], name
        order = [_nbgrader(c)["grade_id"] for c in nb.cells if _is_autograder_test(c)]
        assert order == list(EXPECTED_PARTS[name]), name
        autograded.update(found)
    assert len(grade_ids) == len(set(grade_ids)), "grade ids must be unique across the assignment"
    assert sum(autograded.values()) == TOTAL_POINTS
    assert len(manual) >= 5


_DOC_ROW = re.compile(r"^\| (\w+) \| `(\w+)` \| (\d+) \|", re.M)


def _doc_rows(section):
    out = {}
    for name, grade_id, points in _DOC_ROW.findall(section):
        out.setdefault(name, {})[grade_id] = int(points)
    return out


def test_parts_doc_matches_the_notebooks_metadata():
    text = PARTS_DOC.read_text(encoding="utf-8")
    auto_md, _, manual_md = text.partition("\n## Manually graded inline questions")
    auto = {name: {_nbgrader(c)["grade_id"]: _nbgrader(c)["points"]
                   for c in _read(name).cells if _is_autograder_test(c)} for name in NOTEBOOKS}
    manual = {name: {_nbgrader(c)["grade_id"]: _nbgrader(c)["points"]
                     for c in _read(name).cells if _is_manual_answer(c)} for name in NOTEBOOKS}
    assert _doc_rows(auto_md) == auto
    assert _doc_rows(manual_md) == {k: v for k, v in manual.items() if v}
    total = sum(sum(parts.values()) for parts in auto.values())
    assert re.search(r"^## Autograded parts \((\d+) points\)$", auto_md, re.M)[1] == str(total)
    sentence = re.search(r"^Per notebook: (.*?) \(total (\d+)\)\.$", auto_md, re.M | re.S)
    assert sentence
    per_notebook = {n: int(p) for n, p in re.findall(r"(\w+) (\d+)", sentence[1].replace("\n", " "))}
    assert per_notebook == {name: sum(parts.values()) for name, parts in auto.items()}
    assert int(sentence[2]) == total
    manual_total = sum(sum(parts.values()) for parts in manual.values())
    heading = re.search(r"^## Manually graded inline questions \((\d+) points, outside the (\d+)\)$",
                        text, re.M)
    assert heading and (int(heading[1]), int(heading[2])) == (manual_total, total)


def _code_cells(path):
    return [(c.id, c.source) for c in nbformat.read(str(path), as_version=4).cells
            if c.cell_type == "code"]


@pytest.mark.skipif(not (RELEASE_DIR / "cs231n").is_dir(), reason="release/assignment1 not generated")
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_released_code_cells_are_the_source_ones_except_the_cells_to_fill(name):
    released = _code_cells(RELEASE_DIR / (name + ".ipynb"))
    source = _code_cells(SOURCE_DIR / (name + ".ipynb"))
    assert [cid for cid, _ in released] == [cid for cid, _ in source]
    for (cid, rel_src), (_, src) in zip(released, source):
        if "### BEGIN SOLUTION" in src:
            assert "# YOUR CODE HERE\nraise NotImplementedError()" in rel_src, cid
            assert "### BEGIN SOLUTION" not in rel_src
        else:
            assert rel_src == src, cid


# --------------------------------------------------------------------------
# The public checks (in a subprocess, on the reference package)
# --------------------------------------------------------------------------

# Runs with solutions/assignment1 first on sys.path; prints one JSON object:
# {label: [passed, [lines]]}. Each mistake is undone after its check.
_CHECKS_SCRIPT = textwrap.dedent(r'''
    import contextlib, io, json, sys
    import numpy as np
    import cs231n.checks as C
    from cs231n.classifiers import (k_nearest_neighbor, linear_classifier, linear_svm,
                                    neural_net, softmax)

    def run(part, strict=False):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            try:
                result = C.check_part(part, strict=strict)
            except C.PublicCheckFailed as exc:
                result = "PublicCheckFailed: %s" % exc
        return [result, buf.getvalue().splitlines()]

    out = {}
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    for part in C.PARTS:
        out["reference " + part] = run(part)
    out["generator state kept"] = [bool(np.array_equal(before, np.random.get_state()[1])), []]
    out["strict reference svm_loss_naive"] = run("svm_loss_naive", strict=True)

    @contextlib.contextmanager
    def patched(owner, name, value):
        old = getattr(owner, name)
        setattr(owner, name, value)
        try:
            yield
        finally:
            setattr(owner, name, old)

    # svm: the regularization gradient without its factor 2
    orig_svm = linear_svm.svm_loss_naive
    def svm_no_factor_2(W, X, y, reg):
        loss, dW = orig_svm(W, X, y, reg)
        return loss, dW - reg * W
    with patched(linear_svm, "svm_loss_naive", svm_no_factor_2):
        out["mistake svm_loss_naive"] = run("svm_loss_naive")
        out["strict mistake svm_loss_naive"] = run("svm_loss_naive", strict=True)

    # softmax: no shift of the scores (exp overflows on large scores)
    def softmax_unstable(W, X, y, reg):
        rows = np.arange(X.shape[0])
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            e = np.exp(X.dot(W))
            p = e / e.sum(axis=1, keepdims=True)
            loss = -np.mean(np.log(p[rows, y])) + reg * np.sum(W * W)
        d = p.copy()
        d[rows, y] -= 1
        return loss, X.T.dot(d) / X.shape[0] + 2 * reg * W
    with patched(softmax, "softmax_loss_vectorized", softmax_unstable):
        out["mistake softmax_loss_vectorized"] = run("softmax_loss_vectorized")

    # knn: squared distances
    KNN = k_nearest_neighbor.KNearestNeighbor
    orig_no_loops = KNN.compute_distances_no_loops
    with patched(KNN, "compute_distances_no_loops", lambda self, X: orig_no_loops(self, X) ** 2):
        out["mistake knn_no_loops"] = run("knn_no_loops")

    # knn: ties go to the larger label
    def larger_label_wins(self, dists, k=1):
        y_pred = []
        for row in dists:
            counts = np.bincount(self.y_train[np.argsort(row)[:k]])
            y_pred.append(len(counts) - 1 - np.argmax(counts[::-1]))
        return np.array(y_pred)
    with patched(KNN, "predict_labels", larger_label_wins):
        out["mistake knn_predict_labels"] = run("knn_predict_labels")

    # linear classifier: always the first batch_size rows
    def train_first_rows(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100,
                         batch_size=200, verbose=False):
        if self.W is None:
            self.W = 0.001 * np.random.randn(X.shape[1], np.max(y) + 1)
        history = []
        for it in range(num_iters):
            loss, grad = self.loss(X[:batch_size], y[:batch_size], reg)
            history.append(loss)
            self.W -= learning_rate * grad
        return history
    with patched(linear_classifier.LinearClassifier, "train", train_first_rows):
        out["mistake linear_classifier_train"] = run("linear_classifier_train")

    # two-layer net: 0.5 * reg * sum(W * W)
    Net = neural_net.TwoLayerNet
    orig_loss = Net.loss
    with patched(Net, "loss", lambda self, X, y=None, reg=0.0: orig_loss(self, X, y, reg / 2)):
        out["mistake two_layer_net_loss"] = run("two_layer_net_loss")

    print(json.dumps(out))
''')


@pytest.fixture(scope="module")
def check_results():
    proc = subprocess.run([sys.executable, "-c", _CHECKS_SCRIPT], env=_env(REFERENCE_DIR),
                          capture_output=True, text=True, timeout=300, cwd=str(REFERENCE_DIR))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_public_checks_pass_on_the_reference(check_results):
    for part in EXPECTED_PARTS_FLAT:
        passed, lines = check_results["reference " + part]
        assert passed is True, (part, lines)
        assert lines and all(CHECK_LINE.match(line) and ": OK (" in line for line in lines), lines
    assert check_results["generator state kept"][0] is True
    assert check_results["strict reference svm_loss_naive"][0] is None


@pytest.mark.parametrize("part", ["svm_loss_naive", "softmax_loss_vectorized", "knn_no_loops",
                                  "knn_predict_labels", "linear_classifier_train",
                                  "two_layer_net_loss"])
def test_public_checks_fail_on_typical_mistakes(part, check_results):
    passed, lines = check_results["mistake " + part]
    assert passed is False, lines
    assert any(": FAILED (" in line for line in lines), lines
    assert all(CHECK_LINE.match(line) for line in lines), lines


def test_strict_check_raises_public_check_failed(check_results):
    result, lines = check_results["strict mistake svm_loss_naive"]
    assert result == ("PublicCheckFailed: svm_loss_naive: the public check failed (see the FAILED "
                      "line above). Fix your code and re-run this cell.")
    assert any(": FAILED (" in line for line in lines)


# --------------------------------------------------------------------------
# Execution (slow)
# --------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_source_notebook_executes(name, tmp_path):
    nb = _read(name)
    start = time.time()
    _execute(nb, tmp_path, _env(REFERENCE_DIR))  # raises CellExecutionError on the first error
    seconds = time.time() - start
    EXECUTION_TIMES[name] = seconds
    print("\n%s executed in %.1f s" % (name, seconds))

    checked = []
    for cell in nb.cells:
        if not _is_autograder_test(cell):
            continue
        part = _nbgrader(cell)["grade_id"]
        lines = _stream_text(cell).splitlines()
        assert lines, "the check of %s printed nothing" % part
        for line in lines:
            assert CHECK_LINE.match(line), "%s: unexpected output line %r" % (part, line)
            assert ": OK (" in line, "%s: %s" % (part, line)
        # check_part(..., strict=True) returns None when the check passes: no "True"
        assert {o.output_type for o in cell.outputs} == {"stream"}, (part, cell.outputs)
        checked.append(part)
    assert checked == list(EXPECTED_PARTS[name])


@pytest.mark.slow
def test_source_notebooks_total_time():
    if set(EXECUTION_TIMES) != set(NOTEBOOKS):
        pytest.skip("needs all test_source_notebook_executes runs in this session")
    total = sum(EXECUTION_TIMES.values())
    print("\nsource notebooks: " + ", ".join("%s %.1f s" % kv for kv in EXECUTION_TIMES.items())
          + "; total %.1f s" % total)
    assert total < SOURCE_BUDGET_SECONDS


@pytest.fixture(scope="module")
def release_copy(tmp_path_factory):
    """A copy of release/assignment1 (its stubbed cs231n/) for the runs below."""
    if not (RELEASE_DIR / "cs231n").is_dir():
        pytest.skip("release/assignment1 not generated")
    folder = tmp_path_factory.mktemp("a1release") / "assignment1"
    shutil.copytree(RELEASE_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_released_notebook_with_every_stub_shows_one_line_errors(name, release_copy):
    """The student's first run: every error is one line (a stub naming its
    function and file, a `YOUR CODE HERE` cell, or what to run first),
    nothing is computed from leftovers, and each graded cell names the
    function it waits for."""
    nb = _read(name, release_copy)
    _execute(nb, release_copy, _env(), allow_errors=True)  # cs231n/ from the folder
    errors = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.output_type == "error":
                tb = o.traceback
                assert len(tb) == 1 and "\n" not in tb[0] and "Traceback" not in tb[0] \
                    and "File " not in tb[0] and "\x1b[" not in tb[0], (cell.id, o.ename, tb)
                assert tb[0].startswith("NotImplementedError: ") and tb[0].endswith("."), tb
                errors.setdefault(cell.id, []).append(tb[0])
    for cid, words in GUARDED[name].items():
        assert len(errors.get(cid, [])) == 1 and words in errors[cid][0], (cid, errors.get(cid))
    to_fill = [c.id for c in nb.cells if c.cell_type == "code" and "# YOUR CODE HERE" in c.source]
    assert to_fill
    for cid in to_fill:
        assert errors.get(cid) == [YOUR_CODE_HERE_LINE], (cid, errors.get(cid))
    graded = [c for c in nb.cells if _is_autograder_test(c)]
    assert [_nbgrader(c)["grade_id"] for c in graded] == list(EXPECTED_PARTS[name])
    for cell in graded:
        lines = errors.get(cell.id, [])
        assert len(lines) == 1 and STUB_LINE.match(lines[0]), (cell.id, lines)
    printed = "\n".join(_stream_text(c) for c in nb.cells if c.cell_type == "code")
    assert not re.search(r"accuracy\W+\d", printed, re.IGNORECASE), printed


def _checks_command(folder):
    proc = subprocess.run([sys.executable, "-m", "cs231n.checks"], cwd=str(folder), env=_env(),
                          capture_output=True, text=True, timeout=600)
    rows = {}
    for line in proc.stdout.splitlines():
        match = re.match(r"^(\w+)\s+(\d+)/(\d+)\s+(.*)$", line)
        if match and match[1] in EXPECTED_PARTS_FLAT:
            rows[match[1]] = (int(match[2]), int(match[3]), match[4])
    return proc, rows


@pytest.mark.slow
def test_checks_command_in_a_copy_of_the_release(release_copy, tmp_path):
    """``python -m cs231n.checks`` from the release folder: every part "not
    implemented yet" with the stubs, every part OK with the reference package
    dropped in (and the release's check_runner.py next to its checks.py)."""
    points = {part: pts for parts in EXPECTED_PARTS.values() for part, pts in parts.items()}
    proc, rows = _checks_command(release_copy)
    assert set(rows) == set(points), proc.stdout + proc.stderr
    for part, (got, out_of, status) in rows.items():
        assert (got, out_of) == (0, points[part]) and status.startswith("not implemented yet: "), \
            (part, status)
    assert "0 of 100 points" in proc.stdout

    folder = tmp_path / "assignment1"
    shutil.copytree(release_copy, folder, ignore=shutil.ignore_patterns("__pycache__", "cs231n"))
    shutil.copytree(REFERENCE_DIR / "cs231n", folder / "cs231n",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(release_copy / "cs231n" / "check_runner.py", folder / "cs231n" / "check_runner.py")
    proc, rows = _checks_command(folder)
    assert set(rows) == set(points), proc.stdout + proc.stderr
    for part, (got, out_of, status) in rows.items():
        assert (got, out_of, status) == (points[part], points[part], "OK"), (part, status)
    assert "18 of 18 parts pass their public checks (100 of 100 points)" in proc.stdout
