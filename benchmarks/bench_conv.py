"""Benchmark: convolution and max pooling, forward + backward.

Compares, in float32:
  * fast   -- cs231n.fast_layers (plain numpy, BLAS via matmul)
  * naive  -- cs231n.layers (the reference naive loops); slow, so timed with
              fewer repetitions (--naive-repeat, default 2)
  * torch  -- torch.nn.functional.conv2d / max_pool2d on CPU with autograd,
              torch.set_num_threads(2)

numpy runs with its default BLAS threads ("fast"); "fast 1thr" repeats it
with one BLAS thread (threadpoolctl), a figure less hurt by other load. Every figure is the median wall
time of one forward + backward pass. Prints a table and the ratios and
writes the figures to bench-results/conv.json.

    python benchmarks/bench_conv.py [--repeat 15] [--naive-repeat 2] [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "solutions" / "assignment2"))

from cs231n import fast_layers, layers  # noqa: E402

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # optional: only for the one-BLAS-thread column
    threadpool_limits = None

TORCH_THREADS = 2
TARGET_VS_TORCH = 3.0     # fast numpy at most this many times slower than torch
TARGET_VS_NAIVE = 100.0   # fast numpy at least this many times faster than naive

CASES = [
    # name, kind, x shape, w shape or pool size, param
    ("A conv", "conv", (100, 3, 31, 31), (25, 3, 3, 3), {"stride": 2, "pad": 1}),
    ("B conv", "conv", (64, 16, 32, 32), (32, 16, 3, 3), {"stride": 1, "pad": 1}),
    ("A pool", "pool", (100, 25, 16, 16), None,
     {"pool_height": 2, "pool_width": 2, "stride": 2}),
    ("B pool", "pool", (64, 32, 32, 32), None,
     {"pool_height": 2, "pool_width": 2, "stride": 2}),
]


def median_time(fn, repeat, warmup=1):
    """Median wall time in seconds of fn() over `repeat` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def numpy_conv(fwd, bwd, x, w, b, param, dout):
    def run():
        out, cache = fwd(x, w, b, param)
        bwd(dout, cache)
    return run


def numpy_pool(fwd, bwd, x, param, dout):
    def run():
        out, cache = fwd(x, param)
        bwd(dout, cache)
    return run


def torch_conv(torch, x, w, b, param, dout):
    F = torch.nn.functional
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    tdout = torch.tensor(dout)

    def run():
        tx.grad = tw.grad = tb.grad = None
        out = F.conv2d(tx, tw, tb, stride=param["stride"], padding=param["pad"])
        out.backward(tdout)
    return run


def torch_pool(torch, x, param, dout):
    F = torch.nn.functional
    tx = torch.tensor(x, requires_grad=True)
    tdout = torch.tensor(dout)
    kernel = (param["pool_height"], param["pool_width"])

    def run():
        tx.grad = None
        out = F.max_pool2d(tx, kernel, stride=param["stride"])
        out.backward(tdout)
    return run


def blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"
            and "numpy" in i.get("filepath", "")]
    if not blas:
        return "unknown"
    return f"{blas[0].get('internal_api')} {blas[0].get('version')}, {blas[0].get('num_threads')} threads"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15,
                        help="timed runs for fast numpy and torch (median)")
    parser.add_argument("--naive-repeat", type=int, default=2,
                        help="timed runs for the naive loops (they are slow)")
    parser.add_argument("--quick", action="store_true",
                        help="3 runs, 1 naive run: a smoke test of the script")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "conv.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat, args.naive_repeat = 3, 1

    try:
        import torch
        torch.set_num_threads(TORCH_THREADS)
    except ImportError:
        torch = None

    load0 = os.getloadavg()
    rng = np.random.default_rng(0)
    dtype = np.float32
    rows = []
    for name, kind, x_shape, w_shape, param in CASES:
        x = rng.standard_normal(x_shape).astype(dtype)
        if kind == "conv":
            w = (0.1 * rng.standard_normal(w_shape)).astype(dtype)
            b = rng.standard_normal(w_shape[0]).astype(dtype)
            out, _ = fast_layers.conv_forward_fast(x, w, b, param)
            dout = rng.standard_normal(out.shape).astype(dtype)
            fast = numpy_conv(fast_layers.conv_forward_fast,
                              fast_layers.conv_backward_fast, x, w, b, param, dout)
            naive = numpy_conv(layers.conv_forward_naive,
                               layers.conv_backward_naive, x, w, b, param, dout)
            tfn = torch_conv(torch, x, w, b, param, dout) if torch else None
            desc = f"x{x_shape} w{w_shape} stride {param['stride']} pad {param['pad']}"
        else:
            out, _ = fast_layers.max_pool_forward_fast(x, param)
            dout = rng.standard_normal(out.shape).astype(dtype)
            fast = numpy_pool(fast_layers.max_pool_forward_fast,
                              fast_layers.max_pool_backward_fast, x, param, dout)
            naive = numpy_pool(layers.max_pool_forward_naive,
                               layers.max_pool_backward_naive, x, param, dout)
            tfn = torch_pool(torch, x, param, dout) if torch else None
            desc = (f"x{x_shape} {param['pool_height']}x{param['pool_width']} "
                    f"stride {param['stride']}")
        t_fast = median_time(fast, args.repeat)
        t_fast1 = None
        if threadpool_limits is not None:
            # Extra figure: one BLAS thread is far less hurt when other
            # processes share the CPUs (threads stop waiting on each other).
            with threadpool_limits(limits=1, user_api="blas"):
                t_fast1 = median_time(fast, args.repeat)
        t_naive = median_time(naive, args.naive_repeat, warmup=0)
        t_torch = median_time(tfn, args.repeat, warmup=2) if tfn else None
        rows.append({
            "case": name, "description": desc,
            "fast_ms": 1e3 * t_fast,
            "fast_1_blas_thread_ms": 1e3 * t_fast1 if t_fast1 else None, "naive_ms": 1e3 * t_naive,
            "torch_ms": 1e3 * t_torch if t_torch else None,
            "fast_over_torch": t_fast / t_torch if t_torch else None,
            "naive_over_fast": t_naive / t_fast,
        })

    print("forward + backward, float32, median wall time in ms "
          f"(fast/torch: {args.repeat} runs, naive: {args.naive_repeat} run(s))")
    load = os.getloadavg()
    print(f"load average before/after: {load0[0]:.2f} / {load[0]:.2f} "
          f"on {os.cpu_count()} CPUs (other work on the machine slows "
          "multi-threaded BLAS a lot)")
    print(f"numpy {np.__version__} BLAS: {blas_info()}; "
          + (f"torch {torch.__version__} threads: {torch.get_num_threads()}"
             if torch else "torch not installed"))
    print(f"{'case':8} {'fast':>9} {'fast 1thr':>9} {'naive':>10} {'torch':>9} "
          f"{'fast/torch':>11} {'naive/fast':>11}  description")
    for r in rows:
        t = f"{r['torch_ms']:9.2f}" if r["torch_ms"] else f"{'-':>9}"
        ft = f"{r['fast_over_torch']:10.2f}x" if r["fast_over_torch"] else f"{'-':>11}"
        f1 = r["fast_1_blas_thread_ms"]
        f1 = f"{f1:9.2f}" if f1 else f"{'-':>9}"
        print(f"{r['case']:8} {r['fast_ms']:9.2f} {f1} {r['naive_ms']:10.1f} {t} "
              f"{ft} {r['naive_over_fast']:10.1f}x  {r['description']}")
    print("note: the naive reference layers loop over output positions only "
          "(vectorised over N, C, F), so they are far faster than textbook "
          "six-loop code")
    print(f"targets: fast/torch <= {TARGET_VS_TORCH:g}x, "
          f"naive/fast >= {TARGET_VS_NAIVE:g}x")
    for r in rows:
        ok_t = r["fast_over_torch"] is not None and r["fast_over_torch"] <= TARGET_VS_TORCH
        ok_n = r["naive_over_fast"] >= TARGET_VS_NAIVE
        print(f"  {r['case']}: vs torch {'met' if ok_t else 'NOT met'}, "
              f"vs naive {'met' if ok_n else 'NOT met'}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "benchmark": "conv",
        "dtype": "float32",
        "repeat": args.repeat, "naive_repeat": args.naive_repeat,
        "numpy": np.__version__, "numpy_blas": blas_info(),
        "torch": torch.__version__ if torch else None,
        "torch_threads": torch.get_num_threads() if torch else None,
        "cpu_count": os.cpu_count(), "loadavg_1min": [load0[0], load[0]], "machine": platform.machine(),
        "targets": {"fast_over_torch_max": TARGET_VS_TORCH,
                    "naive_over_fast_min": TARGET_VS_NAIVE},
        "results": rows,
    }, indent=2) + "\n")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
