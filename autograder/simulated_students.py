"""A class of simulated students for assignment 2 (the demo, tests and benchmarks).

Every student's work is built from the course itself: the released notebooks
and stubbed ``cs231n/`` (``release/<a>/``) and the reference package
(``solutions/<a>/cs231n/``, markers stripped by nothing: the markers are
comments, so the reference files run as they are).  Kinds:

``reference``  the reference solution (full marks);
``untouched``  the release handed back as is (only given code works);
``partial``    optimizers and the sandwich layer done, everything else a stub;
``bug-*``      the reference with one planted bug (momentum sign, Adam without
               bias correction, non-inverted dropout, ReLU letting negatives
               through in backward, affine without bias);
``malicious``  the reference plus import-time attacks on the grader (read the
               hidden tests / solutions / gradebook, open a socket, write
               outside the submission, overwrite the grader's files);
``malformed``  a notebook that is not JSON;
``missing``    a notebook and ``cs231n/optim.py`` left out.
"""
from __future__ import annotations

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

MALICIOUS_PRELUDE = '''
# --- simulated malicious student: every attempt is expected to fail in the sandbox
import os as _os, socket as _socket
_LOOT = {}
for _p in ("../../../grading_tests", "/work/main/grading_tests", "../../../solutions",
           "../../../gradebook.db", "/etc/shadow", _os.path.expanduser("~/.ssh")):
    try:
        _LOOT[_p] = sorted(_os.listdir(_p)) if _os.path.isdir(_p) else open(_p, "rb").read(64)
    except Exception as _e:
        _LOOT[_p] = repr(_e)
try:
    _socket.create_connection(("1.1.1.1", 80), timeout=1).close()
    _LOOT["net"] = "open"
except Exception as _e:
    _LOOT["net"] = repr(_e)
for _p in ("/tmp/pwned-by-student", "../../../gradebook.db"):
    try:
        with open(_p, "a") as _f:
            _f.write("pwned")
    except Exception as _e:
        _LOOT[_p] = repr(_e)
# --- end of the attack
'''

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
            note = f"bug not planted: {old!r} not found in {fname}"
        else:
            head, _, tail = text.rpartition(old)  # the code, not a TODO comment quoting it
            target.write_text(head + new + tail)
            note = f"{fname}: {old!r} -> {new!r}"
    elif kind == "malicious":
        _copy_reference(solutions, dest)
        target = dest / "cs231n" / "layers.py"
        text = target.read_text()
        # after the module docstring / __future__ imports: append is always valid Python
        target.write_text(text + "\n" + MALICIOUS_PRELUDE)
        note = "reads hidden tests/gradebook, opens a socket, writes outside its folder"
    elif kind == "malformed":
        _copy_reference(solutions, dest)
        nb = sorted(dest.glob("*.ipynb"))[0]
        nb.write_text('{"cells": [ this is not json')
        note = f"{nb.name} is not valid JSON"
    elif kind == "missing":
        _copy_reference(solutions, dest)
        nb = sorted(dest.glob("*.ipynb"))[-1]
        nb.unlink()
        (dest / "cs231n" / "optim.py").unlink()
        note = f"left out {nb.name} and cs231n/optim.py"
    else:
        raise ValueError(f"unknown kind {kind!r}; one of {KINDS}")
    return SimulatedStudent(student_id, kind, dest, note)


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
