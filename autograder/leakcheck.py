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
    ``grading_tests/<a>/``, or contains one of its non-trivial lines (a
    ``def test_...`` line, a helper, a tolerance, a seed) that is not also
    given in ``solutions/<a>/`` or the source notebooks.
``compiled``, ``checkpoint``, ``database``
    ``__pycache__``/``*.pyc``; ``.ipynb_checkpoints`` or a ``*-checkpoint.*``
    file anywhere; a ``*.db``/``*.sqlite`` file, an SQLite journal
    (``-journal``, ``-wal``, ``-shm``) or any file that starts with SQLite's
    header (a renamed ``gradebook.bak``).
``notebook-output``
    a code cell with outputs or an execution count.
``marker``
    nbgrader delimiters (``BEGIN SOLUTION``, ``BEGIN HIDDEN TESTS``,
    ``BEGIN MARK SCHEME`` and their ENDs) left in any text file.
``archive``
    a zip/tar/gzip/bzip2/xz file holding a ``solutions/`` or
    ``grading_tests/`` path, or a member that is itself a leak (members are
    checked like files).
``binary``
    a binary file that is neither a copy of the file at the same path in
    ``source/<a>/`` nor part of the stub stage's output.
``package``
    the stub stage's output is missing or stale: ``release/<a>/<package>/``
    (and every top-level module of ``solutions/<a>/``) must hold exactly the
    stubbed ``solutions/<a>/`` (a failing ``post_convert_hook`` leaves it
    missing while ``nbgrader generate_assignment`` still exits 0).
``cell-id``
    a source (or released) notebook of nbformat >= 4.5 has a cell without an
    ``id``: nbformat invents a random one, so the release is not reproducible.
