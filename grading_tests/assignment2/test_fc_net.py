"""Hidden tests for cs231n/classifiers/fc_net.py (FullyConnectedNet).

The student's network lives in the sandbox. Its parameter names, shapes and
initialisation are checked as data; then the REFERENCE parameters are copied
in (``net.params = {...}``) so that loss, scores and every gradient can be
compared with the reference network and with numeric gradients of the
reference loss. Dropout masks are never compared: with dropout, gradients are
checked against numeric gradients of the student's own (seeded) loss.
"""
import numpy as np
import pytest

from autograder.judge import (
    as_array,
    as_scalar,
    assert_close,
    assert_close_scaled,
    assert_true,
    numeric_gradient,
    unpack,
)

TOL_VALUE = 1e-7
TOL_GRAD = 1e-6
TOL_NUMERIC = 1e-5
TOL_NUMERIC_NORM = 1e-4  # normalized nets: the reference's own numeric error reaches ~3e-6


def f64(submission):
    """numpy.float64 as the worker knows it (a type cannot cross as data)."""
    return submission.get("numpy.float64")


def build(submission, reference, hidden, *, input_dim, num_classes, seed, **kw):
    """A student net and a reference net holding the same (reference-initialised) params."""
    np.random.seed(seed)
    ref = reference.classifiers.fc_net.FullyConnectedNet(
        hidden, input_dim=input_dim, num_classes=num_classes, dtype=np.float64,
        weight_scale=kw.pop("weight_scale", 5e-2), **kw)
    r = np.random.default_rng(seed)
    for k in sorted(ref.params):  # non-trivial gammas/betas/biases
        if k.startswith("b") or k.startswith("beta"):
            ref.params[k] = 0.1 * r.standard_normal(ref.params[k].shape)
        elif k.startswith("gamma"):
            ref.params[k] = 0.5 + r.random(ref.params[k].shape)
    net = submission.classifiers.fc_net.FullyConnectedNet(
        hidden, input_dim=input_dim, num_classes=num_classes, dtype=f64(submission),
        weight_scale=5e-2, **kw)
    student_params = net.params
    assert_true(isinstance(student_params, dict),
                "FullyConnectedNet.params is not a dict after __init__.")
    missing = sorted(set(ref.params) - set(student_params))
    assert_true(not missing, f"FullyConnectedNet({hidden}, ...{_kw_text(kw)}) has no "
                             f"parameter(s) {', '.join(missing)}.")
    net.params = {k: v.copy() for k, v in ref.params.items()}
    return net, ref


def _kw_text(kw):
    return "".join(f", {k}={v!r}" for k, v in kw.items())


def data(seed, N, D, C):
    r = np.random.default_rng(seed)
    return r.standard_normal((N, D)), r.integers(0, C, size=N)


def compare_loss_and_grads(net, ref, X, y, case, tol_grad=TOL_GRAD):
    loss, grads = unpack(net.loss(X, y), 2, what="FullyConnectedNet.loss", case=case,
                         names="loss, grads")
    rloss, rgrads = ref.loss(X, y)
    assert_close(loss, rloss, what="FullyConnectedNet.loss's loss", case=case, tol=TOL_VALUE)
    assert_true(isinstance(grads, dict),
                f"FullyConnectedNet.loss returned a {type(grads).__name__} as grads for {case}; "
                f"expected a dict keyed like self.params.")
    for k in sorted(rgrads):
        assert_true(k in grads, f"FullyConnectedNet.loss returned no gradient for '{k}' for {case}.")
        assert_close(grads[k], rgrads[k], what=f"the gradient of '{k}'", case=case, tol=tol_grad)
    return grads


# ---------------------------------------------------------------------------
# fc_net: plain network
# ---------------------------------------------------------------------------

