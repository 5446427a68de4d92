"""``make venv PYTHON=...`` takes every supported interpreter (CPython 3.11.0 to 3.13) and
refuses any other in one line, before anything is installed (``scripts/check-python.sh``)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from autograder.paths import course_root

ROOT = course_root()
CHECK = ROOT / "scripts" / "check-python.sh"


def fake_python(folder: Path, impl: str, version: str, venv: bool = True) -> Path:
    """An executable that answers check-python.sh's two questions like that interpreter."""
    exe = folder / f"python-{impl}-{version}"
    exe.write_text("#!/bin/sh\n"
                   f'case "$2" in *platform*) echo "{impl} {version}";; '
                   f'*ensurepip*) exit {0 if venv else 1};; *) exit 3;; esac\n')
    exe.chmod(0o755)
    return exe


def check(python) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(CHECK), str(python)], capture_output=True, text=True, timeout=60)


def test_the_range_is_pyprojects():
    import tomllib

    spec = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    for v in ("3.11.0", "3.11.2", "3.12.0", "3.13.9"):
        assert v in spec, v
    for v in ("3.10.13", "3.14.0"):
        assert v not in spec, v


@pytest.mark.parametrize("version", ["3.11.0", "3.11.2", "3.12.1", "3.13.0"])
def test_supported_interpreters_pass(tmp_path, version):
    r = check(fake_python(tmp_path, "CPython", version))
    assert r.returncode == 0 and r.stdout == r.stderr == "", r


def test_this_interpreter_and_the_systems_pass():
    assert check(sys.executable).returncode == 0
    if Path("/usr/bin/python3.11").is_file():
        r = check("/usr/bin/python3.11")
        assert r.returncode == 0 or "python3.11-venv" in r.stderr, r.stderr  # Debian ships venv apart


@pytest.mark.parametrize("impl, version, why", [
    ("CPython", "3.10.13", "is CPython 3.10.13; supported: CPython 3.11.0 to 3.13"),
    ("CPython", "3.14.0", "is CPython 3.14.0; supported: CPython 3.11.0 to 3.13"),
    ("CPython", "2.7.18", "is CPython 2.7.18; supported"),
    ("PyPy", "3.11.13", "is PyPy 3.11.13; supported: CPython"),
])
def test_unsupported_interpreters_are_refused_in_one_line(tmp_path, impl, version, why):
    r = check(fake_python(tmp_path, impl, version))
    assert r.returncode == 1 and r.stdout == ""
    assert len(r.stderr.splitlines()) == 1 and why in r.stderr, r.stderr


def test_missing_interpreter_or_venv_module_is_one_line(tmp_path):
    r = check(tmp_path / "no-such-python")
    assert r.returncode == 1 and len(r.stderr.splitlines()) == 1 and "not found" in r.stderr
    r = check(fake_python(tmp_path, "CPython", "3.11.2", venv=False))
    assert r.returncode == 1 and len(r.stderr.splitlines()) == 1 and "python3.11-venv" in r.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_venv_refuses_before_doing_anything(tmp_path):
    venv = tmp_path / "venv"
    r = subprocess.run(["make", "-C", str(ROOT), "venv", f"PYTHON={fake_python(tmp_path, 'CPython', '3.10.13')}",
                        f"VENV={venv}"], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "MAKEFLAGS": ""})
    assert r.returncode != 0
    ours = [line for line in r.stderr.splitlines() if not line.startswith("make")]
    assert len(ours) == 1 and "is CPython 3.10.13; supported: CPython 3.11.0 to 3.13" in ours[0], r.stderr
    assert "installing" not in r.stdout and not venv.exists()  # nothing ran before the check