"""
from __future__ import annotations

import hashlib
import io
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
    "archive",
    "binary",
    "package",
    "cell-id",
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
_DB_SUFFIXES = (".db", ".sqlite", ".sqlite3", ".db-journal", "-journal", "-wal", "-shm")
# Magic numbers: an SQLite database, its rollback journal and its write-ahead log.
_SQLITE_MAGIC = (b"SQLite format 3\x00", bytes.fromhex("d9d505f920a163d7"),
                 bytes.fromhex("377f0682"), bytes.fromhex("377f0683"))
_CHECKPOINT_NAME = re.compile(r"-checkpoint(\.[^./]+)?$")
#: members of an archive that are read and checked, at most (bytes each / in all)
_MAX_MEMBER_BYTES = 50_000_000
_MAX_ARCHIVE_DEPTH = 3
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
    hidden_lines: dict[str, str] = field(default_factory=dict)     # normalised line -> origin


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

    # the framework's files that ship inside the release (the check runner) are public
    from .student_kit import KIT_DIR

    for path in sorted(KIT_DIR.glob("*.py")):
        add(list(enumerate(path.read_text(encoding="utf-8").splitlines())), show(path), False)

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
                # every other line of a hidden suite is secret too (helpers,
                # tolerances, seeds), unless the release is meant to show it
                for key in _keys(line):
                    if key not in given and not is_trivial(key):
                        secrets.hidden_lines.setdefault(key, f"{show(path)}:{i + 1}")
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


def cell_id_problems(nb_path: str | os.PathLike) -> list[tuple[int, str]]:
    """``(line, message)`` for every cell of a notebook (nbformat >= 4.5) without
    an ``id``: nbformat invents a random id when it reads such a cell, so the
    release would differ on every run. An unreadable notebook is one problem."""
    nb_path = Path(nb_path)
    text = _read_text(nb_path)
    nb = _load_notebook(text) if text is not None else None
    if nb is None:
        return [(1, "not a notebook (cannot be read as nbformat JSON)")]
    if (nb.get("nbformat", 0), nb.get("nbformat_minor", 0)) < (4, 5):
        return []
    where = _notebook_line_map(text.splitlines())
    fix = ("add ids once with: python -c \"import nbformat as n,sys; p=sys.argv[1]; "
           f"n.write(n.read(p, 4), p)\" {nb_path}")
    return [(where.get((i, -1), 1),
             f"cell {i} has no id, so nbformat would give it a random one and the release "
             f"would change on every run; {fix}")
            for i, cell in enumerate(nb["cells"]) if not cell.get("id")]


def _shown(path: Path) -> str:
    rel = os.path.relpath(path)
    return Path(rel).as_posix() if not rel.startswith("..") else path.as_posix()


def leak_check(release: str | os.PathLike, *, solutions: str | os.PathLike | None = None,
               grading_tests: str | os.PathLike | None = None,
               source: str | os.PathLike | None = None,
               secrets: Secrets | None = None) -> list[Finding]:
    """Check ``release`` (``release/<a>``); ``[]`` means clean.

    Unless given, ``solutions``, ``grading_tests`` and ``source`` are found
    next to ``release``: ``<root>/release/<a>`` -> ``<root>/solutions/<a>`` ...
    Besides leaks, the stub stage's output must be there and current (kind
    ``package``) and every source notebook cell must have an id (``cell-id``).
    """
    release_shown = Path(release)
    release_dir = release_shown.resolve()
    if not release_dir.is_dir():
        raise FileNotFoundError(f"release directory not found: {release_shown}")
    root = release_dir.parent.parent
    name = release_dir.name

    def default(given, step: str) -> Path:
        return Path(given).resolve() if given is not None else root / step / name

    solutions_path = default(solutions, "solutions")
    source_path = default(source, "source")
    if not solutions_path.is_dir():
        raise FileNotFoundError(
            f"reference solutions not found at {solutions_path}: without them "
            "solution lines cannot be checked (pass solutions=... / --solutions)")
    if secrets is None:
        secrets = collect_secrets(solutions_path, default(grading_tests, "grading_tests"),
                                  source_path, base=root)
    findings: list[Finding] = []

    def report(path: Path, line: int, kind: str, message: str) -> None:
        shown = release_shown / path.relative_to(release_dir)
        findings.append(Finding(shown.as_posix(), line, kind, message))

    # the stub stage's output: there, and byte-identical to stubbing solutions/<a>/ now
    from .stub import StubError, flat_tree, student_units, unit_differences

    expected: dict[str, bytes] = {}
    try:
        units = student_units(solutions_path)
    except StubError as exc:
        report(release_dir, 1, "package", f"cannot stub {_shown(solutions_path)} to compare: {exc}")
    else:
        expected = flat_tree(units)
        explain = {
            "missing": "missing: the stub stage did not write it (nbgrader only logs a failing "
                       "post_convert_hook and still exits 0)",
            "differs": "stale: differs from the stub stage's output of",
            "extra": "stale: not in the stub stage's output of",
        }
        for rel, problem in unit_differences(units, release_dir):
            origin = _shown(solutions_path / rel)
            message = explain[problem] if problem == "missing" else f"{explain[problem]} {origin}"
            report(release_dir / rel, 1, "package",
                   f"{message}; regenerate with `autograder release {name}`")

    # cell ids of the source notebooks (and of the released ones)
    if source_path.is_dir():
        for nb_path in sorted(source_path.rglob("*.ipynb")):
            if _SKIP_SOURCE_DIRS & set(nb_path.relative_to(source_path).parts):
                continue
            for line, message in cell_id_problems(nb_path):
                findings.append(Finding(_shown(nb_path), line, "cell-id", message))

    known = _KnownFiles(source_path, expected)
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
            path = here / fname
            rel = path.relative_to(release_dir).as_posix()

            def at(line: int, kind: str, message: str, _path=path) -> None:
                report(_path, line, kind, message)

            try:
                raw = path.read_bytes()
            except OSError as exc:
                at(1, "binary", f"cannot be read: {exc}")
                continue
            _check_blob(rel, raw, secrets, known, at)
            if rel.endswith(".ipynb"):
                for line, message in cell_id_problems(path):
                    if "not a notebook" not in message:
                        at(line, "cell-id", message)
    return sorted(findings, key=lambda f: (f.path, f.line, f.kind, f.message))


@dataclass
class _KnownFiles:
    """Binary files a release may hold: copies of ``source/<a>/`` files (nbgrader
    copies them unchanged) and the stub stage's output."""

    source: Path
    expected: dict[str, bytes]

    def __contains__(self, item: tuple[str, bytes]) -> bool:
        rel, raw = item
        if self.expected.get(rel) == raw:
            return True
        src = self.source / rel
        try:
            return src.is_file() and src.stat().st_size == len(raw) and src.read_bytes() == raw
        except OSError:
            return False


