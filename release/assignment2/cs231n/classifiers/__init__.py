"""The classifiers of assignment 2, built from the layers in ``cs231n.layers``,
``cs231n.fast_layers`` and ``cs231n.layer_utils``."""
from .fc_net import FullyConnectedNet
from .cnn import ThreeLayerConvNet

__all__ = ["FullyConnectedNet", "ThreeLayerConvNet"]
