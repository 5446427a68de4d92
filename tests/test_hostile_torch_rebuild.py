"""The best-model description (grading_tests/assignment2/torch_rebuild.py): a model and
optimizer described as data in the worker are rebuilt on the trusted side from
torch.nn / torch.optim classes of a whitelist only, within bounds. Whatever a hostile
worker sends instead is a NotRebuildable with a sentence for the student -- never a
crash of the grader, a huge allocation or a class the grader would have to trust.

The describing function is the worker-side source itself, run here on real models
(in the grader it runs in the sandbox); descriptions a hostile worker could forge are
written by hand.
"""
from __future__ import annotations

import copy
import importlib.util
import re
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from autograder.paths import grading_tests_dir  # noqa: E402


def _load():
    path = grading_tests_dir("assignment2") / "torch_rebuild.py"
    spec = importlib.util.spec_from_file_location("torch_rebuild_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tr = _load()


def describe_here(model, optimizer) -> dict:
    namespace: dict = {}
    exec(compile(tr.WORKER_SOURCE, "<describe>", "exec"), namespace)  # noqa: S102
    table = {name: list(spec) for name, spec in tr.LAYERS.items()}
    return namespace["describe"](model, optimizer, table)


def small_model():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 20), nn.ReLU(), nn.Linear(20, 10))
    return model, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)


def test_reference_best_model_round_trips():
    from cs231n.torch_models import build_best_model

    torch.manual_seed(0)
    model, optimizer = build_best_model(1, 10)
    description = describe_here(model, optimizer)
    rebuilt, make_optimizer = tr.rebuild(description, (1, 8, 8), 10)
    assert [type(m) for m in rebuilt] == [type(m) for m in model]
    x = torch.randn(5, 1, 8, 8)
    model.eval()
    rebuilt.eval()
    with torch.no_grad():
        assert torch.equal(model(x), rebuilt(x))
    opt = make_optimizer(rebuilt)
    assert type(opt) is type(optimizer)
    for key in ("lr", "weight_decay", "betas", "eps"):
        assert opt.param_groups[0][key] == optimizer.param_groups[0][key]


def test_parameter_groups_and_nesting_round_trip():
    torch.manual_seed(1)
    inner = nn.Sequential(nn.Conv2d(1, 4, 3, padding="same"), nn.BatchNorm2d(4), nn.ReLU())
    model = nn.Sequential(inner, nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.1),
                          nn.Linear(64, 10))
    optimizer = torch.optim.Adam([{"params": inner.parameters(), "lr": 1e-2},
                                  {"params": model[4].parameters()}], lr=1e-3,
                                 betas=(0.8, 0.99))
    rebuilt, make_optimizer = tr.rebuild(describe_here(model, optimizer))
    opt = make_optimizer(rebuilt)
    assert [g["lr"] for g in opt.param_groups] == [1e-2, 1e-3]
    assert opt.param_groups[1]["betas"] == (0.8, 0.99)
    assert [len(g["params"]) for g in opt.param_groups] == [4, 2]
    assert rebuilt[0][0].padding == "same"


def test_docstring_lists_exactly_what_is_accepted():
    from cs231n.torch_models import build_best_model

    doc = build_best_model.__doc__
    block = doc.split("torch.nn layers:", 1)[1].split("with at most", 1)[0]
    assert set(re.findall(r"\b[A-Z]\w+\b", block)) == set(tr.LAYERS) - {"Sequential"}
    for name in tr.OPTIMIZERS:
        assert name in doc
    assert f"{tr.MAX_PARAMETERS:,}" in doc


class Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(x.flatten(1))


class MyLinear(nn.Linear):
    pass


def layer(kind, **args):
    return {"type": kind, "args": args}


def seq(*layers):
    return {"type": "Sequential", "layers": list(layers)}


FLATTEN = layer("Flatten", start_dim=1, end_dim=-1)


def linear(i, o):
    return layer("Linear", in_features=i, out_features=o, bias=True)


def conv(i, o, k, p):
    return layer("Conv2d", in_channels=i, out_channels=o, kernel_size=[k, k], stride=[1, 1],
                 padding=[p, p], dilation=[1, 1], groups=1, bias=True, padding_mode="zeros")


def forged(model_description):
    """A description as a hostile worker could send it (no state, no optimizer needed:
    the model is judged first)."""
    return {"model": model_description, "state": {}, "parameters": [],
            "optimizer": {"type": "SGD", "custom": False, "groups": []}}


REJECTED_MODELS = [
    (lambda: Custom(), "not an nn.Sequential"),
    (lambda: nn.Sequential(nn.Flatten(), MyLinear(64, 10)), "not a torch.nn layer of the list"),
    (lambda: nn.Sequential(nn.Flatten(), nn.Bilinear(64, 64, 10)), "not in the list"),
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(64, 5)), "expected (2, 10)"),
    (lambda: nn.Sequential(nn.Linear(64, 10)), "do not fit together"),
    (lambda: nn.Sequential(nn.Conv2d(1, 4, 3, groups=1), nn.Conv2d(4, 6, 3, groups=4)),
     "cannot be built"),
]


