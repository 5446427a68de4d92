"""Stage 1 of the pipeline: turn reference modules into their student version.

Every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region of a reference
module becomes one line::

    raise NotImplementedError("FullyConnectedNet.loss is not implemented yet (cs231n/classifiers/fc_net.py)")

at the region's indentation. Everything outside the regions (signatures,
docstrings, given code, the ``# TODO`` text above a region) is kept byte for
byte; ``# TODO`` comment blocks that sit *inside* a region are kept as comments
before the ``raise``. Files without regions are copied unchanged.

Markers are found with :mod:`tokenize` (only in comments); marker text inside a
string, nested or unbalanced markers, a region outside a function body, or a
result that does not compile raise :class:`StubError` naming ``path:line``:
the stage never writes a half-stubbed package.
"""
from __future__ import annotations

import ast
import io
import os
import re
import shutil
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

BEGIN_MARKER = "### BEGIN SOLUTION"
END_MARKER = "### END SOLUTION"

# Anything that looks like an nbgrader delimiter, however it is spelled.
_MARKER_LIKE = re.compile(r"\b(BEGIN|END)\s+(SOLUTION|HIDDEN\s+TESTS|MARK\s+SCHEME)\b")
_TODO = re.compile(r"^\s*#\s*TODO\b")

# Directory and file names never carried into a release.
SKIP_DIRS = frozenset({"__pycache__", ".ipynb_checkpoints"})
SKIP_SUFFIXES = (".pyc", ".pyo")


class StubError(Exception):
    """A reference module cannot be stubbed; ``str()`` is ``path:line: message``."""

    def __init__(self, path: str | os.PathLike, line: int, message: str):
        self.path = str(path)
        self.line = int(line)
        self.message = message
        super().__init__(f"{self.path}:{self.line}: {message}")


@dataclass(frozen=True)
class Region:
    """One solution region: 1-based line numbers of its two marker lines."""

    begin: int
    end: int
    indent: str
    function: str
    todo_lines: tuple[int, ...] = field(default=())


# --------------------------------------------------------------------------- scanning


def _marker_comments(text: str, path: str) -> list[tuple[int, str, str]]:
    """``(line, kind, indent)`` for every marker comment, ``kind`` is BEGIN/END.

    Raises StubError for marker text in strings, for comments that look like
    a marker but are not exactly one, and for markers sharing a line with code.
    """
    lines = text.splitlines(keepends=True)
    found: list[tuple[int, str, str]] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError) as exc:
        line = getattr(exc, "lineno", None) or (exc.args[1][0] if len(exc.args) > 1 else 1)
        raise StubError(path, line, f"cannot tokenize: {exc.args[0]}") from None
    for tok in tokens:
        row = tok.start[0]
        if tok.type == tokenize.STRING or tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
            m = _MARKER_LIKE.search(tok.string)
            if m:
                line = row + tok.string[: m.start()].count("\n")
                raise StubError(path, line, f"solution marker text {m.group(0)!r} inside a string; "
                                "markers must be comment lines")
        elif tok.type == tokenize.COMMENT:
            comment = tok.string.rstrip()
            if not _MARKER_LIKE.search(comment):
                continue
            physical = lines[row - 1]
            if physical.strip() != comment:
                raise StubError(path, row, "solution marker must be on a line of its own")
            if comment == BEGIN_MARKER:
                kind = "BEGIN"
            elif comment == END_MARKER:
                kind = "END"
            else:
                raise StubError(path, row, f"unrecognised marker comment {comment!r}; "
                                f"use exactly {BEGIN_MARKER!r} / {END_MARKER!r}")
            indent = physical[: len(physical) - len(physical.lstrip())]
            found.append((row, kind, indent))
    return found


def _functions(tree: ast.AST) -> list[tuple[ast.AST, str, int]]:
    """``(node, qualified name, depth)`` for every function, classes in the name."""
    out: list[tuple[ast.AST, str, int]] = []

    def visit(node: ast.AST, prefix: str, depth: int) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                out.append((child, name, depth))
                visit(child, name + ".", depth + 1)
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.", depth + 1)
            else:
                visit(child, prefix, depth)

    visit(tree, "", 0)
    return out


