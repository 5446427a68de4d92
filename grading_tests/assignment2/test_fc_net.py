"""Hidden tests for cs231n/classifiers/fc_net.py (FullyConnectedNet).

The student's network lives in the sandbox. Its parameter names, shapes and
initialisation are checked as data; then the REFERENCE parameters are copied
in (``net.params = {...}``) so that loss, scores and every gradient can be
compared with the reference network and with numeric gradients of the
reference loss. Every expected value and numeric gradient comes from the
reference network (trusted side) before the student's code runs.

Dropout masks are never compared with the reference's (correct implementations
may draw them differently). Instead, dropout inside the network is checked
where the result is determined -- test mode, and keep probability 1 in train
mode -- against the reference; with a seed, against a trusted forward pass
that applies the very masks the student's own dropout_forward draws for that
seed (and its numeric gradients); and on average over many seeds against the
reference's average loss.

A test over several configurations is one test a configuration (``per_case``),
named for it, so one failing configuration costs only its own share of the part.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from autograder.judge import (
    as_array,
    as_scalar,
    assert_close,
    assert_true,
    numeric_gradient,
    unpack,
)

# one test a case (per_case): shared with the other hidden modules
_spec = importlib.util.spec_from_file_location("_hidden_a2_cases_fc_net",
                                               Path(__file__).with_name("a2_cases.py"))
_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cases)
per_case = _cases.per_case

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
    rloss, rgrads = ref.loss(X, y)
    loss, grads = unpack(net.loss(X, y), 2, what="FullyConnectedNet.loss", case=case,
                         names="loss, grads")
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


# (hidden_dims, reg)
LOSS_CASES = {"two_hidden_layers_no_reg": ([20, 30], 0.0),
              "two_hidden_layers_reg": ([20, 30], 3.14),
              "one_hidden_layer_reg": ([8], 0.7),
              "three_hidden_layers_reg": ([6, 5, 4], 1.5)}


def _fc_net_loss_and_grads(submission, reference, i, hidden, reg):
    """Loss and every gradient equal the reference network's (same parameters)."""
    D, C, N = 15, 10, 7
    net, ref = build(submission, reference, hidden, input_dim=D, num_classes=C,
                     seed=100 + i, reg=reg)
    X, y = data(200 + i, N, D, C)
    compare_loss_and_grads(net, ref, X, y, f"hidden_dims={hidden}, reg={reg}")


(test_fc_net_loss_and_grads_two_hidden_layers_no_reg,
 test_fc_net_loss_and_grads_two_hidden_layers_reg, test_fc_net_loss_and_grads_one_hidden_layer_reg,
 test_fc_net_loss_and_grads_three_hidden_layers_reg) = per_case(
    "fc_net", 0.75, "fc_net_loss_and_grads", LOSS_CASES, _fc_net_loss_and_grads)


@pytest.mark.grade("fc_net", points=1)
def test_fc_net_scores(submission, reference):
    hidden, D, C = [12, 9], 8, 4
    net, ref = build(submission, reference, hidden, input_dim=D, num_classes=C, seed=300)
    X, _ = data(301, 6, D, C)
    X = X.reshape(6, 2, 2, 2)  # images are flattened by the affine layer
    case = f"hidden_dims={hidden}, y=None, X of shape (6, 2, 2, 2)"
    expected = ref.loss(X)
    assert_close(net.loss(X), expected, what="FullyConnectedNet.loss's scores", case=case,
                 tol=TOL_VALUE)


@pytest.mark.grade("fc_net", points=2)
def test_fc_net_numeric(submission, reference):
    hidden, D, C, N, reg = [6, 5], 4, 3, 5, 0.9
    net, ref = build(submission, reference, hidden, input_dim=D, num_classes=C, seed=400, reg=reg)
    X, y = data(401, N, D, C)
    case = f"hidden_dims={hidden}, reg={reg}"
    nums = {k: numeric_gradient(lambda _v: ref.loss(X, y)[0], ref.params[k])
            for k in sorted(ref.params)}
    _, grads = unpack(net.loss(X, y), 2, what="FullyConnectedNet.loss", case=case)
    for k, num in nums.items():
        assert_true(isinstance(grads, dict) and k in grads,
                    f"FullyConnectedNet.loss returned no gradient for '{k}' for {case}.")
        assert_close(grads[k], num, what=f"the gradient of '{k}'", case=case, tol=TOL_NUMERIC,
                     against="a numeric gradient")


