"""Hidden tests for cs231n/classifiers/neural_net.py (TwoLayerNet).

The student's network lives in the sandbox. For scores, loss and gradients the
REFERENCE network's parameters are copied in (``net.params = {...}``), so every
value is comparable: the notebook's toy model (np.random.seed(0); TwoLayerNet(4, 10,
3, std=1e-1); X from np.random.seed(1), 10 * randn(5, 4); y = [0, 1, 2, 2, 1]) and
networks of other shapes with non-zero biases. Gradients are compared with the
reference's and with centred numeric gradients of the reference's loss.

train is judged through a subclass defined in the worker whose loss calls the
student's own loss and records, at every step, the minibatch, the parameters and the
gradients: each minibatch holds batch_size rows of the training data with their
labels, and each step is params - learning_rate * grads with the learning rate the
given code decays once an epoch, whatever minibatches a correct implementation draws.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from autograder.judge import (
    as_array,
    as_scalar,
    assert_close,
    assert_close_scaled,
    assert_inputs_kept,
    assert_true,
    numeric_gradient,
    unpack,
)

_spec = importlib.util.spec_from_file_location("_hidden_a1_checks_nn", Path(__file__).with_name("a1_checks.py"))
a1 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(a1)

TOL_VALUE = 1e-7      # scores and loss against the reference (relative error)
TOL_GRAD = 1e-6       # gradients against the reference's
TOL_NUMERIC = 1e-6    # gradients against numeric gradients, relative to the largest entry
TOL_STEP = 1e-8       # a training step against params - learning_rate * grads
PARAMS = ("W1", "b1", "W2", "b2")


# ---------------------------------------------------------------------------
# networks and inputs
# ---------------------------------------------------------------------------

def toy(reference):
    """The notebook's toy model and data, made exactly as the notebook makes them."""
    np.random.seed(0)
    ref = reference.classifiers.neural_net.TwoLayerNet(4, 10, 3, std=1e-1)
    np.random.seed(1)
    X = 10 * np.random.randn(5, 4)
    y = np.array([0, 1, 2, 2, 1])
    return ref, X, y


def other(reference, seed, D, H, C, N, scale, pixels=False):
    """A network of another shape, every parameter (biases too) non-zero."""
    r = a1.rng(seed)
    ref = reference.classifiers.neural_net.TwoLayerNet(D, H, C)
    ref.params = {"W1": scale * r.standard_normal((D, H)), "b1": 0.5 * r.standard_normal(H),
                  "W2": scale * r.standard_normal((H, C)), "b2": 0.5 * r.standard_normal(C)}
    if pixels:
        X = r.integers(0, 256, size=(N, D)).astype(np.float64)
        X -= X.mean(axis=0)
    else:
        X = r.standard_normal((N, D))
    return ref, X, r.integers(0, C, N)


CASES = {
    "notebook_toy_model": lambda reference: toy(reference),
    "wider_net": lambda reference: other(reference, 5, 20, 15, 7, 9, 0.5),
    "digits_sized_net": lambda reference: other(reference, 6, 64, 50, 10, 30, 0.01, pixels=True),
}
CASE_REG = {"notebook_toy_model": 0.05, "wider_net": 0.0, "digits_sized_net": 0.7}


def case_text(name, ref, X, reg=None):
    D, H = ref.params["W1"].shape
    C = ref.params["W2"].shape[1]
    text = (f"the {name.replace('_', ' ')} (TwoLayerNet({D}, {H}, {C}), X of shape "
            f"{a1.shp(X.shape)}")
    return text + (f", reg={reg:g})" if reg is not None else ")")


def student_net(submission, ref):
    D, H = ref.params["W1"].shape
    C = ref.params["W2"].shape[1]
    net = submission.classifiers.neural_net.TwoLayerNet(D, H, C)
    net.params = {k: np.array(v) for k, v in ref.params.items()}
    return net


def loss_and_grads(net, X, y, reg, case):
    loss, grads = unpack(net.loss(X, y, reg=reg), 2, what="TwoLayerNet.loss", case=case,
                         names="loss, grads")
    assert_true(isinstance(grads, dict),
                f"TwoLayerNet.loss returned a {type(grads).__name__} as grads for {case}; "
                f"expected a dict with the keys of self.params.")
    for k in PARAMS:
        assert_true(k in grads, f"TwoLayerNet.loss returned no gradient for '{k}' for {case}.")
    return loss, grads