def _header_end(node: ast.AST) -> int:
    """Last line of a def's header (decorators, arguments, annotations)."""
    rows = [node.lineno]
    a = node.args
    parts = [*a.posonlyargs, *a.args, *a.kwonlyargs, *a.defaults,
             *[d for d in a.kw_defaults if d is not None]]
    parts += [x for x in (a.vararg, a.kwarg, node.returns) if x is not None]
    rows += [getattr(p, "end_lineno", None) or node.lineno for p in parts]
    return max(rows)


def _code_lines(text: str) -> set[int]:
    """Line numbers holding something other than whitespace and comments."""
    rows: set[int] = set()
    ignore = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
              tokenize.DEDENT, tokenize.ENDMARKER, tokenize.ENCODING}
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type not in ignore:
            rows.update(range(tok.start[0], tok.end[0] + 1))
    return rows


def find_regions(text: str, path: str | os.PathLike = "<string>") -> list[Region]:
    """The solution regions of a module's source, validated; see the module doc."""
    path = str(path)
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        raise StubError(path, exc.lineno or 1, f"syntax error: {exc.msg}") from None
    markers = _marker_comments(text, path)
    if not markers:
        return []
    pairs: list[tuple[int, int, str]] = []
    open_at: tuple[int, str] | None = None
    for row, kind, indent in markers:
        if kind == "BEGIN":
            if open_at is not None:
                raise StubError(path, row, f"nested {BEGIN_MARKER!r} (region opened at line {open_at[0]} "
                                "is not closed)")
            open_at = (row, indent)
        else:
            if open_at is None:
                raise StubError(path, row, f"{END_MARKER!r} without a matching {BEGIN_MARKER!r}")
            if indent != open_at[1]:
                raise StubError(path, row, f"{END_MARKER!r} is indented differently from the "
                                f"{BEGIN_MARKER!r} at line {open_at[0]}")
            pairs.append((open_at[0], row, open_at[1]))
            open_at = None
    if open_at is not None:
        raise StubError(path, open_at[0], f"{BEGIN_MARKER!r} without a matching {END_MARKER!r}")

    functions = _functions(tree)
    code_rows = _code_lines(text)
    lines = text.splitlines()

    regions: list[Region] = []
    for begin, end, indent in pairs:
        inner = sorted(r for r in code_rows if begin < r < end)
        # the line that fixes the enclosing function: the region's first line of
        # code, or (for a region without code) its BEGIN line.
        probe = inner[0] if inner else begin
        best: tuple[ast.AST, str, int] | None = None
        for node, name, depth in functions:
            last = node.end_lineno or node.lineno
            body_col = node.body[0].col_offset
            if not _header_end(node) < begin:
                continue
            if probe <= last:
                inside = True
            else:  # a region without code after the function's last statement
                inside = (not inner and len(indent) >= body_col
                          and not any(r in code_rows for r in range(last + 1, begin)))
            if inside and (best is None or depth > best[2]):
                best = (node, name, depth)
        if best is None:
            raise StubError(path, begin, "solution region outside a function body; regions must "
                            "sit inside a def (module-level and class-level regions cannot be stubbed)")
        node, name, _ = best
        last = node.end_lineno or node.lineno
        if inner and inner[-1] > last:
            raise StubError(path, begin, f"solution region extends past the end of {name}() "
                            f"(code at line {inner[-1]})")
        if len(indent) < node.body[0].col_offset:
            raise StubError(path, begin, f"solution region is indented less than the body of {name}()")
        # TODO comment blocks inside the region: a '# TODO' line and the comment
        # lines that directly follow it.
        todo: list[int] = []
        in_todo = False
        for row in range(begin + 1, end):
            stripped = lines[row - 1].strip()
            if _TODO.match(lines[row - 1]):
                in_todo = True
            elif not stripped.startswith("#"):
                in_todo = False
            if in_todo:
                todo.append(row)
        regions.append(Region(begin, end, indent, name, tuple(todo)))
    return regions


# --------------------------------------------------------------------------- rewriting


