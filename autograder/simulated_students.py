"""A class of simulated students of an assignment (the demo, tests and benchmarks).

Every student's work is built from the course itself: the released notebooks
and stubbed package (``release/<a>/``) and the reference package
(``solutions/<a>/<package>/``; the solution markers are comments, so the
reference files run as they are). What is course-specific (which files the
partial student solved, the planted bugs, what the malicious student attacks)
comes from the assignment's ``[demo]`` table (:class:`autograder.course.DemoSpec`).
Kinds:

``reference``  the reference solution (full marks);
``untouched``  the release handed back as is (every graded function a stub: 0);
``partial``    the ``partial_files`` of the package done, everything else a stub;
``bug-*``      the reference with one planted bug (``[demo.bugs.<name>]``); each loses
               points on the part it names;
``malicious``  the untouched release plus attempts to raise its score or reach
               the grader (``templates/malicious_prelude.py.tmpl`` appended to the
               ``[demo.malicious] module``, and the ``functions`` listed there):
               forged result files, a forged done-marker and gradebook, numpy's
               comparison functions patched to always agree, ``os._exit(0)`` /
               ``sys.exit(0)`` / killing its parent inside graded functions,
               graded notebook cells rewritten to print full points, reading the
               hidden tests, the reference and the gradebook, the network.  Every
               attempt must fail: it scores 0, and nothing it writes reaches the
               course (each write carries the text :func:`pwned_mark`);
``malformed``  one notebook that is not JSON (its package is the reference);
``missing``    ``[demo.missing]``: a notebook and a package file left out (the notebook's
               parts are graded from the code; the file's parts score 0).
"""
from __future__ import annotations

import json
import shutil
import string
from dataclasses import dataclass
from pathlib import Path

from autograder.course import Assignment

PRELUDE_TEMPLATE = Path(__file__).resolve().parent / "templates" / "malicious_prelude.py.tmpl"


class BugNotPlanted(RuntimeError):
    """The reference no longer holds the text a planted bug replaces."""


def pwned_mark(student_id: str, root: Path) -> str:
    """The text every write of the malicious student carries (built at run time in
    its code, so the text itself appears only where a write got through)."""
    return f"PWNED-BY-{student_id}@{Path(root).resolve()}"


def kinds(spec: Assignment) -> list[str]:
    """The kinds of simulated student ``spec``'s ``[demo]`` table allows, in roster order."""
    d = spec.demo
    out = ["reference", "untouched"]
    if d.partial_files:
        out.append("partial")
    out += [b.name for b in d.bugs]
    if d.malicious_module:
        out.append("malicious")
    out.append("malformed")
    if d.missing_notebook or d.missing_file:
        out.append("missing")
    return out


def bug_parts(spec: Assignment) -> dict[str, str]:
    """``{planted bug: the part whose hidden tests it must fail}``."""
    return {b.name: b.part for b in spec.demo.bugs}


@dataclass
class SimulatedStudent:
    student_id: str
    kind: str
    path: Path
    note: str = ""


def _copy_release(release: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(release, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))


def _copy_reference(spec: Assignment, dest: Path, files: tuple[str, ...] | None = None) -> None:
    src = spec.solutions_dir / spec.package
    for f in sorted(src.rglob("*.py")):
        rel = f.relative_to(src)
        if files is None or rel.as_posix() in files:
            (dest / spec.package / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dest / spec.package / rel)


def make_student(kind: str, student_id: str, dest: Path, spec: Assignment) -> SimulatedStudent:
    """Write the work of one simulated student of ``kind`` into ``dest`` (an assignment folder)."""
    dest = Path(dest)
    pkg = spec.package
    _copy_release(spec.release_dir, dest)
    bugs = {b.name: b for b in spec.demo.bugs}
    note = ""
    if kind == "reference":
        _copy_reference(spec, dest)
    elif kind == "untouched":
        pass
    elif kind == "partial":
        _copy_reference(spec, dest, spec.demo.partial_files)
        note = "solved " + ", ".join(spec.demo.partial_files)
    elif kind in bugs:
        _copy_reference(spec, dest)
        bug = bugs[kind]
        target = dest / pkg / bug.file
        text = target.read_text()
        if bug.old not in text:
            raise BugNotPlanted(f"{kind}: {bug.old!r} is not in {spec.solutions_dir / pkg / bug.file}; "
                                f"update [demo.bugs.{kind}] in grading_tests/{spec.name}/assignment.toml")
        head, _, tail = text.rpartition(bug.old)  # the code, not a TODO comment quoting it
        target.write_text(head + bug.new + tail)
        note = f"{bug.file}: {bug.old!r} -> {bug.new!r}"
    elif kind == "malicious":
        _make_malicious(dest, student_id, spec)
        note = "untouched release + attempts to raise its score (must get 0)"
    elif kind == "malformed":
        _copy_reference(spec, dest)
        nb = sorted(dest.glob("*.ipynb"))[0]
        nb.write_text('{"cells": [ this is not json')
        note = f"{nb.name} is not valid JSON"
    elif kind == "missing":
        _copy_reference(spec, dest)
        left_out = []
        if spec.demo.missing_notebook:
            (dest / spec.demo.missing_notebook).unlink()
            left_out.append(spec.demo.missing_notebook)
        if spec.demo.missing_file:
            (dest / pkg / spec.demo.missing_file).unlink()
            left_out.append(f"{pkg}/{spec.demo.missing_file}")
        note = "left out " + " and ".join(left_out)
    else:
        raise ValueError(f"unknown kind {kind!r}; one of {kinds(spec)}")
    return SimulatedStudent(student_id, kind, dest, note)


