"""The proxy API on benign student code, through real sandboxed workers."""
from __future__ import annotations

import time

import numpy as np
import pytest
from traitlets.config import Config

from autograder.sandbox import (
    PROTECTIONS,
    NotImplementedYet,
    RemoteRef,
    Sandbox,
    SandboxUnavailable,
    StaleReference,
    StudentCodeError,
    StudentTimeout,
)
from sandbox_helpers import make_proxy

MODES = ["bwrap", "plain"]


@pytest.fixture(scope="module", params=MODES)
def sub(request):
    p = make_proxy(request.param)
    yield p
    p.close()


def test_data_in_data_out(sub):
    rng = np.random.RandomState(0)
    x, w, b = rng.randn(3, 4), rng.randn(4, 5), rng.randn(5)
    out, cache = sub.layers.affine_forward(x, w, b)
    np.testing.assert_allclose(out, x @ w + b)
    assert isinstance(cache, tuple) and len(cache) == 3
    dx, dw, db = sub.layers.affine_backward(np.ones((3, 5)), cache)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape
    kinds = sub.layers.kinds()
    assert kinds["big"] == 2**70 and kinds["c"] == 1 + 2j and kinds[5] == "int key"
    assert type(kinds["f32"]) is np.float32 and kinds["empty"].shape == (0, 4)
    assert kinds["nested"][0] == (1, 2) and kinds["c64"].dtype == np.complex64
    assert sub.layers.echo(1, (2, 3), k=[None]) == ((1, (2, 3)), {"k": [None]})


def test_objects_stay_in_the_worker(sub):
    x, w, b = np.ones((2, 3)), np.ones((3, 4)), np.zeros(4)
    out, cache = sub.layers.affine_forward_obj(x, w, b)
    assert isinstance(cache, RemoteRef) and "Cache" in repr(cache)
    np.testing.assert_array_equal(cache.x, x)  # attribute get returns data
    dx, dw, db = sub.layers.affine_backward(np.ones((2, 4)), cache)  # handle passed back
    np.testing.assert_allclose(dw, np.full((3, 4), 2.0))
    assert isinstance(sub.layers.object_array(), RemoteRef)  # object dtype never travels as data
    with pytest.raises(TypeError):
        sub.layers.echo(object())  # the grader cannot send arbitrary objects either


def test_model_and_solver(sub):
    net = sub.classifiers.fc_net.TwoLayerNet(input_dim=4, hidden_dim=6, num_classes=3)
    params = net.params
    assert set(params) == {"W1", "b1", "W2", "b2"} and params["W1"].shape == (4, 6)
    params["W1"] = np.zeros((4, 6))
    net.params = params
    np.testing.assert_array_equal(net.params["W1"], 0)
    X, y = np.random.RandomState(1).randn(5, 4), np.array([0, 1, 2, 0, 1])
    loss, grads = net.loss(X, y)
    assert isinstance(loss, float) and np.isclose(loss, np.log(3))
    assert net.loss(X).shape == (5, 3)
    net.reg = 0.5
    assert net.reg == 0.5
    solver = sub.classifiers.fc_net.Solver(net, {"X_train": X, "y_train": y}, num_epochs=3)
    solver.train()
    assert len(solver.loss_history) == 3
    assert isinstance(solver.model, RemoteRef)


def test_not_implemented_and_tracebacks(sub):
    with pytest.raises(NotImplementedYet) as ei:
        sub.layers.relu_forward(np.ones(3))
    assert "relu_forward is not implemented yet" in str(ei.value)
    with pytest.raises(StudentCodeError) as ei:
        sub.layers.bad_value(np.ones((2, 2)))
    e = ei.value
    assert e.exc_type == "ValueError" and "shape (2, 2) is wrong" in e.message
    assert e.function == "cs231n.layers.bad_value"
    assert "cs231n/layers.py" in e.student_traceback and "in helper" in e.student_traceback
    assert "worker.py" not in e.student_traceback and "/opt/" not in e.student_traceback
    with pytest.raises(StudentCodeError) as ei:
        sub.broken_syntax.f()
    assert ei.value.exc_type == "SyntaxError" and "broken_syntax.py" in ei.value.student_traceback
    with pytest.raises(StudentCodeError) as ei:
        sub.layers.does_not_exist(1)
    assert ei.value.exc_type == "AttributeError"
    assert sub.ping()["handles"] >= 0  # the loop survived all of it


def test_in_place_changes_are_mirrored(sub):
    bn_param = {"mode": "train"}
    x = np.arange(6.0).reshape(3, 2)
    sub.layers.running_update(x, bn_param)
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * x.mean(axis=0))
    sub.layers.running_update(x, bn_param=bn_param)
    np.testing.assert_allclose(bn_param["running_mean"], 0.19 * x.mean(axis=0))
    assert sub.last_modified == frozenset()  # a dict argument was updated, no array
    z = np.array([-1.0, 2.0])
    sub.layers.inplace_relu(z)
    # the student modified its input in place: reported, but the grader's array is untouched
    np.testing.assert_array_equal(z, [-1.0, 2.0])
    assert sub.last_modified == frozenset({0})
    out = sub.layers.inplace_relu(x=z)
    np.testing.assert_array_equal(out, [0.0, 2.0])
    np.testing.assert_array_equal(z, [-1.0, 2.0])
    assert sub.last_modified == frozenset({"x"})


