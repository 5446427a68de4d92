"""The graded parts of an assignment, read from its nbgrader source notebooks.

The notebooks are the record of points: every autograded cell (nbgrader
``grade: true, solution: false``) names a part by its ``grade_id`` and carries
its points. Hidden tests only carry relative weights within a part.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.paths import source_dir


@dataclass(frozen=True)
class Part:
    grade_id: str
    points: float
    notebook: str  # notebook file stem, e.g. "FullyConnectedNets"


def is_autograded_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution") and cell.get("cell_type") == "code"


def read_parts(notebooks_dir: Path) -> dict[str, Part]:
    """All autograded parts of the notebooks in ``notebooks_dir``, in notebook order."""
    parts: dict[str, Part] = {}
    for nb_path in sorted(Path(notebooks_dir).glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            if is_autograded_cell(cell):
                meta = cell.metadata["nbgrader"]
                parts[meta["grade_id"]] = Part(meta["grade_id"], float(meta["points"]), nb_path.stem)
    return parts


def assignment_parts(assignment: str, root: Path | None = None) -> dict[str, Part]:
    return read_parts(source_dir(assignment, root))