@pytest.mark.grade("fc_net", points=2)
def test_fc_net_init(submission):
    hidden, D, C, ws = [40, 30], 50, 10, 2e-2
    net = submission.classifiers.fc_net.FullyConnectedNet(hidden, input_dim=D, num_classes=C,
                                                          weight_scale=ws, dtype=f64(submission))
    params = net.params
    case = f"FullyConnectedNet({hidden}, input_dim={D}, num_classes={C}, weight_scale={ws})"
    assert_true(isinstance(params, dict), f"params of {case} is not a dict.")
    expected = {"W1": (50, 40), "b1": (40,), "W2": (40, 30), "b2": (30,), "W3": (30, 10),
                "b3": (10,)}
    extra = sorted(set(params) - set(expected))
    assert_true(not extra, f"{case} has unexpected parameter(s) {', '.join(extra)} (no "
                           f"normalization was asked for).")
    for k, s in expected.items():
        assert_true(k in params, f"{case} has no parameter '{k}'.")
        p = as_array(params[k], what=f"params['{k}']", case=case, shape=s)
        if k.startswith("W"):
            std = float(p.std())
            assert_true(abs(std / ws - 1) < 0.25 and abs(float(p.mean())) < 0.25 * ws,
                        f"params['{k}'] of {case} has mean {p.mean():.2e} and std {std:.2e}; "
                        f"expected mean 0 and std weight_scale={ws}.")
        else:
            assert_true(np.all(p == 0), f"params['{k}'] of {case} is not all zeros.")


@pytest.mark.grade("fc_net", points=3)
def test_fc_net_loss_and_grads(submission, reference):
    for i, (hidden, reg) in enumerate([([20, 30], 0.0), ([20, 30], 3.14), ([8], 0.7),
                                       ([6, 5, 4], 1.5)]):
        D, C, N = 15, 10, 7
        net, ref = build(submission, reference, hidden, input_dim=D, num_classes=C,
                         seed=100 + i, reg=reg)
        X, y = data(200 + i, N, D, C)
        compare_loss_and_grads(net, ref, X, y, f"hidden_dims={hidden}, reg={reg}")


@pytest.mark.grade("fc_net", points=1)
def test_fc_net_scores(submission, reference):
    hidden, D, C = [12, 9], 8, 4
    net, ref = build(submission, reference, hidden, input_dim=D, num_classes=C, seed=300)
    X, _ = data(301, 6, D, C)
    X = X.reshape(6, 2, 2, 2)  # images are flattened by the affine layer
    case = f"hidden_dims={hidden}, y=None, X of shape (6, 2, 2, 2)"
    scores = net.loss(X)
    assert_close(scores, ref.loss(X), what="FullyConnectedNet.loss's scores", case=case,
                 tol=TOL_VALUE)


@pytest.mark.grade("fc_net", points=2)
def test_fc_net_numeric(submission, reference):
    hidden, D, C, N, reg = [6, 5], 4, 3, 5, 0.9
    net, ref = build(submission, reference, hidden, input_dim=D, num_classes=C, seed=400, reg=reg)
    X, y = data(401, N, D, C)
    case = f"hidden_dims={hidden}, reg={reg}"
    _, grads = unpack(net.loss(X, y), 2, what="FullyConnectedNet.loss", case=case)
    for k in sorted(ref.params):
        num = numeric_gradient(lambda _v: ref.loss(X, y)[0], ref.params[k])
        assert_true(isinstance(grads, dict) and k in grads,
                    f"FullyConnectedNet.loss returned no gradient for '{k}' for {case}.")
        assert_close(grads[k], num, what=f"the gradient of '{k}'", case=case, tol=TOL_NUMERIC,
                     against="a numeric gradient")


# ---------------------------------------------------------------------------
# fc_net_normalization: batch norm and layer norm inside the network
# ---------------------------------------------------------------------------