def _replace_stub(text: str, function: str, body: str, where: str) -> str:
    """Replace the one-line stub of ``function`` by ``body`` (same indentation)."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.strip().startswith("raise NotImplementedError") and f'"{function} is not' in line:
            indent = line[: len(line) - len(line.lstrip())]
            lines[i] = "".join(indent + b + "\n" for b in body.splitlines())
            return "".join(lines)
    raise BugNotPlanted(f"no stub of {function} in {where} of the release")


def _make_malicious(dest: Path, student_id: str, spec: Assignment) -> None:
    """The untouched release in ``dest`` plus every attack (see the module doc)."""
    import nbformat

    pkg = dest / spec.package
    by_file: dict[str, list[tuple[str, str]]] = {}
    for key, body in spec.demo.malicious_functions.items():
        fname, _, function = key.partition(":")
        by_file.setdefault(fname, []).append((function, body))
    for fname, items in by_file.items():
        text = (pkg / fname).read_text()
        for function, body in items:
            text = _replace_stub(text, function, body, f"{spec.package}/{fname}")
        (pkg / fname).write_text(text)
    module = pkg / spec.demo.malicious_module
    notebooks = sorted(p.name for p in dest.glob("*.ipynb"))
    # string.Template: the prelude is Python full of braces; $-names are the only holes
    prelude = string.Template(PRELUDE_TEMPLATE.read_text()).substitute(
        root=repr(str(Path(spec.root).resolve())), sid=repr(student_id), assignment=repr(spec.name),
        package=repr(spec.package), module=repr(spec.demo.malicious_module),
        notebook=repr(notebooks[0] if notebooks else "notebook.ipynb"))
    module.write_text(module.read_text() + "\n" + prelude)  # module level: runs at import
    # graded cells rewritten to end with their full points (nbgrader's partial-credit rule)
    for nb_path in sorted(dest.glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                cell.source = f'print("all hidden tests passed")\n{float(meta.get("points", 0))}'
                meta["points"] = 1000  # and worth more
        nbformat.write(nb, nb_path)
    # forged reports handed in with the work
    forged = {"score": 100.0, "output": "all tests passed", "tests": []}
    (dest / "results.json").write_text(json.dumps(forged))
    (dest / "grades.csv").write_text(f"student_id,score\n{student_id},100\n")


def expectation(kind: str, spec: Assignment) -> str:
    """What a student of ``kind`` must score (autograded parts), in a few words."""
    parts = bug_parts(spec)
    if kind in parts:
        return f"loses {parts[kind]}"
    return {"reference": "full", "untouched": "0", "partial": "some, not all", "malicious": "0",
            "malformed": "full (code)",
            "missing": _missing_expectation(spec)}.get(kind, "?")


def _missing_expectation(spec: Assignment) -> str:
    loses = spec.demo.missing_loses
    if len(loses) <= 2:
        return "loses " + ", ".join(loses) + " only"
    return f"loses the {len(loses)} parts of {spec.demo.missing_file} only"


def meets_expectation(kind: str, grades: dict[str, tuple[float, float]], spec: Assignment) -> bool:
    """Whether the autograded grades ``{grade_id: (score, max)}`` of a student of ``kind``
    are what :func:`expectation` says (only the parts present in ``grades`` count)."""
    if not grades:
        return False
    got = sum(s for s, _ in grades.values())
    full = sum(m for _, m in grades.values())
    parts = bug_parts(spec)
    if kind in ("reference", "malformed"):
        return abs(got - full) < 1e-6
    if kind in ("untouched", "malicious"):
        return got == 0.0
    if kind == "partial":
        return 0.0 < got < full
    if kind in parts:
        part = parts[kind]
        return part in grades and grades[part][0] < grades[part][1]
    if kind == "missing":  # the missing file's parts score 0; the missing notebook's keep theirs
        lost = [g for g in spec.demo.missing_loses if g in grades]
        kept = all(grades[g][0] == grades[g][1] for g in spec.demo.missing_keeps if g in grades)
        return bool(lost) and all(grades[g][0] == 0.0 for g in lost) and kept
    return False


def class_roster(spec: Assignment, n: int | None = None) -> list[tuple[str, str]]:
    """``(student_id, kind)`` pairs: one of every kind, or ``n`` students cycling through them."""
    ks = kinds(spec)
    if n is None:
        return [(f"{i:02d}-{k}", k) for i, k in enumerate(ks, 1)]
    return [(f"s{i:03d}-{ks[i % len(ks)]}", ks[i % len(ks)]) for i in range(n)]


def build_class(dest_root: Path, roster: list[tuple[str, str]], spec: Assignment) -> list[SimulatedStudent]:
    """Write every student's assignment folder as ``dest_root/<student>/<assignment>/``."""
    return [make_student(kind, sid, Path(dest_root) / sid / spec.name, spec) for sid, kind in roster]
