"""Grade one submission: run the hidden suite in this (trusted) process with pytest,
student code in sandboxed workers, and build the :class:`GradingResult`.
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pytest

from autograder.parts import assignment_parts
from autograder.course import CourseError, load_assignment, resolve_assignment
from autograder.paths import course_root
from autograder import pytest_plugin
from autograder.pytest_plugin import GradingPlugin
from autograder.results import GradingResult, PartResult, TestOutcome
from autograder.sandbox.slots import GRADE_SLOT_BASE, GRADE_SLOT_COUNT, NoFreeSlot, acquire_slot
from autograder.submission import MAX_UNZIPPED_BYTES, PreparedSubmission, SubmissionError, course_given_files


class GradingError(Exception):
    """Grading itself could not run (not the student's fault): exit code non-zero."""


def make_sandbox(sandbox_config, root: Path, hidden_site_paths=()):
    """The grading's Sandbox: the course's settings, guarding the course at ``root`` and
    hiding the assignment's ``hidden_site_paths`` (site-packages folders) from its workers."""
    from autograder.sandbox import Sandbox

    sandbox = Sandbox(config=sandbox_config) if sandbox_config is not None else Sandbox()
    if not sandbox.course_root:
        sandbox.course_root = str(root)
    sandbox.hidden_site_paths = sorted(set(sandbox.hidden_site_paths) | set(hidden_site_paths))
    return sandbox


def _proxy_factory(package_root: Path, package: str, sandbox, slot: int, budget):
    """A function ``(preload) -> proxy`` that opens a sandboxed proxy on the submission's
    ``package`` (the grading's ``submission`` fixture, one worker for the whole grading); it
    draws on the grading's one time ``budget``, and its workers import ``preload`` as they start."""
    from autograder.sandbox import SubmissionProxy

    # sync_mutable_args is forced on whatever the course config says: the hidden suites read
    # running statistics from bn_param and in-place changes from last_modified.
    return lambda preload=(): SubmissionProxy.for_directory(
        package_root, sandbox=sandbox, package=package, slot=slot, budget=budget, sync_mutable_args=True,
        preload=tuple(preload))


def start_warm_workers(assignment: str, root: Path | None = None, sandbox_config=None):
    """Start a warm fork server (:mod:`autograder.sandbox.warm`) for gradings of ``assignment``
    in this process and the processes forked from it, with the assignment's ``preload``
    imported, and install it; returns it (``close()`` stops it), or None where warm workers
    cannot be had (not root, no bubblewrap, ``Sandbox.warm_workers`` off).  Worth it for a
    process that grades many submissions (grade-all's job servers, a batch of mutants);
    ``sandbox_config`` must be the one the gradings get, or their workers start cold."""
    from autograder.sandbox import warm

    root = Path(root) if root else course_root()
    spec = load_assignment(assignment, root)
    zygote = warm.Zygote.start(make_sandbox(sandbox_config, root, spec.hidden_site_paths), tuple(spec.preload))
    warm.install(zygote)
    if zygote is not None:
        import atexit

        atexit.register(zygote.close)  # its inbox folder; the server itself dies with us anyway
    return zygote


def start_warm_kernels(assignment: str, root: Path | None = None, config=None):
    """Start a fork server of notebook kernels (:meth:`autograder.sandbox.warm.Zygote.start_kernels`)
    importing the assignment's ``notebook_preload``, for the kernels of this process and the
    processes forked from it, and install it; returns it, or None where it cannot be had (as
    for :func:`start_warm_workers`). ``config`` must be the one the kernels' ``Sandbox`` gets
    (the course's nbgrader config), or they start cold."""
    from autograder.sandbox import Sandbox, warm

    root = Path(root) if root else course_root()
    spec = load_assignment(assignment, root)
    zygote = warm.Zygote.start_kernels(Sandbox(config=config) if config is not None else Sandbox(),
                                       tuple(spec.notebook_preload))
    warm.install_kernels(zygote)
    if zygote is not None:
        import atexit

        atexit.register(zygote.close)
    return zygote


def import_preload(names: Iterable[str]) -> None:
    """Import an assignment's ``preload`` here, on the trusted side (a whole grading, while its
    prestarted worker imports its own; grade-all's job servers, before they fork), defer
    ``torch._dynamo`` (:mod:`autograder.sandbox.dynamo_on_demand`), then
    ``gc.freeze()`` what this process holds: torch's million objects stay out of every full
    collection's walk (and, in a job server, their pages stay shared with the forked jobs).
    A module that fails to import is left to the test that needs it."""
    import gc
    import importlib

    for name in names:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    from autograder.sandbox.dynamo_on_demand import install

    install()  # torch's _dynamo (~1 s) imported when something compiles, not at the first optimizer
    gc.freeze()


def _protections(sandbox) -> dict[str, bool]:
    """What a worker would have had (when no test started one)."""
    from autograder.sandbox import SandboxUnavailable

    try:
        return sandbox.protections()
    except SandboxUnavailable:
        return {}


@contextlib.contextmanager
def _hidden_module_names(tests_dir: Path):
    """Let the hidden suite's modules be its own while pytest runs it.

    pytest's importlib mode returns ``sys.modules[<file stem>]`` when a module of that name is
    already imported, so grading inside a process that imported, say, another
    ``test_torch_models`` (the framework's own test run) would collect that module instead of
    the hidden one. Such entries are set aside during the run and put back after it, and the
    hidden modules are not left behind in ``sys.modules``.
    """
    names = {p.stem for p in Path(tests_dir).glob("*.py")} | {"conftest"}
    saved = {n: sys.modules.pop(n) for n in list(sys.modules) if n in names}
    try:
        yield
    finally:
        for n in names:
            sys.modules.pop(n, None)
        sys.modules.update(saved)


def _notes(sandbox) -> list[str]:
    from autograder.sandbox import SandboxUnavailable

    try:
        return sandbox.notes()
    except SandboxUnavailable as e:
        return [str(e)]


def build_parts(assignment: str, root: Path, outcomes) -> list[PartResult]:
    """Group outcomes by grade_id into the notebook's parts (notebook order first)."""
    known = assignment_parts(assignment, root)
    parts: dict[str, PartResult] = {
        gid: PartResult(grade_id=gid, max_points=p.points, notebook=p.notebook)
        for gid, p in known.items()
    }
    for o in outcomes:
        if o.grade_id not in parts:  # a test for a part no notebook declares: weight = points
            parts[o.grade_id] = PartResult(grade_id=o.grade_id, max_points=0.0)
        parts[o.grade_id].tests.append(o)
    for p in parts.values():
        if p.grade_id not in known:
            p.max_points = p.total_weight
    return list(parts.values())


@dataclass
class SuiteRun:
    """What one pytest session over (some of) the hidden suite gave."""

    code: int  # pytest's exit code
    outcomes: list[TestOutcome] = field(default_factory=list)
    collection_errors: list[str] = field(default_factory=list)
    sandbox_errors: list[str] = field(default_factory=list)  # the sandbox could not run the code
    protections: dict[str, bool] = field(default_factory=dict)


def _pytest_args(targets: list[str], tests_dir: Path, quiet: bool) -> list[str]:
    args = targets + [
        "-p", "no:cacheprovider",  # never write .pytest_cache into grading_tests/
        "-p", "no:randomly",
        "-p", "no:warnings",       # students see our messages, not pytest's warning summary
        # plugins a hidden suite has no use for, each a cost on every test (logging's
        # handlers: ~1 ms a test) or at the end (unraisableexception's gc: 0.4 s)
        "-p", "no:logging", "-p", "no:unraisableexception", "-p", "no:threadexception",
        "-p", "no:pastebin", "-p", "no:junitxml", "-p", "no:doctest", "-p", "no:stepwise",
        "--assert=plain",          # failure text is our message, not introspected source
        "--import-mode=importlib",
        "--rootdir", str(tests_dir),
        "-c", str(tests_dir / "pytest.ini") if (tests_dir / "pytest.ini").exists() else "/dev/null",
        "-q" if quiet else "-v",
        "--no-header", "-rN", "--tb=no",
    ]
    if quiet:
        args.append("-qq")
    return args


def _run_suite(spec, package_root: Path, sandbox, slot: int, budget, selected: set[str] | None,
               targets: list[str], preload: tuple[str, ...] | None, quiet: bool) -> SuiteRun:
    """One pytest session over ``targets`` (hidden test files or the whole folder), its student
    code in one sandboxed worker of ``slot``; ``preload`` imported on both sides up front, or,
    when None, what the selected tests' files need (``Assignment.preload_needed_by``), once
    they are collected."""
    plugin = GradingPlugin(_proxy_factory(package_root, spec.package, sandbox, slot, budget),
                           spec, selected, budget=budget, package_dir=Path(package_root) / spec.package)
    if preload is None:
        def choose(files: list[str]) -> tuple[str, ...]:
            needed = spec.preload_needed_by(files)
            if needed:
                import_preload(needed)
            return needed

        plugin.prestart_after_collection(choose)
    else:
        plugin.prestart_proxy(preload)
        if preload:
            import_preload(preload)
    try:
        with _hidden_module_names(spec.grading_tests_dir):
            code = pytest.main(_pytest_args(targets, spec.grading_tests_dir, quiet),
                               plugins=[plugin, pytest_plugin])
    finally:
        plugin.close_proxies()
    return SuiteRun(code=int(code), outcomes=plugin.outcomes, collection_errors=plugin.collection_errors,
                    sandbox_errors=plugin.sandbox_errors, protections=plugin.protections)


def _split_suite(spec, parallel: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the hidden files this process runs, those a forked second grader process runs) of a
    whole grading, or ``((), ())`` for one process. Split: the assignment's ``preload_for``,
    when asked for (``parallel``), on two or more cores, and when other files remain for this
    process -- and only from a process that may fork (:func:`autograder.forked_run.can_fork`:
    one thread, the preload not imported yet), so a process that graded in-process before
    grades in one process."""
    from autograder.forked_run import can_fork

    if not parallel or not spec.preload_for or len(os.sched_getaffinity(0)) < 2:
        return (), ()
    if not can_fork(spec.preload):
        return (), ()
    mine = tuple(sorted(p.name for p in spec.grading_tests_dir.glob("test_*.py")
                        if p.name not in spec.preload_for))
    return (mine, tuple(spec.preload_for)) if mine else ((), ())


def grade_submission(
    submission: Path,
    assignment: str | None = None,
    *,
    sandbox_config=None,
    parts: Iterable[str] | None = None,
    modules: Iterable[str] | None = None,
    root: Path | None = None,
    slot: int | None = None,
    quiet: bool = True,
    record_call_times: dict | None = None,
    parallel: bool = False,
) -> GradingResult:
    """Grade ``submission`` (a folder holding the assignment's package or a zip of one).

    ``assignment`` names it (default: the one the submission's path names, or the
    course's only one; see :func:`autograder.course.resolve_assignment`).

    ``parts`` restricts grading to some grade_ids (other parts are reported
    with no tests and score 0); ``modules`` to some hidden test files
    (e.g. ``["test_optim.py"]``). ``slot`` picks the worker's unprivileged uid
    (61000 + slot); by default a free one is taken (:func:`acquire_slot`), so
    parallel gradings never share one. The package is graded from a private
    copy with the course's given files put over the student's
    (:class:`PreparedSubmission`). Raises :class:`GradingError` only when grading
    itself cannot run; everything the student did wrong is a score.

    ``parallel`` (``autograder grade``): a whole grading on two or more cores runs the
    assignment's ``preload_for`` files in a forked second grader process (its own slot, one
    more, and worker), beside the other files, whose worker then starts without the preload.
    grade-all leaves it off: it already grades two students at once.

    Each call into student code gets a limit derived from the reference's own time for it
    (:mod:`autograder.calibration`); ``record_call_times`` (a dict) instead records those
    times, which is how the calibration grades the reference.
    """
    root = Path(root) if root else course_root()
    try:
        spec = load_assignment(resolve_assignment(assignment, root, hint=submission), root)
    except CourseError as e:
        raise GradingError(str(e)) from None
    assignment = spec.name
    tests_dir = spec.grading_tests_dir
    if not tests_dir.is_dir():
        raise GradingError(f"no hidden tests at {tests_dir}")
    start = time.perf_counter()
    result = GradingResult(assignment=assignment, submission=str(submission))
    selected = set(parts) if parts is not None else None
    given = course_given_files(assignment, root, spec.package)
    sandbox = make_sandbox(sandbox_config, root, spec.hidden_site_paths)
    # the package must fit the worker's tmpfs, with room for what the student's code writes
    max_bytes = min(MAX_UNZIPPED_BYTES, sandbox.submission_tmpfs_mb * 2**20 // 2 or MAX_UNZIPPED_BYTES)
    if record_call_times is None:  # before taking a slot: calibrating grades the reference first
        from autograder.calibration import call_limits

        limits = call_limits(spec, sandbox, sandbox_config)
    else:
        limits = {}
    modules = list(modules or ())
    whole = parts is None and not modules
    mine, forked_files = _split_suite(spec, parallel) if whole and record_call_times is None else ((), ())
    slot_cm = acquire_slot(GRADE_SLOT_BASE, GRADE_SLOT_COUNT) if slot is None else contextlib.nullcontext(slot)
    # the forked stream's worker needs a slot of its own (one more uid)
    slot2_cm = acquire_slot(GRADE_SLOT_BASE, GRADE_SLOT_COUNT) if forked_files else contextlib.nullcontext()
    try:
        with slot_cm as slot, slot2_cm as slot2, \
                PreparedSubmission(Path(submission), given=given, max_bytes=max_bytes,
                                   package=spec.package) as package_root:
            from autograder.sandbox import TimeBudget

            def budget():
                b = TimeBudget(sandbox.submission_timeout, sandbox.test_timeout, limits)
                b.record = record_call_times
                return b

            # a whole grading imports the assignment's heavy modules on both sides up front, side
            # by side; one restricted to some files or parts only when one of its files needs them
            # (the parts' files are known once collected: None). Never inside a call: the call
            # limits were calibrated on workers that had them.
            if whole:
                preload = spec.preload
            elif modules:
                preload = spec.preload_needed_by(Path(m).name for m in modules)
            else:
                preload = None
            if forked_files:
                from autograder.forked_run import ForkedRun, ForkedRunError

                forked = ForkedRun(lambda: _run_suite(
                    spec, package_root, sandbox, slot2, budget(), selected,
                    [str(tests_dir / m) for m in forked_files], preload, quiet))
                try:
                    runs = [_run_suite(spec, package_root, sandbox, slot, budget(), selected,
                                       [str(tests_dir / m) for m in mine], (), quiet)]
                except BaseException:
                    forked.cancel()
                    raise
                try:
                    runs.append(forked.result(sandbox.submission_timeout + 600))
                except ForkedRunError as e:
                    raise GradingError(str(e)) from None
                finally:
                    if forked.output.strip():
                        print(forked.output, end="", flush=True)
            else:
                targets = [str(tests_dir / m) for m in modules] if modules else [str(tests_dir)]
                runs = [_run_suite(spec, package_root, sandbox, slot, budget(), selected, targets,
                                   preload, quiet)]
            codes = {r.code for r in runs}
            collection_errors = [e for r in runs for e in r.collection_errors]
            sandbox_errors = [e for r in runs for e in r.sandbox_errors]
            if codes & {pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR}:
                code = max(codes & {pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR})
                raise GradingError(f"pytest could not run the hidden suite (exit {int(code)})")
            if codes == {pytest.ExitCode.NO_TESTS_COLLECTED} and not collection_errors:
                raise GradingError("the hidden suite collected no tests")
            if collection_errors:
                raise GradingError("; ".join(collection_errors))
            if sandbox_errors:  # no score from a sandbox that never ran the student's code
                raise GradingError("the sandbox could not run student code: " + sandbox_errors[0])
            result.protections = next((r.protections for r in runs if r.protections), None) \
                or _protections(sandbox)
            result.sandbox_notes = _notes(sandbox)
            outcomes = [o for r in runs for o in r.outcomes]
            result.parts = build_parts(assignment, root, outcomes)
    except NoFreeSlot as e:
        raise GradingError(str(e)) from None
    except SubmissionError as e:
        # the student's fault: every part scores zero, with the reason
        result.errors.append(f"submission could not be graded: {e}")
        result.parts = build_parts(assignment, root, [])
    result.execution_time = time.perf_counter() - start
    return result
