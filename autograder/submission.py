"""Locating a student's package in what they handed in (a folder or a zip), and
preparing the private copy that is graded.

Zips are untrusted too: members are checked for absolute paths, ``..``,
symlinks and total size before anything is written (zip-slip / zip bombs).

The graded copy holds only the assignment's package (``<package>/``), and like nbgrader's
overwrite step the course's released version of every *given* file (one
without a ``### BEGIN SOLUTION`` region in the reference: ``solver.py``,
``gradient_check.py``, ``data_utils.py``, the ``__init__.py`` files ...) is put
over the student's, so an edited Solver never runs in grading.  Student files
(those with regions) are graded as handed in; a missing one stays missing.
"""
from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

from autograder.paths import is_within

MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_PACKAGE_FILES = 2000  # every worker start copies the package: keep that quick
SKIP_NAMES = frozenset({"__pycache__", ".ipynb_checkpoints", "__MACOSX"})


class SubmissionError(Exception):
    """The submission cannot be graded as handed in (the student's problem, scored 0)."""


def safe_extract(zip_path: Path, dest: Path, max_bytes: int = MAX_UNZIPPED_BYTES) -> None:
    with zipfile.ZipFile(zip_path) as zf:
        total = 0
        for info in zf.infolist():
            name = info.filename
            if name.startswith(("/", "\\")) or ".." in Path(name).parts:
                raise SubmissionError(f"zip member {name!r} points outside the submission")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise SubmissionError(f"zip member {name!r} is a symbolic link")
            total += info.file_size
            if total > max_bytes:
                raise SubmissionError(f"the zip unpacks to more than {max_bytes // 2**20} MB")
        zf.extractall(dest)


def find_package_root(path: Path, package: str) -> Path:
    """The directory that holds ``<package>/__init__.py`` (the submission itself or one level down)."""
    candidates = [path] + sorted(p for p in path.rglob(package) if p.is_dir())
    for c in candidates:
        root = c if (c / package / "__init__.py").is_file() else c.parent
        if (root / package / "__init__.py").is_file() and "__MACOSX" not in root.parts:
            return root
    raise SubmissionError(f"no '{package}/' package (with __init__.py) found in the submission")


def given_files(package_dir: Path, released_dir: Path, student_files: set[str]) -> dict[str, Path]:
    """``{path inside the package: file}`` for every file of the reference package
    ``package_dir`` that is not a student file (``student_files``: paths inside the package,
    e.g. ``"layers.py"``, ``"classifiers/fc_net.py"``): the released copy from
    ``released_dir``, or, while the release is missing it (being regenerated), the
    reference's own copy -- a file without solution regions is released byte for byte."""
    out: dict[str, Path] = {}
    for f in sorted(Path(package_dir).rglob("*")):
        if not f.is_file() or SKIP_NAMES & set(f.parts) or f.suffix in (".pyc", ".pyo"):
            continue
        rel = f.relative_to(package_dir).as_posix()
        if rel in student_files:
            continue
        released = Path(released_dir) / rel
        out[rel] = released if released.is_file() else f
    return out


def course_given_files(assignment: str, root: Path | None, package: str) -> dict[str, Path]:
    """The given files of ``assignment``'s package: region-less files of ``solutions/<a>/<package>/``
    (the stub stage's markers, as :mod:`autograder.nbgrader_integration.student_files` reads
    them), taken from ``release/<a>/<package>/`` (see :func:`given_files`)."""
    from autograder.nbgrader_integration.student_files import student_edited_files
    from autograder.paths import release_dir, solutions_dir

    prefix = package + "/"
    student = {p[len(prefix):] for p in student_edited_files(assignment, root) if p.startswith(prefix)}
    return given_files(solutions_dir(assignment, root) / package, release_dir(assignment, root) / package, student)


def _shadows(directory: Path, module_file: str) -> list[Path]:
    """Entries of ``directory`` Python would import instead of (or besides) ``module_file``:
    a package folder of the same name, an extension module or bytecode with its stem."""
    stem = module_file[:-3] if module_file.endswith(".py") else None
    if stem is None or not directory.is_dir():
        return []
    return [e for e in directory.iterdir()
            if e.name != module_file and (e.name == stem or e.name.startswith(stem + "."))]


def overlay_given_files(package_copy: Path, given: dict[str, Path]) -> list[str]:
    """Put the course's given files into ``package_copy`` (removing anything that would shadow
    them); returns the paths replaced or added."""
    changed = []
    for rel, src in sorted(given.items()):
        dest = package_copy / rel
        for shadow in _shadows(dest.parent, dest.name):
            if shadow.is_dir() and not shadow.is_symlink():
                shutil.rmtree(shadow)
            else:
                shadow.unlink()
        if dest.is_dir() and not dest.is_symlink():
            shutil.rmtree(dest)
        elif dest.exists() or dest.is_symlink():
            if dest.read_bytes() == src.read_bytes() and not dest.is_symlink():
                continue
            dest.unlink()
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        changed.append(rel)
    return changed


def copy_package(src: Path, dest: Path, max_bytes: int, max_files: int = MAX_PACKAGE_FILES) -> None:
    """Copy the package folder without caches and without any symbolic link (a link could point
    at the reference); refuse more than ``max_bytes`` or ``max_files`` in total."""
    if os.path.islink(src):
        raise SubmissionError(f"the {src.name}/ folder is a symbolic link; hand in the folder itself")
    total = files = 0
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_NAMES and not os.path.islink(os.path.join(dirpath, d)))
        rel = Path(dirpath).relative_to(src)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or name.endswith((".pyc", ".pyo")) or not os.path.isfile(path):
                continue
            total += os.path.getsize(path)
            files += 1
            if files > max_files:
                raise SubmissionError(f"the {src.name}/ package holds more than {max_files} files; "
                                      "hand in only the code")
            if total > max_bytes:
                raise SubmissionError(f"the {src.name}/ package holds more than {max_bytes // 2**20} MB; "
                                      "hand in only the code (no data, checkpoints or outputs)")
            shutil.copyfile(path, dest / rel / name)


class PreparedSubmission:
    """A context manager giving a private directory that holds the package to grade.

    ``given``: ``{path inside the package: file}`` to put over the student's copy (see
    :func:`course_given_files`); ``max_bytes``: the largest package accepted.
    """

    def __init__(self, submission: Path, package: str, *, given: dict[str, Path] | None = None,
                 max_bytes: int = MAX_UNZIPPED_BYTES):
        self.submission = Path(submission)
        self.package = package
        self.given = dict(given or {})
        self.max_bytes = max_bytes
        self.replaced: list[str] = []
        self._tmp: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> Path:
        self._tmp = tempfile.TemporaryDirectory(prefix="submission-")
        tmp = Path(self._tmp.name)
        try:
            if self.submission.is_file() and zipfile.is_zipfile(self.submission):
                safe_extract(self.submission, tmp / "unzipped")
                found = find_package_root(tmp / "unzipped", self.package)
            elif self.submission.is_dir():
                found = find_package_root(self.submission, self.package)
                inside = (found / self.package).resolve()
                if inside == self.submission.resolve() or not is_within(inside, self.submission):
                    raise SubmissionError(f"the {self.package}/ package lies outside the submission folder")
            else:
                raise SubmissionError(f"{self.submission} is neither a folder nor a zip file")
            prepared = tmp / "prepared"
            copy_package(found / self.package, prepared / self.package, self.max_bytes)
            self.replaced = overlay_given_files(prepared / self.package, self.given)
        except BaseException:
            self._cleanup()
            raise
        return prepared

    def _cleanup(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __exit__(self, *exc) -> None:
        self._cleanup()
