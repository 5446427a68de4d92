"""What an assignment says about itself: the one declarative place every stage reads.

The framework knows no course. Each assignment describes itself in
``grading_tests/<a>/assignment.toml`` (trusted side, never released)::

    [assignment]
    title = "..."                       # shown in reports and the demo
    package = "mypkg"                   # the package students write (solutions/<a>/mypkg/)
    reference_modules = ["mypkg.layers"]  # imported on the trusted side before the suite
    hidden_site_paths = ["sklearn/datasets/data"]  # site-packages folders hidden from workers
    preload = ["torch"]                 # heavy modules imported up front on both sides
    preload_for = ["test_torch.py"]     # the hidden test files that need them (see below)
    notebook_preload = ["numpy"]        # what grade-all --execute's warm kernels import up front

    [parts.affine_forward]              # one table a graded part (grade_id = notebook cell)
    grades = ["layers.affine_forward"]  # what the part grades (names inside the package)
    needs = []                          # other graded names whose student versions its tests run
    from_reference = []                 # of those, the ones served from the reference
    integration = false                 # true: the part grades the student's own composite
    edge_cases = []                     # names of its edge-case tests (a small share)
    time_limit = 10.0                   # optional: seconds each of its calls may take at least

    [demo]                              # the demo's simulated students (see simulated_students)

Points stay in the notebooks (nbgrader's record); :mod:`autograder.parts`
reads them. Paths come from :mod:`autograder.paths`. ``tomllib`` is the
standard library's TOML reader (3.11+), so nothing is added to install.
"""
from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from autograder import paths

DESCRIPTION_FILE = "assignment.toml"


class CourseError(Exception):
    """The course's description of an assignment is missing or wrong (the message says where)."""


@dataclass(frozen=True)
class PartSpec:
    """One graded part as the assignment describes it.

    ``grades``/``needs``/``from_reference`` hold dotted names inside the
    student package (``"layers.affine_forward"``, ``"classifiers.fc_net.FullyConnectedNet"``).
    """

    grade_id: str
    grades: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    from_reference: tuple[str, ...] = ()
    integration: bool = False
    edge_cases: tuple[str, ...] = ()
    time_limit: float | None = None


@dataclass(frozen=True)
class PlantedBug:
    """A demo student: the reference with ``old`` replaced by ``new`` in ``file`` (inside the
    package); it must lose points on ``part``."""

    name: str
    file: str
    old: str
    new: str
    part: str


@dataclass(frozen=True)
class DemoSpec:
    """The demo's simulated students (see :mod:`autograder.simulated_students`)."""

    partial_files: tuple[str, ...] = ()          # package files the 'partial' student solved
    bugs: tuple[PlantedBug, ...] = ()
    missing_notebook: str = ""                   # what the 'missing' student leaves out ...
    missing_file: str = ""                       # ... (a notebook, a package file)
    missing_loses: tuple[str, ...] = ()          # parts that must score 0 then
    missing_keeps: tuple[str, ...] = ()          # parts that must keep full marks
    malicious_module: str = ""                   # package file the attack prelude is added to
    malicious_functions: dict[str, str] = field(default_factory=dict)  # "file:function" -> body
    sanity_script: str = ""                      # course script the demo runs first (root-relative)


@dataclass(frozen=True)
class Assignment:
    """An assignment of the course at ``root``, as ``grading_tests/<a>/assignment.toml`` says."""

    name: str
    root: Path
    title: str
    package: str
    reference_modules: tuple[str, ...] = ()
    hidden_site_paths: tuple[str, ...] = ()
    # heavy modules (torch, say) a whole grading imports up front: the grader while its
    # sandboxed worker does the same before it reports ready (side by side, not one after the
    # other), and grade-all's job servers once, before they fork the gradings
    preload: tuple[str, ...] = ()
    # the hidden test files (names in grading_tests/<a>/) that use ``preload``: a whole
    # ``autograder grade`` on two or more cores runs them in a second grader process, beside
    # the other files, whose worker then starts without the preload (empty: one process)
    preload_for: tuple[str, ...] = ()
    # what the notebooks import before their first graded cell (numpy, matplotlib.pyplot, the
    # data loader's library): the fork server of grade-all --execute's notebook kernels
    # imports them once (besides ipykernel) and each kernel is forked with them imported
    notebook_preload: tuple[str, ...] = ()
    parts: tuple[PartSpec, ...] = ()
    demo: DemoSpec = field(default_factory=DemoSpec)

    @property
    def solutions_dir(self) -> Path:
        return paths.solutions_dir(self.name, self.root)

    @property
    def source_dir(self) -> Path:
        return paths.source_dir(self.name, self.root)

    @property
    def release_dir(self) -> Path:
        return paths.release_dir(self.name, self.root)

    @property
    def grading_tests_dir(self) -> Path:
        return paths.grading_tests_dir(self.name, self.root)

    def part(self, grade_id: str) -> PartSpec | None:
        return next((p for p in self.parts if p.grade_id == grade_id), None)

    def preload_needed_by(self, files: Iterable[str]) -> tuple[str, ...]:
        """The ``preload`` a run of the hidden test ``files`` (names in grading_tests/<a>/)
        needs up front: all of it when one of them is in ``preload_for`` (any file, when
        ``preload_for`` is empty), else none."""
        files = set(files)
        needed = bool(files & set(self.preload_for)) if self.preload_for else bool(files)
        return self.preload if needed else ()


