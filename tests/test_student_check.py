"""``autograder check``: a student runs the public checks on their own folder.

Real CLI in a real subprocess on copies of the real release; the student's
code is edited the way a student would (text in ``cs231n/layers.py``).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder.check import CheckError, find_student_folder
from autograder.paths import course_root

ROOT = course_root()
RELEASE = ROOT / "release" / "assignment2"
STUB = 'raise NotImplementedError("{fn} is not implemented yet (cs231n/layers.py)")'


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
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "check", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return proc


def rows(stdout: str) -> dict[str, tuple[str, str]]:
    """{part: (points, result)} from the printed table."""
    found = {}
    for line in stdout.splitlines():
        m = re.match(r"^(\w+)\s+(\d+(?:\.\d+)?/\d+(?:\.\d+)?)\s+(\S.*)$", line)
        if m:
            found[m.group(1)] = (m.group(2), m.group(3))
    return found


def test_fresh_release_every_part_not_implemented(student):
    proc = check(str(student))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = rows(proc.stdout)
    assert len(table) == 38, proc.stdout
    assert table["affine_forward"] == ("0/2", "not implemented yet: affine_forward (cs231n/layers.py)")
    assert table["fc_net"][1].startswith("not implemented yet: FullyConnectedNet.")
    assert all(result.startswith("not implemented yet") for _, result in table.values()), proc.stdout
    assert "0 of 38 parts pass their public checks (0 of 100 points); 38 not implemented yet." in proc.stdout
    assert "nbgrader validate" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
    # nothing written into the student's folder
    assert not list(student.rglob("__pycache__"))


def test_ok_failed_error_and_todo_rows(student):
    fill(student, "affine_forward", "out = x.reshape(x.shape[0], -1).dot(w) + b")
    fill(student, "relu_forward", "out = x  # forgot the max")
    fill(student, "affine_backward", "dx = dout / 0 + 1 // 0")
    proc = check("-p", "affine_forward", "-p", "relu_forward", "-p", "affine_backward",
                 "-p", "relu_backward", cwd=student)  # PATH defaults to "."
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
    assert check("--strict", "-p", "affine_forward", str(student)).returncode == 0
    assert check("--strict", "-p", "relu_forward", str(student)).returncode == 1


def test_reference_solution_passes_a_notebook(student):
    shutil.copytree(ROOT / "solutions" / "assignment2" / "cs231n", student / "cs231n", dirs_exist_ok=True)
    proc = check("-n", "Dropout", str(student / "cs231n"))  # the package folder works too
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = rows(proc.stdout)
    assert set(table) == {"dropout_forward", "dropout_backward", "fc_net_dropout"}
    assert all(result == "OK" for _, result in table.values()), proc.stdout
    assert "3 of 3 parts pass their public checks (6 of 6 points)." in proc.stdout


def test_endless_loop_and_crash_are_reported(student):
    fill(student, "relu_forward", "while True:\n    pass")
    fill(student, "softmax_loss", "import os\nos._exit(7)")
    proc = check("--timeout", "2", "-p", "affine_forward", "-p", "relu_forward", "-p", "softmax_loss",
                 "-p", "svm_loss", str(student), timeout=120)
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
    assert proc.returncode == 2 and "no cs231n/checks.py" in proc.stderr
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
        find_student_folder(tmp_path)


AUDIT_HOOK = r'''
import os, sys
_log = os.environ.get("AUDIT_LOG")
if _log:
    _f = open(_log, "a", buffering=1)
    def _hook(event, args):
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
        path = Path(entry.split(" ", 2)[2])
        path = (pristine_release / path) if not path.is_absolute() else path
        if any(path.resolve().is_relative_to(f) for f in forbidden) or path.name == "gradebook.db":
            bad.append(entry)
    assert not bad, "\n".join(bad[:20])
