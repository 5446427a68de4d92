"""Stage 2 of the pipeline: generate ``release/<a>/`` and prove it clean.

* nbgrader's ``GenerateAssignment`` makes the student notebooks from
  ``source/<a>/`` (clears solutions and outputs, locks cells, records the
  assignment in the gradebook).
* :func:`post_convert_hook`, wired in ``nbgrader_config.py`` as
  ``c.GenerateAssignment.post_convert_hook``, then writes the stubbed reference
  package(s) of ``solutions/<a>/`` (``cs231n/``) into ``release/<a>/``, so a plain
  ``nbgrader generate_assignment <a>`` produces the whole release.
* nbgrader only logs a failing hook, so :func:`release` (``autograder release
  <a>``) checks the package is there and byte-identical to the stub stage's
  output, writes it itself when it is not, and always ends with the leak check.

The package never comes from ``source/<a>/``: whatever nbgrader copied under
that name is replaced by the stub stage's output.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .leakcheck import Finding, leak_check
from .stub import stub_tree, tree_matches, write_tree

CONFIG_FILE = "nbgrader_config.py"


class ReleaseError(Exception):
    """The release could not be generated (the message says why)."""


def reference_packages(assignment: str, root: Path | None = None) -> list[Path]:
    """The packages of ``solutions/<a>/`` (directories holding ``__init__.py``)."""
    base = paths.solutions_dir(assignment, root)
    if not base.is_dir():
        raise ReleaseError(f"no reference solutions: {base} does not exist")
    found = sorted(p for p in base.iterdir() if p.is_dir() and (p / "__init__.py").is_file())
    if not found:
        raise ReleaseError(f"no package (a directory with __init__.py) in {base}")
    return found


def student_packages(assignment: str, root: Path | None = None) -> dict[str, dict[str, bytes]]:
    """``{package name: {relpath: bytes}}``: the stub stage's output, in memory.

    Raises :class:`autograder.stub.StubError` (``path:line: message``).
    """
    return {pkg.name: stub_tree(pkg, label=pkg.name) for pkg in reference_packages(assignment, root)}


def write_student_packages(assignment: str, root: Path | None = None) -> list[Path]:
    """Stub every reference package into ``release/<a>/<package>/`` (replacing it).

    All packages are stubbed before anything is written: an error leaves the
    release untouched.
    """
    dest = paths.release_dir(assignment, root)
    written: list[Path] = []
    for name, files in student_packages(assignment, root).items():
        written += write_tree(files, dest / name)
    return written


def post_convert_hook(assignment: str, student: str | None = None, notebooks=None, **_kw) -> None:
    """nbgrader ``GenerateAssignment.post_convert_hook``: write the stubbed package.

    nbgrader calls it as ``hook(assignment=..., student=..., notebooks=...)``
    after converting the notebooks, with the working directory set to
    ``CourseDirectory.root``.
    """
    root = Path.cwd()
    written = write_student_packages(assignment, root)
    logging.getLogger(__name__).info("stub stage wrote %d files into %s", len(written),
                                     paths.release_dir(assignment, root))


# --------------------------------------------------------------------------- nbgrader


def load_course_config(root: Path):
    """The course's traitlets config (``<root>/nbgrader_config.py``), root pinned."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    root = Path(root).resolve()
    cfg = Config()
    if (root / CONFIG_FILE).is_file():
        cfg = PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
    cfg.CourseDirectory.root = str(root)
    if not cfg.CourseDirectory.get("db_url"):
        cfg.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    return cfg


def source_notebooks(assignment: str, root: Path | None = None) -> list[Path]:
    return sorted(paths.source_dir(assignment, root).glob("*.ipynb"))


def check_cell_ids(notebooks: list[Path]) -> None:
    """nbformat >= 4.5 notebooks need an ``id`` on every cell: nbformat invents
    a random one when reading a cell without it, and the release would differ
    on every run. Raise :class:`ReleaseError` naming the first such cell."""
    import json

    for nb_path in notebooks:
        try:
            nb = json.loads(nb_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ReleaseError(f"{nb_path}: not a notebook ({exc})") from None
        if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) < (4, 5):
            continue
        for index, cell in enumerate(nb.get("cells", [])):
            if not cell.get("id"):
                raise ReleaseError(
                    f"{nb_path}: cell {index} has no id, so nbformat would give it a random one "
                    "and the release would change on every run; add ids once with: python -c "
                    f"\"import nbformat as n,sys; p=sys.argv[1]; n.write(n.read(p, 4), p)\" {nb_path}")


