"""Score the notebook's graded cells with the hidden test suites.

In ``nbgrader autograde`` (after ``Execute``, before ``SaveAutoGrades``) this
preprocessor grades the student's autograded folder -- which holds their
``cs231n/`` -- with :func:`autograder.runner.grade_submission` (the hidden
pytest suite in this trusted process, student code in sandboxed workers), once
per student and assignment, and then sets the outputs of every autograder-test
cell to exactly:

* a ``stdout`` stream with the part's feedback (one line a hidden test, the
  reason for every lost point, never hidden test code), and
* an ``execute_result`` whose ``text/plain`` is the plain float score,

which nbgrader's partial-credit rule (``nbgrader.utils.determine_grade``)
turns into the cell's grade. Whatever the notebook's own execution printed in
that cell (a ``False``, a negative number, a warning on stderr, nothing at all
because of a ``skip-execution`` tag) is discarded: only the hidden suite scores.

Results are cached per folder in this process and saved outside the student's
folder as ``<course root>/<results_directory>/<student>/<assignment>.json``
with a fingerprint of the submission and of everything else that decides the
result (:func:`grading_fingerprint`: the hidden suite, the reference, the
source notebooks' points, the graded parts, the ``Sandbox`` limits and the
grading framework's own code); a saved result is reused only while that
fingerprint is unchanged, so fixing a hidden test or the reference regrades.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

from nbformat import from_dict
from nbformat.notebooknode import NotebookNode
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Int, List, Unicode

from autograder.hashing import hash_tree
from autograder.results import GradingResult


def is_autograder_test(cell) -> bool:
    """A code cell nbgrader grades by its output (grade, not solution)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


@functools.lru_cache(maxsize=None)
def framework_fingerprint() -> str:
    """sha256 of the grading framework: every ``.py`` file of the ``autograder`` package
    and the versions of nbgrader and pytest (a fix to a judge or the sandbox regrades)."""
    import nbgrader
    import pytest

    import autograder

    h = hashlib.sha256(f"nbgrader {nbgrader.__version__}\0pytest {pytest.__version__}\0".encode())
    hash_tree(h, Path(autograder.__file__).resolve().parent, "autograder",
              skip_suffixes=(".pyc", ".pyo", ".ipynb", ".png", ".md"))
    return h.hexdigest()


def _canonical(value):
    """A JSON-able form of a config value that is the same in every process (sets sorted,
    classes by import path; repr of a set depends on hash randomization)."""
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def config_digest(config, sections) -> str:
    """A stable text of the given sections of a traitlets Config."""
    out = {}
    for name in sorted(sections):
        section = config.get(name, {}) if config is not None else {}
        out[name] = _canonical(dict(section))
    return json.dumps(out, sort_keys=True)


def grading_fingerprint(root: Path, assignment: str, *, parts=None, config=None) -> str:
    """sha256 of everything but the submission that decides a hidden-suite result.

    ``grading_tests/<a>/``, ``solutions/<a>/``, the source notebooks (they hold
    the points), the graded ``parts`` (None: all), the ``Sandbox`` section of
    ``config`` (limits and timeouts) and :func:`framework_fingerprint`.
    """
    root = Path(root)
    h = hashlib.sha256()
    hash_tree(h, root / "grading_tests" / assignment, "tests")
    hash_tree(h, root / "solutions" / assignment, "reference")
    for nb in sorted((root / "source" / assignment).glob("*.ipynb")):  # points live there
        h.update(nb.name.encode() + b"\0" + nb.read_bytes())
    h.update(json.dumps(sorted(parts) if parts is not None else None).encode())
    h.update(config_digest(config, ["Sandbox"]).encode())
    h.update(framework_fingerprint().encode())
    return h.hexdigest()


