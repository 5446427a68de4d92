"""Assignment 1's hidden suites (grading_tests/assignment1) catch planted bugs, and only
where they are: every mutant below is the reference package with one bug planted by
exact text replacement, and it must fail the hidden tests that name it (``fails``)
and no other test except its listed ``dependents`` (tests that reach the mutated
function through other student code: a part marked ``integration`` in
assignment.toml). Dependents are kept exact and must be justified by ``USERS``.

Also graded end to end with the real runner and sandbox: the reference scores full
marks on every part, and the untouched release (``release/assignment1/cs231n`` when
it exists, else the stub stage's output of the reference) scores 0.

Each mutant is graded only with the hidden modules that reach its file
(``FILE_MODULES``), two processes at a time, each grading a chunk one after the
other in its own sandbox slot. About 2 minutes on two cores.

Test names are the hidden test names without ``test_``; ``name[*]`` stands for every
parametrized case of ``name``.
"""
from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mutants import apply_mutant  # noqa: E402
from autograder.course import load_assignment  # noqa: E402
from autograder.paths import release_dir, solutions_dir  # noqa: E402
from autograder.stub import stub_package  # noqa: E402

ASSIGNMENT = "assignment1"
REFERENCE_ROOT = solutions_dir(ASSIGNMENT)
REFERENCE_PKG = REFERENCE_ROOT / "cs231n"

ALL_PARTS = {
    "knn_two_loops", "knn_one_loop", "knn_no_loops", "knn_predict_labels", "knn_accuracy",
    "svm_loss_naive", "svm_loss_vectorized", "linear_classifier_train", "svm_accuracy",
    "softmax_loss_naive", "softmax_loss_vectorized", "softmax_accuracy",
    "two_layer_net_scores", "two_layer_net_loss", "two_layer_net_backward", "two_layer_net_train",
    "two_layer_net_accuracy", "features_accuracy",
}

FILE_MODULES: dict[str, list[str]] = {
    "classifiers/k_nearest_neighbor.py": ["test_k_nearest_neighbor.py", "test_accuracy.py"],
    "classifiers/linear_svm.py": ["test_linear_svm.py", "test_accuracy.py"],
    "classifiers/softmax.py": ["test_softmax.py", "test_accuracy.py"],
    "classifiers/linear_classifier.py": ["test_linear_classifier.py", "test_accuracy.py"],
    "classifiers/neural_net.py": ["test_neural_net.py", "test_accuracy.py"],
}

# ---------------------------------------------------------------------------
# Who reaches what through other student code (assignment.toml's `needs`)
# ---------------------------------------------------------------------------

_NET_LOSS = {"two_layer_net_loss[*]", "two_layer_net_loss_large_scores"}
_NET_BACKWARD = {"two_layer_net_backward[*]", "two_layer_net_backward_numeric[*]",
                 "two_layer_net_backward_keeps_inputs"}
_NET_TRAINED = {"two_layer_net_train_toy_model", "two_layer_net_accuracy", "features_accuracy"}

USERS: dict[str, set[str]] = {
    "compute_distances_two_loops": set(),
    "compute_distances_one_loop": set(),
    "compute_distances_no_loops": {"knn_accuracy"},       # predict(num_loops=0)
    "predict_labels": {"knn_accuracy"},
    "svm_loss_naive": set(),
    "svm_loss_vectorized": {"svm_accuracy"},              # LinearSVM.loss
    "softmax_loss_naive": set(),
    "softmax_loss_vectorized": {"softmax_accuracy"},      # Softmax.loss
    "LinearClassifier.train": {"svm_accuracy", "softmax_accuracy"},
    "LinearClassifier.predict": set(),
    # TwoLayerNet.loss in three parts: the scores feed the loss, the loss the gradients,
    # and all of them the predictions and every training run
    "TwoLayerNet.loss (scores)": _NET_LOSS | _NET_BACKWARD | _NET_TRAINED | {"two_layer_net_predict[*]"},
    "TwoLayerNet.loss (loss)": _NET_BACKWARD | _NET_TRAINED,
    "TwoLayerNet.loss (backward)": _NET_TRAINED,
    "TwoLayerNet.train": {"two_layer_net_accuracy", "features_accuracy"},
    "TwoLayerNet.predict": set(),
}


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str                                   # relative to the cs231n package
    function: str                               # a USERS key
    edits: tuple[tuple[str, str], ...]          # (old, new): old occurs exactly once
    fails: frozenset[str]
    dependents: frozenset[str] = field(default_factory=frozenset)
    note: str = ""

    @property
    def modules(self) -> list[str]:
        return FILE_MODULES[self.file]


