"""Staging: the private copy of a submission that a job lets nbgrader read.

``submitted/<student>/<assignment>/`` is the record of what was handed in and
is never touched.  A job copies it (:func:`stage_submission`); a notebook
nbgrader cannot read, or one not handed in, is the released one there, so the
student's package and other notebooks are still graded, and that notebook's
written answers score 0 with the reason as their comment (:data:`UNREADABLE_NOTE`;
plain ``nbgrader autograde`` fails the whole student on an unreadable notebook
instead).
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

UNREADABLE_NOTE = ("{name} could not be read: {reason}; its autograded parts were graded from your "
                   "{package}/ code, and its written answers score 0.")


def notebook_problem(path: Path) -> str | None:
    """Why nbgrader could not read the notebook at ``path`` (one line), or None if it can."""
    import nbformat

    try:
        nbformat.read(str(path), as_version=4)  # what nbconvert's exporter does in autograde
    except Exception as e:  # noqa: BLE001 -- any failure to read is the student's notebook's fault
        first = (str(e).strip().splitlines() or [""])[0]
        return f"{type(e).__name__}: {first}"[:200]
    return None


def stage_submission(submitted: Path, staged: Path, released: Path, package: str) -> dict[str, str]:
    """Copy ``submitted`` (one student's assignment folder) to ``staged`` for grading.

    Symbolic links are not copied (a link could point at the grader's files).
    Each top-level notebook nbgrader cannot read, and each released notebook
    that was not handed in, is replaced by the released notebook of the same
    name (from ``released``), with a note cell on top: its autograded parts are
    scored from the student's ``<package>/`` code like everyone's, its written
    answers score 0. Returns ``{notebook file name: reason}`` for them.
    """
    import nbformat

    submitted, staged = Path(submitted), Path(staged)
    for dirpath, dirnames, filenames in os.walk(submitted):
        here = Path(dirpath)
        rel = here.relative_to(submitted)
        (staged / rel).mkdir(parents=True, exist_ok=True)
        dirnames[:] = [d for d in dirnames if not (here / d).is_symlink()]
        for name in filenames:
            src = here / name
            if src.is_symlink() or not src.is_file():
                continue
            shutil.copy2(src, staged / rel / name)

    replaced: dict[str, str] = {}
    problems = {p.name: notebook_problem(p) for p in sorted(staged.glob("*.ipynb"))}
    for release_nb in sorted(Path(released).glob("*.ipynb")):
        if release_nb.name not in problems:  # a notebook the student did not hand in
            problems[release_nb.name] = "it was not handed in"
    for name, reason in sorted(problems.items()):
        if reason is None:
            continue
        nb_path = staged / name
        release_nb = Path(released) / name
        if not release_nb.is_file():
            continue  # not a notebook of the assignment: nbgrader skips it anyway
        nb = nbformat.read(str(release_nb), as_version=4)
        note = nbformat.v4.new_markdown_cell(
            f"**{nb_path.name} could not be read** ({reason}). It was graded as the released "
            f"notebook: its autograded parts were graded from your `{package}/` code, and its written "
            f"answers score 0.")
        note["id"] = "unreadable-" + uuid.uuid4().hex[:8]
        nb.cells.insert(0, note)
        nbformat.write(nb, str(nb_path))
        replaced[nb_path.name] = reason
    return replaced


def unreadable_comments(notes: dict[str, str], package: str) -> dict[str, str]:
    """Notebook file name -> the comment its cells get (see :func:`stage_submission`'s notes)."""
    return {name: UNREADABLE_NOTE.format(name=name, reason=reason, package=package)
            for name, reason in notes.items()}


def notes_text(notes: dict[str, str], package: str) -> str:
    """One line for the run's summary: which notebooks could not be read, and why."""
    return "; ".join(UNREADABLE_NOTE.format(name=name, reason=reason, package=package)
                     for name, reason in sorted(notes.items()))
