"""``autograder gradescope-bundle``: the zip, run the way Gradescope runs it.

The bundle of the real assignment2 is built with the CLI, unzipped into a
temporary root laid out like Gradescope's (``<root>/source`` = the bundle,
``<root>/submission``, ``<root>/results``) and ``run_autograder`` is run with
``AUTOGRADER_GS_ROOT=<root>``. ``setup.sh`` is not run (it apt-installs
bubblewrap and Python 3.11 and pip-installs requirements.lock into
``<root>/venv``): this project's existing .venv, which was installed from the
same lock file, stands in for that venv (``AUTOGRADER_GS_PYTHON``, and first
on PATH).
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from autograder.gradescope_bundle import place_submission
from autograder.paths import course_root, release_dir, solutions_dir
from autograder.stub import stub_package

REPO = course_root()
ASSIGNMENT = "assignment2"
VENV_BIN = Path(sys.executable).parent
GS_TEST_KEYS = {"name", "number", "score", "max_score", "status", "output", "tags", "visibility"}
FORGED = {"score": 100.0, "output": "FORGED by student code", "tests": []}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    r = subprocess.run([str(VENV_BIN / "autograder"), "gradescope-bundle", ASSIGNMENT, "-o", str(out)],
                       capture_output=True, text=True, timeout=300,
                       env={**os.environ, "AUTOGRADER_COURSE_ROOT": str(REPO)})
    assert r.returncode == 0, r.stderr
    assert f"wrote {out}" in r.stdout
    return out


def gradescope_root(bundle: Path, root: Path) -> Path:
    """``<root>/source`` = the unzipped bundle (modes kept, like ``unzip``), empty submission/results."""
    (root / "submission").mkdir(parents=True)
    (root / "results").mkdir()
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
        for info in zf.infolist():
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(root / "source" / info.filename, mode)
    return root


def run_autograder(root: Path, extra_args: str = "", python: str = sys.executable
                   ) -> tuple[subprocess.CompletedProcess, dict]:
    env = {k: v for k, v in os.environ.items() if k not in ("AUTOGRADER_COURSE_ROOT", "PYTHONPATH")}
    env.update(AUTOGRADER_GS_ROOT=str(root), AUTOGRADER_GS_PYTHON=python,
               PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}")
    if extra_args:
        env["AUTOGRADER_GS_EXTRA_ARGS"] = extra_args
    # Gradescope runs its own copy at /autograder/run_autograder; the script only uses $AUTOGRADER_GS_ROOT
    r = subprocess.run([str(root / "source" / "run_autograder")], cwd=root, env=env,
                       capture_output=True, text=True, timeout=900)
    path = root / "results" / "results.json"
    assert path.is_file(), f"no results.json\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r, json.loads(path.read_text())


def check_schema(data: dict) -> None:
    assert isinstance(data["score"], (int, float)) and isinstance(data["max_score"], (int, float))
    assert isinstance(data["execution_time"], (int, float))
    assert data["tests"], "no tests in results.json"
    numbers = set()
    for t in data["tests"]:
        assert GS_TEST_KEYS <= set(t), t
        assert t["status"] in ("passed", "failed") and t["visibility"] == "visible"
        assert isinstance(t["tags"], list) and isinstance(t["output"], str)
        assert 0 <= t["score"] <= t["max_score"] + 1e-9
        numbers.add(t["number"])
    assert len(numbers) == len(data["tests"])
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(data["score"], abs=1e-3)
    assert sum(t["max_score"] for t in data["tests"]) == pytest.approx(data["max_score"], abs=1e-3)


def test_bundle_contents(bundle):
    with zipfile.ZipFile(bundle) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        setup = zf.read("setup.sh").decode()
        run = zf.read("run_autograder").decode()
    names = set(infos)
    for required in ("setup.sh", "run_autograder", "requirements.lock", "pyproject.toml", "nbgrader_config.py",
                     "autograder/runner.py", "autograder/sandbox/worker.py", "autograder/gradescope_bundle.py",
                     f"solutions/{ASSIGNMENT}/cs231n/layers.py", f"release/{ASSIGNMENT}/cs231n/layers.py"):
        assert required in names, required
    hidden = {p.name for p in (REPO / "grading_tests" / ASSIGNMENT).glob("test_*.py")}
    assert hidden and {f"grading_tests/{ASSIGNMENT}/{h}" for h in hidden} <= names
    notebooks = {p.name for p in (REPO / "source" / ASSIGNMENT).glob("*.ipynb")}
    assert {f"source/{ASSIGNMENT}/{n}" for n in notebooks} <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".db"))]
    for script in ("setup.sh", "run_autograder"):
        assert stat.S_IMODE(infos[script].external_attr >> 16) == 0o755
    assert "bubblewrap" in setup and "requirements.lock" in setup and "python3.11" in setup
    assert 'GS_ROOT="${AUTOGRADER_GS_ROOT:-/autograder}"' in run
    assert "autograder.cli grade" in run and f'ASSIGNMENT="{ASSIGNMENT}"' in run
    stubbed = zipfile.ZipFile(bundle).read(f"release/{ASSIGNMENT}/cs231n/layers.py").decode()
    assert "NotImplementedError" in stubbed and "### BEGIN SOLUTION" not in stubbed


@pytest.mark.slow
def test_reference_scores_full_marks(bundle, tmp_path):
    root = gradescope_root(bundle, tmp_path / "gs")
    shutil.copytree(solutions_dir(ASSIGNMENT) / "cs231n", root / "submission" / "cs231n",
                    ignore=shutil.ignore_patterns("__pycache__"))
    r, data = run_autograder(root)
    assert r.returncode == 0, r.stderr[-3000:]
    check_schema(data)
    assert data["max_score"] > 0 and data["score"] == pytest.approx(data["max_score"])
    assert all(t["status"] == "passed" for t in data["tests"]), [t for t in data["tests"] if t["status"] != "passed"]
    assert os.listdir(root / "results") == ["results.json"]


@pytest.mark.slow
def test_stubbed_release_scores_zero(bundle, tmp_path):
    root = gradescope_root(bundle, tmp_path / "gs")
    released = release_dir(ASSIGNMENT) / "cs231n"
    if (released / "__init__.py").is_file():
        shutil.copytree(released, root / "submission" / "cs231n", ignore=shutil.ignore_patterns("__pycache__"))
    else:  # release/ not generated in this checkout: the stub stage makes the same package
        stub_package(solutions_dir(ASSIGNMENT) / "cs231n", root / "submission" / "cs231n")
    r, data = run_autograder(root)
    assert r.returncode == 0, r.stderr[-3000:]
    check_schema(data)
    assert data["score"] == 0 and data["max_score"] > 0
    assert any("not implemented" in t["output"].lower() for t in data["tests"])


ATTACK = '''

# ---- hostile code appended to the reference layers.py ----
import json as _json, os as _os, subprocess as _sp, sys as _sys

_FORGED = {forged!r}
_TARGETS = [{results!r}, "/autograder/results/results.json", "../results/results.json"]


def _forge():
    for _t in _TARGETS:
        try:
            _os.makedirs(_os.path.dirname(_os.path.abspath(_t)), exist_ok=True)
            with open(_t, "w") as _f:
                _json.dump(_FORGED, _f)
        except OSError:
            pass


_forge()  # at import time
try:  # and from a process meant to outlive the worker, after the grader has finished
    _sp.Popen([_sys.executable, "-c", "import time; time.sleep(3); " +
               "".join("open(%r, 'w').write(%r); " % (_t, _json.dumps(_FORGED)) for _t in _TARGETS[:1])],
              start_new_session=True, stdout=_sp.DEVNULL, stderr=_sp.DEVNULL)
except Exception:
    pass


def affine_forward(x, w, b):
    _forge()
    _os._exit(0)  # exit early, hoping the grader stops


def relu_forward(x):
    _forge()
    raise SystemExit(0)
'''


@pytest.mark.slow
def test_attack_cannot_forge_results(bundle, tmp_path):
    root = gradescope_root(bundle, tmp_path / "gs")
    pkg = root / "submission" / "cs231n"
    shutil.copytree(solutions_dir(ASSIGNMENT) / "cs231n", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    results = root / "results" / "results.json"
    with open(pkg / "layers.py", "a") as f:
        f.write(ATTACK.format(forged=FORGED, results=str(results)))
    r, data = run_autograder(root, extra_args="--part affine_forward --part relu_forward")
    assert r.returncode == 0, r.stderr[-3000:]
    time.sleep(4)  # give a surviving writer its chance
    data = json.loads(results.read_text())
    check_schema(data)
    assert "FORGED" not in results.read_text()
    graded = [t for t in data["tests"] if t["name"].startswith(("affine_forward:", "relu_forward:"))
              and not t["name"].endswith("not graded")]
    assert graded and all(t["status"] == "failed" for t in graded)
    assert data["score"] == 0
    assert any("exited the worker" in t["output"] for t in graded), [t["output"] for t in graded]
    assert os.listdir(root / "results") == ["results.json"]


FORGING_GRADESCOPE_PY = '''import json


def gradescope_dict(result):
    return {"score": 100.0, "max_score": 100.0, "output": "FORGED by student code", "tests": []}


def write_gradescope(result, path):
    with open(path, "w") as fh:
        json.dump(gradescope_dict(result), fh)
'''

ATTACK_AS_ROOT = '''

# ---- hostile code appended to the released layers.py: the audit's attack ----
import json as _json
import os as _os

_SOURCE = {source!r}
_RESULTS = {results!r}


def _attack():
    # rewrite the grader's own report writer, so the grader itself writes 100/100
    try:
        with open(_os.path.join(_SOURCE, "autograder", "reports", "gradescope.py"), "w") as _f:
            _f.write({forger!r})
    except OSError:
        pass
    try:
        with open(_RESULTS, "w") as _f:
            _json.dump({{"score": 100.0, "output": "FORGED by student code", "tests": []}}, _f)
    except OSError:
        pass


_attack()


def affine_forward(x, w, b):
    _attack()
    # and leak the hidden tests through the feedback, if they can be read
    with open(_os.path.join(_SOURCE, "grading_tests", "assignment2", "test_layers.py")) as _f:
        raise ValueError("LEAKED " + _f.read())
'''


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="Gradescope runs run_autograder as root; this is that path")
def test_attack_without_bubblewrap_cannot_forge_or_read(bundle):
    """No bubblewrap on the image (forced with ``--bwrap off``): student code still runs as an
    unprivileged uid, so it can neither rewrite the grader nor its results, nor read the hidden
    tests.  Before, a root grader ran it as root and the audit forged 100/100 this way."""
    from sandbox_helpers import worker_python

    python = worker_python()
    if python is None:
        pytest.skip("no Python the unprivileged worker uid can run")
    base = Path(tempfile.mkdtemp(prefix="autograder-gs-"))  # reachable by every uid, unlike tmp_path
    try:
        os.chmod(base, 0o755)
        root = gradescope_root(bundle, base / "gs")
        for d in (base / "gs", root / "source", root / "submission"):
            os.chmod(d, 0o755)
        os.chmod(root / "results", 0o777)  # a careless image: run_autograder must lock it itself
        released = release_dir(ASSIGNMENT) / "cs231n"
        pkg = root / "submission" / "cs231n"
        shutil.copytree(released, pkg, ignore=shutil.ignore_patterns("__pycache__"))
        results = root / "results" / "results.json"
        writer = root / "source" / "autograder" / "reports" / "gradescope.py"
        original_writer = writer.read_bytes()
        with open(pkg / "layers.py", "a") as f:
            f.write(ATTACK_AS_ROOT.format(source=str(root / "source"), results=str(results),
                                          forger=FORGING_GRADESCOPE_PY))
        r, data = run_autograder(root, extra_args="--bwrap off --part affine_forward --part relu_forward",
                                 python=python)
        assert r.returncode == 0, r.stderr[-3000:]
        text = results.read_text()
        assert "FORGED" not in text and writer.read_bytes() == original_writer
        check_schema(data)
        assert data["score"] == 0
        hidden = (REPO / "grading_tests" / ASSIGNMENT / "test_layers.py").read_text()
        assert "LEAKED" not in text and hidden[:200] not in text
        graded = [t for t in data["tests"] if t["name"].startswith("affine_forward:")]
        assert graded and all("PermissionError" in t["output"] for t in graded), [t["output"] for t in graded]
        # the grader says how it ran: no bubblewrap, but an unprivileged uid and the course locked
        off = next(line for line in r.stdout.splitlines() if "protections off" in line)
        assert "filesystem_isolated" in off
        for on in ("unprivileged_uid", "hidden_files_unreadable", "grader_files_readonly"):
            assert on not in off, off
        assert stat.S_IMODE(os.stat(root / "results").st_mode) == 0o700
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_results_dir_not_visible_to_student_code(tmp_path):
    """The sandbox mounts neither the results folder nor the course: student code cannot see them."""
    from autograder.sandbox import Sandbox, SubmissionProxy

    plan = Sandbox().launch_plan()
    if not plan.uses_bwrap:
        pytest.skip("bubblewrap namespaces unavailable here: " + "; ".join(plan.notes))
    results = tmp_path / "gs" / "results"
    results.mkdir(parents=True)
    (results / "results.json").write_text("{}")
    pkg = tmp_path / "probe" / "cs231n"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "probe.py").write_text(
        "import os\n"
        "def look(path):\n"
        "    try:\n"
        "        open(os.path.join(path, 'results.json'), 'w').write('x')\n"
        "        wrote = True\n"
        "    except OSError:\n"
        "        wrote = False\n"
        "    return [os.path.exists(path), wrote]\n")
    with SubmissionProxy.for_directory(tmp_path / "probe", "cs231n", sandbox=Sandbox(use_bwrap=True)) as sub:
        assert sub.probe.look(str(results)) == [False, False]
        assert sub.probe.look(str(REPO / "grading_tests")) == [False, False]
        assert sub.probe.look("/autograder/results") == [False, False]
    assert (results / "results.json").read_text() == "{}"


def test_place_submission_shapes(tmp_path):
    skeleton = tmp_path / "release"
    stub_package(solutions_dir(ASSIGNMENT) / "cs231n", skeleton / "cs231n")
    ref = solutions_dir(ASSIGNMENT) / "cs231n"
    # loose files (a Gradescope upload of just the edited files) go into the skeleton by name
    loose = tmp_path / "loose"
    loose.mkdir()
    shutil.copy(ref / "layers.py", loose / "layers.py")
    shutil.copy(ref / "classifiers" / "fc_net.py", loose / "fc_net.py")
    (loose / "notes.txt").write_text("hi")
    notes = place_submission(loose, tmp_path / "placed1", skeleton, "cs231n")
    assert (tmp_path / "placed1" / "cs231n" / "layers.py").read_text() == (ref / "layers.py").read_text()
    assert (tmp_path / "placed1" / "cs231n" / "classifiers" / "fc_net.py").read_text() == \
        (ref / "classifiers" / "fc_net.py").read_text()
    assert "NotImplementedError" in (tmp_path / "placed1" / "cs231n" / "optim.py").read_text()
    assert any("fc_net.py" in n for n in notes)
    # a repository with the package one level down
    nested = tmp_path / "repo" / "assignment2"
    shutil.copytree(ref, nested / "cs231n")
    (tmp_path / "repo" / ".git").mkdir()
    place_submission(tmp_path / "repo", tmp_path / "placed2", skeleton, "cs231n")
    assert (tmp_path / "placed2" / "cs231n" / "layers.py").read_text() == (ref / "layers.py").read_text()
    # a link out of the submission is not followed
    secret = tmp_path / "secret.py"
    secret.write_text("HIDDEN = 1\n")
    (nested / "cs231n" / "leak.py").symlink_to(secret)
    place_submission(tmp_path / "repo", tmp_path / "placed3", skeleton, "cs231n")
    assert not (tmp_path / "placed3" / "cs231n" / "leak.py").exists()