# ---------------------------------------------------------------------------
# fc_net_normalization: batch norm and layer norm inside the network
# ---------------------------------------------------------------------------

NORMS = {"batchnorm": ("batchnorm",), "layernorm": ("layernorm",)}


def _fc_net_normalization_init(submission, reference, index, norm):
    """gamma and beta of every hidden layer start as ones and zeros; the output layer has none."""
    hidden, D, C = [7, 5], 6, 3
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


(test_fc_net_normalization_init_batchnorm,
 test_fc_net_normalization_init_layernorm) = per_case(
    "fc_net_normalization", 0.5, "fc_net_normalization_init", NORMS, _fc_net_normalization_init)


# (normalization, hidden_dims, reg)
NORM_LOSS_CASES = {
    "batchnorm_two_hidden_layers_no_reg": ("batchnorm", [10, 8], 0.0),
    "batchnorm_three_hidden_layers_reg": ("batchnorm", [6, 7, 5], 0.5),
    "layernorm_two_hidden_layers_no_reg": ("layernorm", [10, 8], 0.0),
    "layernorm_three_hidden_layers_reg": ("layernorm", [6, 7, 5], 0.5),
}


def _fc_net_normalization_loss_and_grads(submission, reference, i, norm, hidden, reg):
    """Loss and every gradient (gammas and betas too) equal the reference network's."""
    D, C, N = 9, 4, 8
    net, ref = build(submission, reference, hidden, input_dim=D, num_classes=C,
                     seed=500 + i, reg=reg, normalization=norm)
    X, y = data(600 + i, N, D, C)
    compare_loss_and_grads(net, ref, X, y,
                           f"normalization='{norm}', hidden_dims={hidden}, reg={reg}")


(test_fc_net_normalization_loss_and_grads_batchnorm_two_hidden_layers_no_reg,
 test_fc_net_normalization_loss_and_grads_batchnorm_three_hidden_layers_reg,
 test_fc_net_normalization_loss_and_grads_layernorm_two_hidden_layers_no_reg,
 test_fc_net_normalization_loss_and_grads_layernorm_three_hidden_layers_reg) = per_case(
    "fc_net_normalization", 0.75, "fc_net_normalization_loss_and_grads", NORM_LOSS_CASES,
    _fc_net_normalization_loss_and_grads)


@pytest.mark.grade("fc_net_normalization", points=2)
def test_fc_net_batchnorm_running_statistics(submission, reference):
    """Test-mode scores after some training steps use the running averages."""
    hidden, D, C = [7, 6], 5, 3
    net, ref = build(submission, reference, hidden, input_dim=D, num_classes=C, seed=700,
                     normalization="batchnorm")
    for step in range(3):
        X, y = data(710 + step, 10, D, C)
        X = 2.0 * X + 1.0
        ref.loss(X, y)
        net.loss(X, y)
    X, _ = data(720, 6, D, C)
    case = "normalization='batchnorm', y=None after 3 training calls"
    expected = ref.loss(X)
    assert_close(net.loss(X), expected, what="FullyConnectedNet.loss's scores", case=case,
                 tol=TOL_VALUE)


def _fc_net_normalization_numeric(submission, reference, i, norm):
    """Every gradient equals a numeric gradient of the reference network's loss."""
    hidden, D, C, N = [5, 4], 3, 3, 6
    net, ref = build(submission, reference, hidden, input_dim=D, num_classes=C,
                     seed=800 + i, normalization=norm, reg=0.3)
    X, y = data(810 + i, N, D, C)
    case = f"normalization='{norm}', hidden_dims={hidden}"
    # b1, b2 are skipped: exactly zero in theory (batch norm removes the bias), noise only
    nums = {k: numeric_gradient(lambda _v: ref.loss(X, y)[0], ref.params[k])
            for k in sorted(ref.params)
            if not (norm == "batchnorm" and k in ("b1", "b2"))}
    _, grads = unpack(net.loss(X, y), 2, what="FullyConnectedNet.loss", case=case)
    for k, num in nums.items():
        assert_true(isinstance(grads, dict) and k in grads,
                    f"FullyConnectedNet.loss returned no gradient for '{k}' for {case}.")
        assert_close(grads[k], num, what=f"the gradient of '{k}'", case=case,
                     tol=TOL_NUMERIC_NORM, against="a numeric gradient")


