"""Run the public checks of your assignment in a separate process, one row a graded part.

(A file of the ``autograder`` framework: the release copies it into the package
students write, next to the course's ``checks.py``. Below, ``cs231n`` stands for
that package.)

From your assignment folder (the one holding the notebooks and ``cs231n/``)::

    python -m cs231n.checks                       # every part
    python -m cs231n.checks -n Dropout            # the parts of one notebook
    python -m cs231n.checks -p affine_forward -v  # one part, with every line it printed
    python -m cs231n.checks --strict              # exit code 1 unless everything passes

(``.venv/bin/python`` instead of ``python`` if you set the folder up with
``setup_env.py``). Each graded part gets one row: ``OK``, ``FAILED`` (with the
failing comparison lines), ``FAILED (error)`` (your code raised), ``FAILED
(timed out)`` or ``not implemented yet: <function> (<file>)``, its points, and a
total. These are the checks of ``cs231n/checks.py``, the same the notebooks'
graded cells run, never the hidden tests that grade your work.

Your code runs in a child Python process whose working directory and first
``sys.path`` entry are your folder, so a crash or an endless loop in it is
reported and the remaining parts still run: a part that runs longer than
``--timeout`` seconds is interrupted and reported as timed out; a child that
dies (a crash, ``os._exit``) leaves the remaining parts reported as ``not run``.
The child speaks JSON lines on a private file descriptor; whatever your code
prints is captured per part (Python-level ``print``) or goes to stderr (direct
writes to fd 1), so it can never garble the report.

This file uses the standard library only. The process that prints the report
never imports the modules you write: ``python -m cs231n.checks`` imports only
``cs231n/__init__.py`` and ``cs231n/checks.py`` there (given code), and
``autograder check`` of the course repository runs this file by itself.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

# The release copies this file into the package students write, next to the course's
# checks.py: the package is the folder this file sits in.
PACKAGE = Path(__file__).resolve().parent.name
CHECKS_FILE = "checks.py"

OK = "ok"
FAILED = "failed"
NOT_IMPLEMENTED = "not_implemented"
ERROR = "error"  # the student's code raised something other than NotImplementedError
TIMEOUT = "timeout"
NOT_RUN = "not_run"

STATUS_LABEL = {
    OK: "OK",
    FAILED: "FAILED",
    NOT_IMPLEMENTED: "not implemented yet",
    ERROR: "FAILED (error)",
    TIMEOUT: "FAILED (timed out)",
    NOT_RUN: "not run",
}

DEFAULT_PART_TIMEOUT = 300.0


class CheckError(Exception):
    """The checks could not run at all (no ``cs231n/checks.py``, unknown part, ...)."""


@dataclass
class PartResult:
    part: str
    notebook: str
    points: float
    status: str
    message: str = ""  # one line: why it is not OK
    lines: list[str] = field(default_factory=list)  # what the check printed
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == OK

    @property
    def earned(self) -> float:
        return self.points if self.passed else 0.0


@dataclass
class CheckReport:
    folder: Path
    package: Path | None = None
    parts: list[PartResult] = field(default_factory=list)
    seconds: float = 0.0
    problem: str = ""  # set when the run stopped early (crash, timeout of the whole run)

    def count(self, status: str) -> int:
        return sum(1 for p in self.parts if p.status == status)

    @property
    def points(self) -> float:
        return sum(p.points for p in self.parts)

    @property
    def earned(self) -> float:
        return sum(p.earned for p in self.parts)


# --------------------------------------------------------------------------- locating the package


def find_student_folder(path: str | os.PathLike = ".") -> Path:
    """The folder holding the student's ``cs231n/checks.py``.

    Accepts the release folder itself (``release/assignment2`` or the student's
    copy of it), the ``cs231n/`` folder, or a file inside either (a notebook).
    """
    p = Path(path).expanduser().resolve()
    if p.is_file():
        p = p.parent
    candidates = [p]
    if p.name == PACKAGE:
        candidates.insert(0, p.parent)
    for folder in candidates:
        if (folder / PACKAGE / CHECKS_FILE).is_file():
            return folder
    raise CheckError(
        f"no {PACKAGE}/{CHECKS_FILE} in {p}: run this in your assignment folder "
        f"(the one holding the notebooks and {PACKAGE}/), or pass that folder as PATH")


# --------------------------------------------------------------------------- the child process

# Runs in the child, with the student's folder as cwd and first on sys.path.
# Stdlib only besides the student's own package. Protocol: one JSON object a
# line on the fd named by argv[1].
_DRIVER = textwrap.dedent(r'''
    import contextlib, io, json, os, signal, sys, time, traceback

    proto = os.fdopen(int(sys.argv[1]), "w", buffering=1, encoding="utf-8")
    folder, wanted, notebooks, part_timeout = sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4]), float(sys.argv[5])
    package = sys.argv[6]
    import importlib
    # Anything written straight to fd 1 goes to stderr, never into the protocol.
    os.dup2(2, 1)
    sys.path.insert(0, folder)

    def send(**msg):
        proto.write(json.dumps(msg) + "\n")
        proto.flush()

    class PartTimeout(BaseException):  # BaseException: student code's "except Exception" cannot swallow it
        pass

    def on_alarm(signum, frame):
        raise PartTimeout()

    def student_frame(tb):
        """'<package>/layers.py:42 in affine_forward' for the deepest frame in the student's folder."""
        where = ""
        for fs in traceback.extract_tb(tb):
            path = os.path.abspath(fs.filename)
            if path.startswith(folder + os.sep) and not path.endswith(os.sep + "checks.py"):
                where = "%s:%d in %s" % (os.path.relpath(path, folder), fs.lineno, fs.name)
        return where

    try:
        student_pkg = importlib.import_module(package)
        checks = importlib.import_module(package + ".checks")
    except BaseException as exc:
        send(event="fatal", message="importing %s failed: %s: %s%s" % (
            package, type(exc).__name__, exc,
            (" (at %s)" % student_frame(exc.__traceback__)) if student_frame(exc.__traceback__) else ""))
        sys.exit(3)
    pkg = os.path.dirname(os.path.abspath(student_pkg.__file__))
    if os.path.dirname(pkg) != folder:
        send(event="fatal", message="imported %s from %s, not from %s: is another %s installed?" % (
            package, pkg, folder, package))
        sys.exit(3)
    try:
        not_implemented_message = importlib.import_module(package + ".notebook").not_implemented_message
    except Exception:
        not_implemented_message = lambda exc: "NotImplementedError: %s" % exc

    parts = [(name, nb, pts) for name, (nb, pts) in checks.PARTS.items()]
    unknown = [p for p in wanted if p not in checks.PARTS]
    if unknown:
        send(event="fatal", message="unknown part(s) %s; the parts are: %s" % (", ".join(unknown), ", ".join(checks.PARTS)))
        sys.exit(3)
    bad_nb = [n for n in notebooks if n not in {nb for _, nb, _ in parts}]
    if bad_nb:
        send(event="fatal", message="unknown notebook(s) %s; the notebooks are: %s" % (
            ", ".join(bad_nb), ", ".join(dict.fromkeys(nb for _, nb, _ in parts))))
        sys.exit(3)
    if wanted:
        parts = [p for p in parts if p[0] in wanted]
    if notebooks:
        parts = [p for p in parts if p[1] in notebooks]
    send(event="parts", package=pkg, parts=parts)

    use_alarm = part_timeout > 0 and hasattr(signal, "setitimer")
    if use_alarm:
        signal.signal(signal.SIGALRM, on_alarm)
    for name, nb, pts in parts:
        buf = io.StringIO()
        status, message = "failed", ""
        start = time.perf_counter()
        try:
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
                if use_alarm:
                    signal.setitimer(signal.ITIMER_REAL, part_timeout)
                try:
                    passed = checks.check_part(name)
                finally:
                    if use_alarm:
                        signal.setitimer(signal.ITIMER_REAL, 0)
            status = "ok" if passed else "failed"
        except NotImplementedError as exc:
            status, message = "not_implemented", str(exc).strip() or not_implemented_message(exc)
        except PartTimeout:
            status, message = "timeout", "still running after %g seconds (an endless loop?)" % part_timeout
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            where = student_frame(exc.__traceback__)
            status = "error"
            message = "raised %s: %s%s" % (type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc).strip() else "",
                                          (" (at %s)" % where) if where else "")
        send(event="result", part=name, notebook=nb, points=pts, status=status, message=message,
             lines=buf.getvalue().splitlines(), seconds=time.perf_counter() - start)
    send(event="done")
