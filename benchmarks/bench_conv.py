"""Benchmark: convolution and max pooling, forward + backward, float32.

Compares:
  * fast   -- cs231n.fast_layers (plain numpy, BLAS via matmul)
  * torch  -- torch.nn.functional.conv2d / max_pool2d on CPU with autograd
  * naive  -- cs231n.layers' naive layers (explicit loops over every output
              element); slow, so run once (--naive-repeat)

fast and torch are timed at the SAME thread count, once with 1 thread (numpy's
BLAS limited by threadpoolctl, torch.set_num_threads(1)) and once with 2. The
runs are interleaved -- fast, torch, fast, torch, ... in alternating order --
and each figure is the median over the rounds, so that other work on the
machine slows both sides alike instead of whichever ran during a busy second.
The 1-thread figures are the most robust under load; the 2-thread ones are
what an idle 2-core machine gives. The load average (before / after) and the
thread counts are printed and written to bench-results/conv.json.

    python benchmarks/bench_conv.py [--rounds 21] [--naive-repeat 1]
                                    [--naive-images K] [--threads 1,2] [--quick]

--naive-images K times the naive loops on the first K images only and scales
the time by N / K (the loops are linear in N); the output says so.
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
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
    threadpool_info = threadpool_limits = None

TARGET_VS_TORCH = 3.0     # fast numpy at most this many times slower than torch
TARGET_VS_NAIVE = 100.0   # fast numpy at least this many times faster than naive

CASES = [
    # name, kind, x shape, w shape (conv) or None (pool), param
    ("A conv", "conv", (100, 3, 31, 31), (25, 3, 3, 3), {"stride": 2, "pad": 1}),
    ("B conv", "conv", (64, 16, 32, 32), (32, 16, 3, 3), {"stride": 1, "pad": 1}),
    # The pools take the outputs of the two convolutions above.
    ("A pool", "pool", (100, 25, 16, 16), None,
     {"pool_height": 2, "pool_width": 2, "stride": 2}),
    ("B pool", "pool", (64, 32, 32, 32), None,
     {"pool_height": 2, "pool_width": 2, "stride": 2}),
]


class Case:
    """Inputs of one benchmark case and a forward+backward callable per method."""

    def __init__(self, name, kind, x_shape, w_shape, param, torch, rng):
        self.name, self.kind, self.param = name, kind, param
        dtype = np.float32
        self.x = rng.standard_normal(x_shape).astype(dtype)
        if kind == "conv":
            self.w = (0.1 * rng.standard_normal(w_shape)).astype(dtype)
            self.b = rng.standard_normal(w_shape[0]).astype(dtype)
            out, _ = fast_layers.conv_forward_fast(self.x, self.w, self.b, param)
            self.desc = (f"x{x_shape} w{w_shape} stride {param['stride']} "
                         f"pad {param['pad']}")
        else:
            out, _ = fast_layers.max_pool_forward_fast(self.x, param)
            self.desc = (f"x{x_shape} {param['pool_height']}x{param['pool_width']} "
                         f"stride {param['stride']}")
        self.dout = rng.standard_normal(out.shape).astype(dtype)
        self.torch = torch

    def numpy_run(self, fwd, bwd, images=None):
        """Forward + backward with numpy layers, optionally on the first images."""
        sl = slice(None) if images is None else slice(0, images)
        x, dout, p = self.x[sl], self.dout[sl], self.param
        if self.kind == "conv":
            w, b = self.w, self.b

            def run():
                _, cache = fwd(x, w, b, p)
                bwd(dout, cache)
        else:
            def run():
                _, cache = fwd(x, p)
                bwd(dout, cache)
        return run

    def fast(self):
        if self.kind == "conv":
            return self.numpy_run(fast_layers.conv_forward_fast,
                                  fast_layers.conv_backward_fast)
        return self.numpy_run(fast_layers.max_pool_forward_fast,
                              fast_layers.max_pool_backward_fast)

    def naive(self, images=None):
        if self.kind == "conv":
            return self.numpy_run(layers.conv_forward_naive,
                                  layers.conv_backward_naive, images)
        return self.numpy_run(layers.max_pool_forward_naive,
                              layers.max_pool_backward_naive, images)

    def torch_run(self):
        torch, F, p = self.torch, self.torch.nn.functional, self.param
        tx = torch.tensor(self.x, requires_grad=True)
        tdout = torch.tensor(self.dout)
        if self.kind == "conv":
            tw = torch.tensor(self.w, requires_grad=True)
            tb = torch.tensor(self.b, requires_grad=True)

            def run():
                tx.grad = tw.grad = tb.grad = None
                out = F.conv2d(tx, tw, tb, stride=p["stride"], padding=p["pad"])
                out.backward(tdout)
        else:
            kernel = (p["pool_height"], p["pool_width"])

            def run():
                tx.grad = None
                out = F.max_pool2d(tx, kernel, stride=p["stride"])
                out.backward(tdout)
        return run


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def interleaved(fast, torch_fn, threads, torch, rounds):
    """Median wall times (fast, torch) in seconds at `threads` threads each,
    alternating which of the two runs first in every round."""
    torch.set_num_threads(threads)
    with threadpool_limits(limits=threads, user_api="blas"):
        for _ in range(2):                      # warm up caches, thread pools
            fast()
            torch_fn()
        t_fast, t_torch = [], []
        for r in range(rounds):
            if r % 2:
                t_torch.append(timed(torch_fn))
                t_fast.append(timed(fast))
            else:
                t_fast.append(timed(fast))
                t_torch.append(timed(torch_fn))
    return statistics.median(t_fast), statistics.median(t_torch)


def blas_description():
    if threadpool_info is None:
        return "unknown (threadpoolctl not installed)"
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"
            and "numpy" in i.get("filepath", "")]
    if not blas:
        return "unknown"
    b = blas[0]
    return (f"{b.get('internal_api')} {b.get('version')} ({b.get('architecture')} "
            f"kernels), default {b.get('num_threads')} threads")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21,
                        help="interleaved fast/torch rounds per thread count (median)")
    parser.add_argument("--threads", default="1,2",
                        help="comma-separated thread counts for fast and torch")
    parser.add_argument("--naive-repeat", type=int, default=1,
                        help="timed runs of the naive loops (they are slow)")
    parser.add_argument("--naive-images", type=int, default=None,
                        help="time the naive loops on the first K images and scale by N/K")
    parser.add_argument("--quick", action="store_true",
                        help="5 rounds, naive on 4 images: a smoke test of the script")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "conv.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.naive_repeat = 5, 1
        args.naive_images = args.naive_images or 4
    threads = [int(t) for t in args.threads.split(",") if t.strip()]

    try:
        import torch
    except ImportError:
        print("bench_conv needs torch (pip install -e '.[test]')", file=sys.stderr)
        return 1
    if threadpool_limits is None:
        print("bench_conv needs threadpoolctl", file=sys.stderr)
        return 1

    torch_default_threads = torch.get_num_threads()
    load_before = os.getloadavg()
    rng = np.random.default_rng(0)
    cases = [Case(*c, torch=torch, rng=rng) for c in CASES]
    rows = []
    for case in cases:
        row = {"case": case.name, "description": case.desc, "threads": {}}
        for t in threads:
            t_fast, t_torch = interleaved(case.fast(), case.torch_run(), t, torch,
                                          args.rounds)
            row["threads"][str(t)] = {"fast_ms": 1e3 * t_fast, "torch_ms": 1e3 * t_torch,
                                      "fast_over_torch": t_fast / t_torch}
        # Naive loops: one BLAS thread (they barely use BLAS anyway).
        N = case.x.shape[0]
        k = min(args.naive_images or N, N)
        with threadpool_limits(limits=1, user_api="blas"):
            naive = case.naive(images=k)
            t_naive = statistics.median(timed(naive) for _ in range(args.naive_repeat))
        t_naive *= N / k
        t_fast1 = row["threads"][str(min(threads))]["fast_ms"] / 1e3
        row.update({"naive_ms": 1e3 * t_naive, "naive_images": k, "batch": N,
                    "naive_over_fast": t_naive / t_fast1})
        rows.append(row)
        print(f"  {case.name} done", file=sys.stderr, flush=True)
    load_after = os.getloadavg()

    print(f"forward + backward, float32, median wall time in ms over {args.rounds} "
          "interleaved fast/torch rounds")
    print(f"load average (1 min) before / after: {load_before[0]:.2f} / "
          f"{load_after[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"numpy {np.__version__}, BLAS {blas_description()}; torch {torch.__version__}, "
          f"default {torch_default_threads} threads -- both run at the thread "
          "count in each column")
    header = f"{'case':8}"
    for t in threads:
        header += f" {'fast/' + str(t) + 'thr':>11} {'torch/' + str(t) + 'thr':>11} {'ratio':>7}"
    header += f" {'naive':>10} {'naive/fast':>11}  description"
    print(header)
    for r in rows:
        line = f"{r['case']:8}"
        for t in threads:
            c = r["threads"][str(t)]
            line += f" {c['fast_ms']:11.2f} {c['torch_ms']:11.2f} {c['fast_over_torch']:6.2f}x"
        scaled = ("" if r["naive_images"] == r["batch"]
                  else f"; naive timed on {r['naive_images']} images, scaled")
        line += f" {r['naive_ms']:10.0f} {r['naive_over_fast']:10.0f}x  {r['description']}{scaled}"
        print(line)
    print(f"ratio = fast / torch at the same thread count; naive/fast uses fast at "
          f"{min(threads)} thread(s)")
    print(f"targets: fast/torch <= {TARGET_VS_TORCH:g}x, naive/fast >= {TARGET_VS_NAIVE:g}x")
    for r in rows:
        verdicts = []
        for t in threads:
            ratio = r["threads"][str(t)]["fast_over_torch"]
            verdicts.append(f"{t} thr {'met' if ratio <= TARGET_VS_TORCH else 'NOT met'}")
        ok_n = r["naive_over_fast"] >= TARGET_VS_NAIVE
        print(f"  {r['case']}: vs torch {', '.join(verdicts)}; "
              f"vs naive {'met' if ok_n else 'NOT met'}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "benchmark": "conv",
        "dtype": "float32",
        "rounds": args.rounds, "threads": threads,
        "naive_repeat": args.naive_repeat,
        "numpy": np.__version__, "numpy_blas": blas_description(),
        "torch": torch.__version__, "torch_default_threads": torch_default_threads,
        "cpu_count": os.cpu_count(), "machine": platform.machine(),
        "loadavg_1min_before_after": [load_before[0], load_after[0]],
        "targets": {"fast_over_torch_max": TARGET_VS_TORCH,
                    "naive_over_fast_min": TARGET_VS_NAIVE},
        "results": rows,
    }, indent=2) + "\n")
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(f"wrote {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