def M(name, file, function, old, new, *, fails, dependents=(), note=""):
    return Mutant(name, file, function, ((old, new),), frozenset(fails), frozenset(dependents), note)


KNN = "classifiers/k_nearest_neighbor.py"
SVM = "classifiers/linear_svm.py"
SOFTMAX = "classifiers/softmax.py"
LC = "classifiers/linear_classifier.py"
NET = "classifiers/neural_net.py"

MUTANTS: list[Mutant] = [
    # ------------------------------------------------------------------ kNN
    M("knn_two_loops_squared_distance", KNN, "compute_distances_two_loops",
      "dists[i, j] = np.sqrt(np.sum((X[i] - self.X_train[j]) ** 2))",
      "dists[i, j] = np.sum((X[i] - self.X_train[j]) ** 2)",
      fails={"knn_two_loops_values[*]"}),
    M("knn_one_loop_l1_distance", KNN, "compute_distances_one_loop",
      "dists[i, :] = np.sqrt(np.sum((self.X_train - X[i]) ** 2, axis=1))",
      "dists[i, :] = np.sum(np.abs(self.X_train - X[i]), axis=1)",
      fails={"knn_one_loop_values[*]", "knn_one_loop_single_loop"}),
    M("knn_one_loop_inner_comprehension", KNN, "compute_distances_one_loop",
      "dists[i, :] = np.sqrt(np.sum((self.X_train - X[i]) ** 2, axis=1))",
      "dists[i, :] = [np.sqrt(np.sum((t - X[i]) ** 2)) for t in self.X_train]",
      fails={"knn_one_loop_single_loop"},
      note="right values, a second loop the TODO rules out"),
    M("knn_no_loops_no_clamp", KNN, "compute_distances_no_loops",
      "dists = np.sqrt(np.maximum(squared, 0))",
      "dists = np.sqrt(squared)",
      fails={"knn_no_loops_zero_distances"},
      note="rounding leaves tiny negative squares where a distance is 0: NaN"),
    M("knn_no_loops_plus_cross_term", KNN, "compute_distances_no_loops",
      "squared = test_sq + train_sq - 2 * X.dot(self.X_train.T)",
      "squared = test_sq + train_sq + 2 * X.dot(self.X_train.T)",
      fails={"knn_no_loops_values[*]", "knn_no_loops_zero_distances", "knn_no_loops_keeps_inputs",
             "knn_no_loops_has_no_loops", "knn_no_loops_speed"},
      dependents={"knn_accuracy"}),
    M("knn_predict_labels_ignores_k", KNN, "predict_labels",
      'nearest = np.argsort(dists[i], kind="stable")[:k]',
      'nearest = np.argsort(dists[i], kind="stable")[:1]',
      fails={"knn_predict_labels_k_greater_than_one", "knn_predict_labels_ties"}),
    M("knn_predict_labels_ties_to_larger", KNN, "predict_labels",
      "y_pred[i] = labels[np.argmax(counts)]",
      "y_pred[i] = labels[len(counts) - 1 - np.argmax(counts[::-1])]",
      fails={"knn_predict_labels_ties"},
      note="a tie goes to the larger label; the docstring says the smaller"),
    # ------------------------------------------------------------------ SVM
    M("svm_naive_grad_sign", SVM, "svm_loss_naive",
      "dW[:, y[i]] -= X[i]", "dW[:, y[i]] += X[i]",
      fails={"svm_loss_naive_grad[*]", "svm_loss_naive_numeric", "svm_loss_naive_keeps_inputs"}),
    M("svm_naive_reg_grad_without_2", SVM, "svm_loss_naive",
      "dW += 2 * reg * W", "dW += reg * W",
      fails={"svm_loss_naive_grad[digits_sized]", "svm_loss_naive_numeric"},
      note="reg*W is invisible at the notebook's reg=5e-6 and absent at reg=0"),
    M("svm_vectorized_counts_correct_class", SVM, "svm_loss_vectorized",
      "    margins[rows, y] = 0\n", "",
      fails={"svm_loss_vectorized_loss[*]", "svm_loss_vectorized_grad[*]",
             "svm_loss_vectorized_numeric", "svm_loss_vectorized_has_no_loops",
             "svm_loss_vectorized_speed", "svm_loss_vectorized_keeps_inputs"}),
    M("svm_vectorized_grad_not_averaged", SVM, "svm_loss_vectorized",
      "dW = X.T.dot(dscores) / num_train + 2 * reg * W",
      "dW = X.T.dot(dscores) + 2 * reg * W",
      fails={"svm_loss_vectorized_grad[*]", "svm_loss_vectorized_numeric",
             "svm_loss_vectorized_keeps_inputs"}),
    # -------------------------------------------------------------- softmax
    M("softmax_naive_no_shift", SOFTMAX, "softmax_loss_naive",
      "scores = scores - np.max(scores)  # shift for numeric stability", "scores = scores",
      fails={"softmax_loss_naive_large_scores"}),
    M("softmax_naive_loss_not_averaged", SOFTMAX, "softmax_loss_naive",
      "    loss /= num_train\n", "",
      fails={"softmax_loss_naive_loss[*]", "softmax_loss_naive_large_scores",
             "softmax_loss_naive_keeps_inputs"}),
    M("softmax_vectorized_modifies_W", SOFTMAX, "softmax_loss_vectorized",
      "dW = X.T.dot(dscores) / num_train + 2 * reg * W",
      "W *= 2 * reg\n    dW = X.T.dot(dscores) / num_train + W",
      fails={"softmax_loss_vectorized_keeps_inputs"},
      dependents={"softmax_accuracy"},
      note="right values, but the caller's W is scaled in place (Softmax.train's own W too)"),
    M("softmax_vectorized_comprehension_over_classes", SOFTMAX, "softmax_loss_vectorized",
      "dscores[rows, y] -= 1",
      "dscores -= np.array([y == c for c in range(W.shape[1])]).T",
      fails={"softmax_loss_vectorized_has_no_loops"},
      note="right values, a loop over the classes"),
    M("softmax_vectorized_calls_naive", SOFTMAX, "softmax_loss_vectorized",
      "Don't forget the regularization!\n    ### BEGIN SOLUTION\n",
      "Don't forget the regularization!\n    ### BEGIN SOLUTION\n"
      "    return softmax_loss_naive(W, X, y, reg)\n",
      fails={"softmax_loss_vectorized_speed"},
      dependents={"softmax_accuracy"},
      note="no loop in its own source, the naive loops' speed (training runs past its limit)"),
    # ---------------------------------------------------- LinearClassifier
    M("linear_classifier_gradient_ascent", LC, "LinearClassifier.train",
      "self.W -= learning_rate * grad", "self.W += learning_rate * grad",
      fails={"linear_classifier_train_sgd_steps", "linear_classifier_train_loss_decreases"},
      dependents={"svm_accuracy", "softmax_accuracy"}),
    M("linear_classifier_first_rows_only", LC, "LinearClassifier.train",
      "idx = np.random.choice(num_train, batch_size, replace=True)",
      "idx = np.arange(batch_size)",
      fails={"linear_classifier_train_minibatches"}),
    M("linear_classifier_predict_argmin", LC, "LinearClassifier.predict",
      "y_pred = np.argmax(X.dot(self.W), axis=1)", "y_pred = np.argmin(X.dot(self.W), axis=1)",
      fails={"linear_classifier_predict[*]"}),
    # --------------------------------------------------------- TwoLayerNet
    M("net_scores_without_b2", NET, "TwoLayerNet.loss (scores)",
      "scores = hidden.dot(W2) + b2  # (N, C)", "scores = hidden.dot(W2)  # (N, C)",
      fails={"two_layer_net_scores[wider_net]", "two_layer_net_scores[digits_sized_net]"},
      dependents={"two_layer_net_loss[wider_net]", "two_layer_net_loss[digits_sized_net]",
                  "two_layer_net_loss_large_scores", "two_layer_net_backward[wider_net]",
                  "two_layer_net_backward[digits_sized_net]", "two_layer_net_backward_numeric[wider_net]",
                  "two_layer_net_backward_keeps_inputs", "two_layer_net_predict[*]"},
      note="the toy model's biases are zero: caught by the other shapes; the loss, gradients "
           "and predictions are computed from these scores"),
    M("net_loss_reg_halved", NET, "TwoLayerNet.loss (loss)",
      "loss = data_loss + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))",
      "loss = data_loss + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))",
      fails={"two_layer_net_loss[notebook_toy_model]", "two_layer_net_loss[digits_sized_net]"}),
    M("net_loss_no_shift", NET, "TwoLayerNet.loss (loss)",
      "shifted = scores - np.max(scores, axis=1, keepdims=True)", "shifted = scores",
      fails={"two_layer_net_loss_large_scores"}),
    M("net_backward_skips_relu", NET, "TwoLayerNet.loss (backward)",
      "dhidden = dscores.dot(W2.T) * (hidden > 0)", "dhidden = dscores.dot(W2.T)",
      fails={"two_layer_net_backward[*]", "two_layer_net_backward_numeric[*]",
             "two_layer_net_backward_keeps_inputs"}),
    M("net_backward_b1_mean", NET, "TwoLayerNet.loss (backward)",
      'grads["b1"] = np.sum(dhidden, axis=0)', 'grads["b1"] = np.mean(dhidden, axis=0)',
      fails={"two_layer_net_backward[*]", "two_layer_net_backward_numeric[*]",
             "two_layer_net_backward_keeps_inputs"}),
    M("net_train_ignores_learning_rate", NET, "TwoLayerNet.train",
      "self.params[name] -= learning_rate * grads[name]", "self.params[name] -= grads[name]",
      fails={"two_layer_net_train_sgd_steps", "two_layer_net_train_toy_model"},
      dependents={"two_layer_net_accuracy"},
      note="learning rate 1: the digits run diverges (the features run uses 1.0 anyway)"),
    M("net_predict_argmin", NET, "TwoLayerNet.predict",
      "y_pred = np.argmax(self.loss(X), axis=1)", "y_pred = np.argmin(self.loss(X), axis=1)",
      fails={"two_layer_net_predict[*]"}),
]

