"""The hidden suites catch planted bugs: every mutant of tests/mutants.py fails
the hidden tests that name it, and no other test fails except its listed
dependents (tests that reach the mutated function through other student code,
checked against ``mutants.USERS``).

All mutants are graded once, up front, by two processes (each grading half of
them in its own sandbox worker slot, its workers forked warm where the machine
allows), with only the hidden modules that exercise the mutated file
(``mutants.FILE_MODULES``; ``test_accuracy`` only for mutants of what it calls). About
35 s on two idle cores.
"""
from __future__ import annotations

import ast
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mutants as catalogue  # noqa: E402
from autograder.paths import grading_tests_dir, solutions_dir  # noqa: E402

REFERENCE_PKG = solutions_dir("assignment2") / "cs231n"

ALL_PARTS = {
    "affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss",
    "svm_loss", "fc_net", "sgd_momentum", "nesterov_momentum", "adagrad", "rmsprop", "adam",
    "fc_net_accuracy", "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
    "layernorm_forward", "layernorm_backward", "affine_norm_relu", "fc_net_normalization",
    "dropout_forward", "dropout_backward", "fc_net_dropout", "conv_forward_naive",
    "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive",
    "three_layer_convnet", "convnet_accuracy", "spatial_batchnorm_forward",
    "spatial_batchnorm_backward", "spatial_groupnorm_forward", "spatial_groupnorm_backward",
    "torch_flatten", "torch_two_layer_fc", "torch_three_layer_convnet", "torch_train_model",
    "torch_best_model",
}


def hidden_test_names() -> dict[str, str]:
    """{test name without 'test_': hidden module} from the hidden suites' source: module-level
    test functions and names assigned to generated tests (test_optim's make_tests)."""
    names: dict[str, str] = {}
    for path in sorted(grading_tests_dir("assignment2").glob("test_*.py")):
        tree = ast.parse(path.read_text())
        found = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
        for node in tree.body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    elts = target.elts if isinstance(target, ast.Tuple) else [target]
                    found += [e.id for e in elts if isinstance(e, ast.Name)]
        for name in found:
            if name.startswith("test_"):
                assert name[5:] not in names, f"test name {name} is not unique across modules"
                names[name[5:]] = path.name
    return names


def test_catalogue_is_valid(tmp_path):
    assert len(catalogue.MUTANTS) >= 50
    tests = hidden_test_names()
    for m in catalogue.MUTANTS:
        assert m.fails, f"{m.name} names no failing test"
        assert m.function in catalogue.USERS, f"{m.name}: unknown function {m.function}"
        assert not m.fails & m.dependents, m.name
        for name in m.fails | m.dependents:
            assert tests.get(name) in m.modules, f"{m.name}: {name} is not a test of {m.modules}"
        # every dependent reaches the mutated function through other student code
        assert m.dependents <= catalogue.USERS[m.function], \
            f"{m.name}: unjustified dependents {sorted(m.dependents - catalogue.USERS[m.function])}"
        # every snippet occurs exactly once (apply_mutant raises otherwise) and changes the file
        root = catalogue.apply_mutant(REFERENCE_PKG, tmp_path / m.name, m)
        assert (root / "cs231n" / m.file).read_text() != (REFERENCE_PKG / m.file).read_text()
    # the accuracy tests run only for mutants of what they call (traced on the reference):
    # the networks, the layers they take from the reference, the Solver's Adam -- not the rest
    reach = catalogue.accuracy_reach()
    assert {("layers.py", "affine_forward"), ("layers.py", "softmax_loss"), ("optim.py", "adam"),
            ("classifiers/fc_net.py", "FullyConnectedNet"),
            ("classifiers/cnn.py", "ThreeLayerConvNet")} <= reach, sorted(reach)
    assert not catalogue.reaches_accuracy("layers.py", "batchnorm_forward")
    assert not catalogue.reaches_accuracy("optim.py", "sgd_momentum")
    with_accuracy = [m for m in catalogue.MUTANTS if catalogue.ACCURACY_MODULE in m.modules]
    assert {m.function for m in with_accuracy} >= {"FullyConnectedNet", "ThreeLayerConvNet",
                                                   "affine_forward", "adam"}
    # every student file with a hidden module has mutants
    assert {m.file for m in catalogue.MUTANTS} == set(catalogue.FILE_MODULES)
    # in-place changes of inputs are planted in backward passes and in norm forwards
    in_place = {m.function for m in catalogue.MUTANTS if "in_place" in m.name or "in_cache" in m.name}
    assert {"relu_backward", "batchnorm_backward", "batchnorm_forward",
            "layernorm_forward"} <= in_place


@pytest.fixture(scope="module")
def mutant_results():
    work = Path(tempfile.mkdtemp(prefix="mutants-"))
    try:
        yield catalogue.grade_mutants(REFERENCE_PKG, catalogue.MUTANTS, jobs=2, workdir=work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.parametrize("mutant", catalogue.MUTANTS, ids=lambda m: m.name)
def test_mutant_is_caught(mutant, mutant_results):
    result = mutant_results[mutant.name]
    problems = catalogue.judge_mutant(mutant, result)
    assert not problems, f"{mutant.name} ({mutant.file}): " + "; ".join(problems)


def test_a_dependent_on_a_part_that_does_not_need_the_function_is_double_jeopardy():
    """judge_mutant refuses a catalogued dependent that costs a part which neither grades nor
    `needs` the mutated function (flatten's bug used to cost TwoLayerFC's forward test)."""
    import dataclasses

    flatten = next(m for m in catalogue.MUTANTS if m.function == "flatten")
    listed = dataclasses.replace(flatten, dependents=frozenset({"two_layer_fc_forward"}))
    result = {"tests": {"flatten": "failed", "two_layer_fc_forward": "failed"}, "errors": [],
              "parts": {"torch_flatten": {"failed": [("flatten", "wrong")]},
                        "torch_two_layer_fc": {"failed": [("two_layer_fc_forward", "wrong")]}}}
    problems = catalogue.judge_mutant(listed, result)
    assert len(problems) == 1 and "torch_two_layer_fc" in problems[0] and "double jeopardy" in problems[0]
    # a backward part that `needs` its forward may lose its tests to the forward's bug
    forward = next(m for m in catalogue.MUTANTS if m.function == "relu_forward")
    backward_test = sorted(catalogue.USERS["relu_forward"])[0]
    listed = dataclasses.replace(forward, dependents=frozenset({backward_test}))
    result = {"tests": {**{n: "failed" for n in forward.fails}, backward_test: "failed"}, "errors": [],
              "parts": {"relu_forward": {"failed": [(n, "") for n in forward.fails]},
                        "relu_backward": {"failed": [(backward_test, "")]}}}
    assert catalogue.judge_mutant(listed, result) == []
