"""The grader as an ordinary user: the path of every university JupyterHub and CI runner.

Every other test runs the grader as root, where student code runs as a dedicated worker uid
(``setpriv``). Here the tests, when run as root, drop to a throwaway unprivileged uid
(``NONROOT_UID``, in no group, owning nothing but the files made for it) and run
``autograder grade`` through its command line as that uid, so bubblewrap runs in its
unprivileged mode (a user namespace) and no ``setpriv`` is used by the grader. That uid gets:

* a Python environment it can read: a virtualenv made from the distribution's own
  ``/usr/bin/python3.11`` (this project's venv may use an interpreter under ``/root``,
  which other uids cannot run). ``.ci/run`` builds one beside ``.venv`` (``make venv
  PYTHON=/usr/bin/python3.11 VENV=...``) and names it in ``$AUTOGRADER_TEST_PY311_VENV``;
  otherwise a session fixture builds one with the same command in a world-readable
  temporary folder (pip's cache makes that about a minute) and removes it afterwards;
* its own copy of the course (grader package, hidden suites, reference, notebooks,
  release), which the grader reads through ``AUTOGRADER_COURSE_ROOT`` and ``PYTHONPATH``
  (the environment's editable install points at this checkout, which that uid may not
  be able to read).

Graded as that uid: the reference (full marks, every protection on), an attack that reads
the hidden tests and the reference from student code, and one that writes outside its copy
(the course, the grader, the submission, the results folder, the host's /tmp, $HOME): both
earn what their honest code earns (nothing: the rest is the untouched release) and the
files stay unread and unchanged. Last, where unprivileged user namespaces are disabled
(simulated by a ``bwrap`` on PATH that fails the way bubblewrap does there), the grader
still grades and lists the protections that are off, and ``--require-isolation``
(``c.Sandbox.require_isolation``) makes it refuse in one line instead.
"""
from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from autograder.paths import course_root  # noqa: E402
from autograder.sandbox.permissions import can_reach, may  # noqa: E402
from test_hidden_suites import release_copy  # noqa: E402
from test_hostile_submissions import fill  # noqa: E402

ROOT = course_root()
NONROOT_UID = 62311  # no account, no files: only what these tests chown to it
SYSTEM_PYTHON = Path("/usr/bin/python3.11")
VENV_ENV = "AUTOGRADER_TEST_PY311_VENV"
# What the grader needs of the course (and nothing else: no virtualenvs, no tests)
COURSE_PARTS = ("autograder", "grading_tests", "solutions", "source", "release", "nbgrader_config.py",
                "pyproject.toml")
ALL_PROTECTIONS_ON = {"unprivileged_uid", "no_network", "filesystem_isolated", "hidden_files_unreadable",
                      "grader_files_readonly", "pid_namespace", "disk_limit"}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to a throwaway unprivileged uid "
                                                 "(run as an ordinary user, every test here is that path)"),
    pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) is missing: cannot "
                                                               "drop to an unprivileged uid"),
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed"),
]


def _uid_is_free() -> bool:
    try:
        pwd.getpwuid(NONROOT_UID)
    except KeyError:
        return True
    return False


def _chown_tree(path: Path, uid: int) -> None:
    for p in [path, *path.rglob("*")]:
        os.chown(p, uid, uid, follow_symlinks=False)


def _usable_venv(venv: Path) -> str | None:
    """Why ``venv`` cannot serve as the uid's environment, or None when it can."""
    exe = venv / "bin" / "autograder"
    if not exe.is_file():
        return f"{exe} does not exist"
    python = Path(os.path.realpath(venv / "bin" / "python"))
    for path, want in ((venv, "x"), (exe, "r"), (python, "x")):
        if not (can_reach(path, NONROOT_UID, NONROOT_UID) and may(path, NONROOT_UID, NONROOT_UID, want)):
            return f"uid {NONROOT_UID} cannot use {path}"
    return None


