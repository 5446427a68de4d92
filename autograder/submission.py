"""Locating a student's package in what they handed in (a folder or a zip).

Zips are untrusted too: members are checked for absolute paths, ``..``,
symlinks and total size before anything is written (zip-slip / zip bombs).
"""
from __future__ import annotations

import stat
import tempfile
import zipfile
from pathlib import Path

MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
PACKAGE = "cs231n"


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


def find_package_root(path: Path, package: str = PACKAGE) -> Path:
    """The directory that holds ``<package>/__init__.py`` (the submission itself or one level down)."""
    candidates = [path] + sorted(p for p in path.rglob(package) if p.is_dir())
    for c in candidates:
        root = c if (c / package / "__init__.py").is_file() else c.parent
        if (root / package / "__init__.py").is_file() and "__MACOSX" not in root.parts:
            return root
    raise SubmissionError(f"no '{package}/' package (with __init__.py) found in the submission")


class PreparedSubmission:
    """A context manager giving the directory that holds the student's ``cs231n/``."""

    def __init__(self, submission: Path, package: str = PACKAGE):
        self.submission = Path(submission)
        self.package = package
        self._tmp: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> Path:
        if self.submission.is_file() and zipfile.is_zipfile(self.submission):
            self._tmp = tempfile.TemporaryDirectory(prefix="submission-")
            safe_extract(self.submission, Path(self._tmp.name))
            return find_package_root(Path(self._tmp.name), self.package)
        if self.submission.is_dir():
            return find_package_root(self.submission, self.package)
        raise SubmissionError(f"{self.submission} is neither a folder nor a zip file")

    def __exit__(self, *exc) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
