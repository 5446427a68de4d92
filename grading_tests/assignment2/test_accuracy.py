"""Hidden accuracy tests: networks (the student's class, its layers served from the
reference: see ``from_reference`` in assignment.toml) trained with the course's
update rule, scored on held-out digits on the trusted side.

The training loop is the course's Solver, run HERE, around a stand-in model
whose parameters live here too. Every step copies the current parameters into
the student's network in the sandbox and runs its loss on a minibatch of the
TRAINING images; each gradient is checked against the reference network at the
same parameters before the reference's update rule (Adam) uses it. Optimizers
are graded by their own parts, so an honest optimizer bug (Adam without bias
correction, say) costs nothing here. The parameters that come out are those of
a training run on training data only: nothing the student's code computes on
its own (its constructor, a fit to labels it found elsewhere -- the digits are
public) can replace them. The gradient check is loose on purpose (off by at
most half of the reference's largest entry): it tells a gradient from a forged
one, while a small mistake -- graded by the network's own part -- shows in the
accuracy as it would in the notebook, without failing this test by itself. The starting parameters
are drawn here (the reference initialisation, seeded); the Solver's validation
split is carved out of the training set. The trained parameters are scored
with the REFERENCE forward pass on the digits validation and test images,
whose labels never leave this process.
"""
import numpy as np
import pytest

from autograder.judge import (
    as_scalar,
    assert_close_scaled,
    assert_true,
    unpack,
)

THRESHOLD = 0.85     # the reference reaches 0.93-0.97 with these settings
STEP_TIMEOUT = 30    # seconds for one call into the worker
# a gradient or an update step may differ from the reference's by at most this share
# of the reference's largest entry (zero gradients or a jump elsewhere differ by 100%+)
TOL_STEP = 0.5


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


class SandboxedModel:
    """The student's network as the Solver sees it; the parameters live on the trusted side.

    ``loss(X, y)`` copies ``params`` into the student's network, runs its loss in the sandbox
    and checks the gradients against the reference network holding the same parameters
    (the loss value does not move the parameters: it is the student's, unchecked, as in the
    notebook). ``loss(X)``, the Solver's accuracy checks that pick the epoch whose parameters
    are kept, scores with the reference network at the same parameters, as the final score
    does: the network's test-time path is graded by its own part, not by this one too.
    """

    def __init__(self, submission, net, ref, params, what, case):
        self.submission, self.net, self.ref = submission, net, ref
        self.net_loss = net.loss  # looked up once: one round trip to the worker a step fewer
        self.params = params
        self.what, self.case = what, case
        self.step = 0

    def loss(self, X, y=None):
        self.ref.params = {k: np.array(v) for k, v in self.params.items()}
        if y is None:
            return self.ref.loss(X)
        self.net.params = {k: np.array(v) for k, v in self.params.items()}
        with self.submission.timeout(STEP_TIMEOUT):
            out = self.net_loss(X, y)
        self.step += 1
        where = f"{self.case}, training step {self.step}"
        _, rgrads = self.ref.loss(X, y)
        loss, grads = unpack(out, 2, what=f"{self.what}.loss", case=where, names="loss, grads")
        loss = as_scalar(loss, what=f"{self.what}.loss's loss", case=where)
        assert_true(isinstance(grads, dict),
                    f"{self.what}.loss returned no grads dict at {where}.")
        checked = {}
        for k, rg in rgrads.items():
            assert_true(k in grads, f"{self.what}.loss returned no gradient for '{k}' at "
                                    f"{where}.")
            assert_close_scaled(grads[k], rg, what=f"the gradient of '{k}'", case=where,
                                tol=TOL_STEP, against="the reference network's gradient")
            checked[k] = np.array(grads[k], dtype=np.float64)
        return float(loss), checked


def train(submission, reference, net, ref, data, what, case, **solver_kw):
    """Train with the course's Solver (trusted side) through the student's code; the
    trained parameters (a trusted dict)."""
    model = SandboxedModel(submission, net, ref, {k: v.copy() for k, v in ref.params.items()},
                           what, case)
    # the update rule is the reference's (the Solver's own, trusted side): optimizers are graded
    # by their own parts, so an honest optimizer bug never costs an accuracy part
    solver = reference.solver.Solver(model, data, verbose=False, seed=0, update_rule="adam", **solver_kw)
    solver.train()
    for k, v in model.params.items():
        assert_true(np.all(np.isfinite(v)), f"the trained params['{k}'] contain NaN or "
                                            f"infinite values ({case}).")
    return model.params


def accuracy(ref_model, params, X, y):
    ref_model.params = params
    scores = ref_model.loss(X)
    return float(np.mean(np.argmax(scores, axis=1) == y))


def f64(submission):
    return submission.get("numpy.float64")


@pytest.mark.grade("fc_net_accuracy", points=1)
def test_fc_net_accuracy(submission, reference, digits):
    case = ("FullyConnectedNet([100], reg=1e-3) trained with Solver(update_rule='adam', "
            "learning_rate=3e-3, num_epochs=8) on the digits")
    np.random.seed(0)
    ref = reference.classifiers.fc_net.FullyConnectedNet(
        [100], input_dim=64, num_classes=10, weight_scale=5e-2, reg=1e-3, dtype=np.float64)
    net = submission.classifiers.fc_net.FullyConnectedNet(
        [100], input_dim=64, num_classes=10, weight_scale=5e-2, reg=1e-3, dtype=f64(submission))
    params = train(submission, reference, net, ref, split(digits), "FullyConnectedNet", case,
                   optim_config={"learning_rate": 3e-3}, num_epochs=8, batch_size=50)
    X, y = held_out(digits)
    acc = accuracy(ref, params, X, y)
    assert_true(acc >= THRESHOLD,
                f"{case} reached {acc:.1%} accuracy on held-out digits; expected at least "
                f"{THRESHOLD:.0%}.")


@pytest.mark.grade("convnet_accuracy", points=1)
def test_convnet_accuracy(submission, reference, digits):
    case = ("ThreeLayerConvNet(num_filters=8, filter_size=3, hidden_dim=64, reg=1e-3) trained "
            "with Solver(update_rule='adam', learning_rate=5e-3, num_epochs=5) on the digits")
    kw = dict(input_dim=(1, 8, 8), num_filters=8, filter_size=3, hidden_dim=64, num_classes=10,
              weight_scale=1e-1, reg=1e-3)
    np.random.seed(0)
    ref = reference.classifiers.cnn.ThreeLayerConvNet(dtype=np.float64, **kw)
    net = submission.classifiers.cnn.ThreeLayerConvNet(dtype=f64(submission), **kw)
    params = train(submission, reference, net, ref, split(digits), "ThreeLayerConvNet", case,
                   optim_config={"learning_rate": 5e-3}, num_epochs=5, batch_size=50,
                   num_train_samples=200)
    X, y = held_out(digits)
    acc = accuracy(ref, params, X, y)
    assert_true(acc >= THRESHOLD,
                f"{case} reached {acc:.1%} accuracy on held-out digits; expected at least "
                f"{THRESHOLD:.0%}.")
