"""Gradescope's ``results.json`` (autograder specification schema)."""
from __future__ import annotations

import json
from pathlib import Path

from autograder.results import GradingResult


def gradescope_dict(result: GradingResult) -> dict:
    """One Gradescope test per hidden test; its points are its share of the part."""
    tests = []
    for part_no, part in enumerate(result.parts, start=1):
        maxes = _rounded_shares([part.test_points(t) for t in part.tests])
        scores = _rounded_shares([part.test_points(t) if t.passed else 0.0 for t in part.tests])
        for test_no, (t, max_pts, score) in enumerate(zip(part.tests, maxes, scores), start=1):
            tests.append(
                {
                    "name": f"{part.grade_id}: {t.name}",
                    "number": f"{part_no}.{test_no}",
                    "score": score,
                    "max_score": max_pts,
                    "status": "passed" if t.passed else "failed",
                    "output": t.message,
                    "execution_time": round(t.duration, 3),  # seconds, set-up included
                    "tags": [part.grade_id] + ([part.notebook] if part.notebook else []),
                    "visibility": "visible",
                }
            )
        if not part.tests:  # a part no test reached still shows, with zero
            tests.append(
                {
                    "name": f"{part.grade_id}: not graded",
                    "number": f"{part_no}.0",
                    "score": 0.0,
                    "max_score": part.max_points,
                    "status": "failed",
                    "output": "No hidden test ran for this part.",
                    "tags": [part.grade_id],
                    "visibility": "visible",
                }
            )
    out = {
        "score": round(result.score, 4),
        "max_score": round(result.max_score, 4),
        "execution_time": round(result.execution_time, 2),
        "output": _summary_line(result),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    return out


def _rounded_shares(values: list[float], places: int = 4) -> list[float]:
    """``values`` rounded to ``places`` decimals so that they still add up to their rounded sum (the
    residue goes to the largest value): a part split into many tests of a third of a point
    each must not lose a thousandth of a point in the report."""
    if not values:
        return []
    out = [round(v, places) for v in values]
    residue = round(round(sum(values), places) - sum(out), places)
    if residue:
        i = max(range(len(values)), key=lambda k: values[k])
        out[i] = round(out[i] + residue, places)
    return out


def _summary_line(result: GradingResult) -> str:
    line = f"Score {result.score:.2f} / {result.max_score:g}"
    if result.errors:
        line += " -- grading problems: " + "; ".join(result.errors)
    return line


def write_gradescope(result: GradingResult, path: Path) -> None:
    Path(path).write_text(json.dumps(gradescope_dict(result), indent=2))
