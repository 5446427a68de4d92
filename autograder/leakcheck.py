"""Stage 2b of the pipeline: prove that a generated release gives nothing away.

nbgrader swallows errors raised by its hooks, so this check runs on its own
after every release (``autograder release`` always runs it; ``autograder
leak-check release/<a>`` runs it alone). It reports, as :class:`Finding`\\ s:

``solution-line``
    a line of a solution region (reference modules in ``solutions/<a>/``, or
    nbgrader solution / hidden-test regions of ``source/<a>/`` notebooks)
    appears in a released ``.py`` file or notebook cell. Lines are compared
    stripped with runs of whitespace collapsed; trivial lines (``pass``,
    ``out = None``, ``return dx, dw, db``, very short lines, comments) and lines
    that are also given outside the regions are not secret.
``solution-file``
    a released file is byte-identical to a reference file that has regions.
``hidden-test``
    a released file has the relative path or the content of a file of
    ``grading_tests/<a>/``, or contains a ``def test_...`` line of it.
``compiled``, ``checkpoint``, ``database``
    ``__pycache__``/``*.pyc``, ``.ipynb_checkpoints``, ``*.db``/``*.sqlite``.
``notebook-output``
    a code cell with outputs or an execution count.
``marker``
    nbgrader delimiters (``BEGIN SOLUTION``, ``BEGIN HIDDEN TESTS``,
    ``BEGIN MARK SCHEME`` and their ENDs) left in any text file.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

KINDS = (
    "solution-line",
    "solution-file",
    "hidden-test",
    "compiled",
    "checkpoint",
    "database",
    "notebook-output",
    "marker",
)

MARKER = re.compile(r"\b(BEGIN|END)\s+(SOLUTION|HIDDEN\s+TESTS|MARK\s+SCHEME)\b")
_SECRET_BEGIN = re.compile(r"\bBEGIN\s+(SOLUTION|HIDDEN\s+TESTS|MARK\s+SCHEME)\b")
_SECRET_END = re.compile(r"\bEND\s+(SOLUTION|HIDDEN\s+TESTS|MARK\s+SCHEME)\b")
_TEST_DEF = re.compile(r"^\s*(async\s+)?def\s+test_\w*\s*\(")
_TRAILING_COMMENT = re.compile(r"\s+#[^'\"]*$")

#: lines shorter than this (after normalisation) are never treated as secret.
MIN_SECRET_LENGTH = 10
_TRIVIAL = [
    re.compile(p)
    for p in (
        r"^#",                                   # comments (TODO text is meant to be seen)
        r"^(\"\"\"|''')",                        # docstring delimiters
        r"^(pass|continue|break|else:|try:|finally:|return|return None|raise)$",
        r"^except\b.*:$",
        r"^return [\w\s,()\[\]]*$",              # return out, cache / return (dx, dw, db)
        r"^[\w\s,.\[\]'\"]+ = (None|0|0\.0|1|\[\]|\{\}|\(\)|True|False)$",  # out = None
        r"^[)\]}]+[,:]?$",
    )
]
_DB_SUFFIXES = (".db", ".sqlite", ".sqlite3")
_COMPILED_SUFFIXES = (".pyc", ".pyo")
_SKIP_SOURCE_DIRS = {"__pycache__", ".ipynb_checkpoints"}
#: hidden-test / solution files smaller than this (stripped) are not hashed:
#: an empty ``__init__.py`` is not a leak.
_MIN_HASHED_BYTES = 32
_MAX_TEXT_BYTES = 20_000_000


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}: {self.message}"


@dataclass
class Secrets:
    """What must not appear in a release, with where each item comes from."""

    lines: dict[str, str] = field(default_factory=dict)          # normalised line -> origin
    solution_hashes: dict[str, str] = field(default_factory=dict)  # sha256 -> origin
    hidden_hashes: dict[str, str] = field(default_factory=dict)
    hidden_relpaths: dict[str, str] = field(default_factory=dict)  # relpath -> origin
    hidden_defs: dict[str, str] = field(default_factory=dict)      # normalised def line -> origin


# --------------------------------------------------------------------------- helpers


def normalize(line: str) -> str:
    return " ".join(line.split())


def _keys(line: str) -> list[str]:
    """The normalised forms a line is compared under (with/without a trailing comment)."""
    full = normalize(line)
    keys = [full] if full else []
    bare = normalize(_TRAILING_COMMENT.sub("", line))
    if bare and bare != full:
        keys.append(bare)
    return keys


def is_trivial(norm: str) -> bool:
    if len(norm) < MIN_SECRET_LENGTH:
        return True
    return any(p.search(norm) for p in _TRIVIAL)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _files(root: Path) -> list[Path]:
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_SOURCE_DIRS)
        out.extend(Path(dirpath) / f for f in sorted(filenames) if not f.endswith(_COMPILED_SUFFIXES))
    return out


def _read_text(path: Path) -> str | None:
    try:
        if path.stat().st_size > _MAX_TEXT_BYTES:
            return None
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _split_regions(lines: list[str]) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """``(secret, given)`` lists of ``(index, line)``: lines inside / outside
    nbgrader-style regions (the marker lines themselves belong to neither)."""
    secret: list[tuple[int, str]] = []
    given: list[tuple[int, str]] = []
    depth = 0
    for i, line in enumerate(lines):
        if _SECRET_BEGIN.search(line) and _SECRET_END.search(line):
            continue  # prose naming both delimiters, e.g. in a docstring
        if _SECRET_BEGIN.search(line):
            depth += 1
            continue
        if _SECRET_END.search(line):
            depth = max(0, depth - 1)
            continue
        (secret if depth else given).append((i, line))
    return secret, given


def _cell_lines(cell: dict) -> list[str]:
    src = cell.get("source", "")
    if isinstance(src, list):
        src = "".join(src)
    return src.split("\n")


def _load_notebook(text: str) -> dict | None:
    try:
        nb = json.loads(text)
    except ValueError:
        return None
    return nb if isinstance(nb, dict) and isinstance(nb.get("cells"), list) else None


# --------------------------------------------------------------------------- secrets


def collect_secrets(solutions: Path | None, grading_tests: Path | None,
                    source: Path | None, base: Path | None = None) -> Secrets:
    """Gather the secret lines, hashes and test names of one assignment."""
    secrets = Secrets()
    given: set[str] = set()
    candidates: dict[str, str] = {}

    def show(p: Path) -> str:
        try:
            return p.relative_to(base).as_posix() if base else str(p)
        except ValueError:
            return str(p)

    def add(lines: list[tuple[int, str]], origin: str, secret: bool, sep: str = ":") -> None:
        for i, line in lines:
            for key in _keys(line):
                if secret:
                    candidates.setdefault(key, f"{origin}{sep}{i + 1}")
                else:
                    given.add(key)

    if solutions and solutions.is_dir():
        for path in _files(solutions):
            raw = path.read_bytes()
            text = _read_text(path)
            if text is None:
                continue
            lines = text.splitlines()
            secret, plain = _split_regions(lines)
            has_regions = any(MARKER.search(line) for line in lines)
            if has_regions and len(raw.strip()) >= _MIN_HASHED_BYTES:
                secrets.solution_hashes.setdefault(_sha(raw), show(path))
            if path.suffix == ".ipynb" and (nb := _load_notebook(text)):
                _add_notebook(nb, show(path), add)
            else:
                add(secret, show(path), True)
                add(plain, show(path), False)

    if source and source.is_dir():
        for path in _files(source):
            if path.suffix != ".ipynb":
                continue
            text = _read_text(path)
            nb = _load_notebook(text) if text is not None else None
            if nb is not None:
                _add_notebook(nb, show(path), add)

    for key, origin in candidates.items():
        if key not in given and not is_trivial(key):
            secrets.lines[key] = origin

    if grading_tests and grading_tests.is_dir():
        for path in _files(grading_tests):
            rel = path.relative_to(grading_tests).as_posix()
            raw = path.read_bytes()
            if path.name != "__init__.py":
                secrets.hidden_relpaths[rel] = show(path)
            if len(raw.strip()) >= _MIN_HASHED_BYTES:
                secrets.hidden_hashes.setdefault(_sha(raw), show(path))
            text = _read_text(path)
            if text is None:
                continue
            for i, line in enumerate(text.splitlines()):
                if _TEST_DEF.match(line):
                    secrets.hidden_defs.setdefault(normalize(line), f"{show(path)}:{i + 1}")
    return secrets


def _add_notebook(nb: dict, origin: str, add) -> None:
    for index, cell in enumerate(nb["cells"]):
        lines = _cell_lines(cell)
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        secret, plain = _split_regions(lines)
        where = f"{origin} cell {index}"
        if meta.get("solution") and len(secret) == 0 and len(plain) == len(lines):
            # a solution cell without delimiters: nbgrader replaces all of it
            add(list(enumerate(lines)), where, True, sep=", line ")
        else:
            add(secret, where, True, sep=", line ")
            add(plain, where, False)


# --------------------------------------------------------------------------- the check


def _notebook_line_map(raw_lines: list[str]) -> dict[tuple[int, int], int]:
    """Map ``(cell index, source line index)`` to a 1-based line of the .ipynb
    file, for notebooks written by nbformat (one JSON string a source line);
    ``(cell, -1)`` is the cell's ``"cell_type"`` line."""
    def indent(raw: str) -> int:
        return len(raw) - len(raw.lstrip())

    keyed = [indent(r) for r in raw_lines if r.strip().startswith('"cell_type":')]
    if not keyed:
        return {}
    level = min(keyed)  # nbgrader metadata also has a "cell_type" key, deeper
    mapping: dict[tuple[int, int], int] = {}
    cell = -1
    in_source = False
    src_line = 0
    for n, raw in enumerate(raw_lines, start=1):
        stripped = raw.strip()
        if in_source:
            if stripped in ("]", "],"):
                in_source = False
            else:
                mapping[(cell, src_line)] = n
                src_line += 1
            continue
        if indent(raw) != level or cell < -1:
            continue
        if stripped.startswith('"cell_type":'):
            cell += 1
            mapping[(cell, -1)] = n
        elif cell >= 0 and stripped.startswith('"source": ['):
            in_source = not stripped.endswith(("]", "],"))
            src_line = 0
        elif cell >= 0 and stripped.startswith('"source": "'):
            mapping[(cell, 0)] = n
    return mapping


