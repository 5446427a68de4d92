"""Train the two reference classifiers of assignment 2 on the digits data.

The course's sanity run: ``autograder demo`` runs this script first (the
assignment's ``[demo] sanity_script``), ``python demo/assignment2/train_reference.py``
runs it by hand.

This is the instructor's sanity run (``make demo`` shows it): the reference
``FullyConnectedNet`` and ``ThreeLayerConvNet`` from ``solutions/assignment2``
are trained with the reference ``Solver`` on the embedded handwritten digits
(8x8 images, 1197 / 300 / 300 split) and their validation / test accuracies and
wall times are reported. The hyperparameters live here, once, so the tests
(``tests/test_training_reference.py``) and the demo train the same models.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

# this file is demo/assignment2/train_reference.py of the course
SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions" / "assignment2"

# Hyperparameters of the reference runs: model keyword arguments (the input
# size is taken from the data) and Solver keyword arguments.
FC_NET_CONFIG: dict[str, dict[str, Any]] = {
    "model": {"hidden_dims": [100, 100], "weight_scale": 1e-1},
    "solver": {
        "update_rule": "adam",
        "optim_config": {"learning_rate": 1e-3},
        "lr_decay": 0.95,
        "num_epochs": 20,
        "batch_size": 50,
    },
}
CNN_CONFIG: dict[str, dict[str, Any]] = {
    "model": {"num_filters": 32, "filter_size": 3, "hidden_dim": 100, "weight_scale": 1e-1},
    "solver": {
        "update_rule": "adam",
        "optim_config": {"learning_rate": 1e-3},
        "lr_decay": 0.9,
        "num_epochs": 10,
        "batch_size": 50,
    },
}
CONFIGS = {"fc_net": FC_NET_CONFIG, "cnn": CNN_CONFIG}


def import_reference() -> ModuleType:
    """Import the reference package ``cs231n`` of assignment 2 (trusted code only).

    ``solutions/assignment2`` is put at the front of ``sys.path``. Raises
    RuntimeError if another ``cs231n`` (a student's, say) is already imported.
    """
    root = SOLUTIONS
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    import cs231n

    origin = getattr(cs231n, "__file__", None)
    if origin is None or root not in Path(origin).resolve().parents:
        raise RuntimeError(
            "a cs231n package other than the reference one is already imported "
            "(%s); expected it under %s" % (origin, root)
        )
    import cs231n.classifiers  # noqa: F401  (load the submodules used below)
    import cs231n.data_utils  # noqa: F401
    import cs231n.solver  # noqa: F401

    return cs231n


def build_model(kind: str, data: dict, seed: int = 0, **model_overrides):
    """A freshly initialised reference model ``kind`` ('fc_net' or 'cnn') for ``data``.

    The weights are drawn from numpy's global generator seeded with ``seed``.
    """
    cs231n = import_reference()
    kwargs = dict(CONFIGS[kind]["model"], **model_overrides)
    image_shape = tuple(data["X_train"].shape[1:])
    num_classes = int(max(data["y_train"].max(), data["y_val"].max())) + 1
    np.random.seed(seed)
    if kind == "fc_net":
        return cs231n.classifiers.FullyConnectedNet(
            input_dim=int(np.prod(image_shape)), num_classes=num_classes, **kwargs
        )
    if kind == "cnn":
        return cs231n.classifiers.ThreeLayerConvNet(
            input_dim=image_shape, num_classes=num_classes, **kwargs
        )
    raise ValueError("unknown model kind %r (expected 'fc_net' or 'cnn')" % kind)


def train_model(kind: str, data: dict, seed: int = 0, verbose: bool = False,
                model_overrides: dict | None = None, **solver_overrides):
    """Train reference model ``kind`` on ``data`` with the reference Solver.

    Returns ``(model, solver, seconds)``; ``seconds`` is the wall time of
    ``solver.train()``. Keyword arguments override the Solver settings of
    ``CONFIGS[kind]``.
    """
    cs231n = import_reference()
    model = build_model(kind, data, seed=seed, **(model_overrides or {}))
    kwargs = dict(CONFIGS[kind]["solver"])
    kwargs["optim_config"] = dict(kwargs["optim_config"])
    kwargs.update(solver_overrides)
    kwargs.setdefault("print_every", 10 ** 9)  # epoch lines only
    solver = cs231n.solver.Solver(model, data, verbose=verbose, seed=seed, **kwargs)
    start = time.perf_counter()
    solver.train()
    return model, solver, time.perf_counter() - start


def _accuracy(model, X, y, batch_size: int = 100) -> float:
    preds = [np.argmax(model.loss(X[i:i + batch_size]), axis=1)
             for i in range(0, X.shape[0], batch_size)]
    return float(np.mean(np.hstack(preds) == y))


def train_reference_models(verbose: bool = True, seed: int = 0) -> dict:
    """Train both reference models on the digits; return their scores.

    Returns ``{'fc_net': {'val_acc', 'test_acc', 'seconds'}, 'cnn': {...}}``
    (accuracies in [0, 1], ``seconds`` the training wall time). Progress lines
    are printed when ``verbose``.
    """
    cs231n = import_reference()
    data = cs231n.data_utils.get_digits_data()
    names = {"fc_net": "FullyConnectedNet", "cnn": "ThreeLayerConvNet"}
    results = {}
    for kind in ("fc_net", "cnn"):
        cfg = CONFIGS[kind]
        if verbose:
            print("[reference %s] training %s %s on %d digits (%s, %d epochs)"
                  % (kind, names[kind], cfg["model"], data["X_train"].shape[0],
                     cfg["solver"]["update_rule"], cfg["solver"]["num_epochs"]),
                  flush=True)
        model, solver, seconds = train_model(kind, data, seed=seed, verbose=verbose)
        res = {
            "val_acc": _accuracy(model, data["X_val"], data["y_val"]),
            "test_acc": _accuracy(model, data["X_test"], data["y_test"]),
            "seconds": seconds,
        }
        results[kind] = res
        if verbose:
            print("[reference %s] val acc %.3f, test acc %.3f, %.1f s"
                  % (kind, res["val_acc"], res["test_acc"], seconds), flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    """Train both models and print their accuracies as a table (``--quiet``: the table only)."""
    quiet = "--quiet" in (argv if argv is not None else sys.argv[1:])
    results = train_reference_models(verbose=not quiet)
    print("\nReference models on the digits data (scikit-learn, 8x8 images):")
    print(f"{'model':<22}{'val acc':>9}{'test acc':>10}{'seconds':>9}")
    for name, r in results.items():
        print(f"{name:<22}{r['val_acc']:>9.3f}{r['test_acc']:>10.3f}{r['seconds']:>9.1f}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
