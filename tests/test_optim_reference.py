"""The reference update rules (cs231n/optim.py).

Three independent checks:

* the values published in the CS231n assignment 2 notebook (2018-2020);
* torch.optim as an oracle over several steps, where torch implements the
  same rule (with the correspondence of the state variables derived below);
* closed forms derived by hand for two steps.

Plus the contract: no rule modifies ``w`` or ``dw`` in place, defaults are
set with setdefault, state has the shape of w.
"""
from __future__ import annotations

import numpy as np
import pytest

from cs231n import optim
from cs231n.optim import adagrad, adam, nesterov_momentum, rmsprop, sgd, sgd_momentum


def rel_error(x, y):
    """Relative error as the CS231n notebooks define it."""
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))


N, D = 4, 5


def _w_dw():
    w = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)
    dw = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D)
    return w, dw


def _check_published(actual, expected, rel_tol):
    """The notebook prints its values to 8 decimals, so besides the notebook's
    relative-error check, every published value must be ours rounded to 8
    decimals (absolute difference at most half a unit in the 8th place)."""
    expected = np.asarray(expected)
    assert actual.shape == expected.shape
    assert rel_error(actual, expected) < rel_tol
    assert np.max(np.abs(actual - expected)) <= 5e-9 + 1e-12


# --------------------------------------------------------------------------
# Published CS231n values
# --------------------------------------------------------------------------


def test_sgd_momentum_published_values():
    w, dw = _w_dw()
    v = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    config = {"learning_rate": 1e-3, "velocity": v}
    next_w, config = sgd_momentum(w, dw, config=config)
    expected_next_w = [
        [0.1406, 0.20738947, 0.27417895, 0.34096842, 0.40775789],
        [0.47454737, 0.54133684, 0.60812632, 0.67491579, 0.74170526],
        [0.80849474, 0.87528421, 0.94207368, 1.00886316, 1.07565263],
        [1.14244211, 1.20923158, 1.27602105, 1.34281053, 1.4096],
    ]
    expected_velocity = [
        [0.5406, 0.55475789, 0.56891579, 0.58307368, 0.59723158],
        [0.61138947, 0.62554737, 0.63970526, 0.65386316, 0.66802105],
        [0.68217895, 0.69633684, 0.71049474, 0.72465263, 0.73881053],
        [0.75296842, 0.76712632, 0.78128421, 0.79544211, 0.8096],
    ]
    # the notebook: "relative errors around e-8 or less"
    _check_published(next_w, expected_next_w, 1e-8)
    _check_published(config["velocity"], expected_velocity, 1e-8)


def test_rmsprop_published_values():
    w, dw = _w_dw()
    cache = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    config = {"learning_rate": 1e-2, "cache": cache}
    next_w, config = rmsprop(w, dw, config=config)
    expected_next_w = [
        [-0.39223849, -0.34037513, -0.28849239, -0.23659121, -0.18467247],
        [-0.132737, -0.08078555, -0.02881884, 0.02316247, 0.07515774],
        [0.12716641, 0.17918792, 0.23122175, 0.28326742, 0.33532447],
        [0.38739248, 0.43947102, 0.49155973, 0.54365823, 0.59576619],
    ]
    expected_cache = [
        [0.5976, 0.6126277, 0.6277108, 0.64284931, 0.65804321],
        [0.67329252, 0.68859723, 0.70395734, 0.71937285, 0.73484377],
        [0.75037008, 0.7659518, 0.78158892, 0.79728144, 0.81302936],
        [0.82883269, 0.84469141, 0.86060554, 0.87657507, 0.8926],
    ]
    # the notebook: "relative errors around e-7 or less"; next_w holds
    # 0.02316247, whose 8-decimal rounding alone is a relative error ~1e-7.
    _check_published(next_w, expected_next_w, 2e-7)
    _check_published(config["cache"], expected_cache, 1e-8)


