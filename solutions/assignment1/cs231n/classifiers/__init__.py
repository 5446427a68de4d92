"""The classifiers of assignment 1."""
from .k_nearest_neighbor import KNearestNeighbor
from .linear_classifier import LinearClassifier, LinearSVM, Softmax
from .neural_net import TwoLayerNet

__all__ = ["KNearestNeighbor", "LinearClassifier", "LinearSVM", "Softmax", "TwoLayerNet"]
