"""The solution regions of the assignment 1 reference: where they are, that
the TODO text sits above them, and that the package still imports and its
given code still runs with every region replaced by a raise (what the stub
stage releases to students)."""
from __future__ import annotations

import ast
import shutil
from pathlib import Path

import numpy as np
import pytest

from a1ref_helpers import A1_DIR, A1_MODULES, swapped_cs231n

PACKAGE = A1_DIR / "cs231n"
BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"

# module -> {function: number of regions}: the student's work, nothing else.
EXPECTED_REGIONS = {
    "classifiers/k_nearest_neighbor.py": {
        "KNearestNeighbor.compute_distances_two_loops": 1,
        "KNearestNeighbor.compute_distances_one_loop": 1,
        "KNearestNeighbor.compute_distances_no_loops": 1,
        "KNearestNeighbor.predict_labels": 1,
    },
    "classifiers/linear_svm.py": {"svm_loss_naive": 2, "svm_loss_vectorized": 2},
    "classifiers/softmax.py": {"softmax_loss_naive": 1, "softmax_loss_vectorized": 1},
    "classifiers/linear_classifier.py": {
        "LinearClassifier.train": 2,          # minibatch sampling, update
        "LinearClassifier.predict": 1,
    },
    "classifiers/neural_net.py": {
        "TwoLayerNet.loss": 3,                # forward scores, loss, backward
        "TwoLayerNet.train": 2,               # minibatch sampling, update
        "TwoLayerNet.predict": 1,
    },
}


def _modules():
    return sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py"))


def _regions(text):
    """[(begin line, end line)] (1-based), checking they balance."""
    regions, begin = [], None
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if s == BEGIN:
            assert begin is None, "nested region at line %d" % n
            begin = n
        elif s == END:
            assert begin is not None, "END without BEGIN at line %d" % n
            regions.append((begin, n))
            begin = None
        else:
            assert "BEGIN SOLUTION" not in s and "END SOLUTION" not in s, n
    assert begin is None, "unclosed region at line %d" % begin
    return regions


def _functions(tree):
    out = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef):
                out.append((prefix + child.name, child))
                visit(child, prefix + child.name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")

    visit(tree, "")
    return out


def strip_regions(text):
    """The simple line filter: each region, markers included, becomes one
    ``raise NotImplementedError`` at the BEGIN marker's indentation."""
    out, inside = [], False
    for line in text.splitlines(keepends=True):
        s = line.strip()
        if s == BEGIN:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + 'raise NotImplementedError("region removed")\n')
            inside = True
        elif s == END:
            inside = False
        elif not inside:
            out.append(line)
    return "".join(out)


def test_module_list():
    assert _modules() == sorted([
        "__init__.py", "classifiers/__init__.py", "classifiers/k_nearest_neighbor.py",
        "classifiers/linear_svm.py", "classifiers/softmax.py",
        "classifiers/linear_classifier.py", "classifiers/neural_net.py",
        "data_utils.py", "features.py", "gradient_check.py", "vis_utils.py",
        "checks.py", "notebook.py",  # the given public checks and notebook set-up
    ])
    assert len(A1_MODULES) == len(_modules())


@pytest.mark.parametrize("module", _modules())
def test_regions_sit_in_the_expected_functions_below_their_todo(module):
    text = (PACKAGE / module).read_text()
    lines = text.splitlines()
    functions = _functions(ast.parse(text))
    found = {}
    for begin, end in _regions(text):
        owners = [name for name, node in functions if node.lineno < begin and end <= node.end_lineno]
        assert owners, "%s:%d: region outside a function body" % (module, begin)
        owner = max(owners, key=len)
        found[owner] = found.get(owner, 0) + 1
        # the TODO guidance is the comment block just above the BEGIN line
        above = begin - 2
        block = []
        while above >= 0 and lines[above].strip().startswith("#"):
            block.append(lines[above])
            above -= 1
        assert any("TODO" in line for line in block), "%s:%d: no TODO above the region" % (module, begin)
        # and nothing of the guidance inside the region
        assert not any("TODO" in line for line in lines[begin:end - 1]), (module, begin)
    assert found == EXPECTED_REGIONS.get(module, {})