def leak_check(release: str | os.PathLike, *, solutions: str | os.PathLike | None = None,
               grading_tests: str | os.PathLike | None = None,
               source: str | os.PathLike | None = None,
               secrets: Secrets | None = None) -> list[Finding]:
    """Check ``release`` (``release/<a>``); ``[]`` means clean.

    Unless given, ``solutions``, ``grading_tests`` and ``source`` are found
    next to ``release``: ``<root>/release/<a>`` -> ``<root>/solutions/<a>`` ...
    """
    release_shown = Path(release)
    release_dir = release_shown.resolve()
    if not release_dir.is_dir():
        raise FileNotFoundError(f"release directory not found: {release_shown}")
    root = release_dir.parent.parent
    name = release_dir.name

    def default(given, step: str) -> Path:
        return Path(given).resolve() if given is not None else root / step / name

    if secrets is None:
        if not default(solutions, "solutions").is_dir():
            raise FileNotFoundError(
                f"reference solutions not found at {default(solutions, 'solutions')}: without them "
                "solution lines cannot be checked (pass solutions=... / --solutions)")
        secrets = collect_secrets(default(solutions, "solutions"),
                                  default(grading_tests, "grading_tests"),
                                  default(source, "source"), base=root)
    findings: list[Finding] = []

    def report(path: Path, line: int, kind: str, message: str) -> None:
        shown = release_shown / path.relative_to(release_dir)
        findings.append(Finding(shown.as_posix(), line, kind, message))

    for dirpath, dirnames, filenames in os.walk(release_dir):
        here = Path(dirpath)
        keep = []
        for d in sorted(dirnames):
            if d == "__pycache__":
                report(here / d, 1, "compiled", "__pycache__ directory in the release")
            elif d == ".ipynb_checkpoints":
                report(here / d, 1, "checkpoint", ".ipynb_checkpoints directory in the release")
            else:
                keep.append(d)
        dirnames[:] = keep
        for fname in sorted(filenames):
            _check_file(here / fname, release_dir, secrets, report)
    return sorted(findings, key=lambda f: (f.path, f.line, f.kind, f.message))


