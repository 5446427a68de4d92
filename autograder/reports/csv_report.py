"""CSV: one row a part (for spreadsheets)."""
from __future__ import annotations

import csv
from pathlib import Path

from autograder.results import GradingResult


def write_csv(result: GradingResult, path: Path) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["assignment", "submission", "notebook", "grade_id", "score", "max_points",
                    "tests_passed", "tests_total"])
        for p in result.parts:
            w.writerow([result.assignment, result.submission, p.notebook, p.grade_id,
                        f"{p.score:.4f}", f"{p.max_points:g}",
                        sum(t.passed for t in p.tests), len(p.tests)])
