"""The mutant catalogue: planted bugs the hidden suites must catch.

Each :class:`Mutant` is a copy of the reference package with one bug planted by
exact text replacement (every ``old`` snippet must occur exactly once in its
file). Many are the real student mistakes of the course notes in
``/work/shared/course-notes`` (non-inverted dropout, ``eps`` outside the square
root in batch norm, ``eps`` inside the square root in RMSProp, Adam without
bias correction, ``keepdims=True`` gradients, momentum written as ``x += v``,
max-pool backward routing to every tie, the (N, C, H, W) -> (N*H*W, C) reshape
without a transpose, ``dx = dout; dx[x <= 0] = 0`` ...).

A mutant is judged test by test (hidden test names without ``test_``):

``fails``       the tests that name the bug: every one of them must fail.
``dependents``  the other tests that fail, exactly: tests that run the
                mutated function through the student's OTHER code (the forward
                pass that makes a backward test's cache; the same class built
                another way). Composites (the affine_norm_relu sandwich, the
                networks, training) take the layers they call from the
                reference, so a layer's bug never reaches them. They must be a subset of
                ``USERS[function]``, the tests that can reach the function that
                way, so each listed dependent is justified by the call graph.
Every other test graded by the modules that run must pass.

Which hidden modules grade a mutant (``FILE_MODULES``): the module for the
mutated file and the modules of the files that import it. Modules that never
reach the mutated file are not run (they cannot lose points), to keep the
test affordable. ``test_accuracy`` (a second or more of training a grading) runs only
for mutants of the functions its networks and training call (``ACCURACY_MODULE``,
traced in-process on the reference: :func:`accuracy_reach`):

=======================  ==============================================================
mutated file             hidden modules run
=======================  ==============================================================
layers.py                test_layers, test_layer_utils, test_fc_net, test_cnn, test_accuracy
layer_utils.py           test_layer_utils, test_fc_net, test_cnn, test_accuracy
optim.py                 test_optim, test_accuracy (which must not lose: it uses the reference's rule)
classifiers/fc_net.py    test_fc_net, test_accuracy
classifiers/cnn.py       test_cnn, test_accuracy
torch_models.py          test_torch_models
=======================  ==============================================================
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

FILE_MODULES: dict[str, list[str]] = {
    "layers.py": ["test_layers.py", "test_layer_utils.py", "test_fc_net.py", "test_cnn.py",
                  "test_accuracy.py"],
    "layer_utils.py": ["test_layer_utils.py", "test_fc_net.py", "test_cnn.py", "test_accuracy.py"],
    "optim.py": ["test_optim.py", "test_accuracy.py"],
    "classifiers/fc_net.py": ["test_fc_net.py", "test_accuracy.py"],
    "classifiers/cnn.py": ["test_cnn.py", "test_accuracy.py"],
    "torch_models.py": ["test_torch_models.py"],
}

ACCURACY_MODULE = "test_accuracy.py"


class _ReferenceAsSubmission:
    """The reference package where test_accuracy's tests expect the student's sandboxed one:
    only to trace which functions those tests call (:func:`accuracy_reach`); grading never
    runs student code this way."""

    def __init__(self, package):
        self._package = package

    def __getattr__(self, name):
        return getattr(self._package, name)

    def timeout(self, seconds):
        return contextlib.nullcontext(self)

    def get(self, path):
        module, _, name = path.rpartition(".")
        return getattr(importlib.import_module(module), name)


@functools.lru_cache(maxsize=1)
def _assignment2():
    from autograder.course import load_assignment

    return load_assignment("assignment2")


_REACH: frozenset[tuple[str, str]] | None = None


def accuracy_reach() -> frozenset[tuple[str, str]]:
    """``{(file, name)}``: the functions of the reference package (file relative to it, e.g.
    ``layers.py``; name a function's, or a method's class) that test_accuracy's tests call,
    the networks' and the trusted-side Solver's alike, traced (``sys.setprofile``) while the
    tests run in this process on the reference. A bug elsewhere cannot reach those tests. Run
    once a process (about a second)."""
    global _REACH
    if _REACH is None:
        from autograder.paths import grading_tests_dir
        from autograder.pytest_plugin import import_reference

        spec_a = _assignment2()
        ref = import_reference(spec_a.solutions_dir, spec_a.package,
                               [f"{spec_a.package}.{m}" for m in ("classifiers.fc_net",
                                "classifiers.cnn", "solver", "optim", "data_utils")])
        pkg_dir = Path(ref.__file__).resolve().parent
        path = grading_tests_dir("assignment2") / ACCURACY_MODULE
        spec = importlib.util.spec_from_file_location("_traced_test_accuracy", path)
        tests = importlib.util.module_from_spec(spec)
        with warnings.catch_warnings():  # its grade marks are registered by the grader's plugin
            warnings.simplefilter("ignore")
            spec.loader.exec_module(tests)
        digits = ref.data_utils.get_digits_data()
        root = str(pkg_dir) + os.sep
        seen: set = set()

        def profile(frame, event, arg):
            if event == "call" and frame.f_code.co_filename.startswith(root):
                seen.add(frame.f_code)

        names = sorted(n for n in vars(tests) if n.startswith("test_"))
        assert names, f"no tests in {path}"
        fixtures = {"submission": _ReferenceAsSubmission(ref), "reference": ref, "digits": digits}
        sys.setprofile(profile)
        try:
            for name in names:
                test = getattr(tests, name)
                wanted = list(inspect.signature(test).parameters)
                assert set(wanted) <= set(fixtures), f"{name} takes fixtures {wanted}"
                test(**{k: fixtures[k] for k in wanted})
        finally:
            sys.setprofile(None)
        _REACH = frozenset(
            (str(Path(code.co_filename).relative_to(pkg_dir)), qual)
            for code in seen
            for qual in {code.co_name, code.co_qualname.split(".")[0]})
    return _REACH


def reaches_accuracy(file: str, function: str) -> bool:
    """Whether test_accuracy's tests call ``function`` of ``file`` (or, for a pair such as
    ``affine_norm_relu``, its ``_forward``/``_backward``)."""
    return any(f == file and (name == function or name.startswith(f"{function}_"))
               for f, name in accuracy_reach())


# ---------------------------------------------------------------------------
# Who calls what: the hidden tests that reach a student function through other
# student code. A bug in the function may fail these tests too.
# ---------------------------------------------------------------------------

def _hidden_test_names(module: str) -> set[str]:
    """The test names (without ``test_``) of a hidden module of assignment 2, from its source:
    functions and the names tests are assigned to (one test a case, made by a factory)."""
    import ast

    from autograder.paths import grading_tests_dir

    tree = ast.parse((grading_tests_dir("assignment2") / module).read_text())
    found = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                elts = target.elts if isinstance(target, ast.Tuple) else [target]
                found += [e.id for e in elts if isinstance(e, ast.Name)]
    return {n[5:] for n in found if n.startswith("test_")}


_LAYER_TESTS = _hidden_test_names("test_layers.py")
_FC_NET_TESTS = _hidden_test_names("test_fc_net.py")


def _family(tests: set[str], *names: str) -> set[str]:
    """The tests ``<name>`` and ``<name>_<case>`` (one test a case) of each of ``names``."""
    return {t for t in tests for n in names if t == n or t.startswith(f"{n}_")}


# FullyConnectedNet built with normalization or dropout: its normalization and dropout parts
_FC_NORM = _family(_FC_NET_TESTS, "fc_net_normalization_loss_and_grads",
                   "fc_net_normalization_numeric", "fc_net_batchnorm_running_statistics")
_FC_DROPOUT = _family(_FC_NET_TESTS, "fc_net_dropout")


def _backward_tests(name: str) -> set[str]:
    """The tests of a backward function (every test named ``<name>_...``: one a case, its
    numeric checks, its edge cases): they get their cache from the student's forward."""
    return {n for n in _LAYER_TESTS if n.startswith(f"{name}_")}


