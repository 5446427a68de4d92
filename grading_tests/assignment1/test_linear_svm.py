"""Hidden tests for cs231n/classifiers/linear_svm.py (svm_loss_naive, svm_loss_vectorized).

Loss and dW are compared with the REFERENCE's function of the same name on seeded
inputs of three sizes (the notebook's 3073 x 10 weights among them), and dW with
centred numeric gradients of the reference's loss. The vectorized loss is judged
against the reference, never against the student's naive loss; its source must hold
no loop of any kind (its docstring: no Python loop over the examples, nor over the
classes), and it must run at least 10x faster than the reference's naive loss on the
same inputs.
"""
import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("_hidden_a1_losses_svm", Path(__file__).with_name("a1_losses.py"))
L = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(L)

MODULE = "linear_svm"
FILE = "classifiers/linear_svm.py"
RULE = ("its docstring asks for no Python loop over the examples (nor over the classes): "
        "compute all the margins with array operations")


# ---------------------------------------------------------------------------
# svm_loss_naive
# ---------------------------------------------------------------------------

@pytest.mark.grade("svm_loss_naive", points=0.5)
@pytest.mark.parametrize("name", list(L.CASES))
def test_svm_loss_naive_loss(submission, reference, name):
    L.check_case(submission, reference, MODULE, "svm_loss_naive", name, "loss")


@pytest.mark.grade("svm_loss_naive", points=1)
@pytest.mark.parametrize("name", list(L.CASES))
def test_svm_loss_naive_grad(submission, reference, name):
    L.check_case(submission, reference, MODULE, "svm_loss_naive", name, "grad")


@pytest.mark.grade("svm_loss_naive", points=1)
def test_svm_loss_naive_numeric(submission, reference):
    L.check_numeric(submission, reference, MODULE, "svm_loss_naive", "svm_loss_vectorized")


@pytest.mark.grade("svm_loss_naive", points=0.5)
def test_svm_loss_naive_keeps_inputs(submission, reference):
    """Edge case: W, X and y come out unchanged."""
    L.check_keeps_inputs(submission, reference, MODULE, "svm_loss_naive")


# ---------------------------------------------------------------------------
# svm_loss_vectorized
# ---------------------------------------------------------------------------

@pytest.mark.grade("svm_loss_vectorized", points=0.5)
@pytest.mark.parametrize("name", list(L.CASES))
def test_svm_loss_vectorized_loss(submission, reference, name):
    L.check_case(submission, reference, MODULE, "svm_loss_vectorized", name, "loss")


@pytest.mark.grade("svm_loss_vectorized", points=1)
@pytest.mark.parametrize("name", list(L.CASES))
def test_svm_loss_vectorized_grad(submission, reference, name):
    L.check_case(submission, reference, MODULE, "svm_loss_vectorized", name, "grad")


@pytest.mark.grade("svm_loss_vectorized", points=0.5)
def test_svm_loss_vectorized_numeric(submission, reference):
    L.check_numeric(submission, reference, MODULE, "svm_loss_vectorized", "svm_loss_vectorized")


@pytest.mark.grade("svm_loss_vectorized", points=1)
def test_svm_loss_vectorized_has_no_loops(submission, reference, student_source):
    L.check_no_loops(submission, reference, student_source, FILE, MODULE, "svm_loss_vectorized", RULE)


@pytest.mark.grade("svm_loss_vectorized", points=1)
def test_svm_loss_vectorized_speed(submission, reference):
    L.check_speed(submission, reference, MODULE, "svm_loss_vectorized", "svm_loss_naive", RULE)


@pytest.mark.grade("svm_loss_vectorized", points=0.5)
def test_svm_loss_vectorized_keeps_inputs(submission, reference):
    """Edge case: W, X and y come out unchanged."""
    L.check_keeps_inputs(submission, reference, MODULE, "svm_loss_vectorized")
