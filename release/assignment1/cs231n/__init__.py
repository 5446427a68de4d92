"""The course package of CS231n assignment 1: kNN, linear SVM and softmax
classifiers, a two-layer neural network, and image features.

Modules:
- ``classifiers``: KNearestNeighbor, LinearClassifier (LinearSVM, Softmax),
  TwoLayerNet, and the SVM / softmax loss functions they use.
- ``features``: HOG and colour-histogram features of images.
- ``data_utils``: the CIFAR-10 and digits loaders.
- ``gradient_check``: numeric gradients.
- ``vis_utils``: image grids for plots.
"""