def test_adam_published_values():
    w, dw = _w_dw()
    m = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    v = np.linspace(0.7, 0.5, num=N * D).reshape(N, D)
    config = {"learning_rate": 1e-2, "m": m, "v": v, "t": 5}
    next_w, config = adam(w, dw, config=config)
    expected_next_w = [
        [-0.40094747, -0.34836187, -0.29577703, -0.24319299, -0.19060977],
        [-0.1380274, -0.08544591, -0.03286534, 0.01971428, 0.0722929],
        [0.1248705, 0.17744702, 0.23002243, 0.28259667, 0.33516969],
        [0.38774145, 0.44031188, 0.49288093, 0.54544852, 0.59801459],
    ]
    expected_v = [
        [0.69966, 0.68908382, 0.67851319, 0.66794809, 0.65738853],
        [0.64683452, 0.63628604, 0.6257431, 0.61520571, 0.60467385],
        [0.59414753, 0.58362676, 0.57311152, 0.56260183, 0.55209767],
        [0.54159906, 0.53110598, 0.52061845, 0.51013645, 0.49966],
    ]
    expected_m = [
        [0.48, 0.49947368, 0.51894737, 0.53842105, 0.55789474],
        [0.57736842, 0.59684211, 0.61631579, 0.63578947, 0.65526316],
        [0.67473684, 0.69421053, 0.71368421, 0.73315789, 0.75263158],
        [0.77210526, 0.79157895, 0.81105263, 0.83052632, 0.85],
    ]
    # next_w holds 0.01971428: rounding alone is a relative error ~1e-7.
    _check_published(next_w, expected_next_w, 2e-7)
    _check_published(config["v"], expected_v, 1e-8)
    _check_published(config["m"], expected_m, 1e-8)
    assert config["t"] == 6  # t is incremented before use


# --------------------------------------------------------------------------
# torch.optim as an oracle over several steps
# --------------------------------------------------------------------------

torch = pytest.importorskip("torch")

NUM_STEPS = 6


