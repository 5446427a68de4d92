"""A Gradescope autograder zip for one assignment.

Gradescope unzips the bundle into ``/autograder/source``, runs ``setup.sh``
once (as root, on its Ubuntu image) to build the image, then for every
submission runs ``/autograder/run_autograder`` with the student's files in
``/autograder/submission``; the score is read from
``/autograder/results/results.json``.

The bundle holds the course root the grader needs and nothing else::

    setup.sh, run_autograder        Gradescope's two entry points
    requirements.lock, pyproject.toml, autograder/     the framework (pinned)
    nbgrader_config.py              the course's sandbox limits and options
    grading_tests/<a>/              hidden suites
    solutions/<a>/                  reference package (trusted side only)
    source/<a>/                     source notebooks: the parts and their points
    release/<a>/cs231n/             stubbed package: the skeleton that loose
                                    uploaded files (``layers.py`` ...) are put into

``run_autograder`` takes every path from ``$AUTOGRADER_GS_ROOT`` (default
``/autograder``), so it runs the same way in a local copy of Gradescope's
layout. It copies the submission into a private work folder, grades it with
``autograder grade`` into that folder, and only then installs the grader's
``results.json`` into the results folder (removing whatever was there), so
the final file is always the grader's own. Student code runs only in the
sandbox, which mounts neither the results folder nor the course, and always
as an unprivileged uid; ``run_autograder`` makes the course and the results
folder 0700 first, so that also holds where bubblewrap cannot run
(``AUTOGRADER_GS_EXTRA_ARGS="--bwrap off"`` forces that path).

``python -m autograder.gradescope_bundle place SUBMISSION DEST --skeleton DIR``
is the "copy the submission into place" step of ``run_autograder``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import stat
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course import load_assignment
from autograder.paths import PACKAGE_DIR, course_root, grading_tests_dir, solutions_dir, source_dir

SKIP_DIRS = frozenset({"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".git", ".github",
                       "__MACOSX", ".venv", "venv"})
SKIP_SUFFIXES = (".pyc", ".pyo", ".db", ".sqlite", ".sqlite3")
ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # fixed timestamps: the same inputs give the same zip
PYTORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"

# Gradescope's two entry points are shell scripts kept as template files; the bundle
# fills in the __NAME__ placeholders (string.Template would clash with shell's $VAR).
TEMPLATES = PACKAGE_DIR / "templates" / "gradescope"


def _template(name: str, **values: str) -> bytes:
    text = (TEMPLATES / name).read_text()
    for key, value in values.items():
        text = text.replace(f"__{key}__", value)
    return text.encode()




@dataclass
class Bundle:
    path: Path
    members: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return self.path.stat().st_size


class BundleError(Exception):
    """The bundle cannot be built (a missing part of the course)."""


def framework_root() -> Path:
    """The checkout holding this package, ``pyproject.toml`` and ``requirements.lock``."""
    return PACKAGE_DIR.parent


def _files(base: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            if not name.endswith(SKIP_SUFFIXES):
                out.append(Path(dirpath) / name)
    return out


def _add(zf: zipfile.ZipFile, arcname: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(arcname, ZIP_DATE)
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def bundle_files(assignment: str, root: Path) -> dict[str, bytes | Path]:
    """``{name in the zip: file path or bytes}`` for the assignment's bundle."""
    from autograder.release import student_units
    from autograder.stub import flat_tree

    fw = framework_root()
    files: dict[str, bytes | Path] = {}
    for name in ("pyproject.toml", "requirements.lock"):
        src = fw / name if (fw / name).is_file() else root / name
        if not src.is_file():
            raise BundleError(f"{name} not found in {fw} or {root}")
        files[name] = src
    for f in _files(PACKAGE_DIR):
        files[f"autograder/{f.relative_to(PACKAGE_DIR).as_posix()}"] = f
    if (root / "nbgrader_config.py").is_file():
        files["nbgrader_config.py"] = root / "nbgrader_config.py"
    for label, base in (("grading_tests", grading_tests_dir(assignment, root)),
                        ("solutions", solutions_dir(assignment, root)),
                        ("source", source_dir(assignment, root))):
        if not base.is_dir():
            if label == "source":  # no notebooks: parts come from the tests' markers
                continue
            raise BundleError(f"no {label} for {assignment}: {base} does not exist")
        for f in _files(base):
            files[f"{label}/{assignment}/{f.relative_to(base).as_posix()}"] = f
    # every released unit: packages and top-level modules alike
    for rel, data in flat_tree(student_units(assignment, root)).items():
        files[f"release/{assignment}/{rel}"] = data
    return files