@pytest.fixture(scope="session")
def py311_venv():
    """A virtualenv of the lock from /usr/bin/python3.11 that NONROOT_UID can run."""
    if not _uid_is_free():
        pytest.skip(f"uid {NONROOT_UID} has an account here: not a throwaway uid")
    given = os.environ.get(VENV_ENV)
    if given:
        why = _usable_venv(Path(given))
        if why is None:
            yield Path(given)
            return
        print(f"\n{VENV_ENV}={given} is not usable by uid {NONROOT_UID} ({why}); building one")
    if not SYSTEM_PYTHON.is_file():
        pytest.skip(f"{SYSTEM_PYTHON} (the distribution's Python) is not installed")
    home = Path(tempfile.mkdtemp(prefix="autograder-nonroot-venv-"))
    os.chmod(home, 0o755)
    venv = home / "venv"
    t0 = time.monotonic()
    try:
        r = subprocess.run(["make", "-C", str(ROOT), "venv", f"PYTHON={SYSTEM_PYTHON}", f"VENV={venv}"],
                           capture_output=True, text=True, timeout=1800)
        assert r.returncode == 0, f"make venv with {SYSTEM_PYTHON} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
        subprocess.run(["chmod", "-R", "a+rX", str(venv)], check=True)
        print(f"\nbuilt {venv} from {SYSTEM_PYTHON} in {time.monotonic() - t0:.1f} s")
        assert _usable_venv(venv) is None, _usable_venv(venv)
        yield venv
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def world():
    """A folder every uid can enter: the uid's course copy, home, submissions and outputs."""
    d = Path(tempfile.mkdtemp(prefix="autograder-nonroot-"))
    os.chmod(d, 0o755)
    course = d / "course"
    course.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for name in COURSE_PARTS:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, course / name, ignore=ignore)
        elif src.is_file():
            shutil.copy2(src, course / name)
    for sub in ("home", "tmp", "submissions", "out"):
        (d / sub).mkdir()
    for p in (course, d / "home", d / "tmp", d / "submissions", d / "out"):
        _chown_tree(p, NONROOT_UID)
    os.chmod(d / "home", 0o700)
    os.chmod(d / "tmp", 0o700)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def grade(venv: Path, world: Path, submission: Path, name: str, *args: str, path_prefix: str = ""):
    """``autograder grade`` run as NONROOT_UID: (completed process, grading.json or None)."""
    out = world / "out" / name
    out.mkdir()
    os.chown(out, NONROOT_UID, NONROOT_UID)
    course = world / "course"
    env = {
        "PATH": (path_prefix + os.pathsep if path_prefix else "") + "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(world / "home"),
        "TMPDIR": str(world / "tmp"),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "AUTOGRADER_COURSE_ROOT": str(course),
        "PYTHONPATH": str(course),  # the uid's copy of the grader, not this checkout's
    }
    cmd = ["setpriv", "--reuid", str(NONROOT_UID), "--regid", str(NONROOT_UID), "--clear-groups",
           str(venv / "bin" / "autograder"), "grade", str(submission), "--assignment", "assignment2",
           "--results", str(out / "grading.json"), *args]
    r = subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True, timeout=600)
    path = out / "grading.json"
    return r, (json.loads(path.read_text()) if path.exists() else None)


def submission(world: Path, name: str) -> Path:
    """A copy of the untouched release in the uid's own folder."""
    dest = world / "submissions" / name
    dest.mkdir()
    release_copy(dest)
    return dest


def own(path: Path) -> Path:
    _chown_tree(path, NONROOT_UID)
    return path


def part(data: dict, grade_id: str) -> dict:
    return next(p for p in data["parts"] if p["grade_id"] == grade_id)


def score(p: dict) -> float:
    total = sum(t["weight"] for t in p["tests"])
    passed = sum(t["weight"] for t in p["tests"] if t["status"] == "passed")
    return p["max_points"] * passed / total if total else 0.0


def snapshot(*roots: Path) -> dict[str, str]:
    """{path: sha256} of every file under ``roots`` (no byte-code caches)."""
    out = {}
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for f in files:
            if "__pycache__" not in f.parts:
                out[str(f)] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def test_reference_full_marks_as_an_ordinary_user(py311_venv, world):
    ref = world / "submissions" / "reference"
    shutil.copytree(world / "course" / "solutions" / "assignment2", ref)
    own(ref)
    r, data = grade(py311_venv, world, ref, "reference")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert data is not None and not data["errors"], data and data["errors"]
    assert data["score"] == data["max_score"] == 100, r.stdout[-3000:]
    assert "Score: 100.00 / 100" in r.stdout
    # which protections the grader says are on: all of them, bubblewrap unprivileged
    prot = data["protections"]
    assert ALL_PROTECTIONS_ON <= set(prot) and all(prot.values()), prot
    assert "protections off" not in r.stdout and "protections off" not in r.stderr
    on = [line for line in r.stdout.splitlines() if line.startswith("Sandbox protections on:")]
    assert len(on) == 1 and all(name in on[0] for name in ALL_PROTECTIONS_ON), r.stdout[-3000:]
    assert data["sandbox_notes"] == []


