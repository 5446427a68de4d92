"""The classifiers of assignment 1.

Each is imported when it is first used (``from cs231n.classifiers import
KNearestNeighbor``), so a classifier file that is missing or does not import yet
only affects the classifiers that live in it.
"""
import importlib

_MODULE_OF = {
    "KNearestNeighbor": "k_nearest_neighbor",
    "LinearClassifier": "linear_classifier",
    "LinearSVM": "linear_classifier",
    "Softmax": "linear_classifier",
    "TwoLayerNet": "neural_net",
}

__all__ = list(_MODULE_OF)


def __getattr__(name):
    if name in _MODULE_OF:
        return getattr(importlib.import_module("." + _MODULE_OF[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
