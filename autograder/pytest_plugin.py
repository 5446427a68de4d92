"""The pytest plugin that runs a hidden suite against one submission.

It lives in the trusted process. It provides the fixtures hidden tests use
(``submission``: a proxy into a sandboxed worker; ``reference``: the reference
package; ``assignment``: the course's description of the assignment), the ``grade`` marker, and it records
every test's outcome as a :class:`~autograder.results.TestOutcome` with a
message a student can act on (never the hidden test's source: pytest's
traceback is not shown, only our one-line reason).
"""
from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from autograder.course import Assignment
from autograder.results import TestOutcome
from autograder.sandbox.errors import MAX_MESSAGE_CHARS, clip

PLUGIN_KEY: "pytest.StashKey[GradingPlugin]" = pytest.StashKey()

GRADE_MARKER_HELP = (
    "grade(grade_id, points=1): the notebook part this test scores and its weight within the part"
)


def import_reference(solutions_dir: Path, package: str, modules=()):
    """Import the reference ``package`` from ``solutions_dir`` (trusted side only), and
    ``modules`` (dotted names) of it.

    Another assignment's package of the same name (graded earlier in this process) is
    dropped from ``sys.modules`` first, so each grading sees its own reference.
    """
    root = Path(solutions_dir).resolve()
    loaded = sys.modules.get(package)
    if loaded is not None and root not in Path(getattr(loaded, "__file__", "/") or "/").resolve().parents:
        for name in [m for m in list(sys.modules) if m == package or m.startswith(package + ".")]:
            del sys.modules[name]
    if str(root) in sys.path:
        sys.path.remove(str(root))
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    pkg = importlib.import_module(package)
    if root not in Path(pkg.__file__).resolve().parents:
        raise RuntimeError(f"{package!r} resolves to {pkg.__file__}, not the reference in {root}")
    for name in modules:
        importlib.import_module(name)
    return pkg


def _text(exc: BaseException) -> str:
    """``str(exc)``, capped: a failed check may quote what the student's code returned."""
    try:
        return clip(str(exc), MAX_MESSAGE_CHARS)
    except Exception:  # noqa: BLE001 - a str() that raises is still a failure to report
        return ""


def student_message(excinfo: pytest.ExceptionInfo) -> str:
    """The reason a test failed, in one or two sentences for the student (capped in length)."""
    from autograder.sandbox.proxy import StudentCodeError

    exc = excinfo.value
    if isinstance(exc, StudentCodeError):
        return str(exc)  # each of its parts is capped already
    if isinstance(exc, AssertionError):
        text = _text(exc).strip()
        return text.split("\n\n")[0] if text else "a check on your result failed"
    if isinstance(exc, pytest.fail.Exception):
        return _text(exc).strip()
    # A trusted-side error while checking the student's result: almost always a
    # result of the wrong type or shape.
    text = _text(exc)
    return f"your result could not be checked ({type(exc).__name__}: {text.splitlines()[0] if text else ''})"


def _is_sandbox_failure(exc: BaseException) -> bool:
    """The worker could not be started at all: the grading machine's problem, not the student's."""
    from autograder.sandbox import SandboxUnavailable, WorkerStartError

    return isinstance(exc, (SandboxUnavailable, WorkerStartError))