@pytest.mark.parametrize("module", _modules())
def test_package_imports_only_numpy(module):
    """numpy only; scikit-learn only for the digits loader."""
    tree = ast.parse((PACKAGE / module).read_text())
    allowed = {"numpy", "os", "pickle", "random", "math", "__future__", "builtins", "importlib"}
    if module == "data_utils.py":
        allowed |= {"sklearn"}
    if module in ("checks.py", "notebook.py"):  # given helpers: the standard library too
        allowed |= {"time", "re", "sys", "contextlib", "traceback", "threadpoolctl", "IPython", "matplotlib"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level > 0:
                continue                      # relative: inside the package
            names = [node.module]
        else:
            continue
        for name in names:
            assert name.split(".")[0] in allowed, (module, name)


@pytest.fixture(scope="module")
def stripped(tmp_path_factory):
    """The package with every region replaced by a raise, imported as
    ``cs231n`` (swapped in like the reference)."""
    root = tmp_path_factory.mktemp("a1_stripped")
    for module in _modules():
        target = root / "cs231n" / module
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(strip_regions((PACKAGE / module).read_text()))
    with swapped_cs231n(root) as pkg:
        yield pkg


def test_stripped_package_imports(stripped):
    assert Path(stripped.__file__).parent.name == "cs231n"
    c = stripped.classifiers
    for name in ("KNearestNeighbor", "LinearSVM", "Softmax", "LinearClassifier", "TwoLayerNet"):
        assert hasattr(c, name)
    for module in EXPECTED_REGIONS:
        source = Path(stripped.__file__).parent / module
        assert BEGIN not in source.read_text()


def test_stripped_student_functions_raise(stripped):
    c = stripped.classifiers
    rng = np.random.default_rng(0)
    W, X, y = rng.normal(size=(5, 3)), rng.normal(size=(6, 5)), np.array([0, 1, 2, 0, 1, 2])
    knn = c.KNearestNeighbor()
    knn.train(X, y)                                  # given
    calls = [
        lambda: knn.compute_distances_two_loops(X),
        lambda: knn.compute_distances_one_loop(X),
        lambda: knn.compute_distances_no_loops(X),
        lambda: knn.predict_labels(np.ones((2, 6)), k=1),
        lambda: knn.predict(X),
        lambda: c.linear_svm.svm_loss_naive(W, X, y, 0.1),
        lambda: c.linear_svm.svm_loss_vectorized(W, X, y, 0.1),
        lambda: c.softmax.softmax_loss_naive(W, X, y, 0.1),
        lambda: c.softmax.softmax_loss_vectorized(W, X, y, 0.1),
        lambda: c.LinearSVM().train(X, y, num_iters=1),
        lambda: c.Softmax().predict(X),
    ]
    np.random.seed(0)
    net = c.TwoLayerNet(5, 4, 3)                     # given
    assert net.params["W1"].shape == (5, 4)
    calls += [
        lambda: net.loss(X),
        lambda: net.loss(X, y),
        lambda: net.train(X, y, X, y, num_iters=1),
        lambda: net.predict(X),
    ]
    for call in calls:
        with pytest.raises(NotImplementedError):
            call()


def test_stripped_given_code_runs(stripped):
    """features, data_utils, gradient_check and vis_utils have no regions:
    they work in the student's release."""
    f = stripped.features
    img = np.random.default_rng(1).uniform(0, 255, size=(3, 8, 8, 1))
    feats = f.extract_features(img, [lambda im: f.hog_feature(im, pixels_per_cell=4),
                                     f.color_histogram_hsv])
    assert feats.shape == (3, 46)
    d = stripped.data_utils.get_digits_data()
    assert d["X_train"].shape == (1197, 8, 8, 1)
    grad = stripped.gradient_check.eval_numerical_gradient(lambda v: np.sum(v ** 2), np.ones(3), verbose=False)
    np.testing.assert_allclose(grad, 2 * np.ones(3), rtol=1e-6)
    assert stripped.vis_utils.visualize_grid(img).shape == (17, 17, 1)