def stub_message(function: str, relpath: str) -> str:
    return f"{function} is not implemented yet ({relpath})"


def stub_source(text: str, relpath: str, path: str | os.PathLike | None = None) -> str:
    """The student version of one module's source.

    ``relpath`` is the package-relative path shown to students
    (``cs231n/layers.py``); ``path`` is the file named in errors.
    """
    path = str(path if path is not None else relpath)
    regions = find_regions(text, path)
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    origin: list[int] = []  # source line of every output line
    row = 1
    for region in regions:
        out.extend(lines[row - 1: region.begin - 1])
        origin.extend(range(row, region.begin))
        begin_line = lines[region.begin - 1]
        newline = begin_line[len(begin_line.rstrip("\r\n")):] or "\n"
        for todo_row in region.todo_lines:
            out.append(lines[todo_row - 1])
            origin.append(todo_row)
        message = stub_message(region.function, relpath)
        quoted = message.replace("\\", "\\\\").replace('"', '\\"')
        out.append(f'{region.indent}raise NotImplementedError("{quoted}"){newline}')
        origin.append(region.begin)
        row = region.end + 1
    out.extend(lines[row - 1:])
    origin.extend(range(row, len(lines) + 1))
    result = "".join(out)
    try:
        compile(result, f"{path} (stubbed)", "exec", dont_inherit=True)
    except SyntaxError as exc:
        at = exc.lineno or 1
        src_line = origin[at - 1] if 0 < at <= len(origin) else at
        raise StubError(path, src_line,
                        f"stubbed module does not compile: {exc.msg} (line {at} of the stubbed "
                        "output); check the region's indentation") from None
    return result


def _walk(src: Path) -> list[Path]:
    """Files under ``src`` in a fixed order, without caches and compiled files."""
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            if name.endswith(SKIP_SUFFIXES):
                continue
            files.append(Path(dirpath) / name)
    return files


def stub_tree(src: str | os.PathLike, label: str | None = None) -> dict[str, bytes]:
    """Student versions of every file under ``src``: ``{posix relpath: bytes}``.

    ``label`` is the prefix students see in messages (default: ``src``'s name,
    so ``solutions/a/cs231n`` gives ``cs231n/optim.py``). Nothing is written.
    """
    src = Path(src)
    if not src.is_dir():
        raise StubError(src, 0, "reference package directory not found")
    label = label if label is not None else src.name
    out: dict[str, bytes] = {}
    for file in _walk(src):
        rel = file.relative_to(src).as_posix()
        data = file.read_bytes()
        if file.suffix == ".py":
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise StubError(file, 1, f"not UTF-8: {exc}") from None
            stubbed = stub_source(text, f"{label}/{rel}" if label else rel, path=file)
            data = stubbed.encode("utf-8")
        out[rel] = data
    return out