USERS: dict[str, set[str]] = {
    # composites (sandwich layers, networks, training) take the layers they call from the
    # reference (`from_reference` in grading_tests/assignment2/assignment.toml): only a backward
    # pass's tests still run the student's forward (its cache), and a class its own other tests
    "affine_forward": _backward_tests("affine_backward"),
    "affine_backward": set(),
    "relu_forward": _backward_tests("relu_backward"),
    "relu_backward": set(),
    "softmax_loss": set(),
    "svm_loss": set(),
    "batchnorm_forward": _backward_tests("batchnorm_backward") | _backward_tests("batchnorm_backward_alt"),
    "batchnorm_backward": set(),
    "batchnorm_backward_alt": set(),
    "layernorm_forward": _backward_tests("layernorm_backward"),
    "layernorm_backward": set(),
    "dropout_forward": _backward_tests("dropout_backward"),
    "dropout_backward": set(),
    "conv_forward_naive": _backward_tests("conv_backward"),
    "conv_backward_naive": set(),
    "max_pool_forward_naive": _backward_tests("max_pool_backward"),
    "max_pool_backward_naive": set(),
    "spatial_batchnorm_forward": _backward_tests("spatial_batchnorm_backward"),
    "spatial_batchnorm_backward": set(),
    "spatial_groupnorm_forward": _backward_tests("spatial_groupnorm_backward"),
    "spatial_groupnorm_backward": set(),
    # optimizers: the accuracy tests train with the reference's update rule
    "sgd_momentum": set(), "nesterov_momentum": set(), "adagrad": set(), "rmsprop": set(),
    "adam": set(),
    "affine_norm_relu": set(),
    # the same class, built with normalization or dropout, and trained
    "FullyConnectedNet": _FC_NORM | _FC_DROPOUT | {"fc_net_accuracy"},
    "ThreeLayerConvNet": {"convnet_accuracy"},
    "flatten": set(),  # the models' parts take it from the reference
    "TwoLayerFC": set(),
    "ThreeLayerConvNet (torch)": set(),
    "train_model": set(),
}


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str                                   # relative to the cs231n package
    function: str                               # the student function it breaks (a USERS key)
    edits: tuple[tuple[str, str], ...]          # (old, new): old occurs exactly once
    fails: frozenset[str]                       # hidden tests that must fail
    dependents: frozenset[str] = field(default_factory=frozenset)  # may fail (see USERS)
    note: str = ""

    @property
    def modules(self) -> list[str]:
        return [m for m in FILE_MODULES[self.file]
                if m != ACCURACY_MODULE or reaches_accuracy(self.file, self.function)]

    @property
    def qualified(self) -> str:
        """The mutated function as the assignment's description names it
        (``torch_models.flatten``, ``classifiers.fc_net.FullyConnectedNet``)."""
        return f"{self.file[:-3].replace('/', '.')}.{self.function.split(' ')[0]}"


def M(name, file, function, old=None, new=None, *, fails, dependents=(), note="", edits=None):
    edits = tuple(edits) if edits is not None else ((old, new),)
    return Mutant(name, file, function, edits, frozenset(fails), frozenset(dependents), note)