def test_stdout_is_captured_not_mixed(sub):
    assert sub.layers.chatty(3) == 3
    assert "line 2" in sub.last_stdout and sub.last_stdout_bytes > 0
    assert sub.layers.chatty(5000) == 5000
    assert len(sub.last_stdout) <= 4096 and "line 4999" in sub.last_stdout


def test_put_exec_and_fetch(sub):
    ref = sub.put({"a": np.arange(3)})
    assert isinstance(ref, RemoteRef) and len(ref) == 1
    assert np.array_equal(ref["a"], np.arange(3))
    ref["b"] = 5
    assert sub.fetch(ref)["b"] == 5
    ns = sub.exec("import numpy as np\nv = np.arange(4).sum()\n", filename="<cell 1>")
    assert ns["v"] == 6
    with pytest.raises(StudentCodeError) as ei:
        sub.exec("1/0", namespace=ns, filename="<cell 2>")
    assert ei.value.exc_type == "ZeroDivisionError" and "<cell 2>" in ei.value.student_traceback


def test_restart_invalidates_old_references():
    p = make_proxy("plain", call_timeout=1.0)
    with p:
        _, cache = p.layers.affine_forward_obj(np.ones((1, 2)), np.ones((2, 2)), np.zeros(2))
        with pytest.raises(StudentTimeout):
            p.attacks.spin()
        with pytest.raises(StaleReference):
            p.layers.affine_backward(np.ones((1, 2)), cache)
        assert p.layers.echo(1) == ((1,), {})
        assert p.restarts == 1


def test_submission_time_budget():
    with make_proxy("plain", call_timeout=5.0, submission_timeout=1.0) as p:
        with pytest.raises(StudentTimeout):
            p.attacks.spin()
        with pytest.raises(StudentTimeout, match="total time budget"):
            p.layers.echo(1)


def test_config_traits_and_protections():
    c = Config()
    c.Sandbox.memory_limit_mb = 1024
    c.Sandbox.call_timeout = 3.5
    c.Sandbox.use_bwrap = False
    sb = Sandbox(config=c)
    assert sb.memory_limit_mb == 1024 and sb.call_timeout == 3.5
    for name in ("call_timeout", "submission_timeout", "memory_limit_mb", "cpu_time_limit", "max_processes",
                 "max_file_size_mb", "require_isolation", "use_bwrap", "extra_readonly_paths"):
        trait = sb.traits()[name]
        assert trait.metadata.get("config") and trait.help, name
    prot = sb.protections()
    assert set(prot) == set(PROTECTIONS)
    assert prot["separate_process"] and not prot["filesystem_isolated"] and not prot["no_network"]
    with pytest.raises(SandboxUnavailable, match="filesystem_isolated"):
        Sandbox(config=c, require_isolation=True).start("tests/fixtures/sandbox/basic")


def test_bwrap_protections_all_on_when_available():
    from sandbox_helpers import bwrap_reason
    reason = bwrap_reason()
    if reason:
        pytest.skip(reason)
    sb = Sandbox(require_isolation=True)
    prot = sb.protections()
    import os
    expected = {p: True for p in PROTECTIONS}
    if os.geteuid() != 0:
        pytest.skip("not root: unprivileged bwrap (no dedicated worker uid)")
    assert prot == expected


def test_startup_and_round_trip_speed():
    with make_proxy("bwrap") as p:
        t0 = time.perf_counter()
        p.ping()
        startup = time.perf_counter() - t0
        x = np.ones((4, 4))
        n = 300
        t0 = time.perf_counter()
        for _ in range(n):
            p.layers.echo(x)
        rt = (time.perf_counter() - t0) / n
        print(f"\nworker start-up {startup * 1000:.0f} ms, round trip {rt * 1e6:.0f} us")
        assert startup < 3.0  # generous: 2 shared cores; measured ~0.25 s when idle
        assert rt < 0.005


def test_released_references_are_freed_in_the_worker():
    import gc
    with make_proxy("plain") as p:
        base = p.ping()["handles"]
        refs = [p.layers.affine_forward_obj(np.ones((1, 2)), np.ones((2, 2)), np.zeros(2))[1] for _ in range(5)]
        assert p.ping()["handles"] == base + 5
        del refs
        gc.collect()
        p.ping()  # carries the releases
        assert p.ping()["handles"] == base


def test_missing_bwrap_is_explicit():
    with pytest.raises(SandboxUnavailable, match="bubblewrap not found"):
        Sandbox(use_bwrap=True, bwrap_path="/nonexistent/bwrap").protections()
    prot = Sandbox(use_bwrap="auto", bwrap_path="/nonexistent/bwrap").protections()
    assert prot["separate_process"] and not prot["filesystem_isolated"]


