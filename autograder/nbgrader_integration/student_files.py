"""The files a student edits, derived from the solution markers.

Every ``.py`` file under ``solutions/<a>/`` holding a solution region is a
file the student hands in (``cs231n/layers.py``, ...). nbgrader's
``Autograde.exclude_overwriting`` takes them, so ``nbgrader autograde`` never
replaces a submitted file with the instructor's copy (nor fills in a file the
student did not hand in: a missing file fails its hidden tests).
"""
from __future__ import annotations

from pathlib import Path

from autograder.paths import course_root

BEGIN_MARKER = "### BEGIN SOLUTION"


def student_edited_files(assignment: str, root: Path | str | None = None) -> list[str]:
    """Paths (relative to the assignment folder, ``/``-separated) of the files with solution regions."""
    base = Path(root or course_root()) / "solutions" / assignment
    out = []
    for path in sorted(base.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if any(line.strip() == BEGIN_MARKER for line in text.splitlines()):
            out.append(path.relative_to(base).as_posix())
    return out


def exclude_overwriting(root: Path | str | None = None) -> dict[str, list[str]]:
    """``{assignment: [student files]}`` for every assignment under ``solutions/``."""
    base = Path(root or course_root()) / "solutions"
    if not base.is_dir():
        return {}
    return {d.name: student_edited_files(d.name, base.parent)
            for d in sorted(base.iterdir()) if d.is_dir()}