# ---------------------------------------------------------------------------
# two_layer_net_scores
# ---------------------------------------------------------------------------

@pytest.mark.grade("two_layer_net_scores", points=1)
@pytest.mark.parametrize("name", list(CASES))
def test_two_layer_net_scores(submission, reference, name):
    ref, X, _ = CASES[name](reference)
    case = case_text(name, ref, X) + " with y=None"
    expected = ref.loss(X)
    got = student_net(submission, ref).loss(X)
    assert_close(got, expected, what="TwoLayerNet.loss's scores", case=case, tol=TOL_VALUE)


# ---------------------------------------------------------------------------
# two_layer_net_loss
# ---------------------------------------------------------------------------

@pytest.mark.grade("two_layer_net_loss", points=1)
@pytest.mark.parametrize("name", list(CASES))
def test_two_layer_net_loss(submission, reference, name):
    ref, X, y = CASES[name](reference)
    reg = CASE_REG[name]
    case = case_text(name, ref, X, reg)
    expected, _ = ref.loss(X, y, reg=reg)
    loss, _ = loss_and_grads(student_net(submission, ref), X, y, reg, case)
    assert_close(as_scalar(loss, what="TwoLayerNet.loss's loss", case=case), expected,
                 what="TwoLayerNet.loss's loss", case=case, tol=TOL_VALUE)


@pytest.mark.grade("two_layer_net_loss", points=0.75)
def test_two_layer_net_loss_large_scores(submission, reference):
    """Edge case: scores near 1000 (large output biases; the TODO: keep the loss numerically
    stable). The scores of one example differ by a few units only."""
    ref, X, y = other(reference, 7, 6, 8, 4, 10, 0.5)
    ref.params["b2"] = 1000.0 + ref.params["b2"]
    reg = 0.0
    scores = ref.loss(X)
    case = (f"scores between {scores.min():.0f} and {scores.max():.0f} (TwoLayerNet(6, 8, 4) "
            f"with output biases near 1000, X of shape (10, 6), reg=0)")
    expected, _ = ref.loss(X, y, reg=reg)
    loss, _ = loss_and_grads(student_net(submission, ref), X, y, reg, case)
    assert_close(loss, expected, what="TwoLayerNet.loss's loss", case=case, tol=TOL_VALUE)


# ---------------------------------------------------------------------------
# two_layer_net_backward
# ---------------------------------------------------------------------------

@pytest.mark.grade("two_layer_net_backward", points=1)
@pytest.mark.parametrize("name", list(CASES))
def test_two_layer_net_backward(submission, reference, name):
    ref, X, y = CASES[name](reference)
    reg = CASE_REG[name]
    case = case_text(name, ref, X, reg)
    _, expected = ref.loss(X, y, reg=reg)
    _, grads = loss_and_grads(student_net(submission, ref), X, y, reg, case)
    for k in PARAMS:
        assert_close(grads[k], expected[k], what=f"the gradient of '{k}'", case=case, tol=TOL_GRAD)


@pytest.mark.grade("two_layer_net_backward", points=1)
@pytest.mark.parametrize("name", ["notebook_toy_model", "wider_net"])
def test_two_layer_net_backward_numeric(submission, reference, name):
    ref, X, y = CASES[name](reference)
    reg = CASE_REG[name] or 0.1
    case = case_text(name, ref, X, reg)
    numeric = {k: numeric_gradient(lambda v: ref.loss(X, y, reg=reg)[0], ref.params[k])
               for k in PARAMS}
    _, grads = loss_and_grads(student_net(submission, ref), X, y, reg, case)
    for k in PARAMS:
        assert_close_scaled(grads[k], numeric[k], what=f"the gradient of '{k}'", case=case,
                            tol=TOL_NUMERIC, against="a numeric gradient of the loss")


@pytest.mark.grade("two_layer_net_backward", points=0.5)
def test_two_layer_net_backward_keeps_inputs(submission, reference):
    """Edge case: X and the network's parameters come out of loss unchanged."""
    ref, X, y = CASES["wider_net"](reference)
    reg = 0.3
    case = case_text("wider_net", ref, X, reg)
    before = {k: np.array(v) for k, v in ref.params.items()}
    _, expected = ref.loss(X, y, reg=reg)
    net = student_net(submission, ref)
    result = net.loss(X, y, reg=reg)
    assert_inputs_kept(submission.last_modified, "TwoLayerNet.loss", ("X",), case)
    after = net.params
    for k in PARAMS:
        same = isinstance(after, dict) and k in after and np.array_equal(after[k], before[k])
        assert_true(same, f"TwoLayerNet.loss changed self.params['{k}'] for {case}; the loss "
                          f"computes gradients, train updates the parameters.")
    _, grads = unpack(result, 2, what="TwoLayerNet.loss", case=case, names="loss, grads")
    for k in PARAMS:
        assert_close(grads[k], expected[k], what=f"the gradient of '{k}'", case=case, tol=TOL_GRAD)