(test_fc_net_normalization_numeric_batchnorm,
 test_fc_net_normalization_numeric_layernorm) = per_case(
    "fc_net_normalization", 0.5, "fc_net_normalization_numeric", NORMS,
    _fc_net_normalization_numeric)


# ---------------------------------------------------------------------------
# fc_net_dropout: dropout inside the network
# ---------------------------------------------------------------------------

def masked_loss(reference, params, X, y, masks, reg):
    """The loss of the plain network {affine - relu - dropout} x (L - 1) - affine - softmax
    with GIVEN dropout masks (already scaled, as inverted dropout applies them), computed
    with the reference layers on the trusted side."""
    L = len(masks) + 1
    out = X
    for i in range(1, L):
        out, _ = reference.layers.affine_forward(out, params[f"W{i}"], params[f"b{i}"])
        out, _ = reference.layers.relu_forward(out)
        out = out * masks[i - 1]
    scores, _ = reference.layers.affine_forward(out, params[f"W{L}"], params[f"b{L}"])
    loss, _ = reference.layers.softmax_loss(scores, y)
    return loss + 0.5 * reg * sum(np.sum(params[f"W{i}"] ** 2) for i in range(1, L + 1))


def student_masks(submission, N, hidden, p, seed, case):
    """The masks the student's own dropout_forward draws with dropout_param['seed'] = seed
    for activations of shape (N, h): every dropout layer of the net re-seeds, so the
    mask of a layer depends only on the seed and its shape."""
    masks = []
    for h in hidden:
        ones = np.ones((N, h))
        out, _ = unpack(submission.layers.dropout_forward(
            ones, {"mode": "train", "p": p, "seed": seed}), 2, what="dropout_forward",
            case=case, names="out, cache")
        masks.append(np.array(as_array(out, what="dropout_forward's out", case=case,
                                       shape=ones.shape), dtype=np.float64))
    return masks


def _fc_net_dropout_test_mode(submission, reference, i, p):
    """With y=None (test mode) no unit is dropped: the scores are the reference network's."""
    hidden, D, C = [9, 8], 6, 4
    net, ref = build(submission, reference, hidden, input_dim=D, num_classes=C,
                     seed=900 + i, dropout=p)
    X, _ = data(910 + i, 7, D, C)
    case = f"dropout={p}, y=None (test mode: no units are dropped)"
    expected = ref.loss(X)
    assert_close(net.loss(X), expected, what="FullyConnectedNet.loss's scores",
                 case=case, tol=TOL_VALUE)


(test_fc_net_dropout_test_mode_p50, test_fc_net_dropout_test_mode_p75) = per_case(
    "fc_net_dropout", 0.5, "fc_net_dropout_test_mode", {"p50": (0.5,), "p75": (0.75,)},
    _fc_net_dropout_test_mode)


@pytest.mark.grade("fc_net_dropout", points=1)
def test_fc_net_dropout_keep_all(submission, reference):
    """Train mode with dropout_param['p'] = 1 keeps every unit: loss and gradients are
    exactly those of the network without dropout."""
    hidden, D, C, reg = [8, 7], 5, 4, 0.3
    net, ref = build(submission, reference, hidden, input_dim=D, num_classes=C, seed=940,
                     dropout=0.5, reg=reg)
    net.dropout_param = {"mode": "train", "p": 1.0}
    ref.dropout_param = {"mode": "train", "p": 1.0}
    X, y = data(941, 9, D, C)
    compare_loss_and_grads(net, ref, X, y,
                           f"dropout_param['p'] = 1 in training mode, hidden_dims={hidden}, "
                           f"reg={reg}")


