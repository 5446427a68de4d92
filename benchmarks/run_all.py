"""Run every benchmarks/bench_*.py script in turn and print their output.

    python benchmarks/run_all.py [--only conv,...] [-- extra args for every script]

Each script runs in its own process (so one benchmark's threads and memory do
not disturb the next) with the same Python interpreter; their figures land in
bench-results/. Exits non-zero if any script failed.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run all benchmarks/bench_*.py scripts.")
    parser.add_argument("--only", default="",
                        help="comma-separated names to run, e.g. 'conv' for bench_conv.py")
    parser.add_argument("extra", nargs=argparse.REMAINDER,
                        help="arguments after '--' are passed to every script")
    args = parser.parse_args(argv)
    extra = args.extra[1:] if args.extra[:1] == ["--"] else args.extra
    wanted = {n.strip() for n in args.only.split(",") if n.strip()}

    scripts = sorted(HERE.glob("bench_*.py"))
    if wanted:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in wanted]
    if not scripts:
        print("no benchmark scripts found", file=sys.stderr)
        return 1

    failed = []
    for script in scripts:
        print(f"=== {script.name} ===", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, str(script), *extra],
                              cwd=HERE.parent)
        took = time.perf_counter() - t0
        status = "ok" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
        print(f"=== {script.name}: {status} in {took:.1f} s ===\n", flush=True)
        if proc.returncode != 0:
            failed.append(script.name)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
