"""The given feature code (cs231n/features.py): HOG against a per-pixel loop
oracle and known orientations, the colour histogram against matplotlib's
HSV conversion, extract_features on digits- and CIFAR-shaped images, and a
classifier on HOG + histogram features of the digits."""
from __future__ import annotations

import time

import numpy as np
import pytest


def hog_oracle(image, c, orientations=9):
    """HOG as hog_feature's docstring defines it, pixel by pixel."""
    H, W = image.shape
    ncy, ncx = H // c, W // c
    hist = np.zeros((ncy, ncx, orientations))
    for i in range(ncy * c):
        for j in range(ncx * c):
            gx = image[i, j + 1] - image[i, j] if j + 1 < W else 0.0
            gy = image[i + 1, j] - image[i, j] if i + 1 < H else 0.0
            mag = np.hypot(gx, gy)
            if mag == 0:
                continue
            angle = np.degrees(np.arctan2(gy, gx))
            angle = angle + 180.0 if angle < 0 else angle
            angle = 0.0 if angle >= 180.0 else angle
            b = min(int(angle // (180.0 / orientations)), orientations - 1)
            hist[i // c, j // c, b] += mag
    return (hist / (c * c)).ravel()


@pytest.mark.parametrize("shape,c", [((8, 8), 2), ((8, 8), 4), ((32, 32), 8), ((10, 13), 4), ((9, 9), 3)])
def test_hog_against_pixel_loop_oracle(a1, shape, c):
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 255, size=shape)
    feat = a1.features.hog_feature(image, pixels_per_cell=c)
    expected = hog_oracle(image, c)
    assert feat.shape == ((shape[0] // c) * (shape[1] // c) * 9,)
    np.testing.assert_allclose(feat, expected, rtol=1e-12, atol=1e-12)


def test_hog_of_rgb_and_single_channel_images(a1):
    rng = np.random.default_rng(1)
    rgb = rng.uniform(0, 255, size=(32, 32, 3))
    gray = rgb @ np.array([0.299, 0.587, 0.114])
    np.testing.assert_allclose(a1.features.rgb2gray(rgb), gray, rtol=1e-14)
    np.testing.assert_allclose(a1.features.hog_feature(rgb), hog_oracle(gray, 8), rtol=1e-12, atol=1e-12)
    grey = rng.uniform(0, 255, size=(8, 8))
    np.testing.assert_array_equal(a1.features.hog_feature(grey[:, :, None], pixels_per_cell=4),
                                  a1.features.hog_feature(grey, pixels_per_cell=4))
    assert a1.features.hog_feature(rgb).shape == (4 * 4 * 9,)     # CIFAR-10: 144 features


@pytest.mark.parametrize("direction,bin_index", [("x", 0), ("y", 4), ("diag", 2), ("anti", 6)])
def test_hog_orientation_bins(a1, direction, bin_index):
    """A ramp puts all its (interior) gradient into one 20-degree bin:
    along x 0 deg, along y 90 deg, x = y 45 deg, x = -y 135 deg."""
    i, j = np.mgrid[0:16, 0:16].astype(np.float64)
    image = {"x": j, "y": i, "diag": i + j, "anti": i - j}[direction]
    feat = a1.features.hog_feature(image, pixels_per_cell=4).reshape(4, 4, 9)
    interior = feat[:3, :3]                 # away from the zero last row/column
    assert np.all(interior[:, :, bin_index] > 0)
    others = np.delete(interior, bin_index, axis=2)
    assert np.all(others == 0)


def test_hog_of_a_constant_image_is_zero(a1):
    assert not np.any(a1.features.hog_feature(np.full((8, 8), 7.0), pixels_per_cell=2))


def test_color_histogram_of_rgb_image_against_matplotlib(a1):
    colors = pytest.importorskip("matplotlib.colors")
    rng = np.random.default_rng(2)
    im = rng.integers(0, 256, size=(32, 32, 3)).astype(np.float64)
    im[0, :4] = [[10, 10, 10], [255, 0, 0], [0, 255, 255], [200, 200, 100]]   # grey, ties of max
    hue = colors.rgb_to_hsv(im / 255) * 255
    np.testing.assert_allclose(a1.features.rgb_to_hue(im / 255) * 255, hue[:, :, 0], atol=1e-9)
    counts, _ = np.histogram(hue[:, :, 0], bins=np.linspace(0, 255, 11))
    hist = a1.features.color_histogram_hsv(im)
    assert hist.shape == (10,)
    np.testing.assert_allclose(hist, counts / counts.sum(), atol=1e-12)
    raw = a1.features.color_histogram_hsv(im, nbin=5, normalized=False)
    np.testing.assert_array_equal(raw, np.histogram(hue[:, :, 0], bins=np.linspace(0, 255, 6))[0])
    assert raw.sum() == 32 * 32


def test_color_histogram_of_grey_image_is_over_grey_levels(a1):
    rng = np.random.default_rng(3)
    im = rng.integers(0, 17, size=(8, 8)).astype(np.float64)
    hist = a1.features.color_histogram_hsv(im, nbin=4, xmax=16, normalized=False)
    np.testing.assert_array_equal(hist, np.histogram(im, bins=np.linspace(0, 16, 5))[0])
    norm = a1.features.color_histogram_hsv(im[:, :, None] * 255 / 16, nbin=4)
    np.testing.assert_allclose(norm, hist / 64, atol=1e-12)
    assert abs(norm.sum() - 1) < 1e-12


def test_extract_features_rows(a1):
    f = a1.features
    rng = np.random.default_rng(4)
    fns = [lambda im: f.hog_feature(im, pixels_per_cell=4), f.color_histogram_hsv]
    for imgs, expected_dim in [(rng.uniform(0, 255, size=(5, 8, 8, 1)), 4 * 9 + 10),
                               (rng.uniform(0, 255, size=(4, 32, 32, 3)), 64 * 9 + 10)]:
        feats = f.extract_features(imgs, fns)
        assert feats.shape == (imgs.shape[0], expected_dim)
        for i, im in enumerate(imgs):
            row = np.concatenate([fn(im.squeeze()) for fn in fns])
            np.testing.assert_array_equal(feats[i], row)
    assert f.extract_features(np.zeros((0, 8, 8, 1)), fns).size == 0


def test_digits_features_accuracy(a1):
    """Measured on the seed-0 split: HOG with 2x2 cells (144 values) + grey
    histogram (10 bins), standardised features, bias column; LinearSVM lr
    1e-2, reg 1e-2, 500 iterations -> validation 0.970; extraction of 1,497
    images ~0.1 s."""
    f = a1.features
    d = a1.data_utils.get_digits_data()
    fns = [lambda im: f.hog_feature(im, pixels_per_cell=2), lambda im: f.color_histogram_hsv(im, nbin=10)]
    start = time.perf_counter()
    F_train = f.extract_features(d["X_train"], fns)
    F_val = f.extract_features(d["X_val"], fns)
    assert time.perf_counter() - start < 10
    assert F_train.shape == (1197, 154)
    # the features notebook's preprocessing
    mean = F_train.mean(axis=0, keepdims=True)
    std = F_train.std(axis=0, keepdims=True) + 1e-8
    F_train = np.hstack([(F_train - mean) / std, np.ones((F_train.shape[0], 1))])
    F_val = np.hstack([(F_val - mean) / std, np.ones((F_val.shape[0], 1))])
    np.random.seed(0)
    svm = a1.classifiers.LinearSVM()
    svm.train(F_train, d["y_train"], learning_rate=1e-2, reg=1e-2, num_iters=500)
    acc = np.mean(svm.predict(F_val) == d["y_val"])
    assert acc >= 0.93, acc
