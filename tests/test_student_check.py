"""The student side: the starter kit and its public checks, run the way a student runs them.

A student receives ``release/assignment2`` (nbgrader's Assignment List, or the
same files as a starter repository): notebooks, ``cs231n/``, ``requirements.txt``,
``setup_env.py``. The public checks run as ``python -m cs231n.checks`` in that
folder (no course repository needed) or ``autograder check`` in the course
repository; both run the folder's ``cs231n/check_runner.py`` and must print the
same table, so most tests run both. Real subprocesses on copies of the real
release; the student's code is edited the way a student would (text in
``cs231n/layers.py``).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from autograder.check import CheckError, find_student_package
from autograder.paths import course_root
from student_env import prepare_venv, run_setup, student_copy, student_environ

ROOT = course_root()
RELEASE = ROOT / "release" / "assignment2"
STUB = 'raise NotImplementedError("{fn} is not implemented yet (cs231n/layers.py)")'
AUTOGRADER_CHECK = "autograder check"
PYTHON_M = "python -m cs231n.checks"


@pytest.fixture(scope="module")
def pristine_release(tmp_path_factory) -> Path:
    """The committed release when it is there, else the stub stage's output."""
    if (RELEASE / "cs231n" / "checks.py").is_file():
        return RELEASE
    from autograder.stub import stub_tree, write_tree

    dest = tmp_path_factory.mktemp("release") / "assignment2"
    write_tree(stub_tree(ROOT / "solutions" / "assignment2" / "cs231n", label="cs231n"), dest / "cs231n")
    return dest