@pytest.mark.grade("fc_net_normalization", points=1)
def test_fc_net_normalization_init(submission):
    hidden, D, C = [7, 5], 6, 3
    for norm in ("batchnorm", "layernorm"):
        net = submission.classifiers.fc_net.FullyConnectedNet(
            hidden, input_dim=D, num_classes=C, normalization=norm, dtype=f64(submission))
        params = net.params
        case = f"FullyConnectedNet({hidden}, normalization='{norm}')"
        assert_true(isinstance(params, dict), f"params of {case} is not a dict.")
        for i, h in enumerate(hidden, start=1):
            for name, value in ((f"gamma{i}", 1.0), (f"beta{i}", 0.0)):
                assert_true(name in params, f"{case} has no parameter '{name}'.")
                p = as_array(params[name], what=f"params['{name}']", case=case, shape=(h,))
                assert_true(np.all(p == value),
                            f"params['{name}'] of {case} should start as all {value:g}.")
        last = len(hidden) + 1
        assert_true(f"gamma{last}" not in params and f"beta{last}" not in params,
                    f"{case} has gamma{last}/beta{last}: the output layer is not normalized.")


@pytest.mark.grade("fc_net_normalization", points=3)
def test_fc_net_normalization_loss_and_grads(submission, reference):
    cases = [("batchnorm", [10, 8], 0.0), ("batchnorm", [6, 7, 5], 0.5),
             ("layernorm", [10, 8], 0.0), ("layernorm", [6, 7, 5], 0.5)]
    for i, (norm, hidden, reg) in enumerate(cases):
        D, C, N = 9, 4, 8
        net, ref = build(submission, reference, hidden, input_dim=D, num_classes=C,
                         seed=500 + i, reg=reg, normalization=norm)
        X, y = data(600 + i, N, D, C)
        compare_loss_and_grads(net, ref, X, y,
                               f"normalization='{norm}', hidden_dims={hidden}, reg={reg}")


@pytest.mark.grade("fc_net_normalization", points=2)
def test_fc_net_batchnorm_running_statistics(submission, reference):
    """Test-mode scores after some training steps use the running averages."""
    hidden, D, C = [7, 6], 5, 3
    net, ref = build(submission, reference, hidden, input_dim=D, num_classes=C, seed=700,
                     normalization="batchnorm")
    for step in range(3):
        X, y = data(710 + step, 10, D, C)
        X = 2.0 * X + 1.0
        net.loss(X, y)
        ref.loss(X, y)
    X, _ = data(720, 6, D, C)
    case = "normalization='batchnorm', y=None after 3 training calls"
    assert_close(net.loss(X), ref.loss(X), what="FullyConnectedNet.loss's scores", case=case,
                 tol=TOL_VALUE)


@pytest.mark.grade("fc_net_normalization", points=1)
def test_fc_net_normalization_numeric(submission, reference):
    for i, norm in enumerate(("batchnorm", "layernorm")):
        hidden, D, C, N = [5, 4], 3, 3, 6
        net, ref = build(submission, reference, hidden, input_dim=D, num_classes=C,
                         seed=800 + i, normalization=norm, reg=0.3)
        X, y = data(810 + i, N, D, C)
        case = f"normalization='{norm}', hidden_dims={hidden}"
        _, grads = unpack(net.loss(X, y), 2, what="FullyConnectedNet.loss", case=case)
        for k in sorted(ref.params):
            if norm == "batchnorm" and k in ("b1", "b2"):
                continue  # exactly zero in theory (batch norm removes the bias): noise only
            num = numeric_gradient(lambda _v: ref.loss(X, y)[0], ref.params[k])
            assert_true(isinstance(grads, dict) and k in grads,
                        f"FullyConnectedNet.loss returned no gradient for '{k}' for {case}.")
            assert_close(grads[k], num, what=f"the gradient of '{k}'", case=case,
                         tol=TOL_NUMERIC_NORM, against="a numeric gradient")


# ---------------------------------------------------------------------------
# fc_net_dropout: dropout inside the network (masks are never compared)
# ---------------------------------------------------------------------------

@pytest.mark.grade("fc_net_dropout", points=1)
def test_fc_net_dropout_test_mode(submission, reference):
    hidden, D, C = [9, 8], 6, 4
    for i, p in enumerate((0.5, 0.75)):
        net, ref = build(submission, reference, hidden, input_dim=D, num_classes=C,
                         seed=900 + i, dropout=p)
        X, _ = data(910 + i, 7, D, C)
        case = f"dropout={p}, y=None (test mode: no units are dropped)"
        assert_close(net.loss(X), ref.loss(X), what="FullyConnectedNet.loss's scores",
                     case=case, tol=TOL_VALUE)


