"""The visible checks of assignment 2: one public check per graded part.

Every graded cell of the notebooks runs ``check_part("<part>")``. The check
calls *your* code in ``cs231n/`` on small fixed inputs and compares the result
with published CS231n values, with values computed by the course staff, or
with numeric gradients, and prints one line per comparison::

    affine_forward: OK (relative error 2.1e-09, should be < 1e-07)
    affine_backward dw: FAILED (relative error 0.37, should be < 1e-07)

It returns True when every comparison passed. The graded cells call
``check_part("<part>", strict=True)``, which returns None when every comparison
passed and raises ``PublicCheckFailed`` otherwise, so that a failing check is
an error of the cell (nbgrader's Validate lists it; the notebook shows it as
one line). A function that is still a stub raises ``NotImplementedError``,
which the notebook shows as one line naming the function and its file.

These checks are cheap and visible; the hidden tests that grade a submission
are stronger (more shapes, more cases, statistics, accuracy on held-out
labels). Passing a public check is a good sign, not a guarantee.

``PARTS`` maps each graded part to ``(notebook, points)``; ``run_all_checks()``
runs every check and returns ``{part: passed}``.

From a terminal in your assignment folder, ``python -m cs231n.checks`` runs
every check in a separate process and prints one row a graded part (see
``cs231n/check_runner.py``; ``-h`` lists the options).
"""
from __future__ import annotations

import math
import time

import numpy as np

# --------------------------------------------------------------------------
# The graded parts: {part: (notebook, points)}; autograded points total 100.
# --------------------------------------------------------------------------

PARTS = {
    # FullyConnectedNets.ipynb (34 points)
    "affine_forward": ("FullyConnectedNets", 2),
    "affine_backward": ("FullyConnectedNets", 3),
    "relu_forward": ("FullyConnectedNets", 1),
    "relu_backward": ("FullyConnectedNets", 1),
    "softmax_loss": ("FullyConnectedNets", 2),
    "svm_loss": ("FullyConnectedNets", 2),
    "fc_net": ("FullyConnectedNets", 8),
    "sgd_momentum": ("FullyConnectedNets", 2),
    "nesterov_momentum": ("FullyConnectedNets", 2),
    "adagrad": ("FullyConnectedNets", 2),
    "rmsprop": ("FullyConnectedNets", 2),
    "adam": ("FullyConnectedNets", 3),
    "fc_net_accuracy": ("FullyConnectedNets", 4),
    # BatchNormalization.ipynb (17 points)
    "batchnorm_forward": ("BatchNormalization", 3),
    "batchnorm_backward": ("BatchNormalization", 3),
    "batchnorm_backward_alt": ("BatchNormalization", 2),
    "layernorm_forward": ("BatchNormalization", 2),
    "layernorm_backward": ("BatchNormalization", 2),
    "affine_norm_relu": ("BatchNormalization", 2),
    "fc_net_normalization": ("BatchNormalization", 3),
    # Dropout.ipynb (6 points)
    "dropout_forward": ("Dropout", 2),
    "dropout_backward": ("Dropout", 2),
    "fc_net_dropout": ("Dropout", 2),
    # ConvolutionalNetworks.ipynb (30 points)
    "conv_forward_naive": ("ConvolutionalNetworks", 3),
    "conv_backward_naive": ("ConvolutionalNetworks", 4),
    "max_pool_forward_naive": ("ConvolutionalNetworks", 2),
    "max_pool_backward_naive": ("ConvolutionalNetworks", 3),
    "three_layer_convnet": ("ConvolutionalNetworks", 4),
    "convnet_accuracy": ("ConvolutionalNetworks", 4),
    "spatial_batchnorm_forward": ("ConvolutionalNetworks", 2),
    "spatial_batchnorm_backward": ("ConvolutionalNetworks", 2),
    "spatial_groupnorm_forward": ("ConvolutionalNetworks", 3),
    "spatial_groupnorm_backward": ("ConvolutionalNetworks", 3),
    # PyTorch.ipynb (13 points)
    "torch_flatten": ("PyTorch", 1),
    "torch_two_layer_fc": ("PyTorch", 2),
    "torch_three_layer_convnet": ("PyTorch", 3),
    "torch_train_model": ("PyTorch", 3),
    "torch_best_model": ("PyTorch", 4),
}

NOTEBOOKS = (
    "FullyConnectedNets",
    "BatchNormalization",
    "Dropout",
    "ConvolutionalNetworks",
    "PyTorch",
)

# Tolerances of the public checks (relative error as CS231n defines it).
VALUE_TOL = 1e-7  # against values given to 10+ significant digits
PUBLISHED_TOL = 1e-6  # against published CS231n values (printed to 8 decimals)
GRAD_TOL = 1e-7  # layer gradients against numeric gradients (float64)
NET_GRAD_TOL = 1e-5  # whole-network gradients (float64, ReLU kinks nearby)
SPATIAL_GRAD_TOL = 1e-6  # spatial batch/group norm dx: sums over many positions

