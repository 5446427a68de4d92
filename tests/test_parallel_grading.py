"""A whole ``autograder grade`` on two cores runs the assignment's ``preload_for`` files (the
PyTorch part) in a forked second grader process: same outcomes as one process, each bug still
on its own part; the fork helper's failure modes; and torch._dynamo deferred on both sides
(autograder/sandbox/dynamo_on_demand.py) without changing what torch computes."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from autograder.course import CourseError, load_assignment
from autograder.forked_run import ForkedRun, ForkedRunError
from autograder.parts import assignment_parts
from mutants import MUTANTS, apply_mutant

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_PKG = ROOT / "solutions" / "assignment2" / "cs231n"
TWO_CORES = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two cores")

# grades one submission with and without the second process, in one fresh interpreter that has
# not imported torch (the parallel grading comes first), counting the forked runs
_COMPARE = r"""
import json, sys
from pathlib import Path
import autograder.forked_run as fr
from autograder.runner import grade_submission
forks = []
init = fr.ForkedRun.__init__
def counting(self, fn):
    forks.append(1)
    init(self, fn)
fr.ForkedRun.__init__ = counting
# the calibration cache is empty (XDG_CACHE_HOME): the first grading calibrates by grading the
# reference in a forked child, so this process stays without torch and may fork once more
out = {}
for mode, parallel in (("parallel", True), ("serial", False)):
    res = grade_submission(Path(sys.argv[1]), "assignment2", parallel=parallel)
    out[mode] = {"tests": sorted((t.nodeid, t.status) for p in res.parts for t in p.tests),
                 "parts": {p.grade_id: p.score for p in res.parts}, "errors": res.errors,
                 "forks": len(forks)}
print("@@" + json.dumps(out))
"""


def _mutant(name):
    return next(m for m in MUTANTS if m.name == name)


@TWO_CORES
def test_two_processes_grade_like_one(tmp_path):
    """A submission with one bug in a layer and one in the PyTorch part, graded first on a cold
    calibration cache: the forked run grades the PyTorch file, the outcomes (every test's status) and part scores equal one process's,
    and each bug costs its own part only."""
    sub = apply_mutant(REFERENCE_PKG, tmp_path / "sub", _mutant("affine_forward_no_bias"))
    torch_bug = _mutant("torch_train_model_no_zero_grad")
    target = sub / "cs231n" / torch_bug.file
    text = target.read_text()
    for old, new in torch_bug.edits:
        assert text.count(old) == 1
        text = text.replace(old, new)
    target.write_text(text)
    # no calibration cached; the data cache (the digits split) copied, as it is not what is tested
    from autograder.cache import cache_dir

    shutil.copytree(cache_dir("data"), tmp_path / "cold-cache" / "autograder" / "data")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cold-cache")}
    proc = subprocess.run([sys.executable, "-c", _COMPARE, str(sub)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.split("@@")[-1])
    parallel, serial = out["parallel"], out["serial"]
    # the calibration's fork and the grading's own; the serial grading forked nothing
    assert parallel["forks"] == 2 and serial["forks"] == 2
    assert list((tmp_path / "cold-cache" / "autograder" / "calibration").glob("assignment2-*.json"))
    assert parallel["tests"] == serial["tests"] and parallel["parts"] == serial["parts"]
    assert not parallel["errors"]
    torch_tests = [n for n, _ in parallel["tests"] if "test_torch_models.py" in n]
    assert len(torch_tests) >= 9  # the forked run's outcomes came back
    points = {gid: p.points for gid, p in assignment_parts("assignment2", ROOT).items()}
    lost = {gid for gid, score in parallel["parts"].items() if score < points[gid] - 1e-9}
    assert lost == {"affine_forward", "torch_train_model"}, lost


def test_no_second_process_after_the_preload_ran_here(monkeypatch):
    """A process that already imported the preload (torch's OpenMP pool would hang a fork) or
    runs a second thread grades in one process; so does one on a single core."""
    from autograder import runner

    spec = load_assignment("assignment2", ROOT)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    # one thread, as in `autograder grade` (tests run before this one may have left some)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    mine, forked = runner._split_suite(spec, True)
    assert forked == ("test_torch_models.py",)
    assert "test_layers.py" in mine and "test_torch_models.py" not in mine
    assert runner._split_suite(spec, False) == ((), ())
    monkeypatch.setitem(sys.modules, "torch", object())
    assert runner._split_suite(spec, True) == ((), ())
    monkeypatch.delitem(sys.modules, "torch")
    monkeypatch.setattr(threading, "active_count", lambda: 2)  # a lock it holds could stay held in a fork
    assert runner._split_suite(spec, True) == ((), ())
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert runner._split_suite(spec, True)[0]
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert runner._split_suite(spec, True) == ((), ())


def test_preload_for_names_hidden_files(tmp_path):
    root = tmp_path / "course"
    (root / "grading_tests" / "a").mkdir(parents=True)
    (root / "grading_tests" / "a" / "test_x.py").write_text("")
    toml = root / "grading_tests" / "a" / "assignment.toml"
    toml.write_text('[assignment]\npackage = "p"\npreload_for = ["test_x.py"]\n')
    assert load_assignment("a", root).preload_for == ("test_x.py",)
    toml.write_text('[assignment]\npackage = "p"\npreload_for = ["test_y.py"]\n')
    with pytest.raises(CourseError, match="test_y.py"):
        load_assignment("a", root)


def _prints_and_returns():
    print("from the child")
    return {"pid": os.getpid()}


def _raises():
    raise ValueError("broken in the child")


class Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("no")


def _raises_unpicklable():
    raise Unpicklable("a grader bug")


def _dies():
    os._exit(3)


def _sleeps():
    time.sleep(60)


def test_forked_run_result_output_and_failures():
    run = ForkedRun(_prints_and_returns)
    value = run.result(60)
    assert value["pid"] != os.getpid() and run.output == "from the child\n"
    with pytest.raises(ValueError, match="broken in the child") as raised:
        ForkedRun(_raises).result(60)
    assert "in _raises" in "".join(raised.value.__notes__)  # the child's traceback
    with pytest.raises(ForkedRunError, match="Unpicklable"):
        ForkedRun(_raises_unpicklable).result(60)
    with pytest.raises(ForkedRunError, match="exit code 3"):
        ForkedRun(_dies).result(60)
    t0 = time.monotonic()
    slow = ForkedRun(_sleeps)
    with pytest.raises(ForkedRunError, match="no result in 1 s"):
        slow.result(1)
    assert time.monotonic() - t0 < 20 and not slow._proc.is_alive()


# -- torch._dynamo on demand -------------------------------------------------------------

_TRAIN = textwrap.dedent(r"""
    import hashlib, sys
    import torch
    if sys.argv[1] == "on":
        from autograder.sandbox.dynamo_on_demand import install
        assert install()
    digest = hashlib.sha256()
    for name in ["SGD", "Adam", "AdamW", "RMSprop"]:
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                                    torch.nn.Linear(144, 3))
        opt = getattr(torch.optim, name)(model.parameters(), lr=0.01)
        for _ in range(3):
            opt.zero_grad()
            model(torch.randn(2, 1, 8, 8)).sum().backward()
            opt.step()
        opt.load_state_dict(opt.state_dict())
        digest.update(model[3].weight.detach().numpy().tobytes())
    print(digest.hexdigest(), type(sys.modules["torch._dynamo"]).__name__)
""")

_COMPILE = textwrap.dedent(r"""
    import sys
    import torch
    from autograder.sandbox import dynamo_on_demand
    assert dynamo_on_demand.install()
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU())
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    model(torch.zeros(1, 4)).sum().backward()
    opt.step()                                   # before the real module
    from torch._dynamo import config             # a submodule: the real package comes in
    real = sys.modules["torch._dynamo"]
    assert not isinstance(real, dynamo_on_demand.OnDemand) and torch._dynamo is real
    assert config is sys.modules["torch._dynamo.config"] is real.config
    x = torch.randn(5, 4)
    assert torch.equal(torch.compile(model, backend="eager")(x), model(x))
    def step():
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()
    torch.compile(step, backend="eager")()       # the optimizer's disabled parts, compiled around
    torch._dynamo.reset()
    print("ok")
