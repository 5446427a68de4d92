"""The reference classifiers train on the embedded digits with the reference Solver.

Hyperparameters are those of the course's ``demo/assignment2/train_reference.py`` (the ones
``make demo`` uses). Run with ``pytest -s`` to see accuracies and times.
"""
from __future__ import annotations

import numpy as np
import pytest

from course_scripts import course_script
from cs231n.data_utils import get_digits_data

MIN_VAL_ACC = 0.90
MAX_SECONDS = 45.0  # budget 60 s on 2 shared cores; typical runs take < 15 s

pytestmark = pytest.mark.slow

_script = course_script("demo/assignment2/train_reference.py")
CONFIGS, train_model, train_reference_models = _script.CONFIGS, _script.train_model, _script.train_reference_models


@pytest.fixture(scope="module")
def digits():
    return get_digits_data()


def _accuracy(model, X, y):
    return float(np.mean(np.argmax(model.loss(X), axis=1) == y))


@pytest.mark.parametrize("kind", ["fc_net", "cnn"])
def test_reference_model_reaches_validation_accuracy(kind, digits):
    model, solver, seconds = train_model(kind, digits, seed=0)
    val_acc = _accuracy(model, digits["X_val"], digits["y_val"])
    test_acc = _accuracy(model, digits["X_test"], digits["y_test"])
    print("\n[%s] %s: val acc %.3f, test acc %.3f, %.1f s (%d epochs)"
          % (kind, type(model).__name__, val_acc, test_acc, seconds,
             CONFIGS[kind]["solver"]["num_epochs"]))
    assert val_acc >= MIN_VAL_ACC
    assert val_acc == pytest.approx(solver.best_val_acc)
    assert test_acc >= MIN_VAL_ACC - 0.05
    assert seconds < MAX_SECONDS
    # Training must make progress: the loss falls well below log(10).
    assert np.mean(solver.loss_history[-10:]) < 0.5 * np.log(10)


@pytest.mark.parametrize("kind", ["fc_net", "cnn"])
def test_reference_model_overfits_50_samples(kind, digits):
    # Validating on the 50 training samples themselves makes the parameters
    # the Solver keeps at the end (its best "validation" accuracy) the best
    # fit of those 50, so the final model itself must classify all of them.
    X50, y50 = digits["X_train"][:50], digits["y_train"][:50]
    small = {"X_train": X50, "y_train": y50, "X_val": X50, "y_val": y50}
    model, solver, seconds = train_model(kind, small, seed=0, num_epochs=40,
                                         batch_size=10, lr_decay=1.0,
                                         optim_config={"learning_rate": 2e-3})
    train_acc = _accuracy(model, X50, y50)
    print("\n[%s] overfit 50 samples: final model %.3f, history max %.3f, last epoch %.3f, %.1f s"
          % (kind, train_acc, max(solver.train_acc_history), solver.train_acc_history[-1],
             seconds))
    assert max(solver.train_acc_history) == 1.0
    assert solver.best_val_acc == 1.0
    assert train_acc == 1.0
    assert seconds < MAX_SECONDS


def test_train_reference_models_reports_both(capsys):
    results = train_reference_models(verbose=True, seed=0)
    out = capsys.readouterr().out
    with capsys.disabled():
        print("\ntrain_reference_models:", {
            k: {m: round(v, 3) for m, v in r.items()} for k, r in results.items()})
    assert set(results) == {"fc_net", "cnn"}
    for kind, res in results.items():
        assert set(res) == {"val_acc", "test_acc", "seconds"}
        assert res["val_acc"] >= MIN_VAL_ACC, kind
        assert 0.0 <= res["test_acc"] <= 1.0
        assert 0.0 < res["seconds"] < MAX_SECONDS, kind
        assert "[reference %s]" % kind in out