def _short(text: str, limit: int = 70) -> str:
    text = normalize(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_file(path: Path, release_dir: Path, secrets: Secrets, report) -> None:
    rel = path.relative_to(release_dir).as_posix()
    name = path.name
    if name.endswith(_COMPILED_SUFFIXES):
        report(path, 1, "compiled", "compiled Python file in the release")
        return
    if name.endswith(_DB_SUFFIXES):
        report(path, 1, "database", "database file (gradebook?) in the release")
        return
    raw = path.read_bytes()
    digest = _sha(raw)
    if digest in secrets.solution_hashes:
        report(path, 1, "solution-file",
               f"identical to the reference file {secrets.solution_hashes[digest]} (it has solution regions)")
    if rel in secrets.hidden_relpaths:
        report(path, 1, "hidden-test", f"same path as the hidden test file {secrets.hidden_relpaths[rel]}")
    if digest in secrets.hidden_hashes:
        report(path, 1, "hidden-test", f"identical to the hidden test file {secrets.hidden_hashes[digest]}")

    text = _read_text(path)
    if text is None:
        return
    raw_lines = text.splitlines()
    nb = _load_notebook(text) if path.suffix == ".ipynb" else None
    if nb is None:
        for i, line in enumerate(raw_lines):
            _check_line(path, i + 1, line, "", secrets, report)
        return
    where = _notebook_line_map(raw_lines)
    for c, cell in enumerate(nb["cells"]):
        cell_line = where.get((c, -1), 1)
        if cell.get("cell_type") == "code":
            if cell.get("outputs"):
                report(path, cell_line, "notebook-output",
                       f"cell {c} has {len(cell['outputs'])} output(s); clear outputs before releasing")
            if cell.get("execution_count") is not None:
                report(path, cell_line, "notebook-output",
                       f"cell {c} has execution_count {cell['execution_count']}")
        for j, line in enumerate(_cell_lines(cell)):
            _check_line(path, where.get((c, j), cell_line), line, f"cell {c}, line {j + 1}: ",
                        secrets, report)


def _check_line(path: Path, lineno: int, line: str, prefix: str, secrets: Secrets, report) -> None:
    m = MARKER.search(line)
    if m:
        report(path, lineno, "marker", f"{prefix}nbgrader delimiter {m.group(0)!r} left in the release")
    for key in _keys(line):
        if key in secrets.lines:
            report(path, lineno, "solution-line",
                   f"{prefix}line of the solution region at {secrets.lines[key]}: {_short(key)!r}")
            break
    if _TEST_DEF.match(line):
        key = normalize(line)
        if key in secrets.hidden_defs:
            report(path, lineno, "hidden-test",
                   f"{prefix}test definition from the hidden suite {secrets.hidden_defs[key]}: {_short(key)!r}")


def summary(findings: list[Finding], release: str | os.PathLike) -> str:
    """One line for a clean release (or a count for a dirty one)."""
    release = Path(release)
    files = sum(len(f) for _, _, f in os.walk(release)) if release.is_dir() else 0
    if not findings:
        return f"leak check OK: {files} files in {release.as_posix()}, no solution, hidden-test or compiled content"
    kinds = sorted({f.kind for f in findings})
    return f"leak check FAILED: {len(findings)} finding(s) in {release.as_posix()} ({', '.join(kinds)})"
