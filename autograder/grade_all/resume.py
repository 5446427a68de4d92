"""Resume: which students a re-run of grade-all may skip.

After the parent has written a student's grades it writes a done-marker
``.grade-all/<assignment>/<student>.json`` (:class:`~.records.DoneMarker`,
atomically: temp file + ``os.replace``) holding a hash of the submission's
files (:func:`submission_hash`) and a fingerprint of the course
(:func:`course_fingerprint`: hidden suites, reference, source notebooks, the
grading options and the framework's own code).  A re-run skips a student whose
marker matches both and regrades one whose submission changed -- or everyone,
after the instructor fixed a hidden test or the reference.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from .records import DoneMarker

STATE_DIR = ".grade-all"
IGNORED_NAMES = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}
# nbgrader_config.py sections whose options change what a job writes into the gradebook
GRADING_SECTIONS = ["Autograde", "Execute", "SandboxedKernelManager", "HiddenSuiteGrades",
                    "RestoreGradedCells", "LateSubmissionPlugin", "AssignLatePenalties",
                    "ClearOutput", "LimitOutput", "IgnorePattern", "OverwriteCells", "SaveAutoGrades"]


def find_students(root: Path, assignment: str) -> list[str]:
    """Students with a ``submitted/<student>/<assignment>/`` folder, sorted."""
    submitted = Path(root) / "submitted"
    if not submitted.is_dir():
        return []
    return sorted(p.name for p in submitted.iterdir() if (p / assignment).is_dir())


def submission_dir(root: Path, assignment: str, student: str) -> Path:
    return Path(root) / "submitted" / student / assignment


def submission_hash(path: Path) -> str:
    """sha256 over the relative paths and contents of every file of a submission."""
    h = hashlib.sha256()
    path = Path(path)
    for f in sorted(path.rglob("*")):
        rel = f.relative_to(path)
        if any(part in IGNORED_NAMES for part in rel.parts) or f.suffix in (".pyc", ".pyo"):
            continue
        if f.is_symlink():
            h.update(b"L" + str(rel).encode() + b"\0" + os.readlink(f).encode() + b"\0")
        elif f.is_file():
            h.update(b"F" + str(rel).encode() + b"\0")
            with open(f, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            h.update(b"\0")
    return h.hexdigest()


def course_fingerprint(root: Path, assignment: str, config, *, parts=None,
                       execute_notebooks: bool = False) -> str:
    """sha256 of everything but the submission that decides a student's grades.

    The hidden suite's fingerprint (``grading_tests/``, ``solutions/``, source
    notebooks, ``parts``, ``Sandbox`` limits, the framework's own code:
    :func:`~autograder.nbgrader_integration.hidden_suite_grades.grading_fingerprint`),
    every file of ``source/<a>/`` (nbgrader copies them into ``autograded/``),
    the released notebooks (they stand in for unreadable ones), whether
    notebooks are executed, and the grading sections of ``config``.
    """
    from autograder.hashing import hash_tree
    from autograder.nbgrader_integration.hidden_suite_grades import config_digest, grading_fingerprint

    root = Path(root)
    h = hashlib.sha256(grading_fingerprint(root, assignment, parts=parts, config=config).encode())
    hash_tree(h, root / "source" / assignment, "source", skip_suffixes=(".pyc",))
    for nb in sorted((root / "release" / assignment).glob("*.ipynb")):
        h.update(b"release:" + nb.name.encode() + b"\0" + nb.read_bytes())
    h.update(f"execute={bool(execute_notebooks)}\0".encode())
    h.update(config_digest(config, GRADING_SECTIONS).encode())
    return h.hexdigest()


def state_dir(root: Path, assignment: str) -> Path:
    """``.grade-all/<assignment>/``: the markers, and the run's gradebook snapshot."""
    return Path(root) / STATE_DIR / assignment


def marker_path(root: Path, assignment: str, student: str) -> Path:
    return state_dir(root, assignment) / f"{student}.json"


def read_marker(root: Path, assignment: str, student: str) -> DoneMarker | None:
    """The student's done-marker, or None (none, unreadable, or of another shape)."""
    try:
        return DoneMarker.from_json(marker_path(root, assignment, student).read_text())
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def write_marker(root: Path, assignment: str, marker: DoneMarker) -> None:
    """Atomically write the done-marker (temp file in the same folder + os.replace)."""
    path = marker_path(root, assignment, marker.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{marker.student}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(marker.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