class GradingPlugin:
    """Registered into ``pytest.main(plugins=[...])`` by :mod:`autograder.runner`."""

    def __init__(self, proxy_factory: Callable[[], object], assignment: Assignment,
                 selected_parts: set[str] | None = None, budget=None, package_dir: Path | None = None):
        self._proxy_factory = proxy_factory
        self.assignment = assignment
        # the grader's private copy of the student's package (read as text, never imported)
        self.package_dir = package_dir
        self._reference = None  # the reference package, imported on first use
        self._selected_parts = selected_parts
        # the grading's TimeBudget (shared by the proxies): each test gets its own deadline
        self._budget = budget
        self._proxies: list = []
        self.outcomes: list[TestOutcome] = []
        self.collection_errors: list[str] = []
        # the sandbox itself could not run (a problem of the machine, not a score)
        self.sandbox_errors: list[str] = []
        self.protections: dict[str, bool] = {}
        self._setup_seconds: dict[str, float] = {}  # nodeid -> its set-up time, until its call
        self._prestarted = None  # a proxy whose worker started before the session (prestart_proxy)
        # the modules every worker of the grading imports before it reports ready (torch, say)
        self._preload: tuple[str, ...] = ()
        # set by prestart_after_collection: picks that preload from the selected tests' files
        self._choose_preload: Callable[[list[str]], tuple[str, ...]] | None = None

    # -- configuration ------------------------------------------------------
    def pytest_configure(self, config):
        config.addinivalue_line("markers", GRADE_MARKER_HELP)
        config.stash[PLUGIN_KEY] = self

    def prestart_proxy(self, preload: tuple[str, ...] = ()) -> None:
        """Open the grading's proxy now and start its worker without waiting (the grader's
        start-up and the worker's run side by side); the ``submission`` fixture takes it.
        Its worker, and any the grading opens later, import ``preload`` before they report
        ready, so no call into student code pays for that import."""
        self._preload = tuple(preload)
        proxy = self._proxy_factory(self._preload)
        self._proxies.append(proxy)
        try:
            proxy.prestart()
        except Exception:  # noqa: BLE001 - the fixture's own start reports it, as without this
            proxy.close()
            return
        self._prestarted = proxy

    def take_proxy(self):
        """The prestarted proxy (once), else a new one."""
        proxy, self._prestarted = self._prestarted, None
        return self._noted(proxy) if proxy is not None else self.open_proxy()

    def prestart_after_collection(self, choose: Callable[[list[str]], tuple[str, ...]]) -> None:
        """Prestart the proxy once the selected tests are known (a grading restricted to some
        parts), with ``choose(their files' names)`` as its preload: a restricted grading that
        runs a PyTorch part must not import torch inside its first call, whose limit was
        calibrated on a worker that had torch already."""
        self._choose_preload = choose

    def open_proxy(self):
        proxy = self._proxy_factory(self._preload)
        self._proxies.append(proxy)
        return self._noted(proxy)

    def _noted(self, proxy):
        """``proxy``, its worker's protections noted for the results (the first one's)."""
        if not self.protections and hasattr(proxy, "protections"):
            self.protections = dict(proxy.protections())
        return proxy

    def pytest_collection_modifyitems(self, session, config, items):
        keep, drop = [], []
        for item in items:
            marker = item.get_closest_marker("grade")
            if marker is None:
                self.collection_errors.append(f"hidden test {item.nodeid} has no grade marker")
                drop.append(item)
            elif self._selected_parts is not None and marker.args[0] not in self._selected_parts:
                drop.append(item)
            else:
                keep.append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
        if self._choose_preload is not None and keep:
            self.prestart_proxy(self._choose_preload(sorted({item.path.name for item in keep})))

    def pytest_collectreport(self, report):
        if report.failed:
            self.collection_errors.append(f"could not collect {report.nodeid}: {report.longreprtext[-500:]}")

    # -- the per-test deadline ------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        """Each test's calls into student code share one deadline (``Sandbox.test_timeout``):
        past it the next call fails the test with a timeout message, and the next test starts
        with a fresh deadline (the submission's total budget still counts)."""
        for proxy in self._proxies:  # a worker restarted during this test has what its file needs
            proxy.restart_preload = self.assignment.preload_needed_by([item.path.name])
        if self._budget is not None:
            marker = item.get_closest_marker("grade")
            part = self.assignment.part(marker.args[0]) if marker is not None and marker.args else None
            self._budget.start_test(part.time_limit if part is not None else None, self.served_for(part))
        try:
            yield
        finally:
            if self._budget is not None:
                self._budget.end_test()

    def reference_package(self):
        """The assignment's reference package (imported once, for the fixture and the served
        functions alike)."""
        if self._reference is None:
            a = self.assignment
            self._reference = import_reference(a.solutions_dir, a.package, a.reference_modules)
        return self._reference

    def served_for(self, part) -> dict:
        """``{"pkg.module.function": reference callable}``: the graded functions ``part`` takes
        from the reference (``from_reference`` in the description), run on this side when the
        student's code calls them, so a bug there costs only its own part."""
        if part is None or not part.from_reference:
            return {}
        a = self.assignment
        ref = self.reference_package()
        served = {}
        for name in part.from_reference:
            obj = ref
            for attr in name.split("."):
                obj = getattr(obj, attr) if hasattr(obj, attr) else importlib.import_module(
                    f"{obj.__name__}.{attr}")
            served[f"{a.package}.{name}"] = obj
        return served

    # -- outcomes ---------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        marker = item.get_closest_marker("grade")
        if marker is None:
            return
        grade_id = marker.args[0]
        weight = float(marker.kwargs.get("points", marker.args[1] if len(marker.args) > 1 else 1))
        name = item.name[5:] if item.name.startswith("test_") else item.name
        if report.when == "setup":  # its fixtures' time (a worker started for it) counts too
            self._setup_seconds[item.nodeid] = report.duration
        if report.when == "call" or (report.when == "setup" and not report.passed):
            if report.passed:
                status, message = "passed", ""
            elif report.skipped:
                status, message = "skipped", "skipped"
            else:
                status = "failed"
                message = student_message(call.excinfo) if call.excinfo else "failed"
                if call.excinfo is not None and _is_sandbox_failure(call.excinfo.value):
                    self.sandbox_errors.append(f"{type(call.excinfo.value).__name__}: {call.excinfo.value}")
            self.outcomes.append(TestOutcome(nodeid=item.nodeid, name=name, grade_id=grade_id,
                                             weight=weight, status=status, message=message,
                                             duration=report.duration + (
                                                 self._setup_seconds.pop(item.nodeid, 0.0)
                                                 if report.when == "call" else 0.0)))

    def pytest_sessionfinish(self, session, exitstatus):
        self.close_proxies()

    def close_proxies(self) -> None:
        """Stop every worker of the grading (also one prestarted that no test took)."""
        for proxy in self._proxies:
            try:
                proxy.close()
            except Exception:  # closing twice or a dead worker: nothing left to do
                pass


# -- fixtures (module level: pytest deprecates fixtures on plugin instances) --
# The runner registers this module next to the GradingPlugin instance, which
# the fixtures find in the config stash.


@pytest.fixture(scope="session")
def submission(request):
    """The student's package, executed in a sandboxed worker: one for the whole grading,
    started once (a crash or timeout starts a fresh one for the next call)."""
    proxy = request.config.stash[PLUGIN_KEY].take_proxy()
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture(scope="session")
def reference(request):
    """The assignment's reference package, imported in the trusted process. Fixtures of a
    course's own (its data, say) live in its hidden suite's ``conftest.py``."""
    return request.config.stash[PLUGIN_KEY].reference_package()


@pytest.fixture(scope="session")
def student_source(request):
    """The folder of the grader's private copy of the student's package, to read source
    files as text (:mod:`autograder.source_checks`); never import from it."""
    plugin = request.config.stash[PLUGIN_KEY]
    if plugin.package_dir is None:
        pytest.skip("no student source folder in this grading")
    return Path(plugin.package_dir)


@pytest.fixture(scope="session")
def assignment(request):
    """The :class:`~autograder.course.Assignment` being graded (its parts, package, paths)."""
    return request.config.stash[PLUGIN_KEY].assignment
