"""The hidden suites catch planted bugs: every mutant of tests/mutants.py loses
points on the part that names it and keeps full points on every part that does
not depend on the mutated code.

All mutants are graded once, up front, two processes at a time (each grading a
chunk of mutants in its own sandbox worker slot), with only the hidden modules
that exercise the mutated file (``mutants.FILE_MODULES``). About 3-4 minutes on
two cores.
"""
from __future__ import annotations

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


def test_catalogue_is_valid(tmp_path):
    assert len(catalogue.MUTANTS) >= 30
    hidden = {p.name for p in grading_tests_dir("assignment2").glob("test_*.py")}
    for m in catalogue.MUTANTS:
        assert m.fails, f"{m.name} names no failing part"
        assert m.fails <= ALL_PARTS and m.may_fail <= ALL_PARTS, m.name
        assert set(m.modules) <= hidden, f"{m.name}: unknown hidden modules {m.modules}"
        # every snippet occurs exactly once (apply_mutant raises otherwise) and changes the file
        root = catalogue.apply_mutant(REFERENCE_PKG, tmp_path / m.name, m)
        assert (root / "cs231n" / m.file).read_text() != (REFERENCE_PKG / m.file).read_text()
    # every student file with a hidden module has mutants
    assert {m.file for m in catalogue.MUTANTS} == set(catalogue.FILE_MODULES)


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
