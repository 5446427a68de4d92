"""The PyTorch part: small models written with torch.nn, a training loop, and
your own best model.

Data enters every function here as numpy arrays, the way the rest of the
assignment stores it: images of shape (N, C, H, W) (float32 or float64) and
integer labels of shape (N,). The helpers convert them to tensors
(float32 images, int64 labels) for you.

Only the PyTorch notebook (and its tests) import this module, so the rest of
the package works without torch installed.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def _as_images(X):
    """numpy array or tensor (N, ...) -> float32 tensor of the same shape."""
    if isinstance(X, torch.Tensor):
        return X.to(torch.float32)
    return torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))


def _as_labels(y):
    """numpy array or tensor (N,) of ints -> int64 tensor of shape (N,)."""
    if isinstance(y, torch.Tensor):
        return y.to(torch.int64)
    return torch.from_numpy(np.ascontiguousarray(y, dtype=np.int64))


def flatten(x):
    """
    Flatten every example of a batch into a vector.

    Inputs:
    - x: Tensor of shape (N, d_1, ..., d_k).

    Returns:
    - A tensor of shape (N, d_1 * ... * d_k) holding the same values (a view
      of x when possible).
    """
    # TODO: Read the batch size N from x.shape and return x reshaped to (N, D).
    ### BEGIN SOLUTION
    N = x.shape[0]
    return x.reshape(N, -1)
    ### END SOLUTION


class TwoLayerFC(nn.Module):
    """
    A two-layer fully connected network: affine - ReLU - affine.

    Input: images of shape (N, d_1, ..., d_k) with d_1 * ... * d_k ==
    input_size. Output: class scores of shape (N, num_classes).
    """

    def __init__(self, input_size, hidden_size, num_classes):
        """
        Inputs:
        - input_size: D, the number of values in one (flattened) input.
        - hidden_size: H, the number of hidden units.
        - num_classes: C, the number of classes.

        Creates self.fc1 (nn.Linear D -> H) and self.fc2 (nn.Linear H -> C),
        weights initialised with nn.init.kaiming_normal_, biases with zeros.
        Create no other layers with weights: the grader loads weights for
        exactly fc1 and fc2 with load_state_dict.
        """
        super().__init__()
        # TODO: Create the two nn.Linear layers as self.fc1 and self.fc2 and
        # initialise their weights with nn.init.kaiming_normal_ and their
        # biases with nn.init.zeros_.
        ### BEGIN SOLUTION
        self.fc1 = nn.Linear(input_size, hidden_size)
        nn.init.kaiming_normal_(self.fc1.weight)
        nn.init.zeros_(self.fc1.bias)
        self.fc2 = nn.Linear(hidden_size, num_classes)
        nn.init.kaiming_normal_(self.fc2.weight)
        nn.init.zeros_(self.fc2.bias)
        ### END SOLUTION

    def forward(self, x):
        """
        Inputs:
        - x: Tensor of shape (N, d_1, ..., d_k).

        Returns:
        - scores: Tensor of shape (N, num_classes).
        """
        scores = None
        # TODO: flatten x, then fc1, ReLU, fc2.
        ### BEGIN SOLUTION
        x = flatten(x)
        scores = self.fc2(F.relu(self.fc1(x)))
        ### END SOLUTION
        return scores


class ThreeLayerConvNet(nn.Module):
    """
    A three-layer convolutional network:

        conv (kernel_size_1, "same" zero padding) - ReLU -
        conv (kernel_size_2, "same" zero padding) - ReLU - fully connected

    "Same" padding is kernel_size // 2 on every side, so with odd kernel sizes
    both convolutions keep the spatial size H x W of the input.

    Input: images of shape (N, in_channel, H, W) with (H, W) == image_size.
    Output: class scores of shape (N, num_classes).
    """

    def __init__(
        self,
        in_channel,
        channel_1,
        channel_2,
        num_classes,
        image_size=32,
        kernel_size_1=5,
        kernel_size_2=3,
    ):
        """
        Inputs:
        - in_channel: C, the number of input channels.
        - channel_1: F1, the number of filters of the first convolution.
        - channel_2: F2, the number of filters of the second convolution.
        - num_classes: the number of classes.
        - image_size: H (int, for square images) or a pair (H, W).
        - kernel_size_1: odd int, size of the first convolution's filters,
          padding kernel_size_1 // 2.
        - kernel_size_2: odd int, size of the second convolution's filters,
          padding kernel_size_2 // 2.

        Creates self.conv1 (nn.Conv2d C -> F1), self.conv2 (nn.Conv2d F1 ->
        F2) and self.fc (nn.Linear F2 * H * W -> num_classes); weights
        initialised with nn.init.kaiming_normal_, biases with zeros.
        Create no other layers with weights: the grader loads weights for
        exactly conv1, conv2 and fc with load_state_dict.
        """
        super().__init__()
        if isinstance(image_size, int):
            H, W = image_size, image_size
        else:
            H, W = image_size
        pad_1 = kernel_size_1 // 2
        pad_2 = kernel_size_2 // 2
        # TODO: Create self.conv1, self.conv2 and self.fc as described in the
        # docstring, with the paddings pad_1 and pad_2 computed above, and
        # initialise them (kaiming_normal_ weights, zero biases).
        ### BEGIN SOLUTION
        self.conv1 = nn.Conv2d(in_channel, channel_1, kernel_size_1, padding=pad_1)
        self.conv2 = nn.Conv2d(channel_1, channel_2, kernel_size_2, padding=pad_2)
        self.fc = nn.Linear(channel_2 * H * W, num_classes)
        for layer in (self.conv1, self.conv2, self.fc):
            nn.init.kaiming_normal_(layer.weight)
            nn.init.zeros_(layer.bias)
        ### END SOLUTION

    def forward(self, x):
        """
        Inputs:
        - x: Tensor of shape (N, in_channel, H, W).

        Returns:
        - scores: Tensor of shape (N, num_classes).
        """
        scores = None
        # TODO: conv1, ReLU, conv2, ReLU, flatten, fc.
        ### BEGIN SOLUTION
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        scores = self.fc(flatten(x))
        ### END SOLUTION
        return scores


def check_accuracy(model, X, y, batch_size=64):
    """
    Classification accuracy of a model on a data set, in evaluation mode.

    Inputs:
    - model: An nn.Module mapping (B, ...) float32 tensors to (B, C) scores.
    - X: Array of shape (N, ...) of inputs (numpy or tensor).
    - y: Array of shape (N,) of integer labels.
    - batch_size: How many examples to score at a time.

    Returns:
    - acc: Python float, the fraction of X that the model classifies as y.
    """
    X = _as_images(X)
    y = _as_labels(y)
    was_training = model.training
    model.eval()
    num_correct = 0
    with torch.no_grad():
        for start in range(0, X.shape[0], batch_size):
            scores = model(X[start : start + batch_size])
            preds = scores.argmax(dim=1)
            num_correct += int((preds == y[start : start + batch_size]).sum())
    model.train(was_training)
    return num_correct / max(X.shape[0], 1)


def train_model(model, optimizer, X_train, y_train, epochs=1, batch_size=64, seed=0):
    """
    Train a model with the softmax (cross-entropy) loss.

    Inputs:
    - model: An nn.Module mapping (B, ...) float32 tensors to (B, C) scores.
    - optimizer: A torch.optim optimizer over model.parameters().
    - X_train: Array of shape (N, ...) of training inputs.
    - y_train: Array of shape (N,) of integer labels.
    - epochs: Number of passes over the training data.
    - batch_size: Minibatch size (the last minibatch of an epoch may be
      smaller).
    - seed: Seed of the generator that shuffles the data each epoch.

    Returns:
    - losses: List of Python floats, the loss of every minibatch in order
      (epochs * ceil(N / batch_size) of them).
    """
    X = _as_images(X_train)
    y = _as_labels(y_train)
    N = X.shape[0]
    generator = torch.Generator().manual_seed(seed)
    losses = []
    # TODO: For each epoch, draw a permutation of the N examples with
    # torch.randperm(N, generator=generator) and walk through it in
    # minibatches of batch_size. For every minibatch: put the model in
    # training mode (model.train()), compute the scores and the loss with
    # F.cross_entropy, zero the gradients, backpropagate, take an optimizer
    # step, and append loss.item() to losses.
    ### BEGIN SOLUTION
    for _ in range(epochs):
        perm = torch.randperm(N, generator=generator)
        for start in range(0, N, batch_size):
            idx = perm[start : start + batch_size]
            model.train()
            scores = model(X[idx])
            loss = F.cross_entropy(scores, y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    ### END SOLUTION
    return losses


def build_best_model(in_channels, num_classes):
    """
    Your own model, and the optimizer to train it, for 8x8 images such as the
    digits.

    The grader does not run your code for this part: it rebuilds your model
    from its description and trains it itself. So build the model as an
    nn.Sequential (nested nn.Sequential allowed) of these torch.nn layers:

        Conv2d, Linear, BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm,
        ReLU, LeakyReLU, ELU, GELU, SiLU, Tanh, Sigmoid, Identity, Flatten,
        Dropout, Dropout2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d,
        AdaptiveMaxPool2d, Softmax, LogSoftmax

    with at most 2,000,000 parameters, and use one of the optimizers
    torch.optim.SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, NAdam
    or RAdam (any settings; parameter groups are allowed). The grader takes
    the layers with their settings, the initial weights (return the model
    untrained) and the optimizer's settings, trains the model with

        train_model(model, optimizer, X_train, y_train, epochs=10,
                    batch_size=64, seed=0)

    on the digits training set and measures check_accuracy on held-out
    digits: aim for at least 95% on the validation set, in under 20 seconds
    of training on two CPU cores.

    The grader also bounds the cost and the settings: at most 64 layers
    (nn.Sequential nested at most 4 deep), at most 65,536 output values per
    image from any layer, at most 20,000,000 multiply-adds per image, layer
    settings of a small model (convolution kernels up to 9, pooling windows
    and strides up to 8, up to 1024 channels) and optimizer numbers between 0
    and 1000.

    Inputs:
    - in_channels: C, the number of input channels (1 for the digits).
    - num_classes: The number of classes (10 for the digits).

    Returns a tuple of:
    - model: An nn.Module mapping (N, C, 8, 8) float32 tensors to
      (N, num_classes) scores.
    - optimizer: A torch.optim optimizer over model.parameters().
    """
    model = None
    optimizer = None
    # TODO: Build the model as an nn.Sequential of the layers listed above
    # and an optimizer for it. Convolutions, batch normalization, pooling and
    # dropout are all in the list; torch.optim has SGD (with momentum and
    # Nesterov), Adam, RMSprop, ...
    ### BEGIN SOLUTION
    model = nn.Sequential(
        nn.Conv2d(in_channels, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 8x8 -> 4x4
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 64),
        nn.ReLU(),
        nn.Dropout(0.25),
        nn.Linear(64, num_classes),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    ### END SOLUTION
    return model, optimizer