def _short(text: str, limit: int = 70) -> str:
    text = normalize(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_binary(raw: bytes) -> bool:
    if b"\x00" in raw[:1_000_000]:
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _archive_members(raw: bytes):
    """``(member name, bytes or None)`` of a zip, tar (any compression), or a
    single gzip/bzip2/xz stream; ``None`` if ``raw`` is no archive. Bytes are
    ``None`` for members too large to read (:data:`_MAX_MEMBER_BYTES`)."""
    import bz2
    import gzip
    import lzma
    import tarfile
    import zipfile

    buf = io.BytesIO(raw)
    if raw[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        try:
            with zipfile.ZipFile(buf) as zf:
                return [(info.filename, zf.read(info) if info.file_size <= _MAX_MEMBER_BYTES else None)
                        for info in zf.infolist() if not info.is_dir()]
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
            return [(f"<unreadable zip: {exc}>", None)]
    is_tar = raw[257:262] == b"ustar"
    streams = {b"\x1f\x8b": gzip.decompress, b"BZh": bz2.decompress, b"\xfd7zXZ\x00": lzma.decompress}
    opener = next((f for magic, f in streams.items() if raw.startswith(magic)), None)
    if not is_tar and opener is None:
        return None
    try:
        with tarfile.open(fileobj=buf) as tf:
            out = []
            for m in tf.getmembers():
                if m.isfile():
                    f = tf.extractfile(m) if m.size <= _MAX_MEMBER_BYTES else None
                    out.append((m.name, f.read() if f is not None else None))
            return out
    except (tarfile.TarError, OSError, EOFError, lzma.LZMAError):
        pass
    try:  # a single compressed file
        with (gzip.GzipFile if opener is gzip.decompress else
              bz2.BZ2File if opener is bz2.decompress else lzma.LZMAFile)(buf) as f:
            data = f.read(_MAX_MEMBER_BYTES + 1)
        return [("<compressed content>", data if len(data) <= _MAX_MEMBER_BYTES else None)]
    except (OSError, EOFError, lzma.LZMAError) as exc:
        return [(f"<unreadable archive: {exc}>", None)]


_FORBIDDEN_PARTS = {"solutions": "reference solutions", "grading_tests": "hidden tests",
                    "source": "instructor source notebooks"}


def _check_blob(rel: str, raw: bytes, secrets: Secrets, known: _KnownFiles, report,
                depth: int = 0) -> None:
    """Check one file's bytes; ``rel`` is its path (in the release, or in an
    archive); ``report(line, kind, message)``."""
    name = rel.rsplit("/", 1)[-1]
    if name.endswith(_COMPILED_SUFFIXES):
        report(1, "compiled", "compiled Python file in the release")
        return
    if name.endswith(_DB_SUFFIXES) or raw.startswith(_SQLITE_MAGIC):
        report(1, "database", "SQLite database or journal file (gradebook?) in the release")
        return
    if _CHECKPOINT_NAME.search(name):
        report(1, "checkpoint", f"Jupyter checkpoint file {name!r} in the release")
    digest = _sha(raw)
    if digest in secrets.solution_hashes:
        report(1, "solution-file",
               f"identical to the reference file {secrets.solution_hashes[digest]} (it has solution regions)")
    if depth == 0 and rel in secrets.hidden_relpaths:
        report(1, "hidden-test", f"same path as the hidden test file {secrets.hidden_relpaths[rel]}")
    if digest in secrets.hidden_hashes:
        report(1, "hidden-test", f"identical to the hidden test file {secrets.hidden_hashes[digest]}")

    members = _archive_members(raw) if depth < _MAX_ARCHIVE_DEPTH else None
    if members is not None:
        for member, data in members:
            parts = set(member.replace("\\", "/").split("/"))
            for part, what in _FORBIDDEN_PARTS.items():
                if part in parts:
                    report(1, "archive", f"archive member {member!r} is under {part}/ ({what})")
            if data is None:
                report(1, "archive", f"archive member {member!r} could not be checked (unreadable "
                       f"or larger than {_MAX_MEMBER_BYTES} bytes)")
                continue

            def inner(line: int, kind: str, message: str, _m=member) -> None:
                report(1, "archive", f"member {_m!r} line {line}: {kind}: {message}")

            _check_blob(member, data, secrets, _NOTHING_KNOWN, inner, depth + 1)
    if _is_binary(raw):
        if (rel, raw) not in known:
            report(1, "binary", "binary file that is neither a copy of the same file in source/ "
                   "nor part of the stub stage's output")
        return
    text = raw.decode("utf-8")
    raw_lines = text.splitlines()
    nb = _load_notebook(text) if name.endswith(".ipynb") else None
    if nb is None:
        for i, line in enumerate(raw_lines):
            _check_line(i + 1, line, "", secrets, report)
        return
    where = _notebook_line_map(raw_lines)
    for c, cell in enumerate(nb["cells"]):
        cell_line = where.get((c, -1), 1)
        if cell.get("cell_type") == "code":
            if cell.get("outputs"):
                report(cell_line, "notebook-output",
                       f"cell {c} has {len(cell['outputs'])} output(s); clear outputs before releasing")
            if cell.get("execution_count") is not None:
                report(cell_line, "notebook-output",
                       f"cell {c} has execution_count {cell['execution_count']}")
        for j, line in enumerate(_cell_lines(cell)):
            _check_line(where.get((c, j), cell_line), line, f"cell {c}, line {j + 1}: ",
                        secrets, report)


_NOTHING_KNOWN = _KnownFiles(Path("/nonexistent-source"), {})


def _check_line(lineno: int, line: str, prefix: str, secrets: Secrets, report) -> None:
    m = MARKER.search(line)
    if m:
        report(lineno, "marker", f"{prefix}nbgrader delimiter {m.group(0)!r} left in the release")
    for key in _keys(line):
        if key in secrets.lines:
            report(lineno, "solution-line",
                   f"{prefix}line of the solution region at {secrets.lines[key]}: {_short(key)!r}")
            break
    if _TEST_DEF.match(line):
        key = normalize(line)
        if key in secrets.hidden_defs:
            report(lineno, "hidden-test",
                   f"{prefix}test definition from the hidden suite {secrets.hidden_defs[key]}: {_short(key)!r}")
            return
    for key in _keys(line):
        if key in secrets.hidden_lines:
            report(lineno, "hidden-test",
                   f"{prefix}line of the hidden suite at {secrets.hidden_lines[key]}: {_short(key)!r}")
            break


def summary(findings: list[Finding], release: str | os.PathLike) -> str:
    """One line for a clean release (or a count for a dirty one)."""
    release = Path(release)
    files = sum(len(f) for _, _, f in os.walk(release)) if release.is_dir() else 0
    if not findings:
        return (f"leak check OK: {files} files in {release.as_posix()}, stubbed package up to date, "
                "no solution, hidden-test, compiled, database or unknown binary content")
    kinds = sorted({f.kind for f in findings})
    return f"leak check FAILED: {len(findings)} finding(s) in {release.as_posix()} ({', '.join(kinds)})"