@pytest.mark.parametrize("mode", MODES)
def test_prestarted_worker_imports_its_preload_before_the_submission(mode):
    """A prestarted worker boots and imports its preload while the grader goes on; the first
    request waits for it. The preload is imported before the submission joins sys.path (a
    module of the submission cannot stand in for it), a missing one does not stop the worker,
    and what it made is frozen out of the garbage collector's walks. A worker restarted after
    a crash imports ``restart_preload`` instead (empty unless the grading sets it)."""
    from sandbox_helpers import FIXTURE, plain_traits, bwrap_reason
    from autograder.sandbox import Sandbox, SubmissionProxy

    if mode == "bwrap" and bwrap_reason():
        pytest.skip(bwrap_reason())
    traits = {"call_timeout": 20.0} if mode == "bwrap" else plain_traits({"call_timeout": 20.0})
    sb = Sandbox(use_bwrap=(mode == "bwrap"), **traits)
    proxy = SubmissionProxy.for_directory(FIXTURE, "cs231n", sandbox=sb,
                                          preload=("colorsys", "no_such_module_xyz"))
    with proxy:
        proxy.prestart()
        worker = proxy.worker
        assert worker is not None and not worker.ready  # returned before the worker's hello
        ns = proxy.exec("import gc, sys\n"
                        "seen = ['colorsys' in sys.modules, 'no_such_module_xyz' in sys.modules,"
                        " gc.get_freeze_count() > 0]")
        assert worker.ready and proxy.worker is worker
        assert proxy.fetch(ns)["seen"] == [True, False, True]
        proxy.restart()  # a worker restarted after a crash skips the preload
        ns = proxy.exec("import sys\nseen = 'colorsys' in sys.modules")
        assert proxy.worker is not worker and proxy.fetch(ns)["seen"] is False
        proxy.restart_preload = ("colorsys",)  # unless the test at hand needs it
        proxy.restart()
        ns = proxy.exec("import sys\nseen = 'colorsys' in sys.modules")
        assert proxy.fetch(ns)["seen"] is True


def test_prestarted_proxy_is_closed_when_no_test_takes_it(tmp_path):
    """A grading whose tests never ask for the submission leaves no worker behind."""
    from autograder.pytest_plugin import GradingPlugin
    from sandbox_helpers import FIXTURE, plain_traits
    from autograder.course import load_assignment
    from autograder.sandbox import Sandbox, SubmissionProxy

    sb = Sandbox(use_bwrap=False, **plain_traits({}))
    plugin = GradingPlugin(lambda preload=(): SubmissionProxy.for_directory(FIXTURE, "cs231n", sandbox=sb),
                           load_assignment("assignment2"))
    plugin.prestart_proxy()
    worker = plugin._prestarted.worker
    assert worker.alive
    plugin.close_proxies()
    assert not worker.alive


SERVED_TORCH = '''
import torch


def flatten(x):
    return x.transpose(1, -1).reshape(x.shape[0], -1)  # wrong: the served one replaces it


def model(x):
    return 2 * flatten(x)
'''


def test_a_served_function_takes_and_gives_tensors(tmp_path):
    """A part that serves a torch function from the reference: the worker sends its tensor
    arguments as arrays, the reference gets tensors and its tensor result comes back a tensor;
    a place listed as a tensor that holds no array is refused, not converted."""
    import types

    from sandbox_helpers import plain_traits
    from autograder.sandbox import SubmissionProxy, TimeBudget

    (tmp_path / "tpkg").mkdir()
    (tmp_path / "tpkg" / "__init__.py").write_text("")
    (tmp_path / "tpkg" / "tm.py").write_text(SERVED_TORCH)
    seen = []

    def reference_flatten(x):
        seen.append(type(x).__name__)
        return x.reshape(x.shape[0], -1)

    budget = TimeBudget(0)
    budget.start_test(None, {"tpkg.tm.flatten": reference_flatten})
    sb = Sandbox(use_bwrap=False, **plain_traits({"call_timeout": 60.0}))
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    with SubmissionProxy.for_directory(tmp_path, "tpkg", sandbox=sb, budget=budget, preload=("torch",)) as proxy:
        proxy.prestart()  # both sides import torch side by side
        import torch  # noqa: F401
        out = proxy.call("tpkg.tm.model", proxy.call("torch.from_numpy", x))
        assert isinstance(out, RemoteRef) and proxy.call("torch.is_tensor", out) is True
        np.testing.assert_array_equal(proxy.call("numpy.asarray", out), 2 * x.reshape(2, -1))
    assert seen == ["Tensor"]
    forged = {"callback": "tpkg.tm.flatten", "args": ["not an array"], "kwargs": {}, "tensors": [0]}
    worker = types.SimpleNamespace(sandbox=sb)
    from autograder.sandbox import protocol

    reply = protocol.unpack(SubmissionProxy._serve_callback(forged, budget, worker))
    assert reply["ok"] is False and "no array argument at 0" in reply["error"]
    assert seen == ["Tensor"]