class HiddenSuiteGrades(NbGraderPreprocessor):
    """Set each autograder-test cell's outputs from the hidden suite's result."""

    course_root = Unicode("", help="The course root holding grading_tests/ and solutions/ "
                                   "(default: CourseDirectory.root).").tag(config=True)
    results_directory = Unicode(os.path.join(".autograder", "results"),
                                help="Where grading results are saved, relative to the course root "
                                     "(never inside a student's folder).").tag(config=True)
    reuse_saved_results = Bool(True, help="Reuse a saved result when the submission, hidden suite and "
                                          "reference are unchanged (fingerprint).").tag(config=True)
    slot = Int(None, allow_none=True,
               help="Sandbox slot of the grading workers (uid Sandbox.worker_uid_base + slot). "
                    "None: a free slot is taken for each grading (autograder.sandbox.slots)."
               ).tag(config=True)
    parts = List(Unicode(), allow_none=True, default_value=None,
                 help="Grade only these grade_ids (others score 0); default all.").tag(config=True)

    _memory: dict = {}  # (folder, fingerprint) -> GradingResult, for the life of the process

    # ------------------------------------------------------------------ where
    def _root(self) -> Path:
        if self.course_root:
            return Path(self.course_root).resolve()
        return Path(CourseDirectory(config=self.config).root).resolve()

    def fingerprint(self, folder: Path, assignment: str, root: Path) -> str:
        """sha256 of the submission folder's code and :func:`grading_fingerprint`."""
        h = hashlib.sha256()
        hash_tree(h, folder, "submission")
        h.update(grading_fingerprint(root, assignment, parts=self.parts, config=self.config).encode())
        return h.hexdigest()

    # ------------------------------------------------------------------ grading
    def result_for(self, folder: Path, student: str, assignment: str) -> GradingResult:
        """The hidden suite's result for ``folder`` (graded once, then cached)."""
        from autograder.runner import grade_submission

        root = self._root()
        folder = Path(folder).resolve()
        fp = self.fingerprint(folder, assignment, root)
        key = (str(folder), fp)
        if key in self._memory:
            return self._memory[key]
        saved = root / self.results_directory / student / f"{assignment}.json"
        if self.reuse_saved_results and saved.is_file():
            try:
                data = json.loads(saved.read_text())
                if data.get("fingerprint") == fp:
                    result = GradingResult.from_dict(data["result"])
                    self.log.info("Reusing the hidden-suite result saved in %s", saved)
                    self._memory[key] = result
                    return result
            except (ValueError, KeyError, TypeError):
                pass
        self.log.info("Running the hidden suite of %s on %s", assignment, folder)
        result = grade_submission(folder, assignment, sandbox_config=self.config, parts=self.parts,
                                  root=root, slot=self.slot)
        self.log.info("Hidden suite: %.2f / %.2f points in %.1f s", result.score, result.max_score,
                      result.execution_time)
        off = [k for k, v in result.protections.items() if not v]
        if off:
            self.log.warning("Sandbox protections off on this machine: %s", ", ".join(off))
        saved.parent.mkdir(parents=True, exist_ok=True)
        tmp = saved.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"fingerprint": fp, "result": result.to_dict()}, indent=1))
        tmp.replace(saved)
        self._memory[key] = result
        return result

    # ------------------------------------------------------------------ cells
    def preprocess(self, nb: NotebookNode, resources: dict):
        if not any(is_autograder_test(c) for c in nb.cells):
            return nb, resources
        info = resources["nbgrader"]
        folder = resources.get("metadata", {}).get("path") or os.getcwd()
        result = self.result_for(Path(folder), info["student"], info["assignment"])
        for cell in nb.cells:
            if is_autograder_test(cell):
                self.set_outputs(cell, result)
        return nb, resources

    @staticmethod
    def score_for(cell, result: GradingResult) -> tuple[float, str]:
        """(points for the cell, feedback text) from the hidden suite's result."""
        meta = cell.metadata["nbgrader"]
        gid, points = meta["grade_id"], float(meta.get("points", 0) or 0)
        try:
            part = result.part(gid)
        except KeyError:
            return 0.0, f"{gid}: 0 / {points:g} points\n  (no hidden test scored this part)"
        fraction = part.score / part.max_points if part.max_points > 0 else 0.0
        score = round(min(max(fraction, 0.0), 1.0) * points, 6)
        text = part.feedback
        if result.errors:
            text += "\n" + "\n".join(f"  {e}" for e in result.errors)
        return score, text

    def set_outputs(self, cell, result: GradingResult) -> None:
        score, text = self.score_for(cell, result)
        cell.outputs = [
            from_dict({"output_type": "stream", "name": "stdout", "text": text + "\n"}),
            from_dict({"output_type": "execute_result", "execution_count": cell.get("execution_count"),
                          "metadata": {}, "data": {"text/plain": repr(float(score))}}),
        ]