MUTANTS: list[Mutant] = [
    # ------------------------------------------ layers.py: affine / relu
    M('affine_forward_no_bias', 'layers.py', 'affine_forward',
      'out = x.reshape(x.shape[0], -1).dot(w) + b',
      'out = x.reshape(x.shape[0], -1).dot(w)',
      fails={'affine_forward_keeps_inputs', 'affine_forward_values_2d_input',
             'affine_forward_values_3d_input', 'affine_forward_values_4d_input',
             'affine_forward_values_one_example'},
      dependents=(),
    ),
    M('affine_backward_missing_reshape', 'layers.py', 'affine_backward',
      'dx = dout.dot(w.T).reshape(x.shape)',
      'dx = dout.dot(w.T)',
      fails={'affine_backward_keeps_inputs', 'affine_backward_numeric',
             'affine_backward_vs_reference_3d_input', 'affine_backward_vs_reference_4d_input'},
      dependents=(),
      note="dx comes back (N, D) instead of x's shape"),
    M('affine_backward_db_mean', 'layers.py', 'affine_backward',
      'db = np.sum(dout, axis=0)\n    ### END SOLUTION\n    return dx, dw, db',
      'db = np.mean(dout, axis=0)\n    ### END SOLUTION\n    return dx, dw, db',
      fails={'affine_backward_keeps_inputs', 'affine_backward_numeric',
             'affine_backward_vs_reference_2d_input', 'affine_backward_vs_reference_3d_input',
             'affine_backward_vs_reference_4d_input'},
      dependents=(),
    ),
    M('relu_forward_leaky', 'layers.py', 'relu_forward',
      'out = np.maximum(0, x)',
      'out = np.maximum(0.01 * x, x)',
      fails={'relu_forward_keeps_inputs', 'relu_forward_values_1d', 'relu_forward_values_2d',
             'relu_forward_values_4d', 'relu_forward_values_one_row'},
      dependents=(),
    ),
    M('relu_backward_relu_of_dout', 'layers.py', 'relu_backward',
      'dx = dout * (x > 0)',
      'dx = np.maximum(dout, 0) * (x > 0)',
      fails={'relu_backward_keeps_inputs', 'relu_backward_numeric',
             'relu_backward_vs_reference_1d', 'relu_backward_vs_reference_2d',
             'relu_backward_vs_reference_4d'},
      dependents=(),
      note='non-equivalent (using out instead of x would be equivalent)'),
    # ------------------------------------------------------------ losses
    M('softmax_no_max_shift', 'layers.py', 'softmax_loss',
      'shifted_logits = x - np.max(x, axis=1, keepdims=True)',
      'shifted_logits = x',
      fails={'softmax_loss_large_scores'},
      note='only large scores overflow: caught by the stability case'),
    M('softmax_inplace_shift', 'layers.py', 'softmax_loss',
      'shifted_logits = x - np.max(x, axis=1, keepdims=True)',
      'x -= np.max(x, axis=1, keepdims=True)\n    shifted_logits = x',
      fails={'softmax_loss_keeps_inputs'},
      note="modifies the caller's scores"),
    M('softmax_loss_not_averaged', 'layers.py', 'softmax_loss',
      'loss = -np.sum(log_probs[rows, y]) / N',
      'loss = -np.sum(log_probs[rows, y])',
      fails={'softmax_loss_keeps_inputs', 'softmax_loss_large_scores',
             'softmax_loss_vs_reference_50_examples', 'softmax_loss_vs_reference_small_scores',
             'softmax_loss_vs_reference_three_classes'},
      dependents=(),
    ),
    M('svm_counts_correct_class', 'layers.py', 'svm_loss',
      '    margins[rows, y] = 0\n',
      '',
      fails={'svm_loss_keeps_inputs', 'svm_loss_vs_reference_50_examples',
             'svm_loss_vs_reference_one_example', 'svm_loss_vs_reference_small_scores',
             'svm_loss_vs_reference_three_classes'},
    ),
    # -------------------------------------------------------- batch norm
    M('batchnorm_eps_outside_sqrt', 'layers.py', 'batchnorm_forward',
      'std = np.sqrt(sample_var + eps)',
      'std = np.sqrt(sample_var) + eps',
      fails={'batchnorm_forward_keeps_inputs', 'batchnorm_forward_train_values_200_examples',
             'batchnorm_forward_train_values_4_examples',
             'batchnorm_forward_train_values_one_feature',
             'batchnorm_forward_train_values_small_values'},
      dependents=_backward_tests("batchnorm_backward") | _backward_tests("batchnorm_backward_alt"),
      note='course notes: x_std = (x - mean) / (np.sqrt(var) + eps)'),
    M('batchnorm_running_stats_not_updated', 'layers.py', 'batchnorm_forward',
      '        running_mean = momentum * running_mean + (1 - momentum) * sample_mean\n        running_var = momentum * running_var + (1 - momentum) * sample_var\n',
      '',
      fails={'batchnorm_forward_running_statistics'},
      dependents=(),
    ),
    M('batchnorm_momentum_swapped', 'layers.py', 'batchnorm_forward',
      '        running_mean = momentum * running_mean + (1 - momentum) * sample_mean\n',
      '        running_mean = (1 - momentum) * running_mean + momentum * sample_mean\n',
      fails={'batchnorm_forward_running_statistics'},
      dependents=(),
    ),
    M('batchnorm_test_mode_batch_stats', 'layers.py', 'batchnorm_forward',
      'x_hat = (x - running_mean) / np.sqrt(running_var + eps)',
      'x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)',
      fails={'batchnorm_forward_keeps_inputs_test_mode', 'batchnorm_forward_running_statistics',
             'batchnorm_forward_test_mode'},
      dependents=(),
    ),
    M('batchnorm_backward_missing_mean_term', 'layers.py', 'batchnorm_backward',
      'dx = dx_centered + dmean / N',
      'dx = dx_centered',
      fails={'batchnorm_backward_keeps_inputs', 'batchnorm_backward_numeric',
             'batchnorm_backward_vs_reference_200_examples',
             'batchnorm_backward_vs_reference_4_examples',
             'batchnorm_backward_vs_reference_one_feature'},
      dependents=(),
    ),
    M('batchnorm_backward_dgamma_keepdims', 'layers.py', 'batchnorm_backward',
      '    dgamma = np.sum(dout * x_hat, axis=0)\n    dx_hat = dout * gamma\n    # x_hat',
      '    dgamma = np.sum(dout * x_hat, axis=0, keepdims=True)\n    dx_hat = dout * gamma\n    # x_hat',
      fails={'batchnorm_backward_keeps_inputs', 'batchnorm_backward_numeric',
             'batchnorm_backward_vs_reference_200_examples',
             'batchnorm_backward_vs_reference_4_examples',
             'batchnorm_backward_vs_reference_one_feature'},
      dependents=(),
      note='course notes: keepdims=True gives dgamma of shape (1, D)'),
    M('batchnorm_backward_alt_sign', 'layers.py', 'batchnorm_backward_alt',
      'N * dout - dbeta - x_hat * dgamma',
      'N * dout - dbeta + x_hat * dgamma',
      fails={'batchnorm_backward_alt_keeps_inputs', 'batchnorm_backward_alt_numeric',
             'batchnorm_backward_alt_vs_reference_200_examples',
             'batchnorm_backward_alt_vs_reference_4_examples',
             'batchnorm_backward_alt_vs_reference_one_feature'},
      dependents=(),
    ),
    # -------------------------------------------------------- layer norm
    M('layernorm_over_batch_axis', 'layers.py', 'layernorm_forward',
      '    mean = x.mean(axis=1, keepdims=True)\n    var = x.var(axis=1, keepdims=True)',
      '    mean = x.mean(axis=0, keepdims=True)\n    var = x.var(axis=0, keepdims=True)',
      fails={'layernorm_forward_eps', 'layernorm_forward_keeps_inputs',
             'layernorm_forward_values_3_features', 'layernorm_forward_values_4_examples',
             'layernorm_forward_values_one_example', 'layernorm_forward_values_one_feature'},
      dependents=_backward_tests("layernorm_backward"),
    ),
    M('layernorm_backward_batch_axis', 'layers.py', 'layernorm_backward',
      '        - np.sum(dx_hat, axis=1, keepdims=True)\n',
      '        - np.sum(dx_hat, axis=0, keepdims=True)\n',
      fails={'layernorm_backward_keeps_inputs', 'layernorm_backward_numeric',
             'layernorm_backward_vs_reference_3_features',
             'layernorm_backward_vs_reference_4_examples',
             'layernorm_backward_vs_reference_one_example'},
      dependents=(),
    ),
    # ----------------------------------------------------------- dropout
    M('dropout_not_inverted', 'layers.py', 'dropout_forward',
      'mask = (np.random.rand(*x.shape) < p) / p',
      'mask = (np.random.rand(*x.shape) < p)',
      fails={'dropout_forward_keep_probability_p25', 'dropout_forward_keep_probability_p40',
             'dropout_forward_keep_probability_p70', 'dropout_forward_keeps_inputs'},
      dependents=(),
      note='course notes: vanilla dropout without the 1/p'),
    M('dropout_p_is_drop_probability', 'layers.py', 'dropout_forward',
      'mask = (np.random.rand(*x.shape) < p) / p',
      'mask = (np.random.rand(*x.shape) >= p) / (1 - p)',
      fails={'dropout_forward_keep_probability_p25', 'dropout_forward_keep_probability_p40',
             'dropout_forward_keep_probability_p70', 'dropout_forward_keeps_inputs'},
      dependents=(),
    ),
    M('dropout_backward_fresh_mask', 'layers.py', 'dropout_backward',
      '        dx = dout * mask\n',
      "        p = dropout_param['p']\n        dx = dout * (np.random.rand(*dout.shape) < p) / p\n",
      fails={'dropout_backward_keeps_inputs', 'dropout_backward_uses_forward_mask_p30',
             'dropout_backward_uses_forward_mask_p75'},
      dependents=(),
    ),
    M('dropout_test_mode_scaled', 'layers.py', 'dropout_forward',
      '    elif mode == "test":\n        out = x\n',
      '    elif mode == "test":\n        out = x * p\n',
      fails={'dropout_forward_test_mode_p30', 'dropout_forward_test_mode_p80'},
      dependents=(),
    ),
    # ---- inputs (dout, x) and caches modified in place: values stay right
    M('relu_backward_zeroes_dout_in_place', 'layers.py', 'relu_backward',
      'dx = dout * (x > 0)',
      'dout[x <= 0] = 0\n    dx = dout',
      fails={'relu_backward_keeps_inputs'},
      note='course notes: dx = dout; dx[x <= 0] = 0'),
    M('batchnorm_backward_scales_dout_in_place', 'layers.py', 'batchnorm_backward',
      'dx_hat = dout * gamma\n    # x_hat = x_centered * inv_std',
      'dout *= gamma\n    dx_hat = dout\n    # x_hat = x_centered * inv_std',
      fails={'batchnorm_backward_keeps_inputs'},
    ),
    M('batchnorm_backward_scratch_in_cache', 'layers.py', 'batchnorm_backward',
      'dx_centered += (2.0 / N) * x_centered * dvar',
      'x_centered *= (2.0 / N) * dvar\n    dx_centered += x_centered',
      fails={'batchnorm_backward_keeps_inputs'},
      note='reuses a cache array as scratch space'),
    M('batchnorm_forward_centers_x_in_place', 'layers.py', 'batchnorm_forward',
      'x_centered = x - sample_mean',
      'x -= sample_mean\n        x_centered = x',
      fails={'batchnorm_forward_keeps_inputs'},
    ),
    M('layernorm_forward_centers_x_in_place', 'layers.py', 'layernorm_forward',
      'x_hat = (x - mean) * inv_std',
      'x -= mean\n    x_hat = x * inv_std',
      fails={'layernorm_forward_keeps_inputs'},
    ),
    M('dropout_forward_scales_x_in_place', 'layers.py', 'dropout_forward',
      '        out = x * mask\n',
      '        x *= mask\n        out = x\n',
      fails={'dropout_forward_keeps_inputs'},
    ),
    # --------------------------------------------- convolution / pooling
    M('conv_forward_pad_one_side', 'layers.py', 'conv_forward_naive',
      'x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")\n    out = np.zeros',
      'x_pad = np.pad(x, ((0, 0), (0, 0), (2 * pad, 0), (2 * pad, 0)), mode="constant")\n    out = np.zeros',
      fails={'conv_forward_keeps_inputs', 'conv_forward_stride_not_dividing',
             'conv_forward_values_batch_of_one', 'conv_forward_values_filters_1x1',
             'conv_forward_values_non_square', 'conv_forward_values_notebook',
             'conv_forward_values_stride_3'},
    ),
    M('conv_forward_no_bias', 'layers.py', 'conv_forward_naive',
      'out[n, f, i, j] = np.sum(window * w[f]) + b[f]',
      'out[n, f, i, j] = np.sum(window * w[f])',
      fails={'conv_forward_keeps_inputs', 'conv_forward_no_padding',
             'conv_forward_stride_not_dividing', 'conv_forward_values_batch_of_one',
             'conv_forward_values_filters_1x1', 'conv_forward_values_non_square',
             'conv_forward_values_notebook', 'conv_forward_values_stride_3'},
    ),
    M('conv_backward_stride_ignored', 'layers.py', 'conv_backward_naive',
      'hs, ws = i * stride, j * stride\n                    window = x_pad[n, :, hs:hs + HH, ws:ws + WW]\n                    dw[f]',
      'hs, ws = i, j\n                    window = x_pad[n, :, hs:hs + HH, ws:ws + WW]\n                    dw[f]',
      fails={'conv_backward_keeps_inputs', 'conv_backward_numeric',
             'conv_backward_stride_not_dividing', 'conv_backward_vs_reference_non_square',
             'conv_backward_vs_reference_notebook', 'conv_backward_vs_reference_stride_3'},
    ),
    M('conv_backward_db_averaged', 'layers.py', 'conv_backward_naive',
      'db[f] += dout[n, f, i, j]',
      'db[f] += dout[n, f, i, j] / N',
      fails={'conv_backward_keeps_inputs', 'conv_backward_no_padding', 'conv_backward_numeric',
             'conv_backward_stride_not_dividing', 'conv_backward_vs_reference_filters_1x1',
             'conv_backward_vs_reference_non_square', 'conv_backward_vs_reference_notebook',
             'conv_backward_vs_reference_stride_3'},
    ),
    M('max_pool_forward_average', 'layers.py', 'max_pool_forward_naive',
      'out[n, c, i, j] = np.max(x[n, c, hs:hs + PH, ws:ws + PW])',
      'out[n, c, i, j] = np.mean(x[n, c, hs:hs + PH, ws:ws + PW])',
      fails={'max_pool_forward_keeps_inputs', 'max_pool_forward_overlapping_windows',
             'max_pool_forward_stride_not_dividing', 'max_pool_forward_values_non_square_pools',
             'max_pool_forward_values_notebook', 'max_pool_forward_values_pools_3x3',
             'max_pool_forward_values_stride_larger_than_pool'},
    ),
    M('max_pool_backward_all_ties', 'layers.py', 'max_pool_backward_naive',
      'k = np.argmax(window)\n                    dx[n, c, hs + k // PW, ws + k % PW] += dout[n, c, i, j]',
      'dx[n, c, hs:hs + PH, ws:ws + PW] += (window == window.max()) * dout[n, c, i, j]',
      fails={'max_pool_backward_ties'},
      note='course notes: x == max mask; only inputs with ties tell'),
    # ----------------------------------------------------- spatial norms
    M('spatial_batchnorm_reshape_without_transpose', 'layers.py', 'spatial_batchnorm_forward',
      'x_rows = x.transpose(0, 2, 3, 1).reshape(-1, C)',
      'x_rows = x.reshape(-1, C)',
      fails={'spatial_batchnorm_forward_keeps_inputs',
             'spatial_batchnorm_forward_running_stats',
             'spatial_batchnorm_forward_train_10_examples',
             'spatial_batchnorm_forward_train_2_examples',
             'spatial_batchnorm_forward_train_one_example'},
      dependents={'spatial_batchnorm_backward_keeps_inputs',
                  'spatial_batchnorm_backward_numeric',
                  'spatial_batchnorm_backward_vs_reference_10_examples',
                  'spatial_batchnorm_backward_vs_reference_2_examples',
                  'spatial_batchnorm_backward_vs_reference_one_example'},
    ),
    M('spatial_groupnorm_interleaved_groups', 'layers.py', 'spatial_groupnorm_forward',
      'x_groups = x.reshape(N, G, -1)  #',
      'x_groups = x.reshape(N, -1, G).transpose(0, 2, 1)  #',
      fails={'spatial_groupnorm_forward_keeps_inputs',
             'spatial_groupnorm_forward_values_one_channel_a_group',
             'spatial_groupnorm_forward_values_three_groups',
             'spatial_groupnorm_forward_values_two_groups'},
      dependents={'spatial_groupnorm_backward_keeps_inputs',
                  'spatial_groupnorm_backward_numeric',
                  'spatial_groupnorm_backward_vs_reference_one_channel_a_group',
                  'spatial_groupnorm_backward_vs_reference_three_groups',
                  'spatial_groupnorm_backward_vs_reference_two_groups'},
    ),
    M('spatial_groupnorm_dgamma_shape', 'layers.py', 'spatial_groupnorm_backward',
      'dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)',
      'dgamma = np.sum(dout * x_hat, axis=(0, 2, 3))',
      fails={'spatial_groupnorm_backward_keeps_inputs', 'spatial_groupnorm_backward_numeric',
             'spatial_groupnorm_backward_vs_reference_one_channel_a_group',
             'spatial_groupnorm_backward_vs_reference_one_group',
             'spatial_groupnorm_backward_vs_reference_three_groups',
             'spatial_groupnorm_backward_vs_reference_two_groups'},
    ),
    # ---------------------------------------------------------- optim.py
    M('sgd_momentum_sign', 'optim.py', 'sgd_momentum',
      'v = config["momentum"] * v - config["learning_rate"] * dw\n    next_w = w + v',
      'v = config["momentum"] * v + config["learning_rate"] * dw\n    next_w = w + v',
      fails={'sgd_momentum_default_config', 'sgd_momentum_keeps_inputs',
             'sgd_momentum_steps_1d', 'sgd_momentum_steps_2d', 'sgd_momentum_steps_3d'},
    ),
    M('sgd_momentum_updates_w_in_place', 'optim.py', 'sgd_momentum',
      'v = config["momentum"] * v - config["learning_rate"] * dw\n    next_w = w + v',
      'v = config["momentum"] * v - config["learning_rate"] * dw\n    w += v\n    next_w = w',
      fails={'sgd_momentum_keeps_inputs'},
      note='course notes: x += v'),
    M('nesterov_is_plain_momentum', 'optim.py', 'nesterov_momentum',
      'next_w = w - mu * v_prev + (1 + mu) * v',
      'next_w = w + v',
      fails={'nesterov_momentum_default_config', 'nesterov_momentum_keeps_inputs',
             'nesterov_momentum_steps_1d', 'nesterov_momentum_steps_2d',
             'nesterov_momentum_steps_3d'},
    ),
    M('adagrad_no_accumulation', 'optim.py', 'adagrad',
      'cache = config["cache"] + dw ** 2',
      'cache = dw ** 2',
      fails={'adagrad_default_config', 'adagrad_keeps_inputs', 'adagrad_steps_1d',
             'adagrad_steps_2d', 'adagrad_steps_3d'},
    ),
    M('rmsprop_missing_epsilon', 'optim.py', 'rmsprop',
      '(1 - decay) * dw ** 2\n    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])',
      '(1 - decay) * dw ** 2\n    next_w = w - config["learning_rate"] * dw / np.sqrt(cache)',
      fails={'rmsprop_default_config', 'rmsprop_keeps_inputs', 'rmsprop_steps_1d',
             'rmsprop_steps_2d', 'rmsprop_steps_3d'},
    ),
    M('rmsprop_epsilon_inside_sqrt', 'optim.py', 'rmsprop',
      '(1 - decay) * dw ** 2\n    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])',
      '(1 - decay) * dw ** 2\n    next_w = w - config["learning_rate"] * dw / np.sqrt(cache + config["epsilon"])',
      fails={'rmsprop_default_config', 'rmsprop_keeps_inputs', 'rmsprop_steps_1d',
             'rmsprop_steps_2d', 'rmsprop_steps_3d'},
      note='course notes: np.sqrt(cache + epsilon)'),
    M('adam_no_bias_correction', 'optim.py', 'adam',
      'm_hat = m / (1 - beta1 ** t)\n    v_hat = v / (1 - beta2 ** t)',
      'm_hat = m\n    v_hat = v',
      fails={'adam_default_config', 'adam_keeps_inputs', 'adam_notebook_case', 'adam_steps_1d',
             'adam_steps_2d', 'adam_steps_3d'},
      dependents=(),
    ),
    M('adam_t_incremented_after_use', 'optim.py', 'adam',
      edits=[('t = config["t"] + 1', 't = config["t"]'),
             ('config["t"], config["m"], config["v"] = t, m, v', 'config["t"], config["m"], config["v"] = t + 1, m, v')],
      fails={'adam_default_config', 'adam_keeps_inputs', 'adam_notebook_case', 'adam_steps_1d',
             'adam_steps_2d', 'adam_steps_3d'},
      dependents=(),
    ),
    # ---------------------------------------------------- layer_utils.py
    M('affine_norm_relu_layernorm_calls_batchnorm', 'layer_utils.py', 'affine_norm_relu',
      'an, norm_cache = layernorm_forward(a, gamma, beta, norm_param)',
      "an, norm_cache = batchnorm_forward(a, gamma, beta, dict(norm_param, mode='train'))",
      fails={'affine_norm_relu_backward_numeric_layernorm',
             'affine_norm_relu_backward_vs_reference_layernorm_2d_input',
             'affine_norm_relu_backward_vs_reference_layernorm_one_example',
             'affine_norm_relu_forward_values_layernorm_2d_input',
             'affine_norm_relu_forward_values_layernorm_one_example'},
      dependents=(),
      note='only the layernorm cases: the batchnorm cases keep their share'),
    M('affine_norm_relu_backward_skips_relu', 'layer_utils.py', 'affine_norm_relu',
      'dan = relu_backward(dout, relu_cache)\n    if normalization',
      'dan = dout\n    if normalization',
      fails={'affine_norm_relu_backward_numeric_batchnorm',
             'affine_norm_relu_backward_numeric_layernorm',
             'affine_norm_relu_backward_vs_reference_batchnorm_2d_input',
             'affine_norm_relu_backward_vs_reference_batchnorm_3d_input',
             'affine_norm_relu_backward_vs_reference_layernorm_2d_input',
             'affine_norm_relu_backward_vs_reference_layernorm_one_example'},
      dependents=(),
    ),
    # --------------------------------------------- classifiers/fc_net.py
    M('fc_net_reg_skips_last_layer', 'classifiers/fc_net.py', 'FullyConnectedNet',
      "for i in range(1, L + 1):\n            W = self.params['W%d' % i]",
      "for i in range(1, L):\n            W = self.params['W%d' % i]",
      fails={'fc_net_loss_and_grads_one_hidden_layer_reg',
             'fc_net_loss_and_grads_three_hidden_layers_reg',
             'fc_net_loss_and_grads_two_hidden_layers_reg'},
      dependents={'fc_net_dropout_gradients', 'fc_net_dropout_keep_all',
                  'fc_net_normalization_loss_and_grads_batchnorm_three_hidden_layers_reg',
                  'fc_net_normalization_loss_and_grads_layernorm_three_hidden_layers_reg'},
      note='only the cases with reg > 0',
    ),
    M('fc_net_reg_without_half', 'classifiers/fc_net.py', 'FullyConnectedNet',
      'loss += 0.5 * self.reg * np.sum(W * W)',
      'loss += self.reg * np.sum(W * W)',
      fails={'fc_net_loss_and_grads_one_hidden_layer_reg',
             'fc_net_loss_and_grads_three_hidden_layers_reg',
             'fc_net_loss_and_grads_two_hidden_layers_reg'},
      dependents={'fc_net_dropout_gradients', 'fc_net_dropout_keep_all',
                  'fc_net_normalization_loss_and_grads_batchnorm_three_hidden_layers_reg',
                  'fc_net_normalization_loss_and_grads_layernorm_three_hidden_layers_reg'},
      note='only the cases with reg > 0',
    ),
    M('fc_net_init_ignores_weight_scale', 'classifiers/fc_net.py', 'FullyConnectedNet',
      'weight_scale * np.random.randn(dims[i], dims[i + 1])',
      'np.random.randn(dims[i], dims[i + 1]) / np.sqrt(dims[i])',
      fails={'fc_net_init'},
    ),
    M('fc_net_normalizes_output_layer', 'classifiers/fc_net.py', 'FullyConnectedNet',
      'if self.normalization is not None and i < self.num_layers - 1:',
      'if self.normalization is not None:',
      fails={'fc_net_normalization_init_batchnorm', 'fc_net_normalization_init_layernorm'},
    ),
    M('fc_net_dropout_never_applied', 'classifiers/fc_net.py', 'FullyConnectedNet',
      'out, dropout_cache = dropout_forward(out, self.dropout_param)',
      'dropout_cache = dropout_forward(out, self.dropout_param)[1]',
      fails={'fc_net_dropout_gradients', 'fc_net_dropout_train_mode'},
    ),
    # ------------------------------------------------ classifiers/cnn.py
    M('cnn_reg_skips_W1', 'classifiers/cnn.py', 'ThreeLayerConvNet',
      'loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))',
      'loss += 0.5 * self.reg * (np.sum(W2 * W2) + np.sum(W3 * W3))',
      fails={'three_layer_convnet_loss_and_grads_1x1_filters_reg',
             'three_layer_convnet_loss_and_grads_5x5_filters_non_square_reg'},
      note='only the cases with reg > 0',
    ),
    M('cnn_grad_missing_reg', 'classifiers/cnn.py', 'ThreeLayerConvNet',
      "grads['W1'] = dW1 + self.reg * W1",
      "grads['W1'] = dW1",
      fails={'three_layer_convnet_loss_and_grads_1x1_filters_reg',
             'three_layer_convnet_loss_and_grads_5x5_filters_non_square_reg',
             'three_layer_convnet_numeric'},
    ),
    # --------------------------------------------------- torch_models.py
    M('torch_flatten_wrong_order', 'torch_models.py', 'flatten',
      'return x.reshape(N, -1)',
      'return x.transpose(1, -1).reshape(N, -1)',
      fails={'flatten'},
    ),
    M('torch_two_layer_fc_no_relu', 'torch_models.py', 'TwoLayerFC',
      'scores = self.fc2(F.relu(self.fc1(x)))',
      'scores = self.fc2(self.fc1(x))',
      fails={'two_layer_fc_forward'},
    ),
    M('torch_train_model_no_zero_grad', 'torch_models.py', 'train_model',
      '            optimizer.zero_grad()\n',
      '',
      fails={'train_model_full_batch', 'train_model_order'},
    ),
]

