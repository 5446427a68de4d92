"""A student's PyTorch model and optimizer, brought to the trusted side as DATA.

The student's ``build_best_model`` runs in the sandbox. Its model and
optimizer never leave the worker as objects (no pickle, no ``torch.load``):
``describe_in_worker`` runs a small describing function there that returns,
as plain data, the model's layer structure (an ``nn.Sequential`` of
whitelisted ``torch.nn`` layers with their constructor settings), its
``state_dict`` as numpy arrays and the optimizer's class and per-group
settings. ``rebuild`` turns that description back into a model and an
optimizer here, built only from ``torch.nn``/``torch.optim`` classes of the
whitelist with settings checked against bounds, so that training and scoring
it on the trusted side runs no student code at all. Everything that came from
the worker is untrusted: anything unexpected is a :class:`NotRebuildable`
with a sentence a student can act on.

Written by hand because no library describes an ``nn.Module`` as data in a
form that can be rebuilt without unpickling (``torch.save`` is pickle;
TorchScript/ONNX export would run the student's ``forward``).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

# -- what is accepted --------------------------------------------------------

OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
              "RAdam")

# Settings of an optimizer group that are implementation details of torch (not
# hyper-parameters): the rebuilt optimizer uses torch's defaults for them.
_IMPLEMENTATION_OPTIONS = {"foreach", "fused", "capturable", "differentiable", "initial_lr"}

# Argument specs: ("int", lo, hi), ("pair", lo, hi) (an int or a pair of ints),
# ("float", lo, hi), ("float_or_none", lo, hi), ("int_or_none", lo, hi),
# ("bool",), ("choice", a, b, ...), ("ints", lo, hi) (a list of ints),
# ("padding", lo, hi) (a pair, or 'same' / 'valid').
_NORM = {"num_features": ("int", 1, 65536), "eps": ("float", 0.0, 1.0),
         "momentum": ("float_or_none", 0.0, 1.0), "affine": ("bool",),
         "track_running_stats": ("bool",)}
_POOL = {"kernel_size": ("pair", 1, 8), "stride": ("pair", 1, 8), "padding": ("pair", 0, 4),
         "ceil_mode": ("bool",)}
LAYERS: dict[str, dict[str, tuple]] = {
    "Conv2d": {"in_channels": ("int", 1, 1024), "out_channels": ("int", 1, 1024),
               "kernel_size": ("pair", 1, 9), "stride": ("pair", 1, 8),
               "padding": ("padding", 0, 8), "dilation": ("pair", 1, 4),
               "groups": ("int", 1, 1024), "bias": ("bool",),
               "padding_mode": ("choice", "zeros", "reflect", "replicate", "circular")},
    "Linear": {"in_features": ("int", 1, 65536), "out_features": ("int", 1, 65536),
               "bias": ("bool",)},
    "BatchNorm1d": _NORM,
    "BatchNorm2d": _NORM,
    "LayerNorm": {"normalized_shape": ("ints", 1, 65536), "eps": ("float", 0.0, 1.0),
                  "elementwise_affine": ("bool",), "bias": ("bool",)},
    "GroupNorm": {"num_groups": ("int", 1, 1024), "num_channels": ("int", 1, 1024),
                  "eps": ("float", 0.0, 1.0), "affine": ("bool",)},
    "ReLU": {}, "SiLU": {}, "Tanh": {}, "Sigmoid": {}, "Identity": {},
    "LeakyReLU": {"negative_slope": ("float", -10.0, 10.0)},
    "ELU": {"alpha": ("float", 0.0, 10.0)},
    "GELU": {"approximate": ("choice", "none", "tanh")},
    "Flatten": {"start_dim": ("int", -4, 4), "end_dim": ("int", -4, 4)},
    "Dropout": {"p": ("float", 0.0, 1.0)},
    "Dropout2d": {"p": ("float", 0.0, 1.0)},
    "MaxPool2d": dict(_POOL, dilation=("pair", 1, 4)),
    "AvgPool2d": dict(_POOL, count_include_pad=("bool",),
                      divisor_override=("int_or_none", 1, 64)),
    "AdaptiveAvgPool2d": {"output_size": ("pair", 1, 16)},
    "AdaptiveMaxPool2d": {"output_size": ("pair", 1, 16)},
    "Softmax": {"dim": ("int", -4, 4)},
    "LogSoftmax": {"dim": ("int", -4, 4)},
}

ACCEPTED = (
    "return an nn.Sequential (nested nn.Sequential allowed) of the torch.nn layers "
    + ", ".join(sorted(LAYERS)) + ", and an optimizer from torch.optim ("
    + ", ".join(OPTIMIZERS) + ")")

# Bounds that keep rebuilding and training on the grader affordable.
MAX_LAYERS = 64
MAX_DEPTH = 4
MAX_PARAMETERS = 2_000_000
MAX_ACTIVATIONS = 65_536          # values one layer may output per example
MAX_MACS = 20_000_000             # multiply-adds of a forward pass per example


class NotRebuildable(Exception):
    """The description cannot be turned back into a model/optimizer (message for the student)."""


# -- the worker side -----------------------------------------------------------

WORKER_SOURCE = r'''
import torch
from torch import nn


def _plain(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    return "<%s>" % type(v).__name__


def _layer(m, table, depth=0):
    t = type(m)
    name = t.__name__
    if getattr(nn, name, None) is not t or depth > 8:
        return {"type": name, "custom": True}
    if name == "Sequential":
        return {"type": name, "layers": [_layer(c, table, depth + 1) for c in m]}
    if name not in table:
        return {"type": name}
    args = {}
    for key in table[name]:
        if key == "bias":
            args[key] = getattr(m, "bias", None) is not None
        else:
            args[key] = _plain(getattr(m, key, "<missing>"))
    return {"type": name, "args": args}


def describe(model, optimizer, table):
    """model, optimizer -> plain data (layers, state_dict arrays, optimizer groups)."""
    out = {"model": _layer(model, table) if isinstance(model, nn.Module)
           else {"type": type(model).__name__, "custom": True}}
    if isinstance(model, nn.Module):
        names = [n for n, _ in model.named_parameters()]
        ids = {id(p): i for i, (_, p) in enumerate(model.named_parameters())}
        out["parameters"] = names
        out["state"] = {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}
    ot = type(optimizer)
    opt = {"type": ot.__name__, "custom": getattr(torch.optim, ot.__name__, None) is not ot}
    if not opt["custom"] and isinstance(model, nn.Module):
        opt["groups"] = [{"params": [ids.get(id(p), -1) for p in g["params"]],
                          "options": {k: _plain(v) for k, v in g.items() if k != "params"}}
                         for g in optimizer.param_groups]
    out["optimizer"] = opt
    return out
'''


def describe_in_worker(submission, model, optimizer) -> dict:
    """The worker-side ``model``/``optimizer`` (RemoteRefs) as plain data."""
    namespace = submission.exec(WORKER_SOURCE, filename="<grader: describe the model>")
    describe = namespace["describe"]
    table = {name: list(spec) for name, spec in LAYERS.items()}
    return describe(model, optimizer, table)


# -- the trusted side --------------------------------------------------------------

def _check_value(layer: str, key: str, value, spec: tuple):
    """A checked constructor argument, or NotRebuildable."""
    kind = spec[0]
    bad = NotRebuildable(f"the {layer} layer has an unsupported {key}={value!r}")

    def is_int(v):
        return isinstance(v, int) and not isinstance(v, bool)

    def is_num(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

    if kind == "bool":
        if not isinstance(value, bool):
            raise bad
        return value
    if kind == "choice":
        if value not in spec[1:]:
            raise bad
        return value
    lo, hi = spec[1], spec[2]
    if kind == "int" or (kind == "int_or_none" and value is not None):
        if not is_int(value) or not lo <= value <= hi:
            raise bad
        return value
    if kind == "int_or_none":
        return None
    if kind == "float" or (kind == "float_or_none" and value is not None):
        if not is_num(value) or not lo <= value <= hi:
            raise bad
        return float(value)
    if kind == "float_or_none":
        return None
    if kind == "padding" and value in ("same", "valid"):
        return value
    if kind in ("pair", "padding"):
        items = [value] if is_int(value) else value
        if (not isinstance(items, list) or len(items) not in (1, 2)
                or not all(is_int(v) and lo <= v <= hi for v in items)):
            raise bad
        return items[0] if len(items) == 1 else tuple(items)
    if kind == "ints":
        items = [value] if is_int(value) else value
        if (not isinstance(items, list) or not 1 <= len(items) <= 3
                or not all(is_int(v) and lo <= v <= hi for v in items)):
            raise bad
        return tuple(items)
    raise bad


def _build_layers(desc, depth: int = 0, counter: list | None = None) -> nn.Module:
    counter = counter if counter is not None else [0]
    if not isinstance(desc, dict) or not isinstance(desc.get("type"), str):
        raise NotRebuildable("the description of your model could not be read")
    kind = desc["type"][:60]
    if desc.get("custom"):
        raise NotRebuildable(f"it contains a {kind}, which is not a torch.nn layer of the list")
    if kind == "Sequential":
        layers = desc.get("layers")
        if depth >= MAX_DEPTH or not isinstance(layers, list):
            raise NotRebuildable(f"nn.Sequential may be nested at most {MAX_DEPTH} deep")
        return nn.Sequential(*[_build_layers(d, depth + 1, counter) for d in layers])
    if kind not in LAYERS:
        raise NotRebuildable(f"it contains a {kind} layer, which is not in the list")
    counter[0] += 1
    if counter[0] > MAX_LAYERS:
        raise NotRebuildable(f"it has more than {MAX_LAYERS} layers")
    args = desc.get("args") or {}
    if not isinstance(args, dict):
        raise NotRebuildable("the description of your model could not be read")
    spec = LAYERS[kind]
    kwargs = {key: _check_value(kind, key, args.get(key), s) for key, s in spec.items()}
    try:
        return getattr(nn, kind)(**kwargs)
    except Exception as exc:  # inconsistent settings, e.g. groups not dividing channels
        raise NotRebuildable(f"its {kind} layer cannot be built with these settings "
                             f"({type(exc).__name__})") from None


def _measure(model: nn.Module, input_shape, num_classes: int) -> None:
    """Shapes, parameter count and cost of a model built on the meta device (no memory used),
    from a forward pass there."""
    n_params = sum(p.numel() for p in model.parameters())
    if n_params > MAX_PARAMETERS:
        raise NotRebuildable(f"it has {n_params:,} parameters; at most {MAX_PARAMETERS:,} are "
                             f"accepted")
    macs = [0]
    too_big = []

    def hook(module, inputs, output):
        if not isinstance(output, torch.Tensor):
            return
        per_example = output.numel() // max(output.shape[0], 1)
        if per_example > MAX_ACTIVATIONS:
            too_big.append(type(module).__name__)
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1]
            macs[0] += per_example * (module.in_channels // module.groups) * k
        elif isinstance(module, nn.Linear):
            macs[0] += per_example * module.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    try:
        model.eval()
        out = model(torch.empty((2,) + tuple(input_shape), device="meta"))
    except NotRebuildable:
        raise
    except Exception as exc:
        raise NotRebuildable(f"its layers do not fit together for input of shape "
                             f"(N,) + {tuple(input_shape)} ({type(exc).__name__}: "
                             f"{str(exc)[:200]})") from None
    finally:
        for h in handles:
            h.remove()
    if too_big:
        raise NotRebuildable(f"its {too_big[0]} layer outputs more than {MAX_ACTIVATIONS:,} "
                             f"values per image")
    if macs[0] > MAX_MACS:
        raise NotRebuildable(f"one forward pass costs {macs[0]:,} multiply-adds per image; at "
                             f"most {MAX_MACS:,} are accepted")
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (2, num_classes):
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise NotRebuildable(f"it maps images of shape (N,) + {tuple(input_shape)} to {shape} "
                             f"for N=2; expected (2, {num_classes})")


def _load_state(model: nn.Module, state) -> None:
    expected = model.state_dict()
    if not isinstance(state, dict) or set(state) != set(expected):
        raise NotRebuildable("its state_dict does not match its layers")
    loaded = {}
    for key, ref in expected.items():
        arr = state[key]
        if (not isinstance(arr, np.ndarray) or tuple(arr.shape) != tuple(ref.shape)
                or arr.dtype.kind not in "fiub"):
            raise NotRebuildable(f"its state_dict entry '{key}' does not match its layers")
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            raise NotRebuildable(f"its state_dict entry '{key}' holds NaN or infinite values")
        loaded[key] = torch.from_numpy(np.array(arr, dtype=np.float64 if ref.is_floating_point()
                                                else np.int64)).to(ref.dtype)
    model.load_state_dict(loaded, strict=True)


def _optimizer_factory(desc, model: nn.Module, names):
    """A function that builds the described optimizer over ``model``'s parameters."""
    if not isinstance(desc, dict) or not isinstance(desc.get("type"), str):
        raise NotRebuildable("the description of your optimizer could not be read")
    kind = desc["type"][:60]
    if desc.get("custom") or kind not in OPTIMIZERS:
        raise NotRebuildable(f"its optimizer is a {kind}, which is not in the list")
    cls = getattr(torch.optim, kind)
    defaults = cls([torch.zeros(1, requires_grad=True)]).defaults
    named = list(model.named_parameters())
    if [n for n, _ in named] != names:
        raise NotRebuildable("its parameters do not match its layers")
    groups_desc = desc.get("groups")
    if not isinstance(groups_desc, list) or not 1 <= len(groups_desc) <= len(named) + 1:
        raise NotRebuildable("the parameter groups of its optimizer could not be read")
    used = set()
    groups = []
    for g in groups_desc:
        idx = g.get("params") if isinstance(g, dict) else None
        opts = g.get("options") if isinstance(g, dict) else None
        if (not isinstance(idx, list) or not isinstance(opts, dict)
                or not all(isinstance(i, int) and 0 <= i < len(named) for i in idx)
                or used & set(idx) or len(set(idx)) != len(idx)):
            raise NotRebuildable("its optimizer must update parameters of the model it came "
                                 "with, each in one group")
        used |= set(idx)
        options = {}
        for key, value in opts.items():
            if key in _IMPLEMENTATION_OPTIONS or key not in defaults:
                continue
            default = defaults[key]
            if isinstance(default, bool):
                ok = isinstance(value, bool)
            elif isinstance(default, tuple):
                ok = (isinstance(value, list) and len(value) == len(default)
                      and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                              and math.isfinite(v) and 0 <= v < 1 for v in value))
                value = tuple(float(v) for v in value) if ok else value
            elif isinstance(default, (int, float)):
                ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
                      and math.isfinite(value) and 0 <= value <= 1e3)
                value = float(value) if ok else value
            else:
                ok = False
            if not ok:
                raise NotRebuildable(f"its optimizer has an unsupported {key}={value!r}")
            options[key] = value
        groups.append((list(idx), options))

    def make(m: nn.Module):
        params = [p for _, p in m.named_parameters()]
        try:
            return cls([{"params": [params[i] for i in idx], **opts} for idx, opts in groups])
        except Exception as exc:
            raise NotRebuildable(f"its {kind} optimizer cannot be built with these settings "
                                 f"({type(exc).__name__}: {str(exc)[:200]})") from None

    make(model)  # fail now, not in the middle of training
    return make


def rebuild(description, input_shape=(1, 8, 8), num_classes: int = 10):
    """Description (from ``describe_in_worker``) -> (model with the student's initial
    weights, optimizer factory ``make(model)``). Raises NotRebuildable."""
    if not isinstance(description, dict):
        raise NotRebuildable("the description of your model could not be read")
    root = description.get("model")
    if not (isinstance(root, dict) and root.get("type") == "Sequential" and not root.get("custom")):
        kind = root.get("type") if isinstance(root, dict) else "?"
        raise NotRebuildable(f"the model is a {str(kind)[:60]}, not an nn.Sequential")
    with torch.device("meta"):  # sizes and cost first, before any memory is allocated
        _measure(_build_layers(root), input_shape, num_classes)
    model = _build_layers(root)
    _load_state(model, description.get("state"))
    make_optimizer = _optimizer_factory(description.get("optimizer"), model,
                                        description.get("parameters"))
    return model, make_optimizer
