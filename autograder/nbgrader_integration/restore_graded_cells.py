"""Put every autograder-test cell back as the instructor wrote it.

nbgrader's ``OverwriteCells`` restores the source of a locked cell, but a
student can still delete a graded cell (nbgrader then never saves a grade for
it), flip its ``grade``/``solution`` flags, or tag it ``skip-execution``;
``OverwriteCells.add_missing_cells`` re-inserts deleted cells but fails when the
cell before it in the source is a plain locked cell; and a graded cell whose
``solution`` flag was flipped makes ``OverwriteCells`` abort the whole submission
("Inconsistent checksums"). This preprocessor (the sanitize phase, right
*before* ``OverwriteCells``) replaces every autograder-test cell
(grade, not solution) with a fresh copy from the gradebook's source notebook,
and inserts the ones that are missing where the source has them.
The hidden suites score these cells (:mod:`.hidden_suite_grades`), so a
restored cell is graded like any other.
"""
from __future__ import annotations

import uuid

from nbformat import from_dict
from nbformat.notebooknode import NotebookNode
from nbgrader.api import Gradebook
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from .hidden_suite_grades import is_autograder_test


class RestoreGradedCells(NbGraderPreprocessor):
    """Re-create deleted or tampered autograder-test cells from the source notebook."""

    missing_cell_note = Unicode(
        "# This graded cell was missing from your submission; it was put back for grading.\n",
        help="First line of a graded cell re-inserted because the submission did not have it.",
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        notebook_id = resources["nbgrader"]["notebook"]
        assignment_id = resources["nbgrader"]["assignment"]
        with Gradebook(resources["nbgrader"]["db_url"]) as gb:
            source_nb = gb.find_notebook(notebook_id, assignment_id)
            solution_ids = {c.name for c in source_nb.solution_cells}
            source = {c.name: c for c in source_nb.source_cells}
            order = [c.name for c in source_nb.source_cells]
            tests = {c.name: (source[c.name], float(c.max_score)) for c in source_nb.grade_cells
                     if c.cell_type == "code" and c.name not in solution_ids and c.name in source}

        present: set[str] = set()
        for i, cell in enumerate(nb.cells):
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if gid in tests and gid not in present:
                fresh = self._fresh_cell(*tests[gid], cell_id=cell.get("id"))
                if cell.get("source") != fresh.source or not is_autograder_test(cell) or \
                        cell.metadata.get("tags"):
                    self.log.warning("Graded cell '%s' was modified; restored from the source", gid)
                nb.cells[i] = fresh
                present.add(gid)
            elif gid in tests:  # a copy of a graded cell: plain code, no grade
                del cell.metadata["nbgrader"]

        for gid in [g for g in order if g in tests and g not in present]:
            self.log.warning("Graded cell '%s' was missing; re-inserted from the source", gid)
            cell = self._fresh_cell(*tests[gid], note=self.missing_cell_note)
            at = self._insert_position(nb, order, gid)
            nb.cells.insert(at, cell)
        return nb, resources

    @staticmethod
    def _insert_position(nb, order: list[str], gid: str) -> int:
        """Just before the nearest following source cell still in the notebook (so after
        the student's code that precedes it), else after the nearest preceding one, else last."""
        index = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(nb.cells)}
        pos = order.index(gid)
        for nxt in order[pos + 1:]:
            if nxt in index:
                return index[nxt]
        for prev in reversed(order[:pos]):
            if prev in index:
                return index[prev] + 1
        return len(nb.cells)

    def _fresh_cell(self, src, points: float, cell_id=None, note: str = "") -> NotebookNode:
        cell = from_dict({
            "cell_type": "code",
            "execution_count": None,
            "outputs": [],
            "id": cell_id or uuid.uuid4().hex[:8],
            "metadata": {
                "deletable": False,
                "editable": False,
                "nbgrader": {
                    "grade": True,
                    "grade_id": src.name,
                    "locked": True,
                    "checksum": src.checksum,
                    "cell_type": "code",
                    "points": points,
                    "solution": False,
                    "task": False,
                    "schema_version": 3,
                },
            },
            "source": note + src.source,
        })
        return MetadataValidator().upgrade_cell_metadata(cell)