assert len({m.name for m in MUTANTS}) == len(MUTANTS), "mutant names must be unique"


# ---------------------------------------------------------------------------
# Building and grading
# ---------------------------------------------------------------------------

def apply_mutant(reference_pkg: Path, dest_root: Path, mutant: Mutant | None) -> Path:
    """Copy the reference package to ``dest_root/cs231n`` and plant ``mutant``'s bug."""
    dest = Path(dest_root) / "cs231n"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(reference_pkg, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if mutant is not None:
        target = dest / mutant.file
        text = target.read_text()
        for old, new in mutant.edits:
            count = text.count(old)
            if count != 1:
                raise ValueError(f"mutant {mutant.name}: snippet occurs {count} times in "
                                 f"{mutant.file}: {old!r}")
            text = text.replace(old, new)
        target.write_text(text)
    return Path(dest_root)


_GRADE_SCRIPT = r"""
import json, sys
from pathlib import Path
from autograder.runner import grade_submission, start_warm_workers
slot, jobs = int(sys.argv[1]), json.loads(sys.argv[2])
start_warm_workers("assignment2")  # many gradings here: workers forked with torch imported (root)
for key, sub, mods, parts in jobs:
    res = grade_submission(Path(sub), "assignment2", modules=mods, parts=parts, slot=slot)
    out = {"key": key, "errors": res.errors, "time": res.execution_time, "parts": {}, "tests": {},
           "weights": {}}
    for p in res.parts:
        if p.tests:
            out["parts"][p.grade_id] = {
                "score": p.score, "max": p.max_points,
                "failed": [[t.name, t.message[:1000]] for t in p.tests if not t.passed]}
            for t in p.tests:
                out["tests"][t.name] = "passed" if t.passed else "failed"
                out["weights"][t.name] = t.weight
    print("@@RESULT@@" + json.dumps(out), flush=True)
"""


def grade_many_in_subprocess(jobs: list[tuple], slot: int = 0,
                             timeout: float = 900) -> dict[str, dict]:
    """Grade several submission folders one after the other in ONE fresh Python process
    (the interpreter and imports are paid once). ``jobs``: ``(key, folder, modules)`` or
    ``(key, folder, modules, parts)`` (``parts``: only these grade_ids).
    Returns ``{key: {"parts": {grade_id: {"score", "max", "failed"}}, "tests": {name: status},
    "weights": {name: weight}, "errors", "time"}}``."""
    env = dict(os.environ)
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    payload = json.dumps([[job[0], str(job[1]), job[2], list(job[3]) if len(job) > 3 and job[3]
                           is not None else None] for job in jobs])
    proc = subprocess.run([sys.executable, "-c", _GRADE_SCRIPT, str(slot), payload],
                          capture_output=True, text=True, timeout=timeout, env=env)
    results = {}
    for line in proc.stdout.splitlines():
        if line.startswith("@@RESULT@@"):
            r = json.loads(line[len("@@RESULT@@"):])
            results[r.pop("key")] = r
    missing = [job[0] for job in jobs if job[0] not in results]
    if missing:
        raise RuntimeError(f"grading {missing} failed (exit {proc.returncode}):\n"
                           f"{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return results


def grade_in_subprocess(submission_root: Path, modules: list[str] | None = None, slot: int = 0,
                        timeout: float = 600) -> dict:
    """Grade one submission folder in a fresh Python process (see grade_many_in_subprocess)."""
    return grade_many_in_subprocess([("one", Path(submission_root), modules)], slot,
                                    timeout)["one"]


def judge_mutant(mutant: Mutant, result: dict) -> list[str]:
    """Problems with a mutant's grading result (empty if it behaved as catalogued):
    a test of ``fails`` that passed or did not run, a failed test outside ``fails`` and
    ``dependents``, a listed dependent that no longer exists, a dependent failing on a part
    that neither grades nor ``needs`` the mutated function, a grading error."""
    problems = []
    tests = result["tests"]
    messages = {name: msg for p in result["parts"].values() for name, msg in p["failed"]}
    for name in sorted(mutant.fails):
        if name not in tests:
            problems.append(f"{name}: not graded by {mutant.modules}")
        elif tests[name] != "failed":
            problems.append(f"{name}: passed, but it names this bug")
    for name in sorted(mutant.dependents):
        if name not in tests:
            problems.append(f"dependent {name}: no such test in {mutant.modules}")
        elif tests[name] != "failed":
            problems.append(f"dependent {name}: passed; the list is kept exact, remove it")
    for name, status in sorted(tests.items()):
        if status == "failed" and name not in mutant.fails and name not in mutant.dependents:
            problems.append(f"{name}: failed but is neither in fails nor in dependents: "
                            f"{messages.get(name, '')[:200]}")
    # a dependent may cost points only on a part that grades the mutated function or `needs`
    # it (assignment.toml): any other part must take it from the reference (no double jeopardy)
    spec = _assignment2()
    for gid, part in sorted(result["parts"].items()):
        lost = sorted(name for name, _ in part["failed"] if name in mutant.dependents)
        described = spec.part(gid)
        declared = described.grades + described.needs if described else ()
        if lost and mutant.qualified not in declared:
            problems.append(f"part {gid} loses {lost} to a bug of {mutant.qualified}, which it neither "
                            f"grades nor needs: serve it from the reference (double jeopardy)")
    if result.get("errors"):
        problems.append(f"grading errors: {result['errors']}")
    return problems


def grade_mutants(reference_pkg: Path, mutants: list[Mutant], jobs: int = 2,
                  workdir: Path | None = None) -> dict[str, dict]:
    """Grade every mutant: ``jobs`` processes, each grading its share of the mutants one
    after the other in its own worker slot (uid). One process a share: each pays its
    start-up (pytest, the reference, a warm fork server importing torch: ~5 s of CPU) once."""
    from concurrent.futures import ThreadPoolExecutor

    base = Path(workdir or tempfile.mkdtemp(prefix="mutants-"))
    # the slowest (torch) mutants dealt out first, so that the shares take about as long
    ordered = sorted(mutants, key=lambda m: m.file != "torch_models.py")
    chunks = [ordered[i::jobs] for i in range(jobs)]
    import queue

    free_slots: queue.Queue = queue.Queue()
    for s in range(jobs):
        free_slots.put(10 + s)  # worker uids distinct from other gradings, one per running job

    def run(group):
        roots = [(m.name, apply_mutant(reference_pkg, base / m.name, m), m.modules)
                 for m in group]
        slot = free_slots.get()
        try:
            return grade_many_in_subprocess(roots, slot)
        finally:
            free_slots.put(slot)
            for _, root, _ in roots:
                shutil.rmtree(root, ignore_errors=True)

    results: dict[str, dict] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for part in pool.map(run, chunks):
            results.update(part)
    shutil.rmtree(base, ignore_errors=True)
    return results
