"""Median wall time of ``autograder grade`` on the reference submission and the release.

    python benchmarks/bench_grade.py [--repeat 5]

Runs the real command (a fresh process each time, as an instructor or CI would,
sandbox on, accuracy training included) on ``solutions/assignment2`` and on the
untouched release, prints the medians, the start-up time of the command line
(``autograder --help``, and ``python -X importtime`` of what ``grade`` imports
before grading), the five slowest parts of one reference grading (``grade -v``),
and writes bench-results/grade.json.
Targets (issue 14), 2 idle cores: the reference under 5 s, the release under 3 s,
``autograder --help`` under 1 s.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AUTOGRADER = [sys.executable, "-m", "autograder.cli"]


def time_grade(submission: Path) -> tuple[float, float]:
    """(wall seconds, score) of one ``autograder grade`` run."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        t0 = time.perf_counter()
        subprocess.run(AUTOGRADER + ["grade", str(submission), "--assignment", "assignment2",
                                     "-o", str(out)], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        return wall, json.loads(out.read_text())["score"]


def time_help(repeat: int) -> float:
    """Median wall seconds of ``autograder --help`` (the console script's start-up)."""
    exe = Path(sys.executable).with_name("autograder")
    cmd = [str(exe), "--help"] if exe.exists() else AUTOGRADER + ["--help"]
    walls = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t0)
    return statistics.median(walls)


def grade_imports() -> tuple[float, list[tuple[float, str]]]:
    """(seconds, the five slowest top-level imports) of importing what ``autograder grade``
    needs before it grades, measured with ``python -X importtime``."""
    code = "import autograder.cli, autograder.runner, autograder.commands.grade, autograder.reports.console"
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=ROOT, check=True,
                         capture_output=True, text=True).stderr
    rows = []
    for line in err.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if not name.startswith("  ") and cumulative.strip().isdigit():
                rows.append((int(cumulative) / 1e6, name.strip()))
    return sum(t for t, _ in rows), sorted(rows, reverse=True)[:5]


def slowest_parts(submission: Path) -> str:
    """The 'Slowest parts' lines of ``autograder grade -v``."""
    out = subprocess.run(AUTOGRADER + ["grade", str(submission), "--assignment", "assignment2", "-v"],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return out[out.index("Slowest parts"):].split("Sandbox")[0].rstrip() if "Slowest parts" in out else ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args, _ = parser.parse_known_args(argv)
    figures = {}
    for name, submission in (("reference", ROOT / "solutions" / "assignment2"),
                             ("release", ROOT / "release" / "assignment2")):
        runs = [time_grade(submission) for _ in range(args.repeat)]
        walls = [w for w, _ in runs]
        figures[name] = {"median_s": statistics.median(walls), "min_s": min(walls),
                         "max_s": max(walls), "runs": len(walls), "score": runs[0][1]}
        print(f"autograder grade {name:<9}: median {statistics.median(walls):6.1f} s "
              f"(min {min(walls):.1f}, max {max(walls):.1f}, n={len(walls)}), score {runs[0][1]:.2f}")
    help_s = time_help(args.repeat)
    import_s, top = grade_imports()
    figures["cli_help_median_s"] = help_s
    figures["grade_imports_s"] = import_s
    figures["grade_imports_top"] = top
    print(f"autograder --help      : median {help_s:6.2f} s")
    print(f"imports before grading : {import_s:6.2f} s (" +
          ", ".join(f"{name} {t:.2f}" for t, name in top) + ")")
    parts = slowest_parts(ROOT / "solutions" / "assignment2")
    figures["slowest_parts_reference"] = parts
    print(parts)
    targets = {"reference_under_5_s": figures["reference"]["median_s"] < 5,
               "release_under_3_s": figures["release"]["median_s"] < 3,
               "help_under_1_s": help_s < 1}
    figures["targets_met"] = targets
    print("targets (2 idle cores): " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in targets.items()))
    out = ROOT / "bench-results" / "grade.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