def build_bundle(assignment: str, output: Path | str = "autograder.zip",
                 root: Path | None = None) -> Bundle:
    """Write the Gradescope autograder zip for ``assignment`` of the course at ``root``."""
    root = Path(root) if root else course_root()
    files = bundle_files(assignment, root)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".part")
    members = []
    with zipfile.ZipFile(tmp, "w") as zf:
        _add(zf, "setup.sh", _template("setup.sh", PYTORCH_CPU_INDEX=PYTORCH_CPU_INDEX), executable=True)
        package = load_assignment(assignment, root).package
        _add(zf, "run_autograder", _template("run_autograder", ASSIGNMENT=assignment, PACKAGE=package),
             executable=True)
        members += ["setup.sh", "run_autograder"]
        for name in sorted(files):
            src = files[name]
            data = src if isinstance(src, bytes) else src.read_bytes()
            _add(zf, name, data, executable=not isinstance(src, bytes) and os.access(src, os.X_OK)
                 and name.startswith("autograder/"))
            members.append(name)
    tmp.replace(output)
    return Bundle(path=output, members=members)


# -- "copy the submission into place" (run by run_autograder) -------------------

def place_submission(submission: Path, dest: Path, skeleton: Path | None, package: str) -> list[str]:
    """Copy what the student handed in to ``dest`` so that ``dest/<package>/`` is their package.

    * a folder holding ``<package>/__init__.py`` somewhere (an upload of the
      package, a GitHub repository) is copied as it is (the folder holding the
      package becomes ``dest``);
    * a zip of one is unpacked (safely) first;
    * loose files (``layers.py``, ``fc_net.py`` ...) are put into their places
      in a copy of ``skeleton/<package>`` (the released package) by file name.

    Symbolic links are never followed out of the submission. Returns notes
    (what was done) for the log.
    """
    from autograder.submission import SubmissionError, find_package_root, safe_extract

    submission, dest = Path(submission), Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    notes: list[str] = []
    staging = dest.with_name(dest.name + ".staging")
    if staging.exists():
        shutil.rmtree(staging)
    _copy_tree(submission, staging)
    for z in sorted(staging.glob("*.zip")):
        try:
            safe_extract(z, staging / z.stem)
            notes.append(f"unpacked {z.name}")
        except (SubmissionError, zipfile.BadZipFile) as e:
            notes.append(f"ignored {z.name}: {e}")
    try:
        pkg_root = find_package_root(staging, package)
        where = pkg_root.relative_to(staging).as_posix()
        shutil.move(str(pkg_root), str(dest))
        notes.append(f"grading the {package}/ package found in {where}/ of the submission")
    except SubmissionError:
        skel_pkg = Path(skeleton) / package if skeleton else None
        if skel_pkg is None or not skel_pkg.is_dir():
            staging.rename(dest)
            notes.append(f"no {package}/ package in the submission and no skeleton to place files into")
            return notes
        shutil.copytree(skel_pkg, dest / package)
        by_name: dict[str, list[Path]] = {}
        for f in _files(dest / package):
            by_name.setdefault(f.name, []).append(f)
        for f in _files(staging):
            targets = by_name.get(f.name, [])
            if f.suffix == ".py" and len(targets) == 1 and not f.is_symlink():
                shutil.copyfile(f, targets[0])
                notes.append(f"placed {f.relative_to(staging)} at "
                             f"{targets[0].relative_to(dest)}")
        shutil.rmtree(staging)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return notes


def _copy_tree(src: Path, dest: Path) -> None:
    """Copy ``src`` without caches, VCS data, or symbolic links that leave it."""
    src = src.resolve()

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = set()
        for name in names:
            full = Path(directory) / name
            if name in SKIP_DIRS or name.endswith((".pyc", ".pyo")):
                skipped.add(name)
            elif full.is_symlink():
                target = full.resolve()
                if not (target == src or src in target.parents):
                    skipped.add(name)
        return skipped

    if src.is_dir():
        shutil.copytree(src, dest, symlinks=True, ignore=ignore)
    elif src.is_file():  # a single uploaded file
        dest.mkdir(parents=True)
        shutil.copy2(src, dest / src.name)
    else:
        dest.mkdir(parents=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder.gradescope_bundle")
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("place", help="copy a submission into place (run by run_autograder)")
    q.add_argument("submission", type=Path)
    q.add_argument("dest", type=Path)
    q.add_argument("--skeleton", type=Path, default=None, help="release/<a>/ holding the stubbed package")
    q.add_argument("--package", required=True, help="the package students write (the assignment's)")
    args = p.parse_args(argv)
    for note in place_submission(args.submission, args.dest, args.skeleton, args.package):
        print(f"autograder: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