''')


def _child_env(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH", "")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave no __pycache__ in the student's folder
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("MPLBACKEND", "Agg")  # a check that plots never opens a window
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")  # small arrays: one BLAS thread is fastest
    return env


def run_checks(
    path: str | os.PathLike = ".",
    parts: Iterable[str] | None = None,
    notebooks: Iterable[str] | None = None,
    *,
    part_timeout: float = DEFAULT_PART_TIMEOUT,
    python: str | None = None,
    on_start: Callable[[CheckReport, list[tuple[str, str, float]]], None] | None = None,
    on_result: Callable[[PartResult], None] | None = None,
) -> CheckReport:
    """Run the public checks of the student's folder at ``path``.

    ``on_start(report, [(part, notebook, points), ...])`` is called once the
    child has listed the parts it will run, ``on_result(part_result)`` after each
    part (for live output). Raises :class:`CheckError` when the checks cannot
    start (no package, the package does not import, unknown part).
    """
    folder = find_student_folder(path)
    report = CheckReport(folder=folder)
    read_fd, write_fd = os.pipe()
    cmd = [python or sys.executable, "-c", _DRIVER, str(write_fd), str(folder),
           json.dumps(list(parts or [])), json.dumps(list(notebooks or [])), str(float(part_timeout)), PACKAGE]
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(cmd, cwd=folder, env=_child_env(folder), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                pass_fds=(write_fd,))
    finally:
        os.close(write_fd)
    planned: list[tuple[str, str, float]] = []
    fatal = ""
    done = False
    try:
        with os.fdopen(read_fd, "r", encoding="utf-8") as proto:
            for line in proto:
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                event = msg.get("event")
                if event == "fatal":
                    fatal = msg.get("message", "")
                elif event == "parts":
                    report.package = Path(msg["package"])
                    planned = [(p, nb, float(pts)) for p, nb, pts in msg["parts"]]
                    if on_start:
                        on_start(report, planned)
                elif event == "result":
                    result = PartResult(part=msg["part"], notebook=msg["notebook"],
                                        points=float(msg["points"]), status=msg["status"],
                                        message=msg.get("message", ""), lines=msg.get("lines", []),
                                        seconds=float(msg.get("seconds", 0.0)))
                    report.parts.append(result)
                    if on_result:
                        on_result(result)
                elif event == "done":
                    done = True
    except KeyboardInterrupt:
        proc.kill()
        raise
    finally:
        stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        proc.wait()
    report.seconds = time.perf_counter() - start
    if fatal:
        raise CheckError(fatal)
    if not planned:
        tail = "\n".join(stderr.strip().splitlines()[-5:])
        raise CheckError(f"the checks did not start (exit code {proc.returncode})"
                         + (f":\n{tail}" if tail else ""))
    if not done:
        finished = {p.part for p in report.parts}
        rc = proc.returncode
        how = f"killed by signal {-rc}" if rc is not None and rc < 0 else f"exit code {rc}"
        last = stderr.strip().splitlines()[-1:]
        report.problem = f"the check process stopped early ({how})" + (f": {last[0]}" if last else "")
        for name, nb, pts in planned:
            if name not in finished:
                result = PartResult(name, nb, pts, NOT_RUN, message=report.problem)
                report.parts.append(result)
                if on_result:
                    on_result(result)
    return report


# --------------------------------------------------------------------------- text output


# The stubs' message: "<function> is not implemented yet (cs231n/<file>.py)".
_STUB = re.compile(r"^(?P<function>\S+) is not implemented yet \((?P<file>[^)]+)\)")


def _fmt_points(x: float) -> str:
    return f"{x:g}"


class TablePrinter:
    """Prints the table row by row as results arrive (``on_start``/``on_result``)."""

    def __init__(self, out=None, verbose: bool = False):
        self.out = out or sys.stdout
        self.verbose = verbose
        self.width = 10

    def write(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def start(self, report: CheckReport, planned: list[tuple[str, str, float]]) -> None:
        self.width = max([len("part")] + [len(p) for p, _, _ in planned])
        self.write(f"Public checks of {report.package} ({len(planned)} parts)")
        self.write()
        self.write(f"{'part':<{self.width}}  {'points':>7}  result")
        self.write(f"{'-' * self.width}  {'-' * 7}  {'-' * 20}")

    def result(self, r: PartResult) -> None:
        pts = f"{_fmt_points(r.earned)}/{_fmt_points(r.points)}"
        label = STATUS_LABEL.get(r.status, r.status)
        if r.status == NOT_IMPLEMENTED:
            stub = _STUB.match(r.message)
            if stub:  # which function blocks the part, and where it is
                label += f": {stub['function']} ({stub['file']})"
        self.write(f"{r.part:<{self.width}}  {pts:>7}  {label}")
        indent = " " * (self.width + 11)
        if r.status == NOT_IMPLEMENTED:
            if self.verbose or not _STUB.match(r.message):
                self.write(indent + r.message)
            return
        if r.status in (ERROR, TIMEOUT, NOT_RUN) and r.message:
            self.write(indent + r.message)
        if r.status == OK and not self.verbose:
            return
        shown = r.lines if self.verbose else [ln for ln in r.lines if "FAILED" in ln]
        for ln in shown[:8]:
            self.write(indent + ln.strip())
        if len(shown) > 8:
            self.write(indent + f"... and {len(shown) - 8} more lines")

    def summary(self, report: CheckReport) -> None:
        self.write()
        for line in summary_lines(report):
            self.write(line)


def summary_lines(report: CheckReport) -> list[str]:
    n = len(report.parts)
    ok = report.count(OK)
    todo = report.count(NOT_IMPLEMENTED)
    failed = n - ok - todo
    lines = []
    if report.problem:
        lines.append(f"warning: {report.problem}")
    detail = ", ".join(s for s in (f"{failed} failed" if failed else "",
                                   f"{todo} not implemented yet" if todo else "") if s)
    lines.append(
        f"{ok} of {n} parts pass their public checks "
        f"({_fmt_points(report.earned)} of {_fmt_points(report.points)} points)"
        + (f"; {detail}" if detail else "") + f". [{report.seconds:.1f}s]")
    lines.append("These are the visible checks only: the hidden tests that grade your work try "
                 "more inputs, so passing here is a good sign, not a guarantee.")
    lines.append("Before you submit, also validate your notebooks: `nbgrader validate *.ipynb` "
                 "(or the Validate button in JupyterLab).")
    return lines


def print_report(report: CheckReport, out=None, verbose: bool = False) -> None:
    """Print a finished report in one go (the CLI prints it live instead)."""
    printer = TablePrinter(out, verbose)
    printer.start(report, [(p.part, p.notebook, p.points) for p in report.parts])
    for r in report.parts:
        printer.result(r)
    printer.summary(report)


# --------------------------------------------------------------------------- command line


PROG = f"python -m {PACKAGE}.checks"


def build_parser(prog: str = PROG):
    import argparse

    p = argparse.ArgumentParser(
        prog=prog,
        description=f"Run the public checks of your assignment ({PACKAGE}/checks.py) against your own "
                    f"{PACKAGE}/ package and print one row a graded part: OK, FAILED (with the failing "
                    "comparison) or not implemented yet. Your code runs in a separate Python process; "
                    "the hidden grading tests are never used. Exit code 0 whenever the checks ran "
                    "(whatever the result; see --strict), 2 when they could not run.")
    p.add_argument("path", nargs="?", default=None,
                   help=f"your assignment folder, holding the notebooks and {PACKAGE}/ "
                        f"(default: the folder of this {PACKAGE} package)")
    p.add_argument("-p", "--part", action="append", metavar="PART",
                   help="check only this part, e.g. affine_forward (repeatable)")
    p.add_argument("-n", "--notebook", action="append", metavar="NOTEBOOK",
                   help="check only the parts of this notebook, e.g. FullyConnectedNets (repeatable)")
    p.add_argument("--timeout", type=float, default=DEFAULT_PART_TIMEOUT, metavar="SECONDS",
                   help="stop a part that runs longer than this (default: %(default)g; 0: no limit)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print every line each check printed, also for parts that pass")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 unless every checked part passes (for your own CI)")
    return p


def main(argv: list[str] | None = None, prog: str = PROG) -> int:
    """The command line: ``python -m cs231n.checks [PATH] [-p PART] [-n NOTEBOOK] [-v] [--strict]``."""
    args = build_parser(prog).parse_args(argv)
    path = args.path if args.path is not None else Path(__file__).resolve().parent.parent
    printer = TablePrinter(verbose=args.verbose)
    try:
        report = run_checks(path, parts=args.part or None, notebooks=args.notebook or None,
                            part_timeout=args.timeout, on_start=printer.start, on_result=printer.result)
    except CheckError as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    printer.summary(report)
    if args.strict and any(not p.passed for p in report.parts):
        return 1
    return 0


if __name__ == "__main__":  # run as a file (what `autograder check` does): python -I cs231n/check_runner.py
    sys.exit(main())
