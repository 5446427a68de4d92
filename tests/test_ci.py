"""``autograder ci`` and the GitHub Actions template for student repositories.

The command is tested on a tiny synthetic course (fast); the workflow template
is parsed with PyYAML and its ``run:`` steps are executed locally, in order,
on a simulated student repository with the real hidden suites of assignment2.
That repository has the documented starter layout: the files of
``release/assignment2`` at its top (notebooks, ``cs231n/``, ``requirements.txt``,
``setup_env.py``, ``README.md``), the workflow in ``.github/workflows/``.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
import yaml

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from autograder.ci import CIError, check_tests_from, clean_copy
from autograder.paths import course_root, release_dir, solutions_dir

REPO = course_root()
VENV_BIN = Path(sys.executable).parent
AUTOGRADER = str(VENV_BIN / "autograder")
WORKFLOW = REPO / "templates" / "github-actions" / "autograde.yml"
GS_TEST_KEYS = {"name", "number", "score", "max_score", "status", "output", "tags", "visibility"}


# -- a tiny synthetic course --------------------------------------------------------

def make_course(root: Path, assignment: str = "demo") -> Path:
    """A course root: one hidden test module, a reference package, one notebook declaring the part."""
    tests = root / "grading_tests" / assignment
    tests.mkdir(parents=True)
    (tests / "test_x.py").write_text(textwrap.dedent("""
        import numpy as np
        import pytest

        @pytest.mark.grade("double", points=1)
        def test_double_values(submission):
            x = np.arange(6.0).reshape(2, 3)
            out = submission.layers.double(x)
            assert np.allclose(out, 2 * x), "double(x) should return 2 * x"

        @pytest.mark.grade("double", points=1)
        def test_double_shape(submission):
            assert submission.layers.double(np.ones((4, 5))).shape == (4, 5), "double keeps the shape"
    """))
    pkg = root / "solutions" / assignment / "cs231n"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "layers.py").write_text("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n")
    src = root / "source" / assignment
    src.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("# checked by the hidden tests")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                 "grade_id": "double", "points": 4, "schema_version": 3}
    nb.cells.append(cell)
    nbformat.write(nb, src / "Demo.ipynb")
    return root


def make_student_repo(path: Path, body: str = "return 2 * x") -> Path:
    """A git repository in the starter layout (cs231n/ at the top), one commit."""
    (path / "cs231n").mkdir(parents=True)
    (path / "cs231n" / "__init__.py").write_text("")
    (path / "cs231n" / "layers.py").write_text(f"def double(x):\n    {body}\n")
    git_init_commit(path)
    return path


def git_init_commit(path: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@example.org",
           "GIT_COMMITTER_NAME": "s", "GIT_COMMITTER_EMAIL": "s@example.org"}
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "submission"]):
        subprocess.run(cmd, cwd=path, check=True, env=env, capture_output=True)


def run_ci(args: list[str], cwd: Path, **env) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith("GITHUB_") and k != "AUTOGRADER_COURSE_ROOT"}
    full_env.update(env)
    return subprocess.run([AUTOGRADER, "ci", *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=600)


def check_gradescope(path: Path) -> dict:
    data = json.loads(path.read_text())
    for key in ("score", "max_score", "execution_time", "tests"):
        assert key in data, key
    for t in data["tests"]:
        assert GS_TEST_KEYS <= set(t), t
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(data["score"], abs=1e-3)
    return data


# -- the command ----------------------------------------------------------------------

def test_ci_grades_checkout_and_writes_reports(tmp_path):
    course = make_course(tmp_path / "course")
    student = make_student_repo(tmp_path / "student", body="return 2 * x + 1  # wrong values")
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step\n")
    gh_out = tmp_path / "github_output"
    r = run_ci(["student", "--tests-from", str(course), "--assignment", "demo", "--output-dir", "out"],
               cwd=tmp_path, GITHUB_STEP_SUMMARY=str(summary), GITHUB_OUTPUT=str(gh_out))
    assert r.returncode == 0, r.stderr
    assert "Score: 2.00 / 4" in r.stdout
    data = check_gradescope(tmp_path / "out" / "results.json")
    assert (data["score"], data["max_score"]) == (2.0, 4.0)
    failed = [t for t in data["tests"] if t["status"] == "failed"]
    assert len(failed) == 1 and "2 * x" in failed[0]["output"]
    junit = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    assert len(list(junit.iter("testcase"))) == 2
    md = summary.read_text()
    assert md.startswith("earlier step\n")  # appended, not overwritten
    assert "## demo: 2.00 / 4 points" in md
    assert (tmp_path / "out" / "summary.md").read_text() in md
    assert "score=2.00" in gh_out.read_text() and "max_score=4" in gh_out.read_text()
    assert json.loads((tmp_path / "out" / "grading.json").read_text())["submission"].endswith("student")


def test_ci_full_marks_and_default_checkout(tmp_path):
    course = make_course(tmp_path / "course")
    student = make_student_repo(tmp_path / "student")
    r = run_ci([".", "--tests-from", str(course), "--assignment", "demo", "--output-dir",
                str(tmp_path / "res")], cwd=student)
    assert r.returncode == 0, r.stderr
    data = check_gradescope(tmp_path / "res" / "results.json")
    assert data["score"] == data["max_score"] == 4.0


def test_ci_refuses_hidden_tests_inside_the_checkout(tmp_path):
    student = make_student_repo(tmp_path / "student", body="return x  # wrong")
    fake = make_course(student / "instructor")  # the student's own "hidden tests" ...
    (fake / "grading_tests" / "demo" / "test_x.py").write_text(
        "import pytest\n@pytest.mark.grade('double', points=1)\ndef test_ok(submission):\n    pass\n")
    marker = tmp_path / "config-ran"
    (fake / "nbgrader_config.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    summary = tmp_path / "summary.md"
    r = run_ci(["student", "--tests-from", "student/instructor", "--assignment", "demo",
                "--output-dir", "out"], cwd=tmp_path, GITHUB_STEP_SUMMARY=str(summary))
    assert r.returncode == 2
    assert "refusing to grade with hidden tests from the student's repository" in r.stderr
    assert not marker.exists(), "the student's nbgrader_config.py was executed"
    assert not (tmp_path / "out").exists()
    assert "not graded" in summary.read_text()


def test_ci_refuses_hidden_tests_linked_into_the_checkout(tmp_path):
    student = make_student_repo(tmp_path / "student")
    make_course(student / "fake")
    course = make_course(tmp_path / "course")
    shutil.rmtree(course / "grading_tests" / "demo")
    (course / "grading_tests" / "demo").symlink_to(student / "fake" / "grading_tests" / "demo")
    with pytest.raises(CIError, match="grading_tests .* is inside the student checkout"):
        check_tests_from(course, student, "demo")


def test_ci_exit_code_2_when_grading_cannot_run(tmp_path):
    student = make_student_repo(tmp_path / "student")
    empty = tmp_path / "not-a-course"
    empty.mkdir()
    r = run_ci(["student", "--tests-from", str(empty), "--assignment", "demo"], cwd=tmp_path)
    assert r.returncode == 2 and "no hidden tests" in r.stderr
    r = run_ci(["student", "--tests-from", str(tmp_path / "missing")], cwd=tmp_path)
    assert r.returncode == 2 and "is not a directory" in r.stderr


def test_ci_exit_code_2_when_the_output_dir_cannot_be_written(tmp_path):
    course = make_course(tmp_path / "course")
    make_student_repo(tmp_path / "student")
    (tmp_path / "a-file").write_text("not a directory\n")
    summary = tmp_path / "summary.md"
    r = run_ci(["student", "--tests-from", str(course), "--assignment", "demo",
                "--output-dir", "a-file/results"], cwd=tmp_path, GITHUB_STEP_SUMMARY=str(summary))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "grading could not run: NotADirectoryError" in r.stderr and "a-file/results" in r.stderr
    assert "Traceback" not in r.stderr
    assert "## demo: not graded" in summary.read_text()
    assert "Score:" not in r.stdout  # refused before grading


def test_ci_exit_code_2_when_the_sandbox_is_unavailable(tmp_path):
    """A course that forces bubblewrap (--bwrap on) on a machine without it: exit 2 with the
    reason, not a zero score for the student."""
    course = make_course(tmp_path / "course")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\nc.Sandbox.bwrap_path = '/nonexistent/bwrap'\n")
    make_student_repo(tmp_path / "student")
    summary = tmp_path / "summary.md"
    r = run_ci(["student", "--tests-from", str(course), "--assignment", "demo", "--output-dir", "out",
                "--bwrap", "on"], cwd=tmp_path, GITHUB_STEP_SUMMARY=str(summary), GITHUB_ACTIONS="true")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "grading could not run: SandboxUnavailable: use_bwrap=True but bubblewrap not found" in r.stderr
    assert "Traceback" not in r.stderr
    assert "::error title=autograder::grading could not run: SandboxUnavailable" in r.stdout
    assert "bubblewrap not found" in summary.read_text()
    assert not (tmp_path / "out" / "results.json").exists()


def test_clean_copy_drops_vcs_and_links_out_of_the_checkout(tmp_path):
    student = make_student_repo(tmp_path / "student")
    secret = tmp_path / "secret.py"
    secret.write_text("HIDDEN = 1\n")
    (student / "cs231n" / "leak.py").symlink_to(secret)
    (student / "cs231n" / "alias.py").symlink_to(student / "cs231n" / "layers.py")
    (student / ".github" / "workflows").mkdir(parents=True)
    copy = clean_copy(student, tmp_path / "copy")
    assert (copy / "cs231n" / "layers.py").is_file()
    assert not (copy / ".git").exists() and not (copy / ".github").exists()
    assert not (copy / "cs231n" / "leak.py").exists() and not (copy / "cs231n" / "leak.py").is_symlink()
    assert (copy / "cs231n" / "alias.py").is_symlink()  # a link inside the repository stays a link


# -- the GitHub Actions template ----------------------------------------------------

_EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def substitute(text: str, contexts: dict) -> str:
    """Evaluate the simple ``${{ a.b }}`` expressions the template uses."""
    def value(m):
        scope, _, name = m.group(1).partition(".")
        if scope == "secrets":
            return "dummy-token"
        return str(contexts[scope][name])
    return _EXPR.sub(value, text)


def test_workflow_template_is_valid():
    wf = yaml.safe_load(WORKFLOW.read_text())
    steps = wf["jobs"]["autograde"]["steps"]
    uses = [s["uses"].split("@")[0] for s in steps if "uses" in s]
    assert uses == ["actions/checkout", "actions/checkout", "actions/setup-python", "actions/upload-artifact"]
    checkouts = [s for s in steps if s.get("uses", "").startswith("actions/checkout")]
    assert checkouts[1]["with"]["token"] == "${{ secrets.AUTOGRADER_TOKEN }}"
    paths = [c["with"]["path"] for c in checkouts]
    env = wf["env"]
    assert [substitute(p, {"env": env}) for p in paths] == [env["STUDENT_PATH"], env["GRADER_PATH"]]
    assert env["STUDENT_PATH"] != env["GRADER_PATH"]
    assert next(s for s in steps if "setup-python" in s.get("uses", ""))["with"]["python-version"] == "3.11"
    assert any("requirements.lock" in s.get("run", "") for s in steps)
    assert any("autograder ci" in s.get("run", "") and "--tests-from" in s["run"] for s in steps)
    upload = steps[-1]
    assert upload["if"] == "always()" and "RESULTS_PATH" in upload["with"]["path"]


def lock_pins() -> dict[str, str]:
    """{canonical name: version} of requirements.lock."""
    pins = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    return pins


def would_install(pip_output: str) -> dict[str, str]:
    """{canonical name: version} from the "Would install a-1.0 b-2.0" line(s) of ``pip install --dry-run``."""
    found = {}
    for line in re.findall(r"^Would install (.+)$", pip_output, re.M):
        for item in line.split():
            name, _, version = item.rpartition("-")
            found[canonicalize_name(name)] = version
    return found


@pytest.mark.slow
def test_workflow_template_runs_on_a_student_repository(tmp_path):
    """Run the template's ``run:`` steps in order, like a runner would (``bash -eo pipefail``).

    ``uses:`` steps are skipped: the two checkouts are simulated (the student's
    repository is a git repository in the workspace, in the starter layout;
    the instructor's checkout is a symbolic link to this course root at the
    workflow's GRADER_PATH), and setup-python is this interpreter. The install
    step runs as a dry run (see below); the grade step then uses this project's
    .venv, installed from the same lock file by ``make``.
    """
    wf = yaml.safe_load(WORKFLOW.read_text())
    workspace, runner_temp = tmp_path / "workspace", tmp_path / "runner-temp"
    workspace.mkdir()
    runner_temp.mkdir()
    files = {k: tmp_path / f for k, f in (("GITHUB_STEP_SUMMARY", "step_summary.md"), ("GITHUB_PATH", "path"),
                                          ("GITHUB_ENV", "env"), ("GITHUB_OUTPUT", "output"))}
    for f in files.values():
        f.write_text("")
    contexts = {"github": {"workspace": workspace}, "runner": {"temp": runner_temp}, "env": {}}
    wf_env = {k: substitute(str(v), contexts) for k, v in wf["env"].items()}
    contexts["env"] = wf_env

    # checkout 1: the student's repository: the starter kit (the release's files at the top) and
    # the workflow, with every function written (the reference) but one broken
    student = workspace / wf_env["STUDENT_PATH"]
    release = release_dir("assignment2")
    assert (release / "requirements.txt").is_file(), "release/assignment2 lacks the student kit"
    shutil.copytree(release, student, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    shutil.copytree(solutions_dir("assignment2") / "cs231n", student / "cs231n", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    with open(student / "cs231n" / "layers.py", "a") as f:
        f.write("\n\ndef relu_forward(x):  # a student's mistake\n    return 0.5 * np.maximum(x, 0), x\n")
    (student / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(WORKFLOW, student / ".github" / "workflows" / "autograde.yml")
    git_init_commit(student)
    # checkout 2: the instructor's repository, simulated by this course root
    (workspace / wf_env["GRADER_PATH"]).symlink_to(REPO, target_is_directory=True)

    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("GITHUB_", "RUNNER_")) and k != "AUTOGRADER_COURSE_ROOT"}
    base_env["PATH"] = os.pathsep.join(p for p in base_env.get("PATH", "").split(os.pathsep)
                                       if p and Path(p).resolve() != VENV_BIN.resolve())
    base_env.update(wf_env, CI="true", GITHUB_WORKSPACE=str(workspace), RUNNER_TEMP=str(runner_temp),
                    **{k: str(v) for k, v in files.items()})
    ran = []
    for step in wf["jobs"]["autograde"]["steps"]:
        if "uses" in step:
            continue
        script = substitute(step["run"], contexts)
        env = dict(base_env)
        extra_path = [p for p in files["GITHUB_PATH"].read_text().splitlines() if p]
        env["PATH"] = os.pathsep.join(list(reversed(extra_path)) + [env["PATH"]])
        for line in files["GITHUB_ENV"].read_text().splitlines():
            if "=" in line:
                k, _, v = line.partition("=")
                env[k] = v
        installs = "pip install" in script
        if installs:
            # The install step runs as a dry run: `pip install --dry-run` resolves and downloads
            # everything and installs nothing (a real install of the lock is ~1.5 GB, 5-10
            # minutes). That still proves the step: the virtualenv is created, every pin of
            # requirements.lock resolves with its dependencies from the indexes the template
            # names, nothing outside the lock is needed, and the grader package itself builds
            # (its build dependencies are installed for real in pip's isolated build env, which
            # is why the flag goes on the command line: a PIP_DRY_RUN variable would reach that
            # inner pip too). PIP_VERBOSE=1 cancels the step's --quiet so pip says what it would
            # install. PIP_RETRIES=0: this machine cannot reach the PyTorch index the template
            # adds (its torch wheel comes from pip's configured find-links) and pip would
            # otherwise retry that index, with back-off, for every package.
            assert script.count("-m pip install ") == 2, script
            script = script.replace("-m pip install ", "-m pip install --dry-run ")
            env.update(PIP_VERBOSE="1", PIP_RETRIES="0")
        r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                           cwd=workspace, env=env, capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, f"step {step['name']!r} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
        ran.append((step["name"], r))
        if installs:
            venv_bin = runner_temp / "grader-venv" / "bin"
            assert (venv_bin / "python").exists()
            assert files["GITHUB_PATH"].read_text().splitlines() == [str(venv_bin)]
            lock = lock_pins()
            planned = would_install(r.stdout)
            # "==2.13.0" is met by 2.13.0+cpu too (a local label): the lock pins torch that way
            wrong = {n: (v, lock.get(n)) for n, v in planned.items() if n != "autograder"
                     and (n not in lock or v not in SpecifierSet("==" + lock[n]))}
            assert not wrong, f"the install step would install versions not in the lock: {wrong}"
            # the fresh venv already has pip (and maybe the lock's setuptools): all else is installed
            assert set(lock) - set(planned) <= {"setuptools", "pip"}, sorted(set(lock) - set(planned))
            assert planned.get("autograder") == "0.1.0", r.stdout[-2000:]
            # the dry run installed nothing: the grade step uses this project's .venv (the same lock)
            files["GITHUB_PATH"].write_text(f"{VENV_BIN}\n")
    names = [n for n, _ in ran]
    assert names == ["Install the grader from its lock file", "Install the sandbox (bubblewrap)", "Grade"]

    grade = ran[-1][1]
    assert re.search(r"Score: \d+\.\d\d / \d+", grade.stdout)
    results = workspace / wf_env["RESULTS_PATH"]
    data = check_gradescope(results / "results.json")
    assert 0 < data["score"] < data["max_score"]
    relu = [t for t in data["tests"] if t["name"].startswith("relu_forward:")]
    assert relu and any(t["status"] == "failed" for t in relu)
    assert sum(t["score"] for t in relu) < sum(t["max_score"] for t in relu)
    assert all(t["status"] == "passed" for t in data["tests"] if t["name"].startswith(("adam:", "affine_forward:")))
    assert ET.parse(results / "junit.xml").getroot() is not None
    md = files["GITHUB_STEP_SUMMARY"].read_text()
    assert f"## assignment2: {data['score']:.2f} / {data['max_score']:g} points" in md
    assert "relu_forward" in md
    assert f"score={data['score']:.2f}" in files["GITHUB_OUTPUT"].read_text()
    # the student's repository was only read
    assert subprocess.run(["git", "status", "--porcelain"], cwd=student, capture_output=True,
                          text=True).stdout == ""
