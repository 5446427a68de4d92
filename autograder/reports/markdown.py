"""A Markdown summary for CI (``$GITHUB_STEP_SUMMARY``) and pull-request comments."""
from __future__ import annotations

from pathlib import Path

from autograder.results import GradingResult


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_summary(result: GradingResult) -> str:
    lines = [
        f"## {result.assignment}: {result.score:.2f} / {result.max_score:g} points",
        "",
        "| part | points | why points were lost |",
        "|---|---:|---|",
    ]
    for part in result.parts:
        reasons = [f"{t.name}: {t.summary}" for t in part.tests if not t.passed]
        if not part.tests:
            reasons = ["no hidden test ran for this part"]
        lines.append(f"| `{part.grade_id}` | {part.score:.2f} / {part.max_points:g} | "
                     f"{_cell('; '.join(reasons)) if reasons else 'all checks passed'} |")
    off = [name for name, on in result.protections.items() if not on]
    lines += ["", f"Graded in {result.execution_time:.1f} s."]
    if off:
        lines.append(f"Sandbox protections unavailable on this machine: {', '.join(off)}.")
    for err in result.errors:
        lines.append(f"- grading problem: {_cell(err)}")
    return "\n".join(lines) + "\n"


def write_markdown(result: GradingResult, path: Path) -> None:
    Path(path).write_text(markdown_summary(result))