def test_reading_the_hidden_tests_earns_nothing(py311_venv, world):
    course = world / "course"
    targets = [course / "grading_tests" / "assignment2" / "test_layers.py",
               course / "solutions" / "assignment2" / "cs231n" / "layers.py",
               course / "source" / "assignment2" / "FullyConnectedNets.ipynb",
               course / "nbgrader_config.py"]
    listings = [course, course / "grading_tests", course / "grading_tests" / "assignment2", world]
    assert all(t.is_file() for t in targets)
    sub = submission(world, "reads_hidden")
    fill(sub, "layers.py", "affine_forward", f"""
import errno, os
report = []
for path in {[str(t) for t in targets]!r}:
    try:
        with open(path) as fh:
            report.append("READ-OK " + path + " " + fh.read(60).replace(chr(10), " "))
    except OSError as e:
        report.append("denied " + path + " " + errno.errorcode.get(e.errno, str(e.errno)))
for path in {[str(p) for p in listings]!r}:
    try:
        report.append("READ-OK " + path + " " + ",".join(sorted(os.listdir(path))[:8]))
    except OSError as e:
        report.append("denied " + path + " " + errno.errorcode.get(e.errno, str(e.errno)))
if any(line.startswith("READ-OK") for line in report):  # could read: earn the points
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)
raise RuntimeError("attack report: " + "; ".join(report))
""")
    own(sub)
    r, data = grade(py311_venv, world, sub, "reads_hidden", "--part", "affine_forward")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    text = json.dumps(data)
    assert "attack report: denied" in text, text[:3000]  # the attack ran ...
    assert "READ-OK" not in text, text[:3000]             # ... and read nothing
    p = part(data, "affine_forward")
    assert p["tests"] and score(p) == 0, p  # the untouched release earns 0 here too
    assert all(data["protections"].values()), data["protections"]


def test_writing_outside_the_copy_changes_nothing(py311_venv, world):
    course = world / "course"
    sub = submission(world, "writes_outside")
    out_dir = world / "out" / "writes_outside"
    token = f"pwned-{os.getpid()}-{time.monotonic_ns()}"
    appended = [course / "grading_tests" / "assignment2" / "test_layers.py", course / "nbgrader_config.py",
                course / "autograder" / "runner.py", sub / "cs231n" / "layers.py"]
    created = [course / token, course / "grading_tests" / "assignment2" / f"test_{token.replace('-', '_')}.py",
               sub / token, out_dir / "results.json", out_dir / token, Path("/tmp") / token,
               world / "home" / token, world / "tmp" / token, Path("/var/tmp") / token]
    fill(sub, "layers.py", "affine_forward", f"""
import errno
report = []
for path, mode in [(p, "a") for p in {[str(p) for p in appended]!r}] + [(p, "w") for p in {[str(p) for p in created]!r}]:
    try:
        with open(path, mode) as fh:
            fh.write(chr(10) + "def test_pwned(): pass  # {token}" + chr(10))
        report.append("wrote " + path)
    except OSError as e:
        report.append("denied " + path + " " + errno.errorcode.get(e.errno, str(e.errno)))
raise RuntimeError("attack report: " + "; ".join(report))
""")
    own(sub)
    watched = [course, sub]
    before = snapshot(*watched)
    r, data = grade(py311_venv, world, sub, "writes_outside", "--part", "affine_forward")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "attack report:" in json.dumps(data)  # it ran
    assert snapshot(*watched) == before  # the course, the grader and the submission are unchanged
    for path in created:
        assert not path.exists(), f"student code created {path} on the host"
    p = part(data, "affine_forward")
    assert p["tests"] and score(p) == 0, p
    assert all(data["protections"].values()), data["protections"]


@pytest.fixture(scope="module")
def no_userns_bwrap(world):
    """A ``bwrap`` that fails as bubblewrap does where unprivileged user namespaces are off
    (e.g. Ubuntu's apparmor_restrict_unprivileged_userns, kernel.unprivileged_userns_clone=0)."""
    d = world / "fake-bin"
    d.mkdir()
    fake = d / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    os.chmod(fake, 0o755)
    os.chmod(d, 0o755)
    return d


def test_without_user_namespaces_the_grader_says_so_and_the_course_decides(py311_venv, world, no_userns_bwrap):
    sub = own(submission(world, "no_userns"))
    # require_isolation off (the course's default): it grades, and lists what is off
    r, data = grade(py311_venv, world, sub, "no_userns", "--part", "affine_forward",
                    path_prefix=str(no_userns_bwrap))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    off = [line for line in r.stdout.splitlines() if "Sandbox protections off on this machine:" in line]
    assert len(off) == 1, r.stdout[-3000:]
    for name in ("no_network", "filesystem_isolated", "hidden_files_unreadable", "pid_namespace"):
        assert name in off[0] and data["protections"][name] is False, (name, off[0])
    assert data["protections"]["unprivileged_uid"] is True  # an ordinary user's worker is one
    # ... and says why, in one line
    why = [line for line in r.stdout.splitlines() if line.startswith("Sandbox: bubblewrap cannot create namespaces")]
    assert len(why) == 1 and "Permission denied" in why[0], r.stdout[-3000:]
    assert part(data, "affine_forward")["tests"]  # graded anyway
    # required (c.Sandbox.require_isolation = True, here its flag): one line, no grade
    r, data = grade(py311_venv, world, sub, "no_userns_required", "--part", "affine_forward",
                    "--require-isolation", path_prefix=str(no_userns_bwrap))
    assert r.returncode == 2, r.stdout[-3000:] + r.stderr[-3000:]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("autograder: grading could not run:")
    assert "bubblewrap cannot create namespaces here: bwrap: setting up uid map: Permission denied" in lines[0]
    assert "no_network" in lines[0] and data is None
