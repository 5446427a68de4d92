"""Data loading: CIFAR-10 from its standard python pickles, and the digits.

Two data sets:

* CIFAR-10 in the standard ``cifar-10-batches-py`` form (``data_batch_1`` ..
  ``data_batch_5`` and ``test_batch``; each a pickled dict whose ``data`` is a
  uint8 array of shape (N, 3072), channel-major rows of 32x32 images, and whose
  ``labels`` is a list of N ints). Nothing is downloaded: the directory must
  already exist.
* The handwritten digits that scikit-learn ships (1,797 labelled 8x8
  grey-level images with values 0..16), available offline.

Both ``get_*_data`` functions return the same dictionary layout, so a
notebook can switch data sets by changing one line.
"""
import os
import pickle

import numpy as np


def _get(d, key):
    """Look ``key`` up under its str or its bytes spelling.

    The real batches, read with encoding="latin1", have str keys; a copy
    re-saved from Python 3 after reading with encoding="bytes" has bytes keys.
    """
    if key in d:
        return d[key]
    bkey = key.encode("latin1")
    if bkey in d:
        return d[bkey]
    raise KeyError("CIFAR-10 batch has no %r entry (keys: %r)" % (key, list(d)))


def load_CIFAR_batch(filename):
    """
    Load a single batch of CIFAR-10.

    Inputs:
    - filename: Path of one pickled batch file (for instance data_batch_1).

    Returns a tuple of:
    - X: Array of shape (N, 32, 32, 3), dtype float64, values 0..255; N is
      10000 for the real files.
    - Y: Array of shape (N,) of int64 labels in 0..9.
    """
    with open(filename, "rb") as f:
        # The files are Python 2 pickles: their strings, keys and the raw
        # image bytes alike, are Python 2 str. latin1 maps each byte to one
        # character (Python 3's default, ASCII, fails on the image bytes) and
        # numpy turns such a str back into the array's bytes.
        datadict = pickle.load(f, encoding="latin1")
    X = np.asarray(_get(datadict, "data"))
    Y = np.asarray(_get(datadict, "labels"), dtype=np.int64)
    X = X.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype("float64")
    return X, Y


def load_CIFAR10(ROOT):
    """
    Load all of CIFAR-10.

    Inputs:
    - ROOT: Path of the cifar-10-batches-py directory.

    Returns a tuple of:
    - Xtr: Array of shape (N_train, 32, 32, 3), float64 (50000 for the real
      files): data_batch_1 .. data_batch_5 in order.
    - Ytr: Array of shape (N_train,) of int64 labels.
    - Xte: Array of shape (N_test, 32, 32, 3), float64: test_batch.
    - Yte: Array of shape (N_test,) of int64 labels.
    """
    xs = []
    ys = []
    for b in range(1, 6):
        f = os.path.join(ROOT, "data_batch_%d" % (b,))
        X, Y = load_CIFAR_batch(f)
        xs.append(X)
        ys.append(Y)
    Xtr = np.concatenate(xs)
    Ytr = np.concatenate(ys)
    del X, Y
    Xte, Yte = load_CIFAR_batch(os.path.join(ROOT, "test_batch"))
    return Xtr, Ytr, Xte, Yte


