"""Set up this assignment folder on your own machine: run once, from this folder.

    python3 setup_env.py          (Windows: py -3.11 setup_env.py)

1. creates a virtual environment in .venv/ here (unless there is one already),
   with the Python that runs this script (3.11 is the version the course tests);
2. installs the pinned packages of requirements.txt into it: numpy,
   scikit-learn, matplotlib, PyTorch (CPU), JupyterLab, nbgrader, ...;
3. turns off nbgrader's instructor tools in that environment's JupyterLab
   (Formgrader, Create Assignment, Courses), keeping what students use (the
   Validate button and the Assignment List).

Running it again is safe: it only installs what is missing. Then:

    .venv/bin/jupyter lab                 work on the notebooks
    .venv/bin/python -m cs231n.checks     run every public check

(on Windows: .venv\\Scripts\\jupyter lab, .venv\\Scripts\\python -m cs231n.checks).
Pass --venv DIR to put the environment elsewhere (e.g. outside a synced folder).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTED_PYTHON = (3, 11)

# nbgrader's JupyterLab plugins and server extensions that only instructors use.
# (Students keep @jupyter/nbgrader:assignment-list, :validate-assignment and :menu.)
INSTRUCTOR_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
)
INSTRUCTOR_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
)


def venv_python(env: Path) -> Path:
    """The interpreter of the virtual environment ``env`` (Windows or POSIX layout)."""
    windows = env / "Scripts" / "python.exe"
    return windows if os.name == "nt" else env / "bin" / "python"


def run(cmd: list[str]) -> None:
    print("+ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, default=HERE / ".venv",
                        help="where the virtual environment goes (default: .venv in this folder)")
    args = parser.parse_args(argv)
    env = args.venv.resolve()

    if sys.version_info[:2] != TESTED_PYTHON:
        print("warning: this is Python %d.%d; the course tests Python %d.%d, and some pinned "
              "packages may have no build for yours." % (sys.version_info[:2] + TESTED_PYTHON),
              file=sys.stderr)
    python = venv_python(env)
    if not python.exists():
        print(f"creating the virtual environment {env}", flush=True)
        try:
            venv.EnvBuilder(with_pip=True).create(env)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"\nset-up failed: could not create {env} ({e}). On Debian/Ubuntu install "
                  "python3-venv first (sudo apt install python3-venv).", file=sys.stderr)
            return 1
    try:
        run([str(python), "-m", "pip", "install", "-r", str(HERE / "requirements.txt")])
        # The documented way to turn off nbgrader's instructor tools, for this environment only:
        # --level=sys_prefix writes <env>/etc/jupyter/labconfig/page_config.json, --sys-prefix
        # <env>/etc/jupyter/jupyter_server_config.d/.
        # "lock": JupyterLab's plugin manager cannot turn them back on by accident.
        for action in ("disable", "lock"):
            run([str(python), "-m", "jupyterlab.labextensions", action, "--level=sys_prefix",
                 *INSTRUCTOR_LAB_PLUGINS])
        run([str(python), "-m", "jupyter_server.extension.serverextension", "disable", "--sys-prefix",
             *INSTRUCTOR_SERVER_EXTENSIONS])
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"\nset-up failed: {e} (see above)", file=sys.stderr)
        return 1

    bin_dir = python.parent
    if bin_dir.is_relative_to(HERE):
        bin_dir = bin_dir.relative_to(HERE)
    print(f"""
Ready. From this folder ({HERE}):
  {bin_dir / 'jupyter'} lab                 work on the notebooks
  {bin_dir / 'python'} -m cs231n.checks     run every public check""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
