"""A student's copy of the release, set up with its own ``setup_env.py``, for the student-path tests.

What a student receives is ``release/assignment2`` (through nbgrader's
Assignment List, or the same files as a starter repository): notebooks,
``cs231n/``, ``requirements.txt``, ``setup_env.py``, ``README.md``. Its one
set-up command, ``python3 setup_env.py``, creates ``.venv/`` in the folder, pip
installs ``requirements.txt`` and turns off nbgrader's instructor tools.

Downloading and installing ~1.5 GB (PyTorch, JupyterLab) in a test would take
minutes, so :func:`prepare_venv` makes ``.venv/`` the way pip would have left it
and ``setup_env.py`` then runs for real on it:

* a real virtual environment (``python -m venv --without-pip``) with its own
  ``sys.prefix``, whose site-packages holds one ``.pth`` line naming this
  project's ``.venv`` site-packages (installed from ``requirements.lock``; the
  student pins are a subset at the same versions, see test_student_check).
  Python adds that folder to ``sys.path`` but does not process the ``.pth``
  files inside it, so the course's editable ``autograder`` install is not
  importable there;
* the data files those packages installed under ``share/jupyter`` (JupyterLab's
  and nbgrader's lab extensions, the kernel spec) linked, and their config
  under ``etc/jupyter`` copied (the set-up writes into it);
* ``setup_env.py`` runs with ``PIP_NO_INDEX=1``: pip must find every pin of
  ``requirements.txt`` already satisfied, or fail at once.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from autograder.paths import course_root

ROOT = course_root()
RELEASE = ROOT / "release" / "assignment2"
KIT_FILES = ("requirements.txt", "setup_env.py", "README.md", ".gitignore")


def student_copy(dest: Path) -> Path:
    """A copy of the committed release (what a student fetches), far from the course."""
    missing = [f for f in KIT_FILES if not (RELEASE / f).is_file()]
    assert not missing, (f"release/assignment2 lacks the student kit {missing}: regenerate it "
                         "(autograder release assignment2)")
    shutil.copytree(RELEASE, dest, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return dest


def prepare_venv(folder: Path) -> Path:
    """``folder/.venv`` as pip would leave it after installing ``requirements.txt`` (see above)."""
    env = folder / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True,
                   capture_output=True, timeout=120)
    python = env / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    course_site = sysconfig.get_path("purelib")  # this project's .venv
    Path(site, "course-venv-packages.pth").write_text(course_site + "\n")
    (env / "share").mkdir(exist_ok=True)
    (env / "share" / "jupyter").symlink_to(Path(sys.prefix) / "share" / "jupyter", target_is_directory=True)
    shutil.copytree(Path(sys.prefix) / "etc" / "jupyter", env / "etc" / "jupyter")
    return python


def student_environ(**extra: str) -> dict[str, str]:
    """The environment of a student's shell: no course paths, no CI variables of ours."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "AUTOGRADER_COURSE_ROOT", "VIRTUAL_ENV")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def run_setup(folder: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """``python3 setup_env.py`` in ``folder`` (after :func:`prepare_venv`), pip offline."""
    return subprocess.run([sys.executable, "setup_env.py"], cwd=folder, capture_output=True, text=True,
                          env=student_environ(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1"),
                          timeout=timeout)