def get_CIFAR10_data(
    cifar10_dir=None,
    num_training=49000,
    num_validation=1000,
    num_test=1000,
    subtract_mean=True,
):
    """
    Load the CIFAR-10 dataset from disk and perform preprocessing to prepare
    it for classifiers. These are the same steps as we used for the SVM, but
    condensed to a single function.

    Inputs:
    - cifar10_dir: Path of the cifar-10-batches-py directory; None means
      cs231n/datasets/cifar-10-batches-py next to this file.
    - num_training: Number of training images: the first num_training images
      of the five training batches.
    - num_validation: Number of validation images: the next num_validation
      images of the training batches.
    - num_test: Number of test images: the first num_test of test_batch.
    - subtract_mean: If True, subtract the mean training image from every
      split.

    Returns a dict with:
    - 'X_train': (num_training, 3, 32, 32) float64, 'y_train': (num_training,)
    - 'X_val': (num_validation, 3, 32, 32) float64, 'y_val': (num_validation,)
    - 'X_test': (num_test, 3, 32, 32) float64, 'y_test': (num_test,)
    - 'mean_image': (3, 32, 32) float64, the mean subtracted (zeros if
      subtract_mean is False).
    Labels are int64.
    """
    if cifar10_dir is None:
        cifar10_dir = os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "datasets", "cifar-10-batches-py"
        )
    # Load the raw CIFAR-10 data
    X_train, y_train, X_test, y_test = load_CIFAR10(cifar10_dir)

    if num_training + num_validation > X_train.shape[0]:
        raise ValueError(
            "asked for %d training + %d validation images but %s holds only %d"
            % (num_training, num_validation, cifar10_dir, X_train.shape[0])
        )
    if num_test > X_test.shape[0]:
        raise ValueError(
            "asked for %d test images but %s holds only %d"
            % (num_test, cifar10_dir, X_test.shape[0])
        )

    # Subsample the data
    mask = list(range(num_training, num_training + num_validation))
    X_val = X_train[mask]
    y_val = y_train[mask]
    mask = list(range(num_training))
    X_train = X_train[mask]
    y_train = y_train[mask]
    mask = list(range(num_test))
    X_test = X_test[mask]
    y_test = y_test[mask]

    # Normalize the data: subtract the mean image
    if subtract_mean:
        mean_image = np.mean(X_train, axis=0)
    else:
        mean_image = np.zeros(X_train.shape[1:])
    X_train = X_train - mean_image
    X_val = X_val - mean_image
    X_test = X_test - mean_image

    # Transpose so that channels come first
    X_train = X_train.transpose(0, 3, 1, 2).copy()
    X_val = X_val.transpose(0, 3, 1, 2).copy()
    X_test = X_test.transpose(0, 3, 1, 2).copy()
    mean_image = mean_image.transpose(2, 0, 1).copy()

    # Package data into a dictionary
    return {
        "X_train": X_train,
        "y_train": y_train,
        "X_val": X_val,
        "y_val": y_val,
        "X_test": X_test,
        "y_test": y_test,
        "mean_image": mean_image,
    }


def get_digits_data(num_validation=300, num_test=300, subtract_mean=True, seed=0):
    """
    Load the handwritten digits that scikit-learn ships (no download) and
    split them into train / validation / test sets.

    The 1,797 images are scaled to [0, 1] (divided by 16) and split, stratified
    by class and seeded, into num_test test images, num_validation validation
    images and the rest (1,197 by default) for training.

    Inputs:
    - num_validation: Number of validation images.
    - num_test: Number of test images.
    - subtract_mean: If True, subtract the mean training image from every
      split.
    - seed: Integer seed of the split; the same seed gives the same split.

    Returns a dict with:
    - 'X_train': (N_train, 1, 8, 8) float64, 'y_train': (N_train,) int64
    - 'X_val': (num_validation, 1, 8, 8) float64, 'y_val': (num_validation,)
    - 'X_test': (num_test, 1, 8, 8) float64, 'y_test': (num_test,)
    - 'mean_image': (1, 8, 8) float64, the mean subtracted (zeros if
      subtract_mean is False).
    Labels are int64 in 0..9.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = (digits.images.astype(np.float64) / 16.0).reshape(-1, 1, 8, 8)
    y = digits.target.astype(np.int64)
    idx = np.arange(X.shape[0])

    idx_rest, idx_test = train_test_split(
        idx, test_size=num_test, stratify=y, random_state=seed
    )
    idx_train, idx_val = train_test_split(
        idx_rest, test_size=num_validation, stratify=y[idx_rest], random_state=seed
    )

    X_train, y_train = X[idx_train], y[idx_train]
    X_val, y_val = X[idx_val], y[idx_val]
    X_test, y_test = X[idx_test], y[idx_test]

    if subtract_mean:
        mean_image = X_train.mean(axis=0)
    else:
        mean_image = np.zeros(X_train.shape[1:])
    X_train = X_train - mean_image
    X_val = X_val - mean_image
    X_test = X_test - mean_image

    return {
        "X_train": X_train,
        "y_train": y_train,
        "X_val": X_val,
        "y_val": y_val,
        "X_test": X_test,
        "y_test": y_test,
        "mean_image": mean_image,
    }