def _quadratic(shape=(3, 7), seed=0):
    """A separable quadratic f(w) = 0.5 * sum(a * (w - c)**2): gradient
    a * (w - c), so each step's gradient depends on the previous steps."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 3.0, size=shape)
    c = rng.normal(size=shape)
    w0 = rng.normal(size=shape)
    return w0, (lambda w: a * (w - c))


def _run_ours(rule, config, w0, grad, steps=NUM_STEPS):
    w = w0.copy()
    traj = []
    for _ in range(steps):
        w, config = rule(w, grad(w), config)
        traj.append(w.copy())
    return np.array(traj), config


def _run_torch(make_opt, w0, grad, steps=NUM_STEPS):
    p = torch.nn.Parameter(torch.tensor(w0, dtype=torch.float64))
    opt = make_opt([p])
    traj = []
    for _ in range(steps):
        p.grad = torch.tensor(grad(p.detach().numpy().copy()), dtype=torch.float64)
        opt.step()
        traj.append(p.detach().numpy().copy())
    return np.array(traj), opt.state[p]


def test_sgd_matches_torch():
    w0, grad = _quadratic(seed=1)
    ours, _ = _run_ours(sgd, {"learning_rate": 0.05}, w0, grad)
    ref, _ = _run_torch(lambda ps: torch.optim.SGD(ps, lr=0.05), w0, grad)
    assert rel_error(ours, ref) < 1e-12


def test_sgd_momentum_matches_torch():
    # torch: buf = mu * buf + g; w -= lr * buf (buf starts at g, i.e. at 0).
    # CS231n: v = mu * v - lr * g; w += v.  With v = -lr * buf the two are the
    # same recursion for a constant learning rate, so trajectories agree and
    # our velocity equals -lr * torch's momentum buffer.
    lr, mu = 0.05, 0.9
    w0, grad = _quadratic(seed=2)
    ours, config = _run_ours(sgd_momentum, {"learning_rate": lr, "momentum": mu}, w0, grad)
    ref, state = _run_torch(lambda ps: torch.optim.SGD(ps, lr=lr, momentum=mu), w0, grad)
    assert rel_error(ours, ref) < 1e-10
    assert rel_error(config["velocity"], -lr * state["momentum_buffer"].numpy()) < 1e-10


def test_nesterov_momentum_matches_torch():
    # torch (nesterov=True): buf = mu * buf + g; w -= lr * (g + mu * buf).
    # Course notes: v' = mu v - lr g; w' = w - mu v + (1 + mu) v'.
    # With v = -lr * buf: w' = w + mu lr buf - (1 + mu) lr buf'
    #                        = w - lr (buf' - mu buf) - lr mu buf'
    #                        = w - lr (g + mu buf'), torch's update.
    # So the two forms are algebraically identical for a constant lr.
    lr, mu = 0.05, 0.9
    w0, grad = _quadratic(seed=3)
    ours, config = _run_ours(
        nesterov_momentum, {"learning_rate": lr, "momentum": mu}, w0, grad
    )
    ref, state = _run_torch(
        lambda ps: torch.optim.SGD(ps, lr=lr, momentum=mu, nesterov=True), w0, grad
    )
    assert rel_error(ours, ref) < 1e-10
    assert rel_error(config["velocity"], -lr * state["momentum_buffer"].numpy()) < 1e-10


def test_nesterov_momentum_two_steps_closed_form():
    # Hand-derived from the course-notes form with v0 = 0 and gradients g1, g2
    # fed in (independent of torch):
    #   v1 = -lr g1                 w1 = w0 - (1 + mu) lr g1
    #   v2 = -mu lr g1 - lr g2      w2 = w0 - lr (1 + mu + mu^2) g1 - lr (1 + mu) g2
    lr, mu = 0.1, 0.8
    rng = np.random.default_rng(4)
    w0, g1, g2 = rng.normal(size=(3, 6, 5))
    config = {"learning_rate": lr, "momentum": mu}
    w1, config = nesterov_momentum(w0, g1, config)
    assert rel_error(config["velocity"], -lr * g1) < 1e-12
    assert rel_error(w1, w0 - (1 + mu) * lr * g1) < 1e-12
    w2, config = nesterov_momentum(w1, g2, config)
    assert rel_error(config["velocity"], -mu * lr * g1 - lr * g2) < 1e-12
    expected_w2 = w0 - lr * (1 + mu + mu**2) * g1 - lr * (1 + mu) * g2
    assert rel_error(w2, expected_w2) < 1e-12


def test_sgd_momentum_two_steps_closed_form():
    #   v1 = -lr g1, w1 = w0 - lr g1; v2 = -mu lr g1 - lr g2, w2 = w1 + v2
    lr, mu = 0.1, 0.8
    rng = np.random.default_rng(5)
    w0, g1, g2 = rng.normal(size=(3, 6, 5))
    w1, config = sgd_momentum(w0, g1, {"learning_rate": lr, "momentum": mu})
    w2, config = sgd_momentum(w1, g2, config)
    assert rel_error(w2, w0 - lr * (1 + mu) * g1 - lr * g2) < 1e-12


def test_adagrad_matches_torch():
    # torch: sum += g^2; w -= lr * g / (sqrt(sum) + eps) (lr_decay=0,
    # initial_accumulator_value=0): the same rule, eps outside the sqrt.
    lr, eps = 0.1, 1e-8
    w0, grad = _quadratic(seed=6)
    ours, config = _run_ours(adagrad, {"learning_rate": lr, "epsilon": eps}, w0, grad)
    ref, state = _run_torch(
        lambda ps: torch.optim.Adagrad(ps, lr=lr, eps=eps, initial_accumulator_value=0.0),
        w0,
        grad,
    )
    assert rel_error(ours, ref) < 1e-10
    assert rel_error(config["cache"], state["sum"].numpy()) < 1e-10


def test_adagrad_nonzero_initial_cache_matches_torch():
    lr, eps, acc0 = 0.1, 1e-8, 0.3
    w0, grad = _quadratic(seed=7)
    config = {"learning_rate": lr, "epsilon": eps, "cache": np.full_like(w0, acc0)}
    ours, _ = _run_ours(adagrad, config, w0, grad)
    ref, _ = _run_torch(
        lambda ps: torch.optim.Adagrad(ps, lr=lr, eps=eps, initial_accumulator_value=acc0),
        w0,
        grad,
    )
    assert rel_error(ours, ref) < 1e-10


def test_rmsprop_matches_torch():
    # torch (centered=False, momentum=0): s = alpha s + (1 - alpha) g^2;
    # w -= lr * g / (sqrt(s) + eps): eps outside the sqrt as in CS231n, so
    # alpha = decay_rate gives the same rule.
    lr, decay, eps = 0.01, 0.99, 1e-8
    w0, grad = _quadratic(seed=8)
    ours, config = _run_ours(
        rmsprop, {"learning_rate": lr, "decay_rate": decay, "epsilon": eps}, w0, grad
    )
    ref, state = _run_torch(
        lambda ps: torch.optim.RMSprop(ps, lr=lr, alpha=decay, eps=eps), w0, grad
    )
    assert rel_error(ours, ref) < 1e-10
    assert rel_error(config["cache"], state["square_avg"].numpy()) < 1e-10


def test_adam_matches_torch():
    # torch: m, v as CS231n; w -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps)
    # with bc_i = 1 - beta_i^t, which is lr * m_hat / (sqrt(v_hat) + eps).
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    w0, grad = _quadratic(seed=9)
    ours, config = _run_ours(
        adam, {"learning_rate": lr, "beta1": b1, "beta2": b2, "epsilon": eps}, w0, grad
    )
    ref, state = _run_torch(
        lambda ps: torch.optim.Adam(ps, lr=lr, betas=(b1, b2), eps=eps), w0, grad
    )
    assert rel_error(ours, ref) < 1e-10
    assert rel_error(config["m"], state["exp_avg"].numpy()) < 1e-10
    assert rel_error(config["v"], state["exp_avg_sq"].numpy()) < 1e-10
    assert config["t"] == NUM_STEPS == int(state["step"])


# --------------------------------------------------------------------------
# Contract
# --------------------------------------------------------------------------

RULES = [sgd, sgd_momentum, nesterov_momentum, adagrad, rmsprop, adam]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_rule_does_not_modify_inputs(rule):
    rng = np.random.default_rng(10)
    w = rng.normal(size=(5, 4))
    dw = rng.normal(size=(5, 4))
    w_copy, dw_copy = w.copy(), dw.copy()
    config = None
    for _ in range(3):
        next_w, config = rule(w, dw, config)
        assert next_w is not w
        np.testing.assert_array_equal(w, w_copy)
        np.testing.assert_array_equal(dw, dw_copy)


DEFAULTS = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "nesterov_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "adagrad": {"learning_rate": 1e-2, "epsilon": 1e-8},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}
STATE = {
    "sgd": [],
    "sgd_momentum": ["velocity"],
    "nesterov_momentum": ["velocity"],
    "adagrad": ["cache"],
    "rmsprop": ["cache"],
    "adam": ["m", "v"],
}


@pytest.mark.parametrize("name", list(DEFAULTS))
def test_rule_defaults_and_state_shapes(name):
    rule = getattr(optim, name)
    w = np.ones((3, 2))
    dw = np.full((3, 2), 0.5)
    next_w, config = rule(w, dw)  # config=None
    assert next_w.shape == w.shape
    for key, value in DEFAULTS[name].items():
        assert config[key] == value, (name, key)
    for key in STATE[name]:
        assert config[key].shape == w.shape, (name, key)
    if name == "adam":
        assert config["t"] == 1
    # user-supplied hyperparameters are kept, not overwritten by defaults
    _, config = rule(w, dw, {"learning_rate": 0.123})
    assert config["learning_rate"] == 0.123


@pytest.mark.parametrize(
    "name, lr",
    [("sgd_momentum", 0.05), ("nesterov_momentum", 0.05), ("adagrad", 0.5),
     ("rmsprop", 0.05), ("adam", 0.05)],
)
def test_rule_descends_on_a_quadratic(name, lr):
    rule = getattr(optim, name)
    w0, grad = _quadratic(seed=11)
    w, config = w0.copy(), {"learning_rate": lr}
    start = np.sum(grad(w) ** 2)
    for _ in range(200):
        w, config = rule(w, grad(w), config)
    assert np.all(np.isfinite(w))
    assert np.sum(grad(w) ** 2) < 0.1 * start