""")


def _python(code, *args):
    pytest.importorskip("torch")
    proc = subprocess.run([sys.executable, "-W", "ignore", "-c", code, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.split()


def test_dynamo_deferred_changes_nothing_torch_computes():
    """Four optimizers train to the same bits with the placeholder as without, and none of
    them imports the real torch._dynamo."""
    off, on = _python(_TRAIN, "off"), _python(_TRAIN, "on")
    assert off[1] == "module" and on[1] == "OnDemand"
    assert on[0] == off[0]


def test_dynamo_deferred_still_compiles():
    """A submodule import brings in the real package (one module object a name), and
    torch.compile works, also around an optimizer built before it."""
    assert _python(_COMPILE) == ["ok"]


_WALK = textwrap.dedent(r"""
    import inspect, sys
    import torch
    from autograder.sandbox import dynamo_on_demand
    assert dynamo_on_demand.install()
    x = torch.randn(3)
    # imports torch.distributed.tensor, whose operator registration walks sys.modules
    # (inspect.getmodule) in the middle of that import: the CI failure of e7fdf4f
    torch.testing.assert_close(x, x.clone())
    inspect.getmodule(inspect.currentframe())
    # torch's other big subpackages import beside the placeholder, without loading the real one
    import torch.fx, torch.export, torch.jit, torch.func, torch.onnx, torch.profiler  # noqa: E401
    import torch.distributed.fsdp, torch.utils.checkpoint, torch.ao.quantization  # noqa: E401
    placeholder = sys.modules["torch._dynamo"]
    print(type(placeholder).__name__, hasattr(placeholder, "__file__"),
          hasattr(placeholder, "__wrapped__"))
""")


def test_dynamo_deferred_survives_walks_of_sys_modules():
    """Tools that ask every module in sys.modules for a dunder (inspect.getmodule, run inside
    torch's own imports) neither load the real module nor break the import in progress."""
    assert _python(_WALK) == ["OnDemand", "True", "False"]