# ---------------------------------------------------------------------------
# two_layer_net_train (train and predict, on the student's own loss)
# ---------------------------------------------------------------------------

PROBE = '''
import numpy as np
from cs231n.classifiers.neural_net import TwoLayerNet


class GraderRecordedNet(TwoLayerNet):
    def loss(self, X, y=None, reg=0.0):
        if y is None:
            return super().loss(X, y, reg=reg)
        params = {k: np.array(v, dtype=np.float64, copy=True) for k, v in self.params.items()}
        result = super().loss(X, y=y, reg=reg)
        loss, grads = result
        grader_calls.append({"params": params, "X": np.array(X, copy=True),
                             "y": np.array(y, copy=True), "loss": loss,
                             "grads": {k: np.array(v, copy=True) for k, v in grads.items()}})
        return result


grader_calls = []
'''


def train_data(seed, N=48, D=6, C=3):
    r = a1.rng(seed)
    centres = 2.0 * r.standard_normal((C, D))
    y = np.arange(N) % C
    return centres[y] + r.standard_normal((N, D)), y


def run_train(submission, reference, seed, *, lr=0.1, decay=0.9, reg=1e-3, num_iters=10,
              batch_size=16, N=48, D=6, H=8, C=3):
    X, y = train_data(seed, N, D, C)
    X_val, y_val = train_data(seed + 100, 12, D, C)
    r = a1.rng(seed + 1)
    params = {"W1": 0.3 * r.standard_normal((D, H)), "b1": 0.1 * r.standard_normal(H),
              "W2": 0.3 * r.standard_normal((H, C)), "b2": 0.1 * r.standard_normal(C)}
    ns = submission.exec(PROBE, filename="<grader's recording TwoLayerNet>")
    net = ns["GraderRecordedNet"](D, H, C)
    net.params = {k: v.copy() for k, v in params.items()}
    a1.seed_worker(submission, seed)
    case = (f"TwoLayerNet({D}, {H}, {C}).train(X of shape ({N}, {D}), learning_rate={lr:g}, "
            f"learning_rate_decay={decay:g}, reg={reg:g}, num_iters={num_iters}, "
            f"batch_size={batch_size})")
    with submission.timeout(10):
        stats = net.train(X, y, X_val, y_val, learning_rate=lr, learning_rate_decay=decay, reg=reg,
                          num_iters=num_iters, batch_size=batch_size)
    calls = ns["grader_calls"]
    assert_true(isinstance(calls, list) and len(calls) == num_iters,
                f"{case} computed the loss with labels {len(calls) if isinstance(calls, list) else 0} "
                f"times; expected once per iteration ({num_iters} times).")
    return X, y, params, stats, calls, net, case