@pytest.mark.parametrize("make, message", REJECTED_MODELS)
def test_models_that_cannot_be_rebuilt(make, message):
    try:
        model = make()
    except ValueError:  # torch itself refuses (the groups case): forge the description
        model = None
    if model is None:
        description = forged(seq(conv(1, 4, 3, 0), layer("Conv2d", **{
            **conv(4, 6, 3, 0)["args"], "groups": 4})))
    else:
        description = describe_here(model, torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(tr.NotRebuildable) as exc:
        tr.rebuild(description)
    assert message in str(exc.value)


FORGED = [
    ([], "could not be read"),
    ({"model": 5}, "not an nn.Sequential"),
    (forged({"type": "Sequential", "layers": "x"}), "nested"),
    (forged(seq(layer("Linear", in_features="64", out_features=10, bias=True))),
     "unsupported in_features"),
    (forged(seq(FLATTEN, layer("Linear", in_features=64, out_features=10, bias=1))),
     "unsupported bias"),
    (forged(seq(conv(1, 4, 3, 1) | {"args": {**conv(1, 4, 3, 1)["args"],
                                             "padding_mode": "__import__('os')"}})),
     "unsupported padding_mode"),
    (forged(seq(layer("Dropout", p=float("nan")))), "unsupported p"),
    (forged(seq(seq(seq(seq(seq(FLATTEN)))))), "nested"),
    (forged(seq(*[layer("ReLU")] * 65)), "more than 64 layers"),
    # 4.3 billion parameters: refused from the meta device, nothing allocated
    (forged(seq(FLATTEN, linear(64, 65536), linear(65536, 65536), linear(65536, 10))),
     "parameters"),
    # 1.2 million parameters, but ~76 million multiply-adds per image
    (forged(seq(conv(1, 256, 3, 1), conv(256, 256, 3, 1), conv(256, 256, 3, 1), FLATTEN,
                linear(256 * 64, 10))), "multiply-adds"),
    # a small layer whose output is huge: 1024 channels of 24x24 from padding
    (forged(seq(conv(1, 1024, 1, 8), layer("AdaptiveAvgPool2d", output_size=[1, 1]), FLATTEN,
                linear(1024, 10))), "Conv2d layer outputs more than 65,536 values per image"),
]


@pytest.mark.parametrize("description, message", FORGED)
def test_forged_descriptions(description, message):
    start = time.monotonic()
    with pytest.raises(tr.NotRebuildable) as exc:
        tr.rebuild(description)
    assert message in str(exc.value)
    assert time.monotonic() - start < 5


def test_forged_state_and_optimizer():
    model, optimizer = small_model()
    good = describe_here(model, optimizer)
    tr.rebuild(good)

    def broken(change):
        description = copy.deepcopy(good)
        change(description)
        with pytest.raises(tr.NotRebuildable) as exc:
            tr.rebuild(description)
        return str(exc.value)

    assert "state_dict" in broken(lambda d: d["state"].pop("1.bias"))
    assert "does not match" in broken(lambda d: d["state"].__setitem__("1.bias", np.zeros(3)))
    assert "does not match" in broken(
        lambda d: d["state"].__setitem__("1.bias", np.array(["x"] * 20)))
    assert "NaN" in broken(lambda d: d["state"]["1.weight"].__setitem__((0, 0), np.nan))
    assert "not in the list" in broken(lambda d: d["optimizer"].update(type="LBFGS"))
    assert "not in the list" in broken(lambda d: d["optimizer"].update(custom=True))
    assert "unsupported lr" in broken(
        lambda d: d["optimizer"]["groups"][0]["options"].update(lr="0.1"))
    assert "unsupported lr" in broken(
        lambda d: d["optimizer"]["groups"][0]["options"].update(lr=-1.0))
    assert "each in one group" in broken(
        lambda d: d["optimizer"]["groups"][0].update(params=[0, 1, 2, 99]))
    assert "each in one group" in broken(
        lambda d: d["optimizer"]["groups"].append(d["optimizer"]["groups"][0]))
    assert "do not match" in broken(lambda d: d["parameters"].reverse())
    # implementation switches are torch's business: dropped, not trusted
    d = copy.deepcopy(good)
    d["optimizer"]["groups"][0]["options"].update(fused=True, foreach=True, initial_lr=5.0)
    _, make = tr.rebuild(d)
    assert make(tr.rebuild(good)[0]).param_groups[0]["lr"] == 0.1


def test_public_check_accepts_exactly_what_the_grader_rebuilds():
    """The students' public check (cs231n/checks.py) names the same layers, optimizers and
    parameter bound as the hidden rebuild, and flags a model the grader cannot rebuild."""
    from cs231n import checks

    assert set(checks.BEST_MODEL_LAYERS) == set(tr.LAYERS)
    assert set(checks.BEST_MODEL_OPTIMIZERS) == set(tr.OPTIMIZERS)
    assert checks.BEST_MODEL_MAX_PARAMETERS == tr.MAX_PARAMETERS

    model, optimizer = small_model()
    assert checks._best_model_form_problem(model, optimizer) is None

    class Mine(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(64, 10)

        def forward(self, x):
            return self.fc(x.flatten(1))

    own = Mine()
    assert "must be an nn.Sequential" in checks._best_model_form_problem(
        own, torch.optim.SGD(own.parameters(), lr=0.1))
    seq = nn.Sequential(nn.Flatten(), nn.Sequential(nn.Linear(64, 10), nn.Hardswish()))
    assert "Hardswish" in checks._best_model_form_problem(seq, torch.optim.SGD(seq.parameters(), lr=0.1))
    assert "optimizer" in checks._best_model_form_problem(
        seq[:1], torch.optim.LBFGS(nn.Linear(2, 2).parameters()))