@pytest.fixture
def student(pristine_release, tmp_path) -> Path:
    """A student's copy of the release, far from any course directory."""
    dest = tmp_path / "my-assignment2"
    shutil.copytree(pristine_release, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def fill(folder: Path, function: str, code: str) -> None:
    """Replace the stub line of ``function`` in cs231n/layers.py by ``code`` (same indentation)."""
    layers = folder / "cs231n" / "layers.py"
    text = layers.read_text()
    stub = STUB.format(fn=function)
    assert text.count(stub) == 1, f"no unique stub of {function}"
    indent = re.search(r"^([ \t]*)" + re.escape(stub), text, re.M).group(1)
    body = textwrap.indent(textwrap.dedent(code).strip("\n"), indent).lstrip()
    layers.write_text(text.replace(stub, body))


def check(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 300):
    """``autograder check ARGS`` (the course repository's command)."""
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "check", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return proc


@pytest.fixture(params=[AUTOGRADER_CHECK, PYTHON_M])
def run_checks(request):
    """Run the public checks of a folder with either command: ``run_checks(folder, *options)``.

    ``python -m cs231n.checks`` runs in the folder, as a student without the
    course repository runs it (no PYTHONPATH; the package comes from the folder).
    """
    def run(folder: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        if request.param == AUTOGRADER_CHECK:
            return check(*args, str(folder), timeout=timeout)
        return subprocess.run([sys.executable, "-m", "cs231n.checks", *args], cwd=folder,
                              env=student_environ(), capture_output=True, text=True, timeout=timeout)
    run.command = request.param
    return run


def rows(stdout: str) -> dict[str, tuple[str, str]]:
    """{part: (points, result)} from the printed table."""
    found = {}
    for line in stdout.splitlines():
        m = re.match(r"^(\w+)\s+(\d+(?:\.\d+)?/\d+(?:\.\d+)?)\s+(\S.*)$", line)
        if m:
            found[m.group(1)] = (m.group(2), m.group(3))
    return found


def test_fresh_release_every_part_not_implemented(student, run_checks):
    proc = run_checks(student)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = rows(proc.stdout)
    assert len(table) == 38, proc.stdout
    assert table["affine_forward"] == ("0/2", "not implemented yet: affine_forward (cs231n/layers.py)")
    assert table["fc_net"][1].startswith("not implemented yet: FullyConnectedNet.")
    assert all(result.startswith("not implemented yet") for _, result in table.values()), proc.stdout
    assert "0 of 38 parts pass their public checks (0 of 100 points); 38 not implemented yet." in proc.stdout
    assert "nbgrader validate" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
    if run_checks.command == AUTOGRADER_CHECK:  # nothing written into the student's folder
        assert not list(student.rglob("__pycache__"))


def test_ok_failed_error_and_todo_rows(student, run_checks):
    fill(student, "affine_forward", "out = x.reshape(x.shape[0], -1).dot(w) + b")
    fill(student, "relu_forward", "out = x  # forgot the max")
    fill(student, "affine_backward", "dx = dout / 0 + 1 // 0")
    proc = run_checks(student, "-p", "affine_forward", "-p", "relu_forward", "-p", "affine_backward",
                      "-p", "relu_backward")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = rows(proc.stdout)
    assert table["affine_forward"] == ("2/2", "OK")
    assert table["relu_forward"] == ("0/1", "FAILED")
    assert re.search(r"relu_forward: FAILED \(relative error \S+, should be < \S+\)", proc.stdout)
    assert table["affine_backward"] == ("0/3", "FAILED (error)")
    assert re.search(r"raised ZeroDivisionError: .* \(at cs231n/layers\.py:\d+ in affine_backward\)",
                     proc.stdout), proc.stdout
    assert table["relu_backward"] == ("0/1", "not implemented yet: relu_backward (cs231n/layers.py)")
    assert "1 of 4 parts pass their public checks (2 of 7 points); 2 failed, 1 not implemented yet." \
        in proc.stdout
    # --strict: exit 1 unless everything checked passes
    assert run_checks(student, "--strict", "-p", "affine_forward").returncode == 0
    assert run_checks(student, "--strict", "-p", "relu_forward").returncode == 1
    if run_checks.command == AUTOGRADER_CHECK:  # PATH defaults to "."
        assert rows(check("-p", "affine_forward", cwd=student).stdout)["affine_forward"] == ("2/2", "OK")


def test_reference_solution_passes_a_notebook(student):
    shutil.copytree(ROOT / "solutions" / "assignment2" / "cs231n", student / "cs231n", dirs_exist_ok=True)
    proc = check("-n", "Dropout", str(student / "cs231n"))  # the package folder works too
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = rows(proc.stdout)
    assert set(table) == {"dropout_forward", "dropout_backward", "fc_net_dropout"}
    assert all(result == "OK" for _, result in table.values()), proc.stdout
    assert "3 of 3 parts pass their public checks (6 of 6 points)." in proc.stdout


def test_endless_loop_and_crash_are_reported(student, run_checks):
    fill(student, "relu_forward", "while True:\n    pass")
    fill(student, "softmax_loss", "import os\nos._exit(7)")
    proc = run_checks(student, "--timeout", "2", "-p", "affine_forward", "-p", "relu_forward",
                      "-p", "softmax_loss", "-p", "svm_loss", timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = rows(proc.stdout)
    assert table["affine_forward"][1].startswith("not implemented yet")
    assert table["relu_forward"] == ("0/1", "FAILED (timed out)")
    assert "still running after 2 seconds" in proc.stdout
    # the crash in softmax_loss ends the run: it and what follows are "not run"
    assert table["softmax_loss"] == ("0/2", "not run")
    assert table["svm_loss"] == ("0/2", "not run")
    assert "warning: the check process stopped early (exit code 7)" in proc.stdout


def test_usage_errors_exit_2(student, tmp_path):
    proc = check(str(tmp_path / "nothing-here"))
    assert proc.returncode == 2 and "no <package>/checks.py" in proc.stderr
    proc = check("-p", "no_such_part", str(student))
    assert proc.returncode == 2 and "unknown part(s) no_such_part" in proc.stderr
    assert "affine_forward" in proc.stderr  # lists the parts
    # a syntax error in a module costs the parts that use it ...
    layers = student / "cs231n" / "layers.py"
    layers.write_text("def broken(:\n" + layers.read_text())
    proc = check("-p", "affine_forward", "-p", "torch_flatten", str(student))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = rows(proc.stdout)
    assert table["affine_forward"] == ("0/2", "FAILED (error)")
    assert "raised SyntaxError: invalid syntax (layers.py, line 1)" in proc.stdout, proc.stdout
    assert table["torch_flatten"][1].startswith("not implemented yet")
    # ... one in the package itself stops the run with a clear message
    init = student / "cs231n" / "__init__.py"
    init.write_text(init.read_text() + "\nundefined_name + 1\n")
    proc = check(str(student))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert re.search(r"importing cs231n failed: NameError: .*undefined_name.* "
                     r"\(at cs231n/__init__\.py:\d+ in <module>\)", proc.stderr), proc.stderr
    with pytest.raises(CheckError):
        find_student_package(tmp_path)
    # a release from before the check runner existed
    (student / "cs231n" / "check_runner.py").unlink()
    proc = check(str(student))
    assert proc.returncode == 2 and "older than the check runner" in proc.stderr, proc.stderr


AUDIT_HOOK = r'''
import os, sys
_log = os.environ.get("AUDIT_LOG")
if _log:
    _f = open(_log, "a", buffering=1)
    def _hook(event, args):
        if event == "import" and args and isinstance(args[0], str):
            _f.write("%d module %s\n" % (os.getpid(), args[0]))
        if event in ("open", "import") or event.startswith(("os.", "shutil.", "glob.")):
            for a in args:
                if isinstance(a, (str, bytes, os.PathLike)):
                    try:
                        s = os.fsdecode(a)
                    except Exception:
                        continue
                    if os.sep in s:
                        _f.write("%d %s %s\n" % (os.getpid(), event, s))
    sys.addaudithook(_hook)
'''


def test_never_reads_grading_tests_or_solutions(pristine_release, tmp_path):
    """Run in the committed release, next to the course's hidden tests and
    solutions, with an audit hook (in both the CLI and the check process) that
    logs every file opened, listed or imported: nothing under grading_tests/ or
    solutions/ may appear, and no course module besides the CLI is imported."""
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(AUDIT_HOOK)
    log = tmp_path / "audit.log"
    env = dict(os.environ, PYTHONPATH=str(hook_dir), AUDIT_LOG=str(log), PYTHONDONTWRITEBYTECODE="1")
    proc = check("-n", "FullyConnectedNets", cwd=pristine_release, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "parts pass their public checks" in proc.stdout, proc.stdout
    entries = log.read_text().splitlines()
    pids = {e.split(" ", 1)[0] for e in entries}
    assert len(pids) >= 2, "the audit hook did not reach the check process"
    assert any("/cs231n/checks.py" in e for e in entries), "the audit log misses the student's files"
    forbidden = [(ROOT / name).resolve() for name in ("grading_tests", "solutions", "source")]
    bad = []
    for entry in entries:
        if entry.split(" ", 2)[1] == "module":
            continue
        path = Path(entry.split(" ", 2)[2])
        path = (pristine_release / path) if not path.is_absolute() else path
        if any(path.resolve().is_relative_to(f) for f in forbidden) or path.name == "gradebook.db":
            bad.append(entry)
    assert not bad, "\n".join(bad[:20])


# --------------------------------------------------------------------------- the starter kit


def _pins(path: Path) -> dict[str, str]:
    """{canonical name: version} of the ``name==version`` lines that apply on this machine."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate():
            continue
        spec = list(req.specifier)
        assert len(spec) == 1 and spec[0].operator == "==", f"not pinned: {line}"
        pins[canonicalize_name(req.name)] = spec[0].version
    return pins


def _dependency_closure(roots) -> set[str]:
    """Every distribution ``roots`` need on this machine (with the extras asked for), read from
    the metadata of the installed distributions (this virtualenv, installed from the lock)."""
    from importlib.metadata import distribution

    env = default_environment()
    extras_seen: dict[str, set[str]] = {}
    todo = [Requirement(r) if isinstance(r, str) else r for r in roots]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if req.marker is not None and not req.marker.evaluate({**env, "extra": ""}):
            continue
        if name in extras_seen and set(req.extras) <= extras_seen[name]:
            continue
        extras = extras_seen[name] = extras_seen.get(name, set()) | set(req.extras)
        for dep in distribution(name).requires or []:
            dep = Requirement(dep)
            if dep.marker is None or any(dep.marker.evaluate({**env, "extra": e}) for e in ["", *extras]):
                todo.append(Requirement(str(dep).split(";")[0]))  # marker evaluated here
    return set(extras_seen)


def test_student_requirements_are_a_closed_subset_of_the_lock():
    """``requirements.txt`` of the kit pins the grader's versions (``requirements.lock``), and
    everything its packages depend on is pinned too, so a student's environment is one the
    course tested (on this platform; pip adds the few packages other systems need)."""
    kit = _pins(ROOT / "source" / "assignment2" / "requirements.txt")
    lock = _pins(ROOT / "requirements.lock")
    different = {n: (v, lock.get(n)) for n, v in kit.items() if lock.get(n) != v}
    assert not different, f"student pins that differ from requirements.lock: {different}"
    for needed in ("numpy", "scikit-learn", "matplotlib", "torch", "threadpoolctl", "jupyterlab",
                   "ipykernel", "nbgrader"):
        assert needed in kit, needed
    unpinned = _dependency_closure(kit) - set(kit)
    assert not unpinned, f"needed by the student packages but not pinned: {sorted(unpinned)}"
    assert "pytest" not in kit and "playwright" not in kit  # the grader's tools stay out
    text = (ROOT / "source" / "assignment2" / "requirements.txt").read_text()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text  # torch ...+cpu lives there


def test_setup_env_and_public_checks_from_a_release_copy(tmp_path):
    """The whole student path from a copy of release/assignment2 only: its one set-up command
    (pip offline, see student_env.py), the instructor tools of JupyterLab turned off, then
    ``.venv/bin/python -m cs231n.checks``, which never imports or opens anything of the
    course repository (audit hook)."""
    folder = student_copy(tmp_path / "assignment2")
    python = prepare_venv(folder)
    setup = run_setup(folder)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    assert "Requirement already satisfied: numpy==" in setup.stdout
    assert not re.search(r"^(Collecting|Downloading|Installing collected)", setup.stdout, re.M), setup.stdout
    assert ".venv/bin/jupyter lab" in setup.stdout and ".venv/bin/python -m cs231n.checks" in setup.stdout
    page = json.loads((folder / ".venv/etc/jupyter/labconfig/page_config.json").read_text())
    for plugin in ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                   "@jupyter/nbgrader:course-list"):
        assert page["disabledExtensions"].get(plugin) is True, page
        assert page["lockedExtensions"].get(plugin) is True, page
    assert "@jupyter/nbgrader:assignment-list" not in page["disabledExtensions"]
    listing = subprocess.run([str(python), "-m", "jupyter_server.extension.serverextension", "list"],
                             cwd=folder, env=student_environ(JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter")),
                             capture_output=True, text=True, timeout=120)
    states = dict(re.findall(r"(nbgrader\.server_extensions\.\w+) \S*?(enabled|disabled)",
                             re.sub(r"\x1b\[[0-9;]*m", "", listing.stdout + listing.stderr)))
    assert states == {"nbgrader.server_extensions.formgrader": "disabled",
                      "nbgrader.server_extensions.course_list": "disabled",
                      "nbgrader.server_extensions.assignment_list": "enabled",
                      "nbgrader.server_extensions.validate_assignment": "enabled"}, listing.stdout

    # the public checks with the student's interpreter, an audit hook logging what it touches
    fill(folder, "affine_forward", "out = x.reshape(x.shape[0], -1).dot(w) + b")
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(AUDIT_HOOK)
    log = tmp_path / "audit.log"
    proc = subprocess.run([str(python), "-m", "cs231n.checks", "-p", "affine_forward", "-p", "relu_forward"],
                          cwd=folder, env=student_environ(PYTHONPATH=str(hook_dir), AUDIT_LOG=str(log)),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = rows(proc.stdout)
    assert table == {"affine_forward": ("2/2", "OK"),
                     "relu_forward": ("0/1", "not implemented yet: relu_forward (cs231n/layers.py)")}
    entries = [e.split(" ", 2) for e in log.read_text().splitlines()]
    assert len({pid for pid, _, _ in entries}) >= 2, "the audit hook did not reach the check process"
    modules = {name for _, kind, name in entries if kind == "module"}
    assert "cs231n.layers" in modules and "numpy" in modules
    assert not [m for m in modules if m.split(".")[0] == "autograder"]
    course_files = [ROOT / n for n in ("autograder", "grading_tests", "solutions", "source", "release",
                                       "tests", "nbgrader_config.py", "gradebook.db")]
    touched = [path for _, kind, path in entries if kind != "module"]
    bad = [t for t in touched if any(Path(folder, t).resolve().is_relative_to(c.resolve()) for c in course_files)]
    assert not bad, bad[:20]
    # the student's interpreter cannot import the course's package at all
    probe = subprocess.run([str(python), "-c", "import autograder"], cwd=folder, env=student_environ(),
                           capture_output=True, text=True, timeout=60)
    assert probe.returncode != 0 and "No module named 'autograder'" in probe.stderr
