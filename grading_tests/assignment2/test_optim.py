"""Hidden tests for cs231n/optim.py.

Every update rule runs for several steps in the sandbox, the config dict the
student returns carried into the next step, and is compared step by step with
the reference on the trusted side. Gradients include exact zeros (a unit that
got no gradient) so that a missing epsilon shows up.

The reference takes each step first, on its own copies of w, dw and config;
whether the student's update changed w or dw in place is read from the
proxy's ``last_modified`` (the state arrays inside config may change in place,
as the docstrings allow).
"""
import numpy as np
import pytest

from autograder.judge import (
    as_array,
    assert_close,
    assert_inputs_kept,
    assert_true,
    unpack,
)

TOL = 1e-7
STEPS = 4

RULES = {
    "sgd_momentum": ({"learning_rate": 1e-3, "momentum": 0.9}, ("velocity",)),
    "nesterov_momentum": ({"learning_rate": 1e-3, "momentum": 0.9}, ("velocity",)),
    "adagrad": ({"learning_rate": 1e-2}, ("cache",)),
    "rmsprop": ({"learning_rate": 1e-2, "decay_rate": 0.99}, ("cache",)),
    "adam": ({"learning_rate": 1e-2, "beta1": 0.9, "beta2": 0.999}, ("m", "v", "t")),
}

SHAPES = [(4, 5), (7,), (2, 3, 2)]


def problem(seed, shape):
    """Weights and a sequence of STEPS gradients (with exact zeros and mixed scales)."""
    r = np.random.default_rng(seed)
    w = r.standard_normal(shape)
    grads = []
    for k in range(STEPS):
        g = r.standard_normal(shape) * (10.0 ** r.integers(-3, 2, size=shape))
        g.flat[0] = 0.0           # a parameter that never gets a gradient
        g.flat[-1] = 1e-7 * (k + 1)  # a tiny gradient: the epsilon matters
        grads.append(g)
    return w, grads


def fmt(shape):
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def run_steps(submission, reference, rule, config, shape, seed, state_keys):
    """Run STEPS updates side by side; fail at the first step that differs."""
    w, grads = problem(seed, shape)
    s_fn = getattr(submission.optim, rule)
    r_fn = getattr(reference.optim, rule)
    s_w, r_w = w.copy(), w.copy()
    s_cfg = dict(config) if config is not None else None
    r_cfg = dict(config) if config is not None else None
    for step, dw in enumerate(grads, start=1):
        cfg_text = "config=None" if config is None else "the given config"
        case = f"step {step} of {STEPS} from {cfg_text}, w of shape {fmt(shape)}"
        r_w, r_cfg = r_fn(r_w.copy(), dw.copy(), r_cfg)
        next_w, s_cfg = unpack(s_fn(s_w.copy(), dw.copy(), s_cfg), 2, what=rule, case=case,
                               names="next_w, config")
        assert_close(next_w, r_w, what=f"{rule}'s next_w", case=case, tol=TOL)
        assert_true(isinstance(s_cfg, dict),
                    f"{rule} returned a {type(s_cfg).__name__} as config for {case}; expected the "
                    f"config dict.")
        for key in state_keys:
            assert_true(key in s_cfg, f"{rule} did not store config['{key}'] for {case}.")
            assert_close(s_cfg[key], r_cfg[key], what=f"{rule}'s config['{key}']", case=case,
                         tol=TOL)
        s_w = as_array(next_w, what=f"{rule}'s next_w", case=case)


# one test a shape, so one failing shape costs only its own share
STEP_SHAPES = {"2d": (4, 5), "1d": (7,), "3d": (2, 3, 2)}
assert list(STEP_SHAPES.values()) == SHAPES
NO_IN_PLACE = ("No update rule modifies ``w`` or ``dw`` in place: always build ``next_w`` (and any "
               "new state such as the velocity) as new arrays.")


def _steps_test(rule, config, keys, i, shape):
    def test(submission, reference):
        run_steps(submission, reference, rule, config, shape, 10 * i, keys)
    return test


