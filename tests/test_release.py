"""The release stage: real nbgrader GenerateAssignment + the stub hook + the leak
check, on a synthetic course (and on the real assignment when it exists)."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_leakcheck import A, make_course  # noqa: E402

from autograder.commands import release as release_cmd  # noqa: E402
from autograder.paths import course_root  # noqa: E402
from autograder.release import release  # noqa: E402

pytestmark = pytest.mark.slow
REPO = course_root()
VENV_BIN = os.path.dirname(sys.executable)


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autograder")
    release_cmd.register(p.add_subparsers(dest="command"))
    return p


def test_release_writes_notebooks_and_stubbed_package_via_the_hook(tmp_path):
    root = make_course(tmp_path / "course")
    result = release(A, root)
    assert result.findings == []
    assert result.hook_wrote_packages, result.messages
    rel = root / "release" / A
    assert sorted(snapshot(rel)) == ["cs231n/__init__.py", "cs231n/classifiers/__init__.py",
                                     "cs231n/classifiers/net.py", "cs231n/layers.py",
                                     "cs231n/util.py", "nb.ipynb"]
    layers = (rel / "cs231n" / "layers.py").read_text()
    assert 'raise NotImplementedError("TwoLayerNet.loss is not implemented yet (cs231n/layers.py)")' in layers
    assert (rel / "cs231n" / "util.py").read_bytes() == (root / "solutions" / A / "cs231n" / "util.py").read_bytes()
    # the gradebook is nbgrader's own, at the course root
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "cs231n") as gb:
        assignment = gb.find_assignment(A)
        assert [n.name for n in assignment.notebooks] == ["nb"]
    # outputs cleared, solutions replaced
    import nbformat

    nb = nbformat.read(str(rel / "nb.ipynb"), as_version=4)
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    assert "doubled_value" not in (rel / "nb.ipynb").read_text()

    # byte-identical when run again
    first = snapshot(rel)
    again = release(A, root)
    assert again.findings == [] and snapshot(rel) == first


def test_plain_nbgrader_generate_assignment_runs_the_hook(tmp_path):
    """`nbgrader generate_assignment a` alone (the CLI, in the course root) writes
    the same bytes as `autograder release a`."""
    root = make_course(tmp_path / "course")
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run([os.path.join(VENV_BIN, "nbgrader"), "generate_assignment", A, "--force"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Running post-convert hook" in proc.stdout + proc.stderr
    assert "Post-convert hook failed" not in proc.stdout + proc.stderr
    by_cli = snapshot(root / "release" / A)
    assert "cs231n/layers.py" in by_cli
    result = release(A, root)
    assert result.hook_wrote_packages and result.findings == []
    assert snapshot(root / "release" / A) == by_cli


def test_release_writes_the_package_itself_when_the_hook_is_not_configured(tmp_path):
    root = make_course(tmp_path / "course")
    config = root / "nbgrader_config.py"
    config.write_text("\n".join(line for line in config.read_text().splitlines()
                                if "post_convert_hook" not in line or line.lstrip().startswith("#")) + "\n")
    result = release(A, root)
    assert not result.hook_wrote_packages
    assert any("did not write it" in m for m in result.messages)
    assert (root / "release" / A / "cs231n" / "layers.py").is_file()
    assert result.findings == []


def test_reference_package_in_source_is_replaced_by_the_stubbed_one(tmp_path):
    root = make_course(tmp_path / "course")
    shutil.copytree(root / "solutions" / A / "cs231n", root / "source" / A / "cs231n")
    result = release(A, root)
    assert any("the stub stage replaces it" in m for m in result.messages)
    assert result.findings == []
    assert "### BEGIN SOLUTION" not in (root / "release" / A / "cs231n" / "layers.py").read_text()


def test_release_command_fails_on_a_bad_region_and_leaves_release_alone(tmp_path, capsys):
    root = make_course(tmp_path / "course")
    bad = root / "solutions" / A / "cs231n" / "bad.py"
    bad.write_text('def f():\n    """Write it between ### BEGIN SOLUTION markers."""\n')
    args = parser().parse_args(["release", A, "--root", str(root)])
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert f"{bad}:2: solution marker text 'BEGIN SOLUTION' inside a string" in err
    assert not (root / "release").exists()


def test_release_command_exit_codes_and_leak_lines(tmp_path, capsys, monkeypatch):
    root = make_course(tmp_path / "course")
    monkeypatch.chdir(root)
    args = parser().parse_args(["release", A, "--root", str(root)])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "post_convert_hook wrote cs231n/" in out
    assert out.strip().splitlines()[-1].startswith("leak check OK")
    # a hidden test that found its way into source/ is copied by nbgrader and caught
    shutil.copy(root / "grading_tests" / A / "test_layers.py", root / "source" / A / "test_layers.py")
    assert args.func(args) == 1
    out = capsys.readouterr().out
    assert f"release/{A}/test_layers.py:1: hidden-test: " in out


def test_without_notebooks_only_the_package_is_released(tmp_path):
    root = make_course(tmp_path / "course", with_notebook=False)
    result = release(A, root)
    assert result.notebooks == 0 and result.findings == []
    assert any("nbgrader skipped" in m for m in result.messages)
    assert (root / "release" / A / "cs231n" / "layers.py").is_file()


# --------------------------------------------------------------------------- the real course

REAL = "assignment2"
HAS_REAL = (REPO / "solutions" / REAL / "cs231n" / "__init__.py").is_file()


@pytest.mark.skipif(not HAS_REAL, reason="solutions/assignment2/cs231n is not written yet")
def test_real_assignment2_release_is_clean_and_matches_the_committed_one(tmp_path):
    """Regenerate release/assignment2 in a scratch copy of the course; it must be
    leak-free, and byte-identical to the committed release/assignment2 when
    that has been generated."""
    root = tmp_path / "course"
    for part in ("solutions", "source", "grading_tests"):
        src = REPO / part / REAL
        if src.is_dir():
            shutil.copytree(src, root / part / REAL,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
    (root / "source" / REAL).mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    result = release(REAL, root)
    assert result.findings == [], "\n".join(map(str, result.findings))
    committed = REPO / "release" / REAL
    if not (committed / "cs231n").is_dir():
        pytest.skip("release/assignment2 has not been generated and committed yet")
    assert snapshot(root / "release" / REAL) == snapshot(committed), \
        "release/assignment2 is out of date: run `autograder release assignment2` and commit it"


def test_source_cells_without_ids_are_refused(tmp_path):
    """nbformat would invent random ids for them: the release would not be reproducible."""
    import json

    from autograder.release import ReleaseError

    root = make_course(tmp_path / "course")
    nb_path = root / "source" / A / "nb.ipynb"
    nb = json.loads(nb_path.read_text())
    del nb["cells"][2]["id"]
    nb_path.write_text(json.dumps(nb, indent=1))
    with pytest.raises(ReleaseError, match=r"nb.ipynb: cell 2 has no id"):
        release(A, root)