# Accuracy thresholds of the short trainings on the digits validation set.
FC_NET_MIN_VAL_ACC = 0.90
CONVNET_MIN_VAL_ACC = 0.90
TORCH_TRAIN_MIN_VAL_ACC = 0.85
TORCH_BEST_MIN_VAL_ACC = 0.95


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def rel_error(x, y):
    """Relative error as CS231n defines it: max |x - y| / max(1e-8, |x| + |y|)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def _fmt(value):
    return "%.2g" % value if value != 0 else "0"


def _line(name, ok, detail):
    print("%s: %s (%s)" % (name, "OK" if ok else "FAILED", detail))
    return bool(ok)


def _describe(value):
    if value is None:
        return "None (the result is never assigned?)"
    if isinstance(value, np.ndarray):
        return "an array of shape %s" % (value.shape,)
    return "a %s" % type(value).__name__


def _compare(name, got, expected, tol):
    """One line: shape first, then the relative error against ``tol``."""
    expected = np.asarray(expected)
    if np.isscalar(got) or (isinstance(got, np.ndarray) and got.ndim == 0):
        got = np.asarray(got)
    if not isinstance(got, np.ndarray):
        if isinstance(got, (float, int, np.floating)):
            got = np.asarray(got)
        else:
            return _line(name, False, "got %s, should be an array of shape %s"
                         % (_describe(got), expected.shape))
    if got.shape != expected.shape:
        return _line(name, False, "got shape %s, should be %s" % (got.shape, expected.shape))
    if not np.all(np.isfinite(got)):
        return _line(name, False, "the result holds nan or inf")
    err = rel_error(got, expected)
    return _line(name, err < tol, "relative error %s, should be < %s" % (_fmt(err), _fmt(tol)))


def _compare_grad(name, analytic, numeric, tol=GRAD_TOL):
    """Like _compare, but two all-(near-)zero gradients agree exactly."""
    if (isinstance(analytic, np.ndarray) and analytic.shape == np.shape(numeric)
            and np.max(np.abs(numeric), initial=0) < 1e-10
            and np.max(np.abs(analytic), initial=0) < 1e-10):
        return _line(name, True, "both gradients are zero, as they should be")
    return _compare(name, analytic, numeric, tol)


def _scalar(name, got, expected, tol):
    try:
        got = float(got)
    except (TypeError, ValueError):
        return _line(name, False, "got %s, should be a number" % _describe(got))
    return _compare(name, np.asarray(got), np.asarray(expected, dtype=np.float64), tol)


def _num_grad_array(f, x, df, h=1e-5):
    from .gradient_check import eval_numerical_gradient_array

    return eval_numerical_gradient_array(f, x, df, h=h)


def _num_grad(f, x, h=1e-5):
    from .gradient_check import eval_numerical_gradient

    return eval_numerical_gradient(f, x, verbose=False, h=h)


def _all_pass(results):
    return all(results)


# --------------------------------------------------------------------------
# Expected values.
# PUBLISHED: the values printed in the CS231n 2018-2020 notebooks.
# COMPUTED: computed by the course staff for the fixed inputs built below.
# --------------------------------------------------------------------------

PUBLISHED = {
    "affine_forward": np.array([[1.49834967, 1.70660132, 1.91485297],
                                [3.25553199, 3.5141327, 3.77273342]]),
    "relu_forward": np.array([[0., 0., 0., 0.],
                              [0., 0., 0.04545455, 0.13636364],
                              [0.22727273, 0.31818182, 0.40909091, 0.5]]),
    "fc_net_loss": {0.0: 2.3004790897684924, 3.14: 7.052114776533016},
    "sgd_momentum_next_w": np.array([
        [0.1406, 0.20738947, 0.27417895, 0.34096842, 0.40775789],
        [0.47454737, 0.54133684, 0.60812632, 0.67491579, 0.74170526],
        [0.80849474, 0.87528421, 0.94207368, 1.00886316, 1.07565263],
        [1.14244211, 1.20923158, 1.27602105, 1.34281053, 1.4096]]),
    "sgd_momentum_velocity": np.array([
        [0.5406, 0.55475789, 0.56891579, 0.58307368, 0.59723158],
        [0.61138947, 0.62554737, 0.63970526, 0.65386316, 0.66802105],
        [0.68217895, 0.69633684, 0.71049474, 0.72465263, 0.73881053],
        [0.75296842, 0.76712632, 0.78128421, 0.79544211, 0.8096]]),
    "rmsprop_next_w": np.array([
        [-0.39223849, -0.34037513, -0.28849239, -0.23659121, -0.18467247],
        [-0.132737, -0.08078555, -0.02881884, 0.02316247, 0.07515774],
        [0.12716641, 0.17918792, 0.23122175, 0.28326742, 0.33532447],
        [0.38739248, 0.43947102, 0.49155973, 0.54365823, 0.59576619]]),
    "rmsprop_cache": np.array([
        [0.5976, 0.6126277, 0.6277108, 0.64284931, 0.65804321],
        [0.67329252, 0.68859723, 0.70395734, 0.71937285, 0.73484377],
        [0.75037008, 0.7659518, 0.78158892, 0.79728144, 0.81302936],
        [0.82883269, 0.84469141, 0.86060554, 0.87657507, 0.8926]]),
    "adam_next_w": np.array([
        [-0.40094747, -0.34836187, -0.29577703, -0.24319299, -0.19060977],
        [-0.1380274, -0.08544591, -0.03286534, 0.01971428, 0.0722929],
        [0.1248705, 0.17744702, 0.23002243, 0.28259667, 0.33516969],
        [0.38774145, 0.44031188, 0.49288093, 0.54544852, 0.59801459]]),
    "adam_v": np.array([
        [0.69966, 0.68908382, 0.67851319, 0.66794809, 0.65738853],
        [0.64683452, 0.63628604, 0.6257431, 0.61520571, 0.60467385],
        [0.59414753, 0.58362676, 0.57311152, 0.56260183, 0.55209767],
        [0.54159906, 0.53110598, 0.52061845, 0.51013645, 0.49966]]),
    "adam_m": np.array([
        [0.48, 0.49947368, 0.51894737, 0.53842105, 0.55789474],
        [0.57736842, 0.59684211, 0.61631579, 0.63578947, 0.65526316],
        [0.67473684, 0.69421053, 0.71368421, 0.73315789, 0.75263158],
        [0.77210526, 0.79157895, 0.81105263, 0.83052632, 0.85]]),
    "conv_forward_naive": np.array([
        [[[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]],
         [[0.21027089, 0.21661097], [0.22847626, 0.23004637]],
         [[0.50813986, 0.54309974], [0.64082444, 0.67101435]]],
        [[[-0.98053589, -1.03143541], [-1.19128892, -1.24695841]],
         [[0.69108355, 0.66880383], [0.59480972, 0.56776003]],
         [[2.36270298, 2.36904306], [2.38090835, 2.38247847]]]]),
    "max_pool_forward_naive": np.array([
        [[[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]],
         [[-0.14526316, -0.13052632], [-0.08631579, -0.07157895]],
         [[-0.02736842, -0.01263158], [0.03157895, 0.04631579]]],
        [[[0.09052632, 0.10526316], [0.14947368, 0.16421053]],
         [[0.20842105, 0.22315789], [0.26736842, 0.28210526]],
         [[0.32631579, 0.34105263], [0.38526316, 0.4]]]]),
}

# Computed by the course staff (independent numpy formulas) for the inputs below.
COMPUTED = {
    'nesterov_next_w': np.array([
        0.08714, 0.152461052632, 0.217782105263, 0.283103157895, 0.348424210526,
        0.413745263158, 0.479066315789, 0.544387368421, 0.609708421053, 0.675029473684,
        0.740350526316, 0.805671578947, 0.870992631579, 0.936313684211, 1.00163473684,
        1.06695578947, 1.13227684211, 1.19759789474, 1.26291894737, 1.32824,
    ]).reshape((4, 5)),
    'nesterov_velocity': np.array([
        0.5406, 0.554757894737, 0.568915789474, 0.583073684211, 0.597231578947,
        0.611389473684, 0.625547368421, 0.639705263158, 0.653863157895, 0.668021052632,
        0.682178947368, 0.696336842105, 0.710494736842, 0.724652631579, 0.738810526316,
        0.752968421053, 0.767126315789, 0.781284210526, 0.795442105263, 0.8096,
    ]).reshape((4, 5)),
    'adagrad_next_w': np.array([
        -0.393876275706, -0.341647395527, -0.289451938559, -0.237289591692,
        -0.185159090496, -0.133058102874, -0.0809831785742, -0.028929786657,
        0.0231075468327, 0.0751350039404, 0.127159162958, 0.179186644983,
        0.231223762302, 0.283276210796, 0.335348838516, 0.387445507171, 0.439569046909,
        0.491721291572, 0.543903173746, 0.596114856588,
    ]).reshape((4, 5)),
    'adagrad_cache': np.array([
        0.96, 0.91540166205, 0.876343490305, 0.842825484765, 0.814847645429,
        0.792409972299, 0.775512465374, 0.764155124654, 0.758337950139, 0.758060941828,
        0.763324099723, 0.774127423823, 0.790470914127, 0.812354570637, 0.839778393352,
        0.872742382271, 0.911246537396, 0.955290858726, 1.00487534626, 1.06,
    ]).reshape((4, 5)),
    'softmax_loss_loss': 2.3025458445007376,
    'svm_loss_loss': 8.999602749096233,
    'bn_out': np.array([
        1.09831272111, 2.92077249358, -1.86134420213, 3.6102332455, 0.383236041803,
        -2.3085936217, -1.01869356368, 0.550786232829, -1.57736826338, -1.34882054639,
        -1.11782603893, 2.41559898158, -0.723626058264, 1.84964654948, -0.256899117891,
        2.14215934973, 0.276737472619, 1.69880306563, -0.877448322099, 1.58700777052,
        0.542708086112, 0.188192059396, -0.867788755276, 1.69421441984,
    ]).reshape((6, 4)),
    'bn_running_mean': np.array([
        1.09966123529, 2.00039158621, 2.89988649787, 3.80064409517,
    ]).reshape((4,)),
    'bn_running_var': np.array([
        0.450003746842, 0.900005901259, 1.35000842471, 1.80000605941,
    ]).reshape((4,)),
    'bn_test_out': np.array([
        0.221068528495, -1.98045159387, -0.277036564246, 2.62623049034, 0.256647869337,
        -0.419626908739, -0.177484826865, 1.27331164819, -0.663133785777,
        -0.476929783366, -0.602954285699, 1.88284356574,
    ]).reshape((3, 4)),
    'ln_out': np.array([
        0.510400761323, 3.27797255129, -1.733542458, 2.50063724296, 0.352502682979,
        -0.523467362932, 0.540339267847, -0.115389063466, 3.08909757316,
        -0.0152398563552, -0.723739496997, 0.536196597696, -1.65004877538,
        1.21666604642, 2.08360719299, 0.0896871789222, -1.81762801871, -0.616582770684,
        2.65301926895, 1.68296746113,
    ]).reshape((4, 5)),
    'sbn_out': np.array([
        0.403494061437, 1.56329533925, -2.2069409822, -0.931154814714, -0.180066997817,
        -1.00955504868, 0.754464590671, 5.85978766341, -2.48338465098, 0.179450736176,
        0.26595024612, 1.88314222381, 2.81848841791, 1.4797639865, 1.19763574674,
        1.79960092024, 2.30288361825, 1.52663641441, 0.0558500105365, 1.08238329932,
        -0.0499247658146, 0.218864585092, 0.0780653498251, 0.975689963769,
        1.72312171891, -0.888810752838, 1.43924648488, -0.532313852707, 1.81783079937,
        1.98151479319, 1.98693693096, 1.62192484004, 2.71239123766, 1.97353698271,
        2.4800320818, 2.10016882277,
    ]).reshape((2, 3, 2, 3)),
    'sbn_running_mean': np.array([
        0.300154590829, 0.299893888948, 0.300513546495,
    ]).reshape((3,)),
    'sbn_running_var': np.array([
        0.90002751001, 0.900023838492, 0.900016868437,
    ]).reshape((3,)),
    'sbn_test_out': np.array([
        2.85463847496, 2.87528048407, 2.80817825373, 2.8308845485, 2.84425232267,
        2.8294891902, 6.68590056673, 6.77071239454, 6.63211201927, 6.67634818868,
        6.67778515583, 6.70465064615, 0.586092987886, 0.56723016304, 0.563254934497,
        0.571736712647, 0.578828040151, 0.567890602468, 2.84845114632, 2.86672126716,
        2.84656857907, 2.85135246088, 2.84884653236, 2.86482235151, 6.70199231653,
        6.6586017683, 6.69727645876, 6.66452404849, 6.70356566461, 6.70628485368,
        0.57437630469, 0.56923323045, 0.584598062955, 0.574187497442, 0.581324088151,
        0.57597175876,
    ]).reshape((2, 3, 2, 3)),
    'gn_out': np.array([
        0.548679991081, 1.51348902776, -1.62287419492, -0.561580293277, 1.12646092524,
        -0.253598887764, 0.978515866607, 4.94261890316, 2.63388992568, 2.11699052021,
        2.10019956668, 1.78627645456, -4.12729081597, 0.286466563061, 1.21663977186,
        -0.768031728939, -0.213674183224, 1.06596438297, 0.122438283384, 1.19121189055,
        -0.650251956971, -0.277119112959, -0.4725763322, 0.773504377202, 0.484622481288,
        -1.57156110594, 0.261148251633, -1.29091714486, 2.11836004033, 2.376072937,
        2.13858176727, 4.08832692089, 2.68412453446, 1.69746029878, 2.37383266379,
        1.8665641604, -2.99630016279, 0.0084587698025, -2.19217456816, -2.58951943129,
        -0.608307027408, 0.498130965884, 0.282306475637, 0.909436222129,
        -0.175677984369, 1.20788962514, 1.20794515037, 1.49744462216,
    ]).reshape((2, 6, 2, 2)),
}


# --------------------------------------------------------------------------
# Fixed inputs (seeded with numpy's legacy RandomState, stable across versions)
# --------------------------------------------------------------------------


def _rng(seed=231):
    return np.random.RandomState(seed)


def _optim_inputs():
    N, D = 4, 5
    w = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)
    dw = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D)
    v = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    return w, dw, v


def _loss_inputs():
    rs = _rng(231)
    num_classes, num_inputs = 10, 50
    x = 0.001 * rs.randn(num_inputs, num_classes)
    y = rs.randint(num_classes, size=num_inputs)
    return x, y


def _bn_inputs():
    """Small-variance inputs, so that where eps goes matters."""
    rs = _rng(231)
    x = 2.0 + 0.01 * rs.randn(6, 4)
    gamma = np.array([1.0, 2.0, 0.5, -1.0])
    beta = np.array([0.0, 0.5, -1.0, 2.0])
    running_mean = np.array([1.0, 2.0, 3.0, 4.0])
    running_var = np.array([0.5, 1.0, 1.5, 2.0])
    x_test = 2.0 + 0.01 * rs.randn(3, 4)
    test_mean = np.array([2.0, 2.01, 1.99, 2.0])
    test_var = np.array([1e-4, 2e-4, 5e-5, 1e-4])
    return x, gamma, beta, running_mean, running_var, x_test, test_mean, test_var


def _ln_inputs():
    rs = _rng(231)
    x = 1.0 + 0.01 * rs.randn(4, 5)
    gamma = np.array([1.0, 2.0, 0.5, -1.0, 1.5])
    beta = np.array([0.0, 0.5, -1.0, 2.0, 0.25])
    return x, gamma, beta


def _spatial_bn_inputs():
    rs = _rng(231)
    x = 3.0 + 0.02 * rs.randn(2, 3, 2, 3)
    gamma = np.array([1.0, 2.0, -0.5])
    beta = np.array([0.0, 1.0, 2.0])
    return x, gamma, beta


def _groupnorm_inputs():
    rs = _rng(231)
    x = 3.0 + 0.02 * rs.randn(2, 6, 2, 2)
    gamma = np.array([1.0, 2.0, -0.5, 1.5, 0.75, 1.0]).reshape(1, 6, 1, 1)
    beta = np.array([0.0, 1.0, 2.0, -1.0, 0.5, 0.0]).reshape(1, 6, 1, 1)
    G = 2
    return x, gamma, beta, G


# --------------------------------------------------------------------------
# FullyConnectedNets
# --------------------------------------------------------------------------


def _check_affine_forward():
    from .layers import affine_forward

    num_inputs, input_shape, output_dim = 2, (4, 5, 6), 3
    input_size = num_inputs * np.prod(input_shape)
    weight_size = output_dim * np.prod(input_shape)
    x = np.linspace(-0.1, 0.5, num=input_size).reshape(num_inputs, *input_shape)
    w = np.linspace(-0.2, 0.3, num=weight_size).reshape(np.prod(input_shape), output_dim)
    b = np.linspace(-0.3, 0.1, num=output_dim)
    out, _ = affine_forward(x, w, b)
    return _compare("affine_forward", out, PUBLISHED["affine_forward"], PUBLISHED_TOL)


def _check_affine_backward():
    from .layers import affine_backward, affine_forward

    rs = _rng(231)
    x = rs.randn(10, 2, 3)
    w = rs.randn(6, 5)
    b = rs.randn(5)
    dout = rs.randn(10, 5)
    dx_num = _num_grad_array(lambda x: affine_forward(x, w, b)[0], x, dout)
    dw_num = _num_grad_array(lambda w: affine_forward(x, w, b)[0], w, dout)
    db_num = _num_grad_array(lambda b: affine_forward(x, w, b)[0], b, dout)
    _, cache = affine_forward(x, w, b)
    dx, dw, db = affine_backward(dout, cache)
    return _all_pass([
        _compare_grad("affine_backward dx", dx, dx_num),
        _compare_grad("affine_backward dw", dw, dw_num),
        _compare_grad("affine_backward db", db, db_num),
    ])


def _check_relu_forward():
    from .layers import relu_forward

    x = np.linspace(-0.5, 0.5, num=12).reshape(3, 4)
    out, _ = relu_forward(x)
    return _compare("relu_forward", out, PUBLISHED["relu_forward"], PUBLISHED_TOL)


def _check_relu_backward():
    from .layers import relu_backward, relu_forward

    rs = _rng(231)
    x = rs.randn(10, 10)
    dout = rs.randn(*x.shape)
    dx_num = _num_grad_array(lambda x: relu_forward(x)[0], x, dout)
    _, cache = relu_forward(x)
    dx = relu_backward(dout, cache)
    return _compare_grad("relu_backward dx", dx, dx_num)


def _check_loss(name, fn):
    x, y = _loss_inputs()
    x_before = x.copy()
    loss, dx = fn(x, y)
    results = [_scalar(name + " loss", loss, COMPUTED[name + "_loss"], VALUE_TOL)]
    if not np.array_equal(x, x_before):
        results.append(_line(name + " input", False, "x was modified in place; leave it unchanged"))
    dx_num = _num_grad(lambda x: fn(x, y)[0], x)
    results.append(_compare_grad(name + " dx", dx, dx_num, GRAD_TOL))
    return _all_pass(results)


def _check_softmax_loss():
    from .layers import softmax_loss

    return _check_loss("softmax_loss", softmax_loss)


def _check_svm_loss():
    from .layers import svm_loss

    return _check_loss("svm_loss", svm_loss)


def _set_params(model, seed, weight_scale):
    """Overwrite a model's parameters with seeded values of the same shapes.

    The gradient checks then test the loss and gradients, whatever order the
    constructor drew its random weights in.
    """
    rs = _rng(seed)
    for name in sorted(model.params):
        shape = np.shape(model.params[name])
        if name.startswith("gamma"):
            value = 1.0 + 0.1 * rs.randn(*shape)
        elif name.startswith("beta") or name.startswith("b"):
            value = 0.1 * rs.randn(*shape)
        else:
            value = weight_scale * rs.randn(*shape)
        model.params[name] = value.astype(np.float64)


def _check_net_gradients(prefix, model, X, y, tol=NET_GRAD_TOL):
    loss, grads = model.loss(X, y)
    results = []
    missing = sorted(set(model.params) - set(grads or {}))
    if missing:
        return _line(prefix + " grads", False, "no gradient for %s" % ", ".join(missing))
    for name in sorted(model.params):
        f = lambda _: model.loss(X, y)[0]
        grad_num = _num_grad(f, model.params[name])
        results.append(_compare_grad("%s %s" % (prefix, name), grads[name], grad_num, tol))
    return _all_pass(results)


def _check_fc_net():
    from .classifiers.fc_net import FullyConnectedNet

    np.random.seed(231)
    N, D, H1, H2, C = 2, 15, 20, 30, 10
    X = np.random.randn(N, D)
    y = np.random.randint(C, size=(N,))
    rs = _rng(0)
    X_grad = rs.randn(4, D)
    y_grad = rs.randint(C, size=(4,))
    results = []
    for reg in (0.0, 3.14):
        model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, reg=reg,
                                  weight_scale=5e-2, dtype=np.float64)
        loss, _ = model.loss(X, y)
        results.append(_scalar("fc_net initial loss (reg=%g)" % reg, loss,
                               PUBLISHED["fc_net_loss"][reg], VALUE_TOL))
        _set_params(model, 0, 5e-2)
        results.append(_check_net_gradients("fc_net (reg=%g)" % reg, model, X_grad, y_grad))
    scores = model.loss(X)
    results.append(_line("fc_net test-time scores", np.shape(scores) == (N, C),
                         "model.loss(X) returns shape %s, should be %s"
                         % (np.shape(scores), (N, C))))
    return _all_pass(results)


def _check_update_rule(name, fn, config, expected):
    w, dw, _ = _optim_inputs()
    w_before, dw_before = w.copy(), dw.copy()
    next_w, config = fn(w, dw, config=config)
    results = [_compare(name + " next_w", next_w, expected.pop("next_w")[0],
                        expected.pop("tol"))]
    for key, (value, tol) in expected.items():
        results.append(_compare("%s config['%s']" % (name, key), (config or {}).get(key),
                                value, tol))
    if not (np.array_equal(w, w_before) and np.array_equal(dw, dw_before)):
        results.append(_line(name + " inputs", False,
                             "w or dw was modified in place; build new arrays instead"))
    return _all_pass(results)


def _check_sgd_momentum():
    from .optim import sgd_momentum

    _, _, v = _optim_inputs()
    return _check_update_rule(
        "sgd_momentum", sgd_momentum, {"learning_rate": 1e-3, "velocity": v},
        {"next_w": (PUBLISHED["sgd_momentum_next_w"],), "tol": PUBLISHED_TOL,
         "velocity": (PUBLISHED["sgd_momentum_velocity"], PUBLISHED_TOL)})


def _check_nesterov_momentum():
    from .optim import nesterov_momentum

    _, _, v = _optim_inputs()
    return _check_update_rule(
        "nesterov_momentum", nesterov_momentum, {"learning_rate": 1e-3, "velocity": v},
        {"next_w": (COMPUTED["nesterov_next_w"],), "tol": VALUE_TOL,
         "velocity": (COMPUTED["nesterov_velocity"], VALUE_TOL)})


def _check_adagrad():
    from .optim import adagrad

    _, _, cache = _optim_inputs()
    return _check_update_rule(
        "adagrad", adagrad, {"learning_rate": 1e-2, "cache": cache},
        {"next_w": (COMPUTED["adagrad_next_w"],), "tol": VALUE_TOL,
         "cache": (COMPUTED["adagrad_cache"], VALUE_TOL)})


def _check_rmsprop():
    from .optim import rmsprop

    _, _, cache = _optim_inputs()
    return _check_update_rule(
        "rmsprop", rmsprop, {"learning_rate": 1e-2, "cache": cache},
        {"next_w": (PUBLISHED["rmsprop_next_w"],), "tol": PUBLISHED_TOL,
         "cache": (PUBLISHED["rmsprop_cache"], PUBLISHED_TOL)})


def _check_adam():
    from .optim import adam

    N, D = 4, 5
    m = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    v = np.linspace(0.7, 0.5, num=N * D).reshape(N, D)
    config = {"learning_rate": 1e-2, "m": m, "v": v, "t": 5}
    results = [_check_update_rule(
        "adam", adam, config,
        {"next_w": (PUBLISHED["adam_next_w"],), "tol": PUBLISHED_TOL,
         "v": (PUBLISHED["adam_v"], PUBLISHED_TOL),
         "m": (PUBLISHED["adam_m"], PUBLISHED_TOL)})]
    t = config.get("t")
    results.append(_line("adam config['t']", t == 6, "got %r, should be 6 (one more than 5)" % (t,)))
    return _all_pass(results)


def _digits():
    from .data_utils import get_digits_data

    return get_digits_data()


def _accuracy_line(name, acc, threshold, seconds):
    return _line(name, acc >= threshold,
                 "validation accuracy %.3f after %.1f s of training, should be >= %.2f"
                 % (acc, seconds, threshold))


def _check_fc_net_accuracy():
    from .classifiers.fc_net import FullyConnectedNet
    from .solver import Solver

    data = _digits()
    np.random.seed(0)
    model = FullyConnectedNet([100, 100], input_dim=64, num_classes=10,
                              weight_scale=5e-2, reg=1e-3, dtype=np.float64)
    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 1e-3},
                    num_epochs=5, batch_size=50, verbose=False, seed=0)
    start = time.time()
    solver.train()
    seconds = time.time() - start
    acc = solver.check_accuracy(data["X_val"], data["y_val"])
    return _accuracy_line("fc_net_accuracy (FullyConnectedNet [100, 100] + adam, 5 epochs)",
                          acc, FC_NET_MIN_VAL_ACC, seconds)


# --------------------------------------------------------------------------
# BatchNormalization
# --------------------------------------------------------------------------


def _check_batchnorm_forward():
    from .layers import batchnorm_forward

    x, gamma, beta, rm, rv, x_test, test_mean, test_var = _bn_inputs()
    bn_param = {"mode": "train", "running_mean": rm.copy(), "running_var": rv.copy()}
    out, _ = batchnorm_forward(x, gamma, beta, bn_param)
    results = [
        _compare("batchnorm_forward train-mode output", out, COMPUTED["bn_out"], VALUE_TOL),
        _compare("batchnorm_forward running_mean", bn_param.get("running_mean"),
                 COMPUTED["bn_running_mean"], VALUE_TOL),
        _compare("batchnorm_forward running_var", bn_param.get("running_var"),
                 COMPUTED["bn_running_var"], VALUE_TOL),
    ]
    bn_param = {"mode": "test", "running_mean": test_mean, "running_var": test_var}
    out, _ = batchnorm_forward(x_test, gamma, beta, bn_param)
    results.append(_compare("batchnorm_forward test-mode output", out,
                            COMPUTED["bn_test_out"], VALUE_TOL))
    return _all_pass(results)


def _bn_backward_inputs():
    rs = _rng(231)
    N, D = 4, 5
    x = 5 * rs.randn(N, D) + 12
    gamma = rs.randn(D)
    beta = rs.randn(D)
    dout = rs.randn(N, D)
    return x, gamma, beta, dout


def _check_norm_backward(name, forward, backward, x, gamma, beta, dout, make_param,
                         tol=GRAD_TOL):
    fx = lambda x: forward(x, gamma, beta, make_param())[0]
    fg = lambda g: forward(x, g, beta, make_param())[0]
    fb = lambda b: forward(x, gamma, b, make_param())[0]
    dx_num = _num_grad_array(fx, x, dout)
    dgamma_num = _num_grad_array(fg, gamma.copy(), dout)
    dbeta_num = _num_grad_array(fb, beta.copy(), dout)
    _, cache = forward(x, gamma, beta, make_param())
    dx, dgamma, dbeta = backward(dout, cache)
    return _all_pass([
        _compare_grad(name + " dx", dx, dx_num, tol),
        _compare_grad(name + " dgamma", dgamma, dgamma_num, tol),
        _compare_grad(name + " dbeta", dbeta, dbeta_num, tol),
    ])


def _check_batchnorm_backward():
    from .layers import batchnorm_backward, batchnorm_forward

    x, gamma, beta, dout = _bn_backward_inputs()
    return _check_norm_backward("batchnorm_backward", batchnorm_forward, batchnorm_backward,
                                x, gamma, beta, dout, lambda: {"mode": "train"})


def _check_batchnorm_backward_alt():
    from .layers import batchnorm_backward_alt, batchnorm_forward

    x, gamma, beta, dout = _bn_backward_inputs()
    return _check_norm_backward("batchnorm_backward_alt", batchnorm_forward,
                                batchnorm_backward_alt, x, gamma, beta, dout,
                                lambda: {"mode": "train"})


def _check_layernorm_forward():
    from .layers import layernorm_forward

    x, gamma, beta = _ln_inputs()
    out, _ = layernorm_forward(x, gamma, beta, {})
    return _compare("layernorm_forward output", out, COMPUTED["ln_out"], VALUE_TOL)


def _check_layernorm_backward():
    from .layers import layernorm_backward, layernorm_forward

    rs = _rng(231)
    N, D = 4, 5
    x = 5 * rs.randn(N, D) + 12
    gamma = rs.randn(D)
    beta = rs.randn(D)
    dout = rs.randn(N, D)
    return _check_norm_backward("layernorm_backward", layernorm_forward, layernorm_backward,
                                x, gamma, beta, dout, lambda: {})


def _check_affine_norm_relu():
    from .layer_utils import affine_norm_relu_backward, affine_norm_relu_forward

    results = []
    for normalization in ("batchnorm", "layernorm"):
        rs = _rng(231)
        x = rs.randn(6, 2, 3)
        w = rs.randn(6, 8)
        b = rs.randn(8)
        gamma = rs.randn(8)
        beta = rs.randn(8)
        dout = rs.randn(6, 8)
        make_param = (lambda: {"mode": "train"}) if normalization == "batchnorm" else dict

        def f(x=x, w=w, b=b, gamma=gamma, beta=beta):
            return affine_norm_relu_forward(x, w, b, gamma, beta, make_param(), normalization)[0]

        nums = [
            _num_grad_array(lambda v: f(x=v), x, dout),
            _num_grad_array(lambda v: f(w=v), w, dout),
            _num_grad_array(lambda v: f(b=v), b, dout),
            _num_grad_array(lambda v: f(gamma=v), gamma, dout),
            _num_grad_array(lambda v: f(beta=v), beta, dout),
        ]
        _, cache = affine_norm_relu_forward(x, w, b, gamma, beta, make_param(), normalization)
        grads = affine_norm_relu_backward(dout, cache)
        for label, grad, num in zip(("dx", "dw", "db", "dgamma", "dbeta"), grads, nums):
            results.append(_compare_grad("affine_norm_relu (%s) %s" % (normalization, label),
                                         grad, num, 1e-6))
    return _all_pass(results)


def _check_fc_net_normalization():
    from .classifiers.fc_net import FullyConnectedNet

    rs = _rng(231)
    N, D, H1, H2, C = 10, 15, 20, 30, 10
    X = rs.randn(N, D)
    y = rs.randint(C, size=(N,))
    results = []
    for normalization in ("batchnorm", "layernorm"):
        np.random.seed(231)
        model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, reg=0.5,
                                  weight_scale=5e-2, dtype=np.float64,
                                  normalization=normalization)
        expected = ["gamma1", "beta1", "gamma2", "beta2"]
        have = [k for k in expected if k in model.params]
        extra = [k for k in ("gamma3", "beta3") if k in model.params]
        results.append(_line("fc_net_normalization (%s) parameters" % normalization,
                             len(have) == 4 and not extra,
                             "gamma1, beta1, gamma2, beta2 and none for the output layer"
                             if len(have) == 4 and not extra else
                             "has %s%s; should have gamma1, beta1, gamma2, beta2 and none for "
                             "the output layer" % (", ".join(have) or "none of them",
                                                   (", " + ", ".join(extra)) if extra else "")))
        _set_params(model, 0, 5e-2)
        results.append(_check_net_gradients("fc_net_normalization (%s)" % normalization,
                                            model, X, y))
    return _all_pass(results)


# --------------------------------------------------------------------------
# Dropout
# --------------------------------------------------------------------------


def _check_dropout_forward():
    from .layers import dropout_forward

    rs = _rng(231)
    x = rs.randn(500, 500) + 10
    results = []
    for p in (0.25, 0.4, 0.7):
        out, _ = dropout_forward(x, {"mode": "train", "p": p, "seed": 123})
        if not isinstance(out, np.ndarray) or out.shape != x.shape:
            results.append(_line("dropout_forward p=%g" % p, False,
                                 "got %s, should be an array of shape %s"
                                 % (_describe(out), x.shape)))
            continue
        kept = out != 0
        frac = kept.mean()
        results.append(_line("dropout_forward p=%g fraction kept" % p, abs(frac - p) < 0.01,
                             "%.4f, should be within 0.01 of p=%g" % (frac, p)))
        err = rel_error(out[kept], x[kept] / p) if kept.any() else 1.0
        results.append(_line("dropout_forward p=%g kept values" % p, err < VALUE_TOL,
                             "relative error %s against x / p, should be < %s "
                             "(inverted dropout scales the kept units by 1 / p)"
                             % (_fmt(err), _fmt(VALUE_TOL))))
    out, _ = dropout_forward(x, {"mode": "test", "p": 0.25})
    results.append(_compare("dropout_forward test mode (output equals input)", out, x, 1e-15))
    return _all_pass(results)


def _check_dropout_backward():
    from .layers import dropout_backward, dropout_forward

    rs = _rng(231)
    x = rs.randn(10, 10) + 10
    dout = rs.randn(*x.shape)
    dropout_param = {"mode": "train", "p": 0.2, "seed": 123}
    _, cache = dropout_forward(x, dropout_param)
    dx = dropout_backward(dout, cache)
    dx_num = _num_grad_array(lambda xx: dropout_forward(xx, dropout_param)[0], x, dout)
    results = [_compare_grad("dropout_backward dx (train mode)", dx, dx_num, 1e-8)]
    test_param = {"mode": "test", "p": 0.2}
    _, cache = dropout_forward(x, test_param)
    results.append(_compare("dropout_backward dx (test mode)", dropout_backward(dout, cache),
                            dout, 1e-15))
    return _all_pass(results)


def _check_fc_net_dropout():
    from .classifiers.fc_net import FullyConnectedNet

    rs = _rng(231)
    N, D, H1, H2, C = 2, 15, 20, 30, 10
    X = rs.randn(N, D)
    y = rs.randint(C, size=(N,))
    results = []
    for keep in (0.75, 0.5):
        np.random.seed(231)
        model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, weight_scale=5e-2,
                                  dtype=np.float64, dropout=keep, seed=123)
        _set_params(model, 0, 5e-2)
        results.append(_check_net_gradients("fc_net_dropout (keep %g)" % keep, model, X, y))
        plain = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, weight_scale=5e-2,
                                  dtype=np.float64)
        plain.params = {k: v.copy() for k, v in model.params.items()}
        results.append(_compare("fc_net_dropout (keep %g) test-time scores equal the net "
                                "without dropout" % keep, model.loss(X), plain.loss(X), 1e-12))
    return _all_pass(results)


# --------------------------------------------------------------------------
# ConvolutionalNetworks
# --------------------------------------------------------------------------


def _check_conv_forward_naive():
    from .layers import conv_forward_naive

    x_shape, w_shape = (2, 3, 4, 4), (3, 3, 4, 4)
    x = np.linspace(-0.1, 0.5, num=np.prod(x_shape)).reshape(x_shape)
    w = np.linspace(-0.2, 0.3, num=np.prod(w_shape)).reshape(w_shape)
    b = np.linspace(-0.1, 0.2, num=3)
    x_before = x.copy()
    out, _ = conv_forward_naive(x, w, b, {"stride": 2, "pad": 1})
    results = [_compare("conv_forward_naive", out, PUBLISHED["conv_forward_naive"],
                        PUBLISHED_TOL)]
    if not np.array_equal(x, x_before):
        results.append(_line("conv_forward_naive input", False,
                             "x was modified in place; pad a copy instead"))
    return _all_pass(results)


def _check_conv_backward_naive():
    from .layers import conv_backward_naive, conv_forward_naive

    rs = _rng(231)
    x = rs.randn(2, 3, 5, 5)
    w = rs.randn(2, 3, 3, 3)
    b = rs.randn(2)
    results = []
    for conv_param, out_hw in (({"stride": 1, "pad": 1}, 5), ({"stride": 2, "pad": 1}, 3)):
        dout = rs.randn(2, 2, out_hw, out_hw)
        f = lambda x=x, w=w, b=b: conv_forward_naive(x, w, b, conv_param)[0]
        dx_num = _num_grad_array(lambda v: f(x=v), x, dout)
        dw_num = _num_grad_array(lambda v: f(w=v), w, dout)
        db_num = _num_grad_array(lambda v: f(b=v), b, dout)
        _, cache = conv_forward_naive(x, w, b, conv_param)
        dx, dw, db = conv_backward_naive(dout, cache)
        label = "conv_backward_naive (stride %d, pad %d)" % (conv_param["stride"],
                                                             conv_param["pad"])
        results += [_compare_grad(label + " dx", dx, dx_num, 1e-7),
                    _compare_grad(label + " dw", dw, dw_num, 1e-7),
                    _compare_grad(label + " db", db, db_num, 1e-7)]
    return _all_pass(results)


def _check_max_pool_forward_naive():
    from .layers import max_pool_forward_naive

    x_shape = (2, 3, 4, 4)
    x = np.linspace(-0.3, 0.4, num=np.prod(x_shape)).reshape(x_shape)
    pool_param = {"pool_width": 2, "pool_height": 2, "stride": 2}
    out, _ = max_pool_forward_naive(x, pool_param)
    return _compare("max_pool_forward_naive", out, PUBLISHED["max_pool_forward_naive"],
                    PUBLISHED_TOL)


def _check_max_pool_backward_naive():
    from .layers import max_pool_backward_naive, max_pool_forward_naive

    rs = _rng(231)
    x = rs.randn(3, 2, 8, 8)
    results = []
    for pool_param, out_hw in (({"pool_height": 2, "pool_width": 2, "stride": 2}, 4),
                               ({"pool_height": 3, "pool_width": 3, "stride": 1}, 6)):
        dout = rs.randn(3, 2, out_hw, out_hw)
        dx_num = _num_grad_array(lambda x: max_pool_forward_naive(x, pool_param)[0], x, dout)
        _, cache = max_pool_forward_naive(x, pool_param)
        dx = max_pool_backward_naive(dout, cache)
        results.append(_compare_grad("max_pool_backward_naive (%dx%d, stride %d) dx"
                                     % (pool_param["pool_height"], pool_param["pool_width"],
                                        pool_param["stride"]), dx, dx_num, 1e-7))
    return _all_pass(results)


def _check_three_layer_convnet():
    from .classifiers.cnn import ThreeLayerConvNet

    rs = _rng(231)
    N, input_dim, C = 3, (2, 8, 8), 10
    X = rs.randn(N, *input_dim)
    y = rs.randint(C, size=(N,))
    results = []
    np.random.seed(231)
    model = ThreeLayerConvNet(input_dim=input_dim, num_filters=3, filter_size=3,
                              hidden_dim=7, num_classes=C, weight_scale=1e-3,
                              dtype=np.float64)
    shapes = {"W1": (3, 2, 3, 3), "b1": (3,), "W2": (3 * 4 * 4, 7), "b2": (7,),
              "W3": (7, C), "b3": (C,)}
    got = {k: tuple(np.shape(v)) for k, v in model.params.items()}
    results.append(_line("three_layer_convnet parameter shapes", got == shapes,
                         "W1 %s, W2 %s, W3 %s and their biases" % (shapes["W1"], shapes["W2"],
                                                                   shapes["W3"])
                         if got == shapes else "got %s, should be %s" % (got, shapes)))
    if got != shapes:
        return False
    loss, _ = model.loss(X, y)
    results.append(_scalar("three_layer_convnet initial loss (reg=0, tiny weights)", loss,
                           math.log(C), 1e-3))
    model.reg = 0.5
    loss_reg, _ = model.loss(X, y)
    results.append(_line("three_layer_convnet regularization", float(loss_reg) > float(loss),
                         "loss %.6f with reg=0.5, should be larger than %.6f with reg=0"
                         % (float(loss_reg), float(loss))))
    np.random.seed(231)
    model = ThreeLayerConvNet(input_dim=input_dim, num_filters=3, filter_size=3,
                              hidden_dim=7, num_classes=C, weight_scale=1e-1, reg=0.1,
                              dtype=np.float64)
    _set_params(model, 0, 1e-1)
    results.append(_check_net_gradients("three_layer_convnet", model, X, y))
    return _all_pass(results)


def _check_convnet_accuracy():
    from .classifiers.cnn import ThreeLayerConvNet
    from .solver import Solver

    data = _digits()
    np.random.seed(0)
    model = ThreeLayerConvNet(input_dim=(1, 8, 8), num_filters=8, filter_size=3,
                              hidden_dim=64, weight_scale=1e-1, reg=1e-3, dtype=np.float64)
    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 2e-3},
                    num_epochs=5, batch_size=50, verbose=False, seed=0)
    start = time.time()
    solver.train()
    seconds = time.time() - start
    acc = solver.check_accuracy(data["X_val"], data["y_val"])
    return _accuracy_line("convnet_accuracy (ThreeLayerConvNet, 8 3x3 filters + adam, 5 epochs)",
                          acc, CONVNET_MIN_VAL_ACC, seconds)


def _check_spatial_batchnorm_forward():
    from .layers import spatial_batchnorm_forward

    x, gamma, beta = _spatial_bn_inputs()
    bn_param = {"mode": "train", "running_mean": np.zeros(3), "running_var": np.ones(3)}
    out, _ = spatial_batchnorm_forward(x, gamma, beta, bn_param)
    results = [
        _compare("spatial_batchnorm_forward train-mode output", out,
                 COMPUTED["sbn_out"], VALUE_TOL),
        _compare("spatial_batchnorm_forward running_mean", bn_param.get("running_mean"),
                 COMPUTED["sbn_running_mean"], VALUE_TOL),
        _compare("spatial_batchnorm_forward running_var", bn_param.get("running_var"),
                 COMPUTED["sbn_running_var"], VALUE_TOL),
    ]
    bn_param["mode"] = "test"
    out, _ = spatial_batchnorm_forward(x, gamma, beta, bn_param)
    results.append(_compare("spatial_batchnorm_forward test-mode output", out,
                            COMPUTED["sbn_test_out"], VALUE_TOL))
    return _all_pass(results)


def _check_spatial_batchnorm_backward():
    from .layers import spatial_batchnorm_backward, spatial_batchnorm_forward

    rs = _rng(231)
    N, C, H, W = 2, 3, 4, 5
    x = 5 * rs.randn(N, C, H, W) + 12
    gamma = rs.randn(C)
    beta = rs.randn(C)
    dout = rs.randn(N, C, H, W)
    return _check_norm_backward("spatial_batchnorm_backward", spatial_batchnorm_forward,
                                spatial_batchnorm_backward, x, gamma, beta, dout,
                                lambda: {"mode": "train"}, tol=SPATIAL_GRAD_TOL)


def _check_spatial_groupnorm_forward():
    from .layers import spatial_groupnorm_forward

    x, gamma, beta, G = _groupnorm_inputs()
    out, _ = spatial_groupnorm_forward(x, gamma, beta, G, {})
    return _compare("spatial_groupnorm_forward output", out, COMPUTED["gn_out"], VALUE_TOL)


def _check_spatial_groupnorm_backward():
    from .layers import spatial_groupnorm_backward, spatial_groupnorm_forward

    rs = _rng(231)
    N, C, H, W, G = 2, 6, 4, 5, 2
    x = 5 * rs.randn(N, C, H, W) + 12
    gamma = rs.randn(1, C, 1, 1)
    beta = rs.randn(1, C, 1, 1)
    dout = rs.randn(N, C, H, W)
    forward = lambda x, g, b, param: spatial_groupnorm_forward(x, g, b, G, param)
    return _check_norm_backward("spatial_groupnorm_backward", forward,
                                spatial_groupnorm_backward, x, gamma, beta, dout, dict,
                                tol=SPATIAL_GRAD_TOL)


# --------------------------------------------------------------------------
# PyTorch
# --------------------------------------------------------------------------


def _torch_line_shape(name, out, shape):
    got = tuple(out.shape) if hasattr(out, "shape") else None
    if got == tuple(shape):
        return _line(name, True, "shape %s" % (got,))
    return _line(name, False, "got %s, should be a tensor of shape %s"
                 % ("shape %s" % (got,) if got is not None else _describe(out), tuple(shape)))


def _count_params(model):
    return sum(p.numel() for p in model.parameters())


def _check_torch_flatten():
    import torch

    from .torch_models import flatten

    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)
    out = flatten(x)
    results = [_torch_line_shape("torch_flatten shape", out, (2, 60))]
    if results[0]:
        expected = np.arange(120, dtype=np.float64).reshape(2, 60)
        results.append(_compare("torch_flatten values", out.detach().numpy(), expected, 1e-12))
    return _all_pass(results)


def _check_grads_flow(name, model, x):
    import torch.nn.functional as F
    import torch

    scores = model(x)
    loss = F.cross_entropy(scores, torch.zeros(x.shape[0], dtype=torch.int64))
    loss.backward()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum()]
    return _line(name + " backward", not no_grad,
                 "every parameter gets a gradient" if not no_grad
                 else "no gradient reaches %s" % ", ".join(no_grad))


def _check_torch_two_layer_fc():
    import torch

    from .torch_models import TwoLayerFC

    torch.manual_seed(0)
    model = TwoLayerFC(64, 50, 10)
    x = torch.randn(16, 1, 8, 8)
    results = [_torch_line_shape("torch_two_layer_fc output shape", model(x), (16, 10))]
    n = _count_params(model)
    expected = 64 * 50 + 50 + 50 * 10 + 10
    results.append(_line("torch_two_layer_fc parameter count", n == expected,
                         "got %d, should be %d (fc1: 64x50 + 50, fc2: 50x10 + 10)" % (n, expected)))
    fc1 = getattr(model, "fc1", None)
    if fc1 is not None and hasattr(fc1, "weight"):
        std = float(fc1.weight.detach().std())
        want = math.sqrt(2.0 / 64)
        results.append(_line("torch_two_layer_fc fc1 weight init", abs(std / want - 1) < 0.1,
                             "std %.4f, should be about sqrt(2 / fan_in) = %.4f "
                             "(nn.init.kaiming_normal_)" % (std, want)))
        bias_zero = float(fc1.bias.detach().abs().max()) == 0.0
        results.append(_line("torch_two_layer_fc fc1 bias init", bias_zero,
                             "all zeros" if bias_zero else "should be all zeros (nn.init.zeros_)"))
    else:
        results.append(_line("torch_two_layer_fc fc1", False, "model.fc1 should be an nn.Linear"))
    if results[0]:
        results.append(_check_grads_flow("torch_two_layer_fc", model, x))
    return _all_pass(results)


def _check_torch_three_layer_convnet():
    import torch

    from .torch_models import ThreeLayerConvNet

    results = []
    torch.manual_seed(0)
    for (c, h, w), (f1, f2) in (((3, 32, 32), (12, 8)), ((1, 8, 8), (8, 4))):
        model = ThreeLayerConvNet(c, f1, f2, 10, image_size=(h, w))
        x = torch.randn(4, c, h, w)
        label = "torch_three_layer_convnet (%dx%dx%d input)" % (c, h, w)
        ok = _torch_line_shape(label + " output shape", model(x), (4, 10))
        results.append(ok)
        n = _count_params(model)
        expected = c * f1 * 25 + f1 + f1 * f2 * 9 + f2 + f2 * h * w * 10 + 10
        results.append(_line(label + " parameter count", n == expected,
                             "got %d, should be %d (5x5 conv, 3x3 conv, fc)" % (n, expected)))
        if ok:
            results.append(_check_grads_flow(label, model, x))
    return _all_pass(results)


def _check_torch_train_model():
    import torch
    import torch.nn as nn

    from .torch_models import check_accuracy, train_model

    data = _digits()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 100), nn.ReLU(), nn.Linear(100, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    start = time.time()
    losses = train_model(model, optimizer, data["X_train"], data["y_train"], epochs=2,
                         batch_size=64, seed=0)
    seconds = time.time() - start
    n_batches = 2 * math.ceil(data["X_train"].shape[0] / 64)
    results = []
    n = len(losses) if isinstance(losses, (list, tuple)) else None
    results.append(_line("torch_train_model losses", n == n_batches,
                         "got %s, should be a list of %d floats (one per minibatch)"
                         % ("%d values" % n if n is not None else _describe(losses), n_batches)))
    if n == n_batches:
        first, last = float(np.mean(losses[:5])), float(np.mean(losses[-5:]))
        results.append(_line("torch_train_model loss decreases", last < 0.5 * first,
                             "mean of the first 5 losses %.3f, of the last 5 %.3f "
                             "(should at least halve)" % (first, last)))
    acc = check_accuracy(model, data["X_val"], data["y_val"])
    results.append(_accuracy_line("torch_train_model (2-layer net, SGD+momentum, 2 epochs)",
                                  acc, TORCH_TRAIN_MIN_VAL_ACC, seconds))
    return _all_pass(results)


# What the grader can rebuild for torch_best_model (it trains the model itself;
# see the docstring of build_best_model). Kept in step with the hidden suite by
# the course's own tests.
BEST_MODEL_LAYERS = (
    "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d",
    "Conv2d", "Dropout", "Dropout2d", "ELU", "Flatten", "GELU", "GroupNorm", "Identity",
    "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "MaxPool2d", "ReLU", "SiLU",
    "Sigmoid", "Softmax", "Tanh",
)
BEST_MODEL_OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
                         "NAdam", "RAdam")
BEST_MODEL_MAX_PARAMETERS = 2000000


def _best_model_form_problem(model, optimizer):
    """A sentence saying why the grader could not rebuild (model, optimizer), or None."""
    import torch
    from torch import nn

    if type(model) is not nn.Sequential:
        return "the model is a %s; it must be an nn.Sequential" % type(model).__name__

    def leaves(seq):
        for m in seq.children():
            if type(m) is nn.Sequential:
                yield from leaves(m)
            else:
                yield m

    for m in leaves(model):
        name = type(m).__name__
        if name not in BEST_MODEL_LAYERS or getattr(nn, name, None) is not type(m):
            return "layer %s is not one of the accepted torch.nn layers" % name
    n_params = sum(p.numel() for p in model.parameters())
    if n_params > BEST_MODEL_MAX_PARAMETERS:
        return "%d parameters, more than %d" % (n_params, BEST_MODEL_MAX_PARAMETERS)
    name = type(optimizer).__name__
    if name not in BEST_MODEL_OPTIMIZERS or getattr(torch.optim, name, None) is not type(optimizer):
        return "the optimizer is a %s, not one of torch.optim.%s" % (
            name, ", ".join(BEST_MODEL_OPTIMIZERS))
    return None


def _check_torch_best_model():
    import torch

    from .torch_models import build_best_model, check_accuracy, train_model

    data = _digits()
    torch.manual_seed(0)
    model, optimizer = build_best_model(1, 10)
    problem = _best_model_form_problem(model, optimizer)
    form_ok = _line("torch_best_model form (what the grader can rebuild)", problem is None,
                    problem or "an nn.Sequential of accepted layers and a torch.optim optimizer")
    if not form_ok:
        return False
    start = time.time()
    train_model(model, optimizer, data["X_train"], data["y_train"], epochs=10,
                batch_size=64, seed=0)
    seconds = time.time() - start
    acc = check_accuracy(model, data["X_val"], data["y_val"])
    return _accuracy_line("torch_best_model (build_best_model, 10 epochs)", acc,
                          TORCH_BEST_MIN_VAL_ACC, seconds)


_CHECKS = {
    "affine_forward": _check_affine_forward,
    "affine_backward": _check_affine_backward,
    "relu_forward": _check_relu_forward,
    "relu_backward": _check_relu_backward,
    "softmax_loss": _check_softmax_loss,
    "svm_loss": _check_svm_loss,
    "fc_net": _check_fc_net,
    "sgd_momentum": _check_sgd_momentum,
    "nesterov_momentum": _check_nesterov_momentum,
    "adagrad": _check_adagrad,
    "rmsprop": _check_rmsprop,
    "adam": _check_adam,
    "fc_net_accuracy": _check_fc_net_accuracy,
    "batchnorm_forward": _check_batchnorm_forward,
    "batchnorm_backward": _check_batchnorm_backward,
    "batchnorm_backward_alt": _check_batchnorm_backward_alt,
    "layernorm_forward": _check_layernorm_forward,
    "layernorm_backward": _check_layernorm_backward,
    "affine_norm_relu": _check_affine_norm_relu,
    "fc_net_normalization": _check_fc_net_normalization,
    "dropout_forward": _check_dropout_forward,
    "dropout_backward": _check_dropout_backward,
    "fc_net_dropout": _check_fc_net_dropout,
    "conv_forward_naive": _check_conv_forward_naive,
    "conv_backward_naive": _check_conv_backward_naive,
    "max_pool_forward_naive": _check_max_pool_forward_naive,
    "max_pool_backward_naive": _check_max_pool_backward_naive,
    "three_layer_convnet": _check_three_layer_convnet,
    "convnet_accuracy": _check_convnet_accuracy,
    "spatial_batchnorm_forward": _check_spatial_batchnorm_forward,
    "spatial_batchnorm_backward": _check_spatial_batchnorm_backward,
    "spatial_groupnorm_forward": _check_spatial_groupnorm_forward,
    "spatial_groupnorm_backward": _check_spatial_groupnorm_backward,
    "torch_flatten": _check_torch_flatten,
    "torch_two_layer_fc": _check_torch_two_layer_fc,
    "torch_three_layer_convnet": _check_torch_three_layer_convnet,
    "torch_train_model": _check_torch_train_model,
    "torch_best_model": _check_torch_best_model,
}


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


class PublicCheckFailed(AssertionError):
    """Raised by ``check_part(part, strict=True)`` when a comparison FAILED.

    The notebooks (``setup_notebook()``) show it as one line, without a
    traceback; the FAILED line(s) printed just above say what is wrong.
    """


def check_part(part, strict=False):
    """Run the public check of one graded part and print one line per comparison.

    Inputs:
    - part: The grade id of the part, e.g. "affine_forward" (see PARTS).
    - strict: If False (default), return True if every comparison passed and
      False otherwise. If True (the notebooks' graded cells), return None when
      every comparison passed and raise PublicCheckFailed otherwise, so that
      the cell shows an error and nbgrader's Validate reports it.

    A stub that is not implemented yet raises NotImplementedError (shown as
    one line in the notebooks).
    """
    if part not in _CHECKS:
        raise KeyError("unknown part %r; the parts are: %s" % (part, ", ".join(PARTS)))
    # The checks seed numpy (and torch); leave the notebook's generators as
    # they were.
    state = np.random.get_state()
    try:
        if part.startswith("torch_"):
            import torch

            with torch.random.fork_rng():
                passed = bool(_CHECKS[part]())
        else:
            passed = bool(_CHECKS[part]())
    finally:
        np.random.set_state(state)
    if not strict:
        return passed
    if not passed:
        raise PublicCheckFailed(
            "%s: the public check failed (see the FAILED line above). Fix your code "
            "and re-run this cell." % part
        )
    return None


def run_all_checks(parts=None):
    """Run the public checks of several parts (default: all of them, in order).

    A part whose function raises (for instance NotImplementedError because it
    is still a stub) counts as failed; its error is printed as one line and
    the remaining parts still run.

    Returns a dict {part: passed}.
    """
    results = {}
    for part in parts or PARTS:
        try:
            results[part] = check_part(part)
        except NotImplementedError as exc:
            from .notebook import not_implemented_message

            print("%s: FAILED (%s)" % (part, not_implemented_message(exc)))
            results[part] = False
        except Exception as exc:  # a bug in the student's code: report it and go on
            print("%s: FAILED (raised %s: %s)" % (part, type(exc).__name__, exc))
            results[part] = False
    return results


assert set(_CHECKS) == set(PARTS)
assert sum(points for _, points in PARTS.values()) == 100


if __name__ == "__main__":  # python -m cs231n.checks: every check, your code in a child process
    from .check_runner import main

    raise SystemExit(main())