@pytest.mark.grade("fc_net_dropout", points=1)
def test_fc_net_dropout_train_mode(submission, reference):
    hidden, D, C, p = [50, 40], 10, 5, 0.3
    net = submission.classifiers.fc_net.FullyConnectedNet(
        hidden, input_dim=D, num_classes=C, dropout=p, seed=123, dtype=f64(submission),
        weight_scale=5e-2)
    np.random.seed(920)
    ref = reference.classifiers.fc_net.FullyConnectedNet(
        hidden, input_dim=D, num_classes=C, dtype=np.float64, weight_scale=5e-2)
    net.params = {k: v.copy() for k, v in ref.params.items()}
    X, y = data(921, 20, D, C)
    case = f"dropout={p}, seed=123, training mode"
    loss1 = as_scalar(unpack(net.loss(X, y), 2, what="FullyConnectedNet.loss", case=case)[0],
                      what="FullyConnectedNet.loss's loss", case=case)
    loss2 = as_scalar(net.loss(X, y)[0], what="FullyConnectedNet.loss's loss", case=case)
    assert_true(abs(loss1 - loss2) <= 1e-10 * max(1.0, abs(loss1)),
                f"FullyConnectedNet.loss gave two different losses for {case}; with a seed the "
                f"dropout masks must be reproducible (pass self.dropout_param to dropout_forward).")
    no_drop = ref.loss(X, y)[0]
    assert_true(abs(loss1 - no_drop) > 1e-6,
                f"FullyConnectedNet.loss with {case} equals the loss without dropout; dropout is "
                f"not applied in training mode.")


@pytest.mark.grade("fc_net_dropout", points=2)
def test_fc_net_dropout_gradients(submission, reference):
    """Gradients with dropout against numeric gradients of the student's own seeded loss."""
    hidden, D, C, N, p = [6, 5], 4, 3, 8, 0.6
    np.random.seed(930)
    ref = reference.classifiers.fc_net.FullyConnectedNet(
        hidden, input_dim=D, num_classes=C, dtype=np.float64, weight_scale=3e-1, reg=0.2)
    params = {k: v.copy() for k, v in ref.params.items()}
    r = np.random.default_rng(931)
    for k in params:
        if k.startswith("b"):
            params[k] = 0.1 * r.standard_normal(params[k].shape)
    net = submission.classifiers.fc_net.FullyConnectedNet(
        hidden, input_dim=D, num_classes=C, dropout=p, seed=7, reg=0.2, dtype=f64(submission))
    net.params = {k: v.copy() for k, v in params.items()}
    X, y = data(932, N, D, C)
    case = f"dropout={p}, seed=7, hidden_dims={hidden}, reg=0.2"
    _, grads = unpack(net.loss(X, y), 2, what="FullyConnectedNet.loss", case=case)
    assert_true(isinstance(grads, dict), f"FullyConnectedNet.loss returned no grads dict for {case}.")
    h = 1e-5
    for k in sorted(params):
        assert_true(k in grads, f"FullyConnectedNet.loss returned no gradient for '{k}' for {case}.")
        g = as_array(grads[k], what=f"the gradient of '{k}'", case=case, shape=params[k].shape)
        idx = r.choice(params[k].size, size=min(6, params[k].size), replace=False)
        got, num = [], []
        for j in idx:
            vals = []
            for sign in (1, -1):
                trial = {kk: vv.copy() for kk, vv in params.items()}
                trial[k].flat[j] += sign * h
                net.params = trial
                vals.append(as_scalar(net.loss(X, y)[0], what="FullyConnectedNet.loss's loss",
                                      case=case))
            num.append((vals[0] - vals[1]) / (2 * h))
            got.append(g.flat[j])
        assert_close_scaled(np.array(got), np.array(num), what=f"the gradient of '{k}'",
                            case=case, tol=1e-4,
                            against="a numeric gradient of your own seeded loss")
    net.params = params