assert len({m.name for m in MUTANTS}) == len(MUTANTS), "mutant names must be unique"


# ---------------------------------------------------------------------------
# grading
# ---------------------------------------------------------------------------

_GRADE_SCRIPT = r"""
import json, sys
from pathlib import Path
from autograder.runner import grade_submission, start_warm_workers
assignment, slot, jobs = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
start_warm_workers(assignment)  # many gradings here: workers forked warm (as root)
for key, sub, mods in jobs:
    res = grade_submission(Path(sub), assignment, modules=mods, slot=slot)
    out = {"key": key, "errors": res.errors, "time": res.execution_time, "parts": {}, "tests": {}}
    for p in res.parts:
        out["parts"][p.grade_id] = {
            "score": p.score, "max": p.max_points, "ntests": len(p.tests),
            "failed": [[t.name, t.message[:300]] for t in p.tests if not t.passed]}
        for t in p.tests:
            out["tests"][t.name] = "passed" if t.passed else "failed"
    print("@@RESULT@@" + json.dumps(out), flush=True)
"""


def grade_many(jobs, slot, timeout=900):
    """Grade ``(key, folder, modules)`` jobs one after the other in one fresh process."""
    env = dict(os.environ)
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    payload = json.dumps([[k, str(root), mods] for k, root, mods in jobs])
    proc = subprocess.run([sys.executable, "-c", _GRADE_SCRIPT, ASSIGNMENT, str(slot), payload],
                          capture_output=True, text=True, timeout=timeout, env=env)
    results = {}
    for line in proc.stdout.splitlines():
        if line.startswith("@@RESULT@@"):
            r = json.loads(line[len("@@RESULT@@"):])
            results[r.pop("key")] = r
    missing = [k for k, _, _ in jobs if k not in results]
    if missing:
        raise RuntimeError(f"grading {missing} failed (exit {proc.returncode}):\n"
                           f"{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return results


def release_copy(dest: Path) -> Path:
    """The student release of cs231n: release/assignment1/cs231n if it is there, else stubbed now."""
    released = release_dir(ASSIGNMENT) / "cs231n"
    if (released / "__init__.py").is_file():
        shutil.copytree(released, dest / "cs231n", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    else:
        stub_package(REFERENCE_PKG, dest / "cs231n")
    return dest


def expand(patterns, tests) -> set[str]:
    """Test names of ``patterns`` (``name[*]``: every parametrized case of ``name``)."""
    out = set()
    for p in patterns:
        if p.endswith("[*]"):
            found = {t for t in tests if t.startswith(p[:-3] + "[")}
            out |= found or {p}
        else:
            out.add(p)
    return out


def covered(name: str, users: set[str]) -> bool:
    """``name`` (a test, or ``name[*]``) is among ``users`` (which may hold ``name[*]``)."""
    return name in users or ("[" in name and name.split("[")[0] + "[*]" in users)


def judge(mutant: Mutant, result: dict) -> list[str]:
    problems = []
    tests = result["tests"]
    messages = {name: msg for p in result["parts"].values() for name, msg in p["failed"]}
    fails, deps = expand(mutant.fails, tests), expand(mutant.dependents, tests)
    for name in sorted(fails):
        if name not in tests:
            problems.append(f"{name}: not graded by {mutant.modules}")
        elif tests[name] != "failed":
            problems.append(f"{name}: passed, but it names this bug")
    for name in sorted(deps):
        if name not in tests:
            problems.append(f"dependent {name}: no such test in {mutant.modules}")
        elif tests[name] != "failed":
            problems.append(f"dependent {name}: passed; the list is kept exact, remove it")
    for name, status in sorted(tests.items()):
        if status == "failed" and name not in fails and name not in deps:
            problems.append(f"{name}: failed but is neither in fails nor in dependents: "
                            f"{messages.get(name, '')[:200]}")
    if result.get("errors"):
        problems.append(f"grading errors: {result['errors']}")
    return problems


@pytest.fixture(scope="module")
def graded():
    """Every mutant, the reference and the release, graded once: two processes, each a chunk."""
    base = Path(tempfile.mkdtemp(prefix="mutants-a1-"))
    try:
        jobs = [("reference", REFERENCE_ROOT, None),
                ("release", release_copy(base / "release"), None)]
        jobs += [(m.name, apply_mutant(REFERENCE_PKG, base / m.name, m), m.modules) for m in MUTANTS]
        # two balanced chunks: the full gradings first, one in each
        chunks = [jobs[0::2], jobs[1::2]]
        slots: queue.Queue = queue.Queue()
        for s in (30, 31):
            slots.put(s)

        def run(chunk):
            slot = slots.get()
            try:
                return grade_many(chunk, slot)
            finally:
                slots.put(slot)

        results = {}
        with ThreadPoolExecutor(max_workers=2) as pool:
            for part in pool.map(run, chunks):
                results.update(part)
        yield results
    finally:
        shutil.rmtree(base, ignore_errors=True)


# ---------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------

def test_catalogue_is_valid(tmp_path):
    assert len(MUTANTS) >= 15
    for m in MUTANTS:
        assert m.fails, f"{m.name} names no failing test"
        assert m.function in USERS, f"{m.name}: unknown function {m.function}"
        assert not m.fails & m.dependents, m.name
        unjustified = sorted(d for d in m.dependents if not covered(d, USERS[m.function]))
        assert not unjustified, f"{m.name}: unjustified dependents {unjustified}"
        root = apply_mutant(REFERENCE_PKG, tmp_path / m.name, m)  # each snippet occurs once
        assert (root / "cs231n" / m.file).read_text() != (REFERENCE_PKG / m.file).read_text()
    assert {m.file for m in MUTANTS} == set(FILE_MODULES), "every student file has mutants"
    # every part that grades one function on its own has a mutant of its own
    own = {"knn_two_loops", "knn_one_loop", "knn_no_loops", "knn_predict_labels", "svm_loss_naive",
           "svm_loss_vectorized", "linear_classifier_train", "softmax_loss_naive",
           "softmax_loss_vectorized", "two_layer_net_scores", "two_layer_net_loss",
           "two_layer_net_backward", "two_layer_net_train"}
    named = {name.split("[")[0] for m in MUTANTS for name in m.fails}
    for part in own:
        assert any(n.startswith(part) for n in named), f"no mutant fails a test of {part}"


def test_demo_bugs_plant(tmp_path):
    """assignment.toml's planted demo bugs replace text the reference holds, in their part's file."""
    spec = load_assignment(ASSIGNMENT)
    assert len(spec.demo.bugs) == 5
    for bug in spec.demo.bugs:
        assert bug.part in ALL_PARTS, bug.name
        assert (REFERENCE_PKG / bug.file).read_text().count(bug.old) == 1, bug.name


@pytest.mark.slow
def test_reference_scores_full_marks(graded):
    r = graded["reference"]
    assert r["errors"] == []
    assert {g for g, p in r["parts"].items() if p["ntests"]} == ALL_PARTS, \
        "every part of the assignment has hidden tests"
    lost = {g: p["failed"] for g, p in r["parts"].items() if p["score"] != p["max"]}
    assert not lost
    assert set(r["tests"].values()) == {"passed"}
    assert r["time"] < 60, f"the hidden suite took {r['time']:.0f} s on the reference"


@pytest.mark.slow
def test_release_scores_zero(graded):
    r = graded["release"]
    assert r["errors"] == []
    assert {g for g, p in r["parts"].items() if p["ntests"]} == ALL_PARTS
    assert sum(p["score"] for p in r["parts"].values()) == 0
    assert set(r["tests"].values()) == {"failed"}
    for gid, p in r["parts"].items():
        for name, message in p["failed"]:
            assert "not implemented yet" in message, (gid, name, message)


@pytest.mark.slow
@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_is_caught(mutant, graded):
    problems = judge(mutant, graded[mutant.name])
    assert not problems, f"{mutant.name} ({mutant.file}): " + "; ".join(problems)