@pytest.mark.grade("two_layer_net_train", points=2)
def test_two_layer_net_train_sgd_steps(submission, reference):
    lr, decay, batch_size, N = 0.1, 0.9, 16, 48
    X, y, params, stats, calls, net, case = run_train(submission, reference, 1, lr=lr, decay=decay,
                                                      batch_size=batch_size, N=N)
    per_epoch = max(N // batch_size, 1)
    seen = [c["params"] for c in calls] + [net.params]
    for k in PARAMS:
        assert_close(seen[0][k], params[k], what=f"params['{k}'] at the first iteration",
                     case=case, tol=TOL_STEP, against="the parameters set before training")
    for t, c in enumerate(calls):
        # the given code decays the rate after iterations 0, per_epoch, 2 * per_epoch, ...
        rate = lr * decay ** sum(1 for i in range(t) if i % per_epoch == 0)
        where = "after training" if t == len(calls) - 1 else f"after iteration {t}"
        for k in PARAMS:
            expected = np.asarray(seen[t][k]) - rate * np.asarray(c["grads"][k])
            assert_close(seen[t + 1][k], expected, what=f"params['{k}'] {where}", case=case,
                         tol=TOL_STEP, against=f"params - learning_rate * grads (learning rate "
                                               f"{rate:.4g} at that iteration)")


@pytest.mark.grade("two_layer_net_train", points=1)
def test_two_layer_net_train_minibatches(submission, reference):
    batch_size = 16
    X, y, params, stats, calls, net, case = run_train(submission, reference, 2, batch_size=batch_size)
    used = set()
    for t, c in enumerate(calls):
        where = f"{case}, iteration {t}"
        Xb = as_array(c["X"], what="X_batch", case=where, shape=(batch_size, X.shape[1]))
        yb = as_array(c["y"], what="y_batch", case=where, shape=(batch_size,))
        d = np.sqrt(((Xb[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))
        rows = d.argmin(axis=1)
        assert_true(np.all(d[np.arange(batch_size), rows] < 1e-9),
                    f"X_batch at iteration {t} of {case} holds rows that are not rows of X.")
        assert_true(np.array_equal(yb.astype(np.int64), y[rows]),
                    f"y_batch at iteration {t} of {case} does not hold the labels of the rows "
                    f"of X_batch.")
        used.update(rows.tolist())
    assert_true(len(used) > batch_size,
                f"{case} used only {len(used)} different training rows in {len(calls)} "
                f"minibatches; expected minibatches sampled from all {X.shape[0]} rows.")


@pytest.mark.grade("two_layer_net_train", points=1)
def test_two_layer_net_train_loss_history(submission, reference):
    X, y, params, stats, calls, net, case = run_train(submission, reference, 3)
    assert_true(isinstance(stats, dict) and "loss_history" in stats,
                f"{case} returned {type(stats).__name__}; expected a dict with 'loss_history'.")
    history = stats["loss_history"]
    assert_true(isinstance(history, (list, tuple)) and len(history) == len(calls),
                f"{case} returned a loss_history of "
                f"{len(history) if isinstance(history, (list, tuple)) else 'no'} entries; "
                f"expected one loss per iteration ({len(calls)}).")
    got = np.array([as_scalar(h, what="an entry of loss_history", case=case) for h in history])
    expected = np.array([as_scalar(c["loss"], what="TwoLayerNet.loss's loss", case=case)
                         for c in calls])
    assert_close(got, expected, what="TwoLayerNet.train's loss_history", case=case, tol=1e-10,
                 against="the losses self.loss returned, in order")


@pytest.mark.grade("two_layer_net_train", points=1)
def test_two_layer_net_train_toy_model(submission, reference):
    """The notebook's run: the toy model trained on its 5 points reaches a small loss."""
    ref, X, y = toy(reference)
    net = student_net(submission, ref)
    a1.seed_worker(submission, 0)
    case = ("the toy model trained as in the notebook (train(X, y, X, y, learning_rate=1e-1, "
            "reg=5e-6, num_iters=100))")
    with submission.timeout(10):
        stats = net.train(X, y, X, y, learning_rate=1e-1, reg=5e-6, num_iters=100, verbose=False)
    assert_true(isinstance(stats, dict) and "loss_history" in stats,
                f"{case} returned {type(stats).__name__}; expected a dict with 'loss_history'.")
    history = stats["loss_history"]
    final = as_scalar(history[-1] if len(history) else None, what="the last loss of loss_history",
                      case=case)
    assert_true(final < 0.05, f"{case} ended with a training loss of {final:.3g}; expected less "
                              f"than 0.05 (the notebook asks for less than 0.02; correct code "
                              f"reaches about 0.016).")


PREDICT_CASES = {"wider_net": (11, 20, 15, 7, 40), "digits_sized_net": (12, 64, 50, 10, 60)}


@pytest.mark.grade("two_layer_net_train", points=1)
@pytest.mark.parametrize("name", list(PREDICT_CASES))
def test_two_layer_net_predict(submission, reference, name):
    seed, D, H, C, N = PREDICT_CASES[name]
    ref, X, _ = other(reference, seed, D, H, C, N, 0.5)
    expected = np.argmax(ref.loss(X), axis=1)
    case = case_text(name, ref, X)
    got = a1.as_labels(student_net(submission, ref).predict(X), what="TwoLayerNet.predict",
                       case=case, n=N)
    wrong = int(np.sum(got != expected))
    assert_true(wrong == 0, f"TwoLayerNet.predict predicted {wrong} of {N} labels wrongly for "
                            f"{case}; expected the class with the highest score.")