def write_tree(files: dict[str, bytes], dest: str | os.PathLike) -> list[Path]:
    """Replace ``dest`` with exactly ``files`` (mode 644, sorted order)."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    written: list[Path] = []
    for rel in sorted(files):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files[rel])
        os.chmod(target, 0o644)
        written.append(target)
    return written


def stub_package(src: str | os.PathLike, dest: str | os.PathLike,
                 label: str | None = None) -> list[Path]:
    """Stub every module under ``src`` into ``dest`` (replacing it). All or nothing."""
    files = stub_tree(src, label)  # raises before anything is written
    return write_tree(files, dest)


def tree_differences(files: dict[str, bytes], dest: str | os.PathLike) -> list[tuple[str, str]]:
    """How ``dest`` differs from ``files``: sorted ``(relpath, problem)`` pairs,
    ``problem`` one of ``"missing"``, ``"differs"``, ``"extra"`` (caches ignored);
    ``[("", "missing")]`` when ``dest`` is not a directory."""
    dest = Path(dest)
    if not dest.is_dir():
        return [("", "missing")]
    present = {p.relative_to(dest).as_posix(): p for p in _walk(dest)}
    out = [(rel, "missing") for rel in files if rel not in present]
    out += [(rel, "extra") for rel in present if rel not in files]
    out += [(rel, "differs") for rel, data in files.items()
            if rel in present and present[rel].read_bytes() != data]
    return sorted(out)


def tree_matches(files: dict[str, bytes], dest: str | os.PathLike) -> bool:
    """Whether ``dest`` holds exactly ``files`` (ignoring caches)."""
    return not tree_differences(files, dest)


# --------------------------------------------------------------------------- an assignment


@dataclass(frozen=True)
class Unit:
    """One released unit of ``solutions/<a>/``: a package directory (``files``
    keyed by path inside it) or a top-level module (``files == {"": bytes}``)."""

    name: str
    is_package: bool
    files: dict[str, bytes]


def _has_python(directory: Path) -> Path | None:
    for file in _walk(directory):
        if file.suffix == ".py":
            return file
    return None


def student_units(solutions: str | os.PathLike) -> list[Unit]:
    """The student version of ``solutions/<a>/``, in name order.

    Every ``.py`` file under ``solutions/<a>/`` is released as its stub:
    packages (directories holding ``__init__.py``) whole (their other files
    copied unchanged) and top-level modules (``solutions/<a>/helpers.py``)
    alone, and a package with public checks (``checks.py``) gets the framework's
    check runner (:mod:`autograder.student_kit`). Other top-level files stay with
    the instructor. A ``.py`` file in
    a directory that is not a package cannot be imported by the notebooks, so
    it is a :class:`StubError` rather than being left out silently.
    """
    base = Path(solutions)
    if not base.is_dir():
        raise StubError(base, 0, "reference solutions directory not found")
    units: list[Unit] = []
    for entry in sorted(base.iterdir(), key=lambda p: p.name):
        if entry.name in SKIP_DIRS or entry.name.endswith(SKIP_SUFFIXES):
            continue
        if entry.is_dir():
            if (entry / "__init__.py").is_file():
                units.append(Unit(entry.name, True, stub_tree(entry, label=entry.name)))
            elif (stray := _has_python(entry)) is not None:
                raise StubError(stray, 1, f"{entry.name}/ has .py files but no __init__.py: it is "
                                "not a package, so it would not be released; add "
                                f"{entry.name}/__init__.py or move the file out of solutions/")
        elif entry.suffix == ".py" and entry.is_file():
            try:
                text = entry.read_bytes().decode("utf-8")
            except UnicodeDecodeError as exc:
                raise StubError(entry, 1, f"not UTF-8: {exc}") from None
            units.append(Unit(entry.name, False,
                              {"": stub_source(text, entry.name, path=entry).encode("utf-8")}))
    from .student_kit import add_student_kit

    return add_student_kit(units)


def flat_tree(units: list[Unit]) -> dict[str, bytes]:
    """``{path relative to release/<a>/: bytes}`` of ``units``."""
    out: dict[str, bytes] = {}
    for unit in units:
        for rel, data in unit.files.items():
            out[f"{unit.name}/{rel}" if unit.is_package else unit.name] = data
    return out


def write_units(units: list[Unit], dest: str | os.PathLike) -> list[Path]:
    """Write every unit into ``dest`` (``release/<a>/``), replacing packages whole."""
    dest = Path(dest)
    written: list[Path] = []
    for unit in units:
        if unit.is_package:
            written += write_tree(unit.files, dest / unit.name)
        else:
            target = dest / unit.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(unit.files[""])
            os.chmod(target, 0o644)
            written.append(target)
    return written


def unit_differences(units: list[Unit], dest: str | os.PathLike) -> list[tuple[str, str]]:
    """``(path relative to dest, problem)`` for every way ``dest`` (``release/<a>/``)
    differs from ``units`` (see :func:`tree_differences`)."""
    dest = Path(dest)
    out: list[tuple[str, str]] = []
    for unit in units:
        if unit.is_package:
            for rel, problem in tree_differences(unit.files, dest / unit.name):
                out.append((f"{unit.name}/{rel}" if rel else unit.name, problem))
        elif not (dest / unit.name).is_file():
            out.append((unit.name, "missing"))
        elif (dest / unit.name).read_bytes() != unit.files[""]:
            out.append((unit.name, "differs"))
    return out