@pytest.mark.grade("fc_net_dropout", points=1)
def test_fc_net_dropout_train_mode(submission, reference):
    """Seeded masks are reproducible, and over many seeds the average training loss is
    the reference's (whatever way the masks are drawn)."""
    hidden, D, C, p, seeds = [50, 40], 10, 5, 0.3, 40
    net, ref = build(submission, reference, hidden, input_dim=D, num_classes=C, seed=920,
                     dropout=p, weight_scale=3e-1)
    X, y = data(921, 20, D, C)
    case = f"dropout={p}, seed=123, training mode"
    net.dropout_param = {"mode": "train", "p": p, "seed": 123}
    loss1 = as_scalar(unpack(net.loss(X, y), 2, what="FullyConnectedNet.loss", case=case)[0],
                      what="FullyConnectedNet.loss's loss", case=case)
    loss2 = as_scalar(net.loss(X, y)[0], what="FullyConnectedNet.loss's loss", case=case)
    assert_true(abs(loss1 - loss2) <= 1e-10 * max(1.0, abs(loss1)),
                f"FullyConnectedNet.loss gave two different losses for {case}; with a seed the "
                f"dropout masks must be reproducible (pass self.dropout_param to dropout_forward).")
    ref_losses, losses = [], []
    for s in range(seeds):
        ref.dropout_param = {"mode": "train", "p": p, "seed": 1000 + s}
        ref_losses.append(ref.loss(X, y)[0])
    case = f"dropout={p}, training mode, averaged over {seeds} seeds"
    for s in range(seeds):
        net.dropout_param = {"mode": "train", "p": p, "seed": 1000 + s}
        losses.append(as_scalar(unpack(net.loss(X, y), 2, what="FullyConnectedNet.loss",
                                       case=case)[0],
                                what="FullyConnectedNet.loss's loss", case=case))
    ref_losses, losses = np.array(ref_losses), np.array(losses)
    # two independent means of `seeds` draws: 5 standard errors apart at most
    margin = 5.0 * np.sqrt((ref_losses.var() + losses.var()) / seeds) + 1e-6
    assert_true(abs(losses.mean() - ref_losses.mean()) <= margin,
                f"FullyConnectedNet.loss averaged {losses.mean():.3f} for {case}; expected about "
                f"{ref_losses.mean():.3f} (within {margin:.3f}): apply inverted dropout after "
                f"every ReLU in training mode.")


@pytest.mark.grade("fc_net_dropout", points=2)
def test_fc_net_dropout_gradients(submission, reference):
    """With a seed, the loss and every gradient equal those of a trusted forward pass
    that applies the masks your own dropout_forward draws for that seed."""
    hidden, D, C, N, p, reg, seed = [6, 5], 4, 3, 8, 0.6, 0.2, 7
    net, ref = build(submission, reference, hidden, input_dim=D, num_classes=C, seed=930,
                     dropout=p, reg=reg, weight_scale=3e-1)
    params = {k: v.copy() for k, v in ref.params.items()}
    X, y = data(932, N, D, C)
    case = f"dropout={p}, seed={seed}, hidden_dims={hidden}, reg={reg}"
    masks = student_masks(submission, N, hidden, p, seed, case)
    expected = masked_loss(reference, params, X, y, masks, reg)
    nums = {k: numeric_gradient(lambda _v: masked_loss(reference, params, X, y, masks, reg),
                                params[k]) for k in sorted(params)}
    net.dropout_param = {"mode": "train", "p": p, "seed": seed}
    loss, grads = unpack(net.loss(X, y), 2, what="FullyConnectedNet.loss", case=case,
                         names="loss, grads")
    assert_close(loss, expected, what="FullyConnectedNet.loss's loss", case=case, tol=TOL_VALUE,
                 against="the loss with the masks your dropout_forward draws for this seed")
    assert_true(isinstance(grads, dict), f"FullyConnectedNet.loss returned no grads dict for {case}.")
    for k, num in nums.items():
        assert_true(k in grads, f"FullyConnectedNet.loss returned no gradient for '{k}' for {case}.")
        assert_close(grads[k], num, what=f"the gradient of '{k}'", case=case, tol=TOL_NUMERIC,
                     against="a numeric gradient with the masks your dropout_forward draws")


# every test is collected under the name it was made with
_cases.check_names(globals())