def make_tests(rule):
    """The tests of one update rule: ``<rule>_steps_<shape>`` (main, one a shape),
    ``<rule>_default_config`` (main) and ``<rule>_keeps_inputs`` (its edge case)."""
    config, keys = RULES[rule]
    steps = []
    for i, (sid, shape) in enumerate(STEP_SHAPES.items()):
        test = _steps_test(rule, config, keys, i, shape)
        test.__name__ = test.__qualname__ = f"test_{rule}_steps_{sid}"
        steps.append(pytest.mark.grade(rule, points=1)(test))

    @pytest.mark.grade(rule, points=1)
    def test_default_config(submission, reference):
        run_steps(submission, reference, rule, None, (3, 4), 99, keys)

    @pytest.mark.grade(rule, points=1)
    def test_keeps_inputs(submission, reference):
        w, grads = problem(123, (3, 5))
        # one step to create the state, then a second step must leave w and dw alone
        # (state arrays inside config may be updated in place: the docstring allows it)
        r_fn = getattr(reference.optim, rule)
        _, r_cfg = r_fn(w.copy(), grads[0].copy(), dict(config))
        expected, _ = r_fn(w.copy(), grads[1].copy(), r_cfg)
        s_fn = getattr(submission.optim, rule)
        _, cfg = unpack(s_fn(w.copy(), grads[0].copy(), dict(config)), 2, what=rule,
                        case="the first step")
        case = "a second step"
        try:
            result = s_fn(w, grads[1], cfg)
            assert_inputs_kept(submission.last_modified, rule, ("w", "dw"), case)
            next_w, _ = unpack(result, 2, what=rule, case=case, names="next_w, config")
            assert_close(next_w, expected, what=f"{rule}'s next_w", case=case, tol=TOL)
        except AssertionError as e:
            raise AssertionError(f"{str(e).strip()} (Edge case: inputs left unmodified. The "
                                 f"docstring of cs231n/optim.py says: \"{NO_IN_PLACE}\")") from None

    test_default_config.__name__ = f"test_{rule}_default_config"
    test_keeps_inputs.__name__ = f"test_{rule}_keeps_inputs"
    return (*steps, test_default_config, test_keeps_inputs)


(test_sgd_momentum_steps_2d, test_sgd_momentum_steps_1d, test_sgd_momentum_steps_3d,
 test_sgd_momentum_default_config, test_sgd_momentum_keeps_inputs) = make_tests("sgd_momentum")
(test_nesterov_momentum_steps_2d, test_nesterov_momentum_steps_1d,
 test_nesterov_momentum_steps_3d, test_nesterov_momentum_default_config,
 test_nesterov_momentum_keeps_inputs) = make_tests("nesterov_momentum")
(test_adagrad_steps_2d, test_adagrad_steps_1d, test_adagrad_steps_3d,
 test_adagrad_default_config, test_adagrad_keeps_inputs) = make_tests("adagrad")
(test_rmsprop_steps_2d, test_rmsprop_steps_1d, test_rmsprop_steps_3d,
 test_rmsprop_default_config, test_rmsprop_keeps_inputs) = make_tests("rmsprop")
(test_adam_steps_2d, test_adam_steps_1d, test_adam_steps_3d, test_adam_default_config,
 test_adam_keeps_inputs) = make_tests("adam")


@pytest.mark.grade("adam", points=1)
def test_adam_notebook_case(submission, reference):
    """The notebook's check: t=5 with given m and v (bias correction with a carried t)."""
    N, D = 4, 5
    w = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)
    dw = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D)
    m = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    v = np.linspace(0.7, 0.5, num=N * D).reshape(N, D)
    case = "the notebook's case (t=5, given m and v)"
    r_w, r_cfg = reference.optim.adam(w.copy(), dw.copy(),
                                      {"learning_rate": 1e-2, "m": m.copy(), "v": v.copy(), "t": 5})
    cfg = {"learning_rate": 1e-2, "m": m.copy(), "v": v.copy(), "t": 5}
    next_w, s_cfg = unpack(submission.optim.adam(w, dw, cfg), 2, what="adam", case=case)
    assert_close(next_w, r_w, what="adam's next_w", case=case, tol=TOL)
    assert_true(isinstance(s_cfg, dict) and s_cfg.get("t") == 6,
                f"adam's config['t'] is {s_cfg.get('t') if isinstance(s_cfg, dict) else None} after "
                f"{case}; expected 6 (one more than before).")


# every test is collected under the name it was made with
for _name, _test in list(globals().items()):
    if _name.startswith("test_") and getattr(_test, "__name__", _name) != _name:
        raise RuntimeError(f"{_name} holds the test {_test.__name__}")
