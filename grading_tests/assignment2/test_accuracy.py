"""Hidden accuracy tests: networks built from the student's own layers, trained
in the sandbox with the (given) Solver and the student's own update rule.

Only TRAINING data enters the worker: the Solver's validation split is carved
out of the digits training set. The starting parameters are drawn here (the
reference initialisation, seeded) and copied into the student's model, so
nothing the model's constructor computes survives into training. The trained
parameters come back as data and are scored here, on the trusted side, with
the REFERENCE network's forward pass on the digits validation and test images,
whose labels never leave this process.
"""
import numpy as np
import pytest

from autograder.judge import as_array, assert_true

THRESHOLD = 0.85     # the reference reaches 0.93-0.97 with these settings
TRAIN_TIMEOUT = 120  # seconds for one training call in the worker


def split(digits, seed=0, n_val=200):
    """The data the worker sees: the training images only, split into train/val."""
    X, y = digits["X_train"], digits["y_train"]
    perm = np.random.default_rng(seed).permutation(X.shape[0])
    va, tr = perm[:n_val], perm[n_val:]
    return {"X_train": X[tr], "y_train": y[tr], "X_val": X[va], "y_val": y[va]}


def held_out(digits):
    X = np.concatenate([digits["X_val"], digits["X_test"]])
    y = np.concatenate([digits["y_val"], digits["y_test"]])
    return X, y


def fetch_params(model, ref_params, what, case):
    params = model.params
    assert_true(isinstance(params, dict), f"{what}.params is not a dict after training ({case}).")
    out = {}
    for k, v in ref_params.items():
        assert_true(k in params, f"{what} has no parameter '{k}' after training ({case}).")
        out[k] = np.asarray(as_array(params[k], what=f"the trained params['{k}']", case=case,
                                     shape=v.shape), dtype=np.float64)
        assert_true(np.all(np.isfinite(out[k])),
                    f"the trained params['{k}'] contain NaN or infinite values ({case}); the "
                    f"training diverged.")
    return out


def start_from(model, ref_params):
    """Copy trusted starting parameters (float32, like the model's default dtype) into the model."""
    model.params = {k: np.asarray(v, dtype=np.float32) for k, v in ref_params.items()}


def train_in_worker(submission, model, data, **solver_kw):
    solver = submission.solver.Solver(model, data, verbose=False, seed=0, **solver_kw)
    with submission.timeout(TRAIN_TIMEOUT):
        solver.train()
    return solver


def accuracy(ref_model, params, X, y):
    ref_model.params = params
    scores = ref_model.loss(X)
    return float(np.mean(np.argmax(scores, axis=1) == y))


@pytest.mark.grade("fc_net_accuracy", points=1)
def test_fc_net_accuracy(submission, reference, digits):
    case = ("FullyConnectedNet([100]) trained with Solver(update_rule='adam', "
            "learning_rate=3e-3, num_epochs=8) on the digits")
    np.random.seed(0)
    ref = reference.classifiers.fc_net.FullyConnectedNet(
        [100], input_dim=64, num_classes=10, weight_scale=5e-2, dtype=np.float64)
    submission.call("numpy.random.seed", 0)
    model = submission.classifiers.fc_net.FullyConnectedNet(
        [100], input_dim=64, num_classes=10, weight_scale=5e-2, reg=1e-3)
    start_from(model, ref.params)
    train_in_worker(submission, model, split(digits), update_rule="adam",
                    optim_config={"learning_rate": 3e-3}, num_epochs=8, batch_size=50)
    params = fetch_params(model, ref.params, "FullyConnectedNet", case)
    X, y = held_out(digits)
    acc = accuracy(ref, params, X, y)
    assert_true(acc >= THRESHOLD,
                f"{case} reached {acc:.1%} accuracy on held-out digits; expected at least "
                f"{THRESHOLD:.0%}.")


@pytest.mark.grade("convnet_accuracy", points=1)
def test_convnet_accuracy(submission, reference, digits):
    case = ("ThreeLayerConvNet(num_filters=8, filter_size=3, hidden_dim=64) trained with "
            "Solver(update_rule='adam', learning_rate=5e-3, num_epochs=5) on the digits")
    kw = dict(input_dim=(1, 8, 8), num_filters=8, filter_size=3, hidden_dim=64, num_classes=10)
    np.random.seed(0)
    ref = reference.classifiers.cnn.ThreeLayerConvNet(weight_scale=1e-1, dtype=np.float64, **kw)
    submission.call("numpy.random.seed", 0)
    model = submission.classifiers.cnn.ThreeLayerConvNet(weight_scale=1e-1, reg=1e-3, **kw)
    start_from(model, ref.params)
    train_in_worker(submission, model, split(digits), update_rule="adam",
                    optim_config={"learning_rate": 5e-3}, num_epochs=5, batch_size=50,
                    num_train_samples=200)
    params = fetch_params(model, ref.params, "ThreeLayerConvNet", case)
    X, y = held_out(digits)
    acc = accuracy(ref, params, X, y)
    assert_true(acc >= THRESHOLD,
                f"{case} reached {acc:.1%} accuracy on held-out digits; expected at least "
                f"{THRESHOLD:.0%}.")