def _ensure_env_bin_on_path() -> None:
    """nbgrader's Gradebook runs the ``alembic`` executable via ``PATH``; when
    Python is started as ``.venv/bin/python`` without activating the venv,
    that directory is not on ``PATH``. Put the interpreter's own bin first."""
    bindir = os.path.dirname(sys.executable)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if bindir not in parts:
        os.environ["PATH"] = os.pathsep.join([bindir, *filter(None, parts)])


def run_generate_assignment(assignment: str, root: Path) -> dict:
    """``nbgrader generate_assignment <a> --force`` in-process.

    Returns nbgrader's result dict (``success``, ``log``, ``error``) plus
    ``seconds``. Uses the converter directly (what ``NbGraderAPI.generate_assignment``
    does) so no exchange directory is touched.
    """
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log

    _ensure_env_bin_on_path()
    cfg = load_course_config(root)
    coursedir = CourseDirectory(config=cfg)
    coursedir.root = str(Path(root).resolve())
    coursedir.assignment_id = assignment
    app = GenerateAssignment(coursedir=coursedir, config=cfg)
    app.force = True
    app.create_assignment = True
    old_level = app.log.level
    app.log.setLevel(logging.INFO)
    start = time.perf_counter()
    try:
        result = capture_log(app)
    finally:
        app.log.setLevel(old_level)
    result["seconds"] = time.perf_counter() - start
    return result


# --------------------------------------------------------------------------- release


@dataclass
class ReleaseResult:
    assignment: str
    release_dir: Path
    notebooks: int = 0
    nbgrader_seconds: float | None = None
    hook_wrote_packages: bool = False
    package_files: int = 0
    findings: list[Finding] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def release(assignment: str, root: Path | None = None, *, run_nbgrader: bool = True,
            echo=None) -> ReleaseResult:
    """Generate ``release/<a>/`` and leak-check it (see the module doc).

    Raises :class:`ReleaseError` when nbgrader fails and
    :class:`autograder.stub.StubError` when a reference module cannot be stubbed;
    leaks are returned as ``result.findings``.
    """
    root = Path(root or paths.course_root()).resolve()
    say = echo or (lambda msg: None)
    out = ReleaseResult(assignment, paths.release_dir(assignment, root))

    def note(msg: str) -> None:
        out.messages.append(msg)
        say(msg)

    expected = student_packages(assignment, root)  # StubError before nbgrader runs
    out.package_files = sum(len(files) for files in expected.values())
    src = paths.source_dir(assignment, root)
    for name in expected:
        if (src / name).exists():
            note(f"warning: {src / name} exists; nbgrader copies it, the stub stage replaces it "
                 f"(the package must only come from solutions/{assignment}/)")

    notebooks = source_notebooks(assignment, root)
    out.notebooks = len(notebooks)
    if run_nbgrader:
        check_cell_ids(notebooks)
    if run_nbgrader and notebooks:
        result = run_generate_assignment(assignment, root)
        out.nbgrader_seconds = result["seconds"]
        if not result.get("success"):
            raise ReleaseError("nbgrader generate_assignment failed:\n"
                               + (result.get("log") or "") + (result.get("error") or ""))
        note(f"nbgrader generate_assignment {assignment}: {len(notebooks)} notebook(s) "
             f"in {out.nbgrader_seconds:.1f} s")
    elif run_nbgrader:
        note(f"warning: no notebooks in {src}; nbgrader skipped, only the package is released")

    dest = out.release_dir
    if all(tree_matches(files, dest / name) for name, files in expected.items()):
        out.hook_wrote_packages = True
        note(f"post_convert_hook wrote {', '.join(n + '/' for n in expected)} "
             f"({out.package_files} files)")
    else:
        for name, files in expected.items():
            write_tree(files, dest / name)
        why = "nbgrader skipped" if not (run_nbgrader and notebooks) else \
            "the post_convert_hook did not write it (not configured in nbgrader_config.py, or it failed)"
        note(f"stub stage wrote {', '.join(n + '/' for n in expected)} ({out.package_files} files): {why}")

    shown = Path(os.path.relpath(dest)) if not os.path.relpath(dest).startswith("..") else dest
    out.findings = leak_check(shown, solutions=paths.solutions_dir(assignment, root),
                              grading_tests=paths.grading_tests_dir(assignment, root),
                              source=paths.source_dir(assignment, root))
    return out