def _strings(table: dict, key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CourseError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def _part(grade_id: str, table: dict, where: str) -> PartSpec:
    known = {"grades", "needs", "from_reference", "integration", "edge_cases", "time_limit"}
    unknown = set(table) - known
    if unknown:
        raise CourseError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})")
    limit = table.get("time_limit")
    return PartSpec(
        grade_id=grade_id,
        grades=_strings(table, "grades", where),
        needs=_strings(table, "needs", where),
        from_reference=_strings(table, "from_reference", where),
        integration=bool(table.get("integration", False)),
        edge_cases=_strings(table, "edge_cases", where),
        time_limit=float(limit) if limit is not None else None,
    )


def _demo(table: dict, where: str) -> DemoSpec:
    bugs = []
    for name, bug in table.get("bugs", {}).items():
        missing = {"file", "old", "new", "part"} - set(bug)
        if missing:
            raise CourseError(f"{where} [demo.bugs.{name}]: missing {', '.join(sorted(missing))}")
        bugs.append(PlantedBug(name, bug["file"], bug["old"], bug["new"], bug["part"]))
    missing = table.get("missing", {})
    malicious = table.get("malicious", {})
    return DemoSpec(
        partial_files=_strings(table, "partial_files", where),
        bugs=tuple(bugs),
        missing_notebook=missing.get("notebook", ""),
        missing_file=missing.get("file", ""),
        missing_loses=_strings(missing, "loses", where),
        missing_keeps=_strings(missing, "keeps", where),
        malicious_module=malicious.get("module", ""),
        malicious_functions=dict(malicious.get("functions", {})),
        sanity_script=table.get("sanity_script", ""),
    )


def description_path(name: str, root: Path | None = None) -> Path:
    return paths.grading_tests_dir(name, root) / DESCRIPTION_FILE


def load_assignment(name: str, root: Path | str | None = None) -> Assignment:
    """Read ``grading_tests/<name>/assignment.toml`` of the course at ``root`` (without one,
    an assignment whose ``solutions/<name>/`` holds one package is described by that alone)."""
    root = Path(root).resolve() if root else paths.course_root()
    path = description_path(name, root)
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise CourseError(f"{path}: {e}") from None
    elif path.parent.is_dir():
        # the smallest assignment (hidden tests and a reference package, nothing to say):
        # its package is the one package of solutions/<a>/
        data = {"assignment": {"package": _only_package(name, root, path)}}
    else:
        known = ", ".join(list_assignments(root)) or "none"
        raise CourseError(f"no assignment {name!r} in {root}: no {path.parent} (assignments: {known})")
    head = data.get("assignment", {})
    package = head.get("package")
    if not isinstance(package, str) or not package.isidentifier():
        raise CourseError(f"{path}: [assignment] package must name the package students write")
    parts = tuple(_part(gid, t, f"{path} [parts.{gid}]") for gid, t in data.get("parts", {}).items())
    return Assignment(
        name=name,
        root=root,
        title=head.get("title", name),
        package=package,
        reference_modules=_strings(head, "reference_modules", f"{path} [assignment]"),
        hidden_site_paths=_strings(head, "hidden_site_paths", f"{path} [assignment]"),
        preload=_strings(head, "preload", f"{path} [assignment]"),
        preload_for=_test_files(head, path),
        notebook_preload=_strings(head, "notebook_preload", f"{path} [assignment]"),
        parts=parts,
        demo=_demo(data.get("demo", {}), str(path)),
    )


def _test_files(head: dict, path: Path) -> tuple[str, ...]:
    """``preload_for``: names of hidden test files next to ``path``."""
    files = _strings(head, "preload_for", f"{path} [assignment]")
    missing = [f for f in files if "/" in f or not (path.parent / f).is_file()]
    if missing:
        raise CourseError(f"{path}: preload_for names {', '.join(missing)}, not a file of {path.parent}")
    return files


def _only_package(name: str, root: Path, path: Path) -> str:
    base = paths.solutions_dir(name, root)
    found = sorted(d.name for d in base.iterdir() if (d / "__init__.py").is_file()) if base.is_dir() else []
    if len(found) != 1:
        raise CourseError(f"{path} is missing and solutions/{name}/ holds {len(found)} packages "
                          f"({', '.join(found) or 'none'}): say which one students write there "
                          "([assignment] package = ...)")
    return found[0]


def list_assignments(root: Path | str | None = None) -> list[str]:
    """The assignments of the course at ``root`` (the folders of ``grading_tests/``), sorted."""
    base = Path(root or paths.course_root()) / "grading_tests"
    if not base.is_dir():
        return []
    return sorted(d.name for d in base.iterdir() if d.is_dir() and not d.name.startswith((".", "_")))


def resolve_assignment(name: str | None, root: Path | str | None = None,
                       hint: Path | str | None = None) -> str:
    """The assignment a command means: ``name`` when given; else the one whose folder
    ``hint`` (a submission path such as ``release/<a>`` or ``submitted/<s>/<a>``) is named
    for; else the course's only assignment. Raises :class:`CourseError` listing the
    choices when it cannot tell."""
    known = list_assignments(root)
    if name:
        return name
    if hint is not None:
        for part in reversed(Path(hint).resolve().parts):
            if part in known:
                return part
    if len(known) == 1:
        return known[0]
    raise CourseError("which assignment? pass --assignment, one of: " + (", ".join(known) or "(none found)"))
