"""The trusted-side face of a submission: call student code as if it were local.

    with SubmissionProxy(functools.partial(Sandbox().start, submission_dir), "mypkg") as submission:
        out, cache = submission.layers.affine_forward(x, w, b)   # runs in the worker
        dx, dw, db = submission.layers.affine_backward(dout, cache)
        net = submission.classifiers.fc_net.FullyConnectedNet([20, 30], input_dim=15)
        net.params                      # data (a copy) or RemoteRef
        net.params = {...}              # setattr in the worker
        loss, grads = net.loss(X, y)

Data comes back as data; other objects stay in the worker and come back as
:class:`RemoteRef`.  In-place changes a call makes to array/dict/list arguments
are handled so that student code can never change the grader's data:
dict and list arguments (state containers such as ``bn_param`` or an optimizer
``config``) are replaced by the worker's version of them (so
``bn_param['running_mean']`` updates like it would in-process), but array
arguments are never written back: an array the call changed in place is only
recorded in :attr:`SubmissionProxy.last_modified` (positions and keyword
names), so a test can tell a student "x was modified in place" while its own
``x`` stays exactly what it generated.  Every failure of student code raises a
:class:`StudentCodeError`; after a timeout, crash or protocol violation the next
call transparently starts a fresh worker (references into the old one raise
:class:`StaleReference`).

Time: every call has its own limit (``Sandbox.call_timeout``, or
:meth:`SubmissionProxy.timeout`), and draws on a :class:`TimeBudget` that the
runner shares between all proxies of one grading: the submission's total
(``submission_timeout``) and the current test's deadline (``test_timeout``).
Text that comes back from the worker (messages, tracebacks, printed output) is
capped here, on the trusted side, whatever the worker's own caps were set to.
"""
from __future__ import annotations

import contextlib
import sys
import time

import numpy as np

from . import protocol
from .errors import (
    MAX_MESSAGE_CHARS,
    MAX_NAME_CHARS,
    MAX_STDOUT_CHARS,
    MAX_TRACEBACK_CHARS,
    NotImplementedYet,
    ProtocolError,
    StaleReference,
    StudentCodeError,
    StudentTimeout,
    WorkerCrashed,
    clip,
)


class TimeBudget:
    """Wall-clock time one grading may spend in student code, shared by all its proxies.

    ``total`` seconds for the whole submission (0 = unlimited), counted across every
    worker (one a hidden module) and restart; plus an optional deadline for the test
    at hand (:meth:`start_test`), so a submission that hangs every call loses each
    test once, not ``calls x call_timeout``.
    """

    def __init__(self, total: float = 0.0, test_timeout: float = 0.0, call_limits: dict | None = None):
        self.total = float(total or 0.0)
        self.test_timeout = float(test_timeout or 0.0)
        self.used = 0.0
        self.test_deadline: float | None = None
        # per call (its label, e.g. "pkg.layers.affine_forward" or "pkg.mod.Class().method"):
        # the limit derived from the reference's own time (autograder.calibration)
        self.call_limits: dict[str, float] = dict(call_limits or {})
        # calls that hit their time limit once: later calls fail at once with the same message
        self.hung: dict[str, str] = {}
        # calls that ran out of memory once (MemoryError at the worker's memory limit: seconds
        # of zeroed pages each time): later calls fail at once too
        self.out_of_memory: dict[str, str] = {}
        # when set (calibrating on the reference), the longest time each call took
        self.record: dict[str, float] | None = None
        # the least a calibrated call of the test at hand may take (its part's time_limit)
        self.floor = 0.0
        # functions the test at hand takes from the reference, run here when student code calls
        # them: {"pkg.module.function": the reference's callable}
        self.served: dict = {}

    def start_test(self, floor: float | None = None, served: dict | None = None) -> None:
        self.test_deadline = time.monotonic() + self.test_timeout if self.test_timeout > 0 else None
        self.floor = float(floor or 0.0)
        self.served = dict(served or {})

    def end_test(self) -> None:
        self.test_deadline = None
        self.floor = 0.0
        self.served = {}

    def timeout_for(self, call_limit: float | None, label: str) -> tuple[float | None, str]:
        """``(seconds, which)``: how long the next call may take -- the least of the call limit
        and what is left of the test's and the submission's time -- and which of
        ``"call"``/``"test"``/``"submission"`` binds.  Raises StudentTimeout when one is used up."""
        limits = []
        if call_limit and call_limit > 0:
            limits.append((call_limit, "call"))
        if self.total > 0:
            limits.append((self.total - self.used, "submission"))
        if self.test_deadline is not None:
            limits.append((self.test_deadline - time.monotonic(), "test"))
        for left, which in limits:
            if left <= 0:
                raise self.exhausted(which, label)
        return min(limits) if limits else (None, "call")

    def limit_for(self, label: str, explicit: float | None, default: float | None) -> float | None:
        """The call limit of ``label``: the reference-derived one when known (never looser than an
        explicit :meth:`SubmissionProxy.timeout`), else the explicit one, else ``default``."""
        derived = self.call_limits.get(label)
        chosen = explicit if explicit is not None else default
        if derived is None:
            return chosen
        derived = max(derived, self.floor)
        return derived if not chosen or chosen <= 0 else min(derived, chosen)

    def check_hung(self, label: str) -> None:
        """Fail at once if ``label`` already ran out of time or memory in this grading."""
        message = self.hung.get(label)
        if message is not None:
            raise StudentTimeout(f"{message} (it timed out in an earlier test, so it is not run again)",
                                 exc_type="Timeout", function=label)
        message = self.out_of_memory.get(label)
        if message is not None:
            raise StudentCodeError(f"{message} (it ran out of memory in an earlier test, so it is not run "
                                   "again)", exc_type="MemoryError", function=label)

    def exhausted(self, which: str, label: str) -> StudentTimeout:
        if which == "submission":
            text = f"the submission used up its total time budget of {self.total:g} s; no more calls are run"
        else:
            text = (f"this test used up its time limit of {self.test_timeout:g} s (its calls into your code "
                    "together took longer), so it stopped there. Look for an infinite loop or a much slower "
                    "algorithm than needed.")
        return StudentTimeout(text, exc_type="Timeout", function=label)


class RemoteRef:
    """An object living in the worker (a cache, a model, a Solver, a bound method...).

    Attribute get/set, calls, item access and ``len`` are forwarded to the
    worker.  Pass it back as an argument to hand the original object over.
    """

    __slots__ = ("_ag_proxy", "_ag_gen", "_ag_id", "_ag_type", "_ag_label", "__weakref__")

    def __init__(self, proxy: "SubmissionProxy", gen: int, hid: int, type_name: str, label: str):
        object.__setattr__(self, "_ag_proxy", proxy)
        object.__setattr__(self, "_ag_gen", gen)
        object.__setattr__(self, "_ag_id", hid)
        object.__setattr__(self, "_ag_type", type_name)
        object.__setattr__(self, "_ag_label", label)

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._ag_proxy._get_attr(self, name)

    def __setattr__(self, name: str, value) -> None:
        if name.startswith("_ag_"):
            raise AttributeError(name)
        self._ag_proxy._set_attr(self, name, value)

    def __call__(self, *args, **kwargs):
        return self._ag_proxy._call({"handle": self._ag_id}, self._ag_label, args, kwargs, self)

    def _ag_method(self, method: str, *args, **kwargs):
        return self._ag_proxy._call({"handle": self._ag_id, "method": method},
                                    f"{self._ag_label}.{method}", args, kwargs, self)

    def __getitem__(self, key):
        return self._ag_method("__getitem__", key)

    def __setitem__(self, key, value):
        self._ag_method("__setitem__", key, value)

    def __len__(self):
        return int(self._ag_method("__len__"))

    def __contains__(self, item):
        return bool(self._ag_method("__contains__", item))

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        return f"<RemoteRef {self._ag_label} ({self._ag_type}) #{self._ag_id}>"

    def __del__(self):
        try:
            self._ag_proxy._release(self)
        except Exception:  # noqa: BLE001
            pass


class RemotePath:
    """A dotted name in the student's package (module, function, class ...), resolved lazily."""

    __slots__ = ("_ag_proxy", "_ag_path")

    def __init__(self, proxy: "SubmissionProxy", path: str):
        object.__setattr__(self, "_ag_proxy", proxy)
        object.__setattr__(self, "_ag_path", path)

    def __getattr__(self, name: str) -> "RemotePath":
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return RemotePath(self._ag_proxy, f"{self._ag_path}.{name}")

    def __setattr__(self, name, value):
        raise AttributeError("cannot assign to a submission module from the grader")

    def __call__(self, *args, **kwargs):
        return self._ag_proxy.call(self._ag_path, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<RemotePath {self._ag_path}>"


class SubmissionProxy:
    """Student code behind a sandbox.

    ``worker_factory()`` must return a started worker (``Sandbox.start(dir)``
    bound to a submission, e.g. with :func:`functools.partial`).  The worker
    is started on first use and restarted after a timeout/crash.

    ``call_timeout``/``submission_timeout`` default to the sandbox's settings;
    ``budget`` (a :class:`TimeBudget`) is shared by every proxy of one grading,
    which the runner passes, so the submission's total time and the test's
    deadline hold across them; without one the proxy has its own.
    """

    def __init__(self, worker_factory, package: str, *, call_timeout: float | None = None,
                 submission_timeout: float | None = None, sync_mutable_args: bool | None = None,
                 budget: TimeBudget | None = None):
        self._factory = worker_factory
        self._package = package
        self._worker = None
        self._gen = 0
        self._pending_release: list[int] = []
        self._call_timeout = call_timeout
        self._submission_timeout = submission_timeout
        self._sync = sync_mutable_args
        self._budget = budget
        self._closed = False
        self._installed: tuple[int, frozenset] = (0, frozenset())  # (worker generation, served names)
        self.last_stdout = ""
        self.last_stdout_bytes = 0
        # array arguments the last call changed in place: int positions and str keyword names
        self.last_modified: frozenset = frozenset()
        self.restarts = 0
        self._spawn = None  # starts a worker without waiting for it (for_directory's)
        # what a worker started after a timeout or crash imports before it reports ready
        # (for_directory's; the grading sets it for each test: the preload if the test needs it)
        self.restart_preload: tuple[str, ...] = ()

    # ------------------------------------------------------------------ convenience constructor
    @classmethod
    def for_directory(cls, submission_dir, package: str, sandbox=None, slot: int = 0,
                      preload: tuple[str, ...] = (), **kw):
        """A proxy whose workers run ``submission_dir``; one started by :meth:`prestart` imports
        ``preload`` as it starts, one restarted after a timeout or crash imports
        ``restart_preload`` (empty unless set: a submission that crashes its worker again and
        again pays seconds of torch for each only in the tests that use torch, whose call limits
        assume a worker that has it)."""
        from .launcher import Sandbox

        sb = sandbox or Sandbox()
        proxy = cls(lambda: sb.start(submission_dir, slot=slot, preload=proxy.restart_preload), package, **kw)
        proxy._spawn = lambda: sb.start(submission_dir, slot=slot, preload=preload, wait=False)
        return proxy

    # ------------------------------------------------------------------ public API
    def __getattr__(self, name: str) -> RemotePath:
        if name.startswith("_"):
            raise AttributeError(name)
        return RemotePath(self, f"{self._package}.{name}")

    def call(self, path: str, *args, **kwargs):
        """Call ``path`` (a dotted name, e.g. ``'cs231n.layers.affine_forward'``) in the worker."""
        return self._call({"path": path}, path, args, kwargs, None)

    def get(self, path: str):
        """Value of a dotted name (data, or RemoteRef for e.g. a class or function)."""
        return self._request({"op": "get", "path": path}, path)

    def import_module(self, module: str) -> RemotePath:
        """Import ``module`` in the worker now (so import errors surface here)."""
        self._request({"op": "import", "module": module}, module)
        return RemotePath(self, module)

    def put(self, value) -> RemoteRef:
        """Store ``value`` in the worker; the RemoteRef shares it across calls (in-place updates stay there)."""
        return self._request({"op": "put", "value": value}, "put")

    def fetch(self, ref: RemoteRef):
        """The worker-side object behind ``ref`` as data (non-data parts stay RemoteRefs)."""
        return self._request({"op": "get", "handle": ref._ag_id}, ref._ag_label, check=(ref,))

    def exec(self, code: str, namespace: RemoteRef | None = None, filename: str = "<cell>") -> RemoteRef:
        """Execute source (e.g. a notebook cell) in the worker; returns the namespace (a RemoteRef dict)."""
        msg = {"op": "exec", "code": code, "filename": filename,
               "namespace": None if namespace is None else namespace._ag_id}
        return self._request(msg, filename, check=(namespace,) if namespace is not None else ())

    def ping(self) -> dict:
        return self._request({"op": "ping"}, "ping")

    def protections(self) -> dict[str, bool]:
        """The protections of this proxy's worker (starting one if none runs)."""
        return dict(self._ensure_worker().protections)

    @property
    def worker(self):
        return self._worker

    @contextlib.contextmanager
    def timeout(self, seconds: float):
        """Temporarily change the per-call wall-clock limit (e.g. for training a model)."""
        old = self._call_timeout
        self._call_timeout = seconds
        try:
            yield self
        finally:
            self._call_timeout = old

    def prestart(self) -> None:
        """Start the worker now, without waiting: it boots (and imports its preload) while the
        grader starts up; the first request waits for it, outside the student's time."""
        if self._spawn is not None and self._worker is None and not self._closed:
            self._worker = self._spawn()
            self._gen += 1

    def restart(self) -> None:
        self._kill_worker()

    def close(self) -> None:
        self._kill_worker()
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self._kill_worker()
        except Exception:  # noqa: BLE001
            pass

    # ------------------------------------------------------------------ internals
    def _kill_worker(self) -> None:
        w, self._worker = self._worker, None
        self._pending_release = []
        if w is not None:
            w.close()

    def _ensure_worker(self):
        if self._closed:
            raise RuntimeError("this SubmissionProxy is closed")
        if self._worker is not None and not self._worker.alive:
            self._kill_worker()
        if self._worker is None:
            self._worker = self._factory()
            self._gen += 1
            if self._gen > 1:
                self.restarts += 1
        elif not getattr(self._worker, "ready", True):  # prestarted: its start-up is not the student's time
            try:
                self._worker.wait_ready()
            except BaseException:
                self._worker = None
                raise
        return self._worker

    @property
    def budget(self) -> TimeBudget | None:
        return self._budget

    def _call_limit(self, worker, label: str = "") -> float:
        budget = self._budget
        if budget is not None:
            return budget.limit_for(label, self._call_timeout, worker.sandbox.call_timeout)
        return self._call_timeout if self._call_timeout is not None else worker.sandbox.call_timeout

    def _the_budget(self, worker) -> TimeBudget:
        if self._budget is None:  # a proxy on its own: its own submission budget
            total = self._submission_timeout
            self._budget = TimeBudget(total if total is not None else worker.sandbox.submission_timeout)
        return self._budget

    def _to_handle(self, obj):
        if isinstance(obj, RemoteRef):
            self._check_ref(obj)
            return obj._ag_id, obj._ag_type
        raise TypeError(f"a {type(obj).__name__} object cannot be sent to student code (only data and RemoteRefs)")

    def _check_ref(self, ref: RemoteRef) -> None:
        if ref._ag_proxy is not self or ref._ag_gen != self._gen or self._worker is None:
            raise StaleReference(
                f"{ref._ag_label} came from a worker that has since been restarted (after a timeout or a "
                "crash of your code), so it no longer exists", exc_type="StaleReference",
                function=ref._ag_label)

    def _release(self, ref: RemoteRef) -> None:
        if ref._ag_gen == self._gen and self._worker is not None:
            self._pending_release.append(ref._ag_id)

    def _call(self, target: dict, label: str, args, kwargs, ref):
        msg = {"op": "call", **target, "args": list(args), "kwargs": kwargs}
        w_sync = self._sync
        if w_sync is None:
            w_sync = True if self._worker is None else self._worker.sandbox.sync_mutable_args
        msg["sync"] = bool(w_sync)
        self.last_modified = frozenset()
        resp = self._request(msg, label, check=(ref,) if ref is not None else (), raw=True)
        synced = resp.get("synced")
        if synced:
            self.last_modified = self._apply_sync(args, kwargs, synced)
        return resp["result"]

    @staticmethod
    def _apply_sync(args, kwargs, synced) -> frozenset:
        """Mirror changed dict/list arguments; return the positions/names of changed arrays.

        Arrays are deliberately not written back: tests compute expected values
        from their own arrays, and a student who zeroed an input in place must
        not be able to change what the grader compares against.
        """
        pairs = []
        for i, v in (synced.get("args") or {}).items():
            if isinstance(i, int) and 0 <= i < len(args):
                pairs.append((i, args[i], v))
        for k, v in (synced.get("kwargs") or {}).items():
            if isinstance(k, str) and k in kwargs:
                pairs.append((k, kwargs[k], v))
        modified = set()
        for where, orig, new in pairs:
            try:
                if isinstance(orig, np.ndarray):
                    modified.add(where)
                elif isinstance(orig, dict) and isinstance(new, dict):
                    orig.clear()
                    orig.update(new)
                elif isinstance(orig, list) and isinstance(new, list):
                    orig[:] = new
            except (TypeError, ValueError):
                pass
        return frozenset(modified)

    def _request(self, msg: dict, label: str, check=(), raw: bool = False):
        for r in check:
            if r is not None:
                self._check_ref(r)
        if self._budget is not None:  # a used-up budget refuses before even starting a worker
            self._budget.check_hung(label)
            self._budget.timeout_for(None, label)
        worker = self._ensure_worker()
        budget = self._the_budget(worker)
        if msg.get("op") == "call":
            self._install_served(worker, budget, label)
        timeout, bound = budget.timeout_for(self._call_limit(worker, label), label)
        if self._pending_release:
            msg["release"], self._pending_release = self._pending_release, []
        gen = self._gen
        t0 = time.monotonic()
        try:
            resp = worker.request(msg, timeout, label, self._to_handle,
                                  lambda h: RemoteRef(self, gen, h.id, h.type_name, f"{label}()"
                                                      if msg.get("op") == "call" else label),
                                  on_callback=lambda req: self._serve_callback(req, budget, worker))
        except StudentTimeout as e:
            self._kill_worker()
            if bound != "call":  # the test's or the submission's time ran out, not this call's
                raise budget.exhausted(bound, label) from None
            budget.hung[label] = e.message
            raise
        except (WorkerCrashed, ProtocolError):
            self._kill_worker()
            raise
        except BaseException:
            if not worker.alive:  # interrupted mid-exchange (the worker stopped itself)
                self._kill_worker()
            raise
        finally:
            budget.used += time.monotonic() - t0
        if budget.record is not None and msg.get("op") == "call":
            budget.record[label] = max(budget.record.get(label, 0.0), time.monotonic() - t0)
        stdout = resp.get("stdout")
        limit = min(worker.sandbox.stdout_tail_bytes, MAX_STDOUT_CHARS)
        self.last_stdout = stdout[-limit:] if isinstance(stdout, str) else ""
        self.last_stdout_bytes = resp.get("stdout_bytes") if isinstance(resp.get("stdout_bytes"), int) else 0
        if not resp["ok"]:
            error = self._error(resp.get("error"), label)
            if error.exc_type == "MemoryError" and msg.get("op") == "call":
                budget.out_of_memory[label] = error.message
            raise error
        return resp if raw else resp.get("result")

    def _install_served(self, worker, budget: TimeBudget, label: str) -> None:
        """Make the worker route the test's served functions to this process (once per change)."""
        names = frozenset(budget.served)
        gen, installed = self._installed
        if (installed if gen == self._gen else frozenset()) == names:
            return  # a fresh worker serves nothing
        timeout, _ = budget.timeout_for(self._call_limit(worker), label)
        resp = worker.request({"op": "serve", "names": sorted(names)}, timeout, label, self._to_handle)
        if not resp.get("ok"):
            raise self._error(resp.get("error"), label)
        self._installed = (self._gen, names)

    @staticmethod
    def _serve_callback(req: dict, budget: TimeBudget, worker) -> bytes:
        """Run a served reference function for the worker: plain data in, plain data out.

        Only the functions the test at hand serves are run; dict/list arguments the
        reference changed in place go back too. Arguments the worker sent as tensors
        (``tensors``: their positions and names) reach the reference as torch tensors, and a
        tensor result goes back as an array flagged ``tensor_result``. Whatever goes wrong is
        the answer, never an exception here.
        """
        name = req.get("callback")
        fn = budget.served.get(name) if isinstance(name, str) else None
        args, kwargs, tensors = req.get("args"), req.get("kwargs"), req.get("tensors") or []
        if fn is None:
            reply = {"ok": False, "error": f"{name!r} is not served by the grader in this test"}
        elif not isinstance(args, list) or not isinstance(kwargs, dict) or not _plain_data((args, kwargs)) \
                or not isinstance(tensors, list):
            reply = {"ok": False, "error": f"{name} takes plain data (arrays, numbers, strings, lists, dicts)"}
        else:
            try:
                call_args, call_kwargs = _as_tensors(args, kwargs, tensors) if tensors else (args, kwargs)
                result = fn(*call_args, **call_kwargs)
                tensor_result = _is_tensor(result)
                if tensor_result:
                    result = result.detach().cpu().numpy()
                reply = {"ok": True, "result": result, "tensor_result": tensor_result,
                         "args": {i: a for i, a in enumerate(args) if isinstance(a, (dict, list))},
                         "kwargs": {k: v for k, v in kwargs.items() if isinstance(v, (dict, list))}}
            except Exception as e:  # noqa: BLE001 - the reference rejected the student's arguments
                reply = {"ok": False, "error": f"{name} (run by the grader from the reference) raised "
                                               f"{type(e).__name__}: {clip(str(e), 500)}"}
        try:
            return protocol.pack(reply, None, worker.sandbox.max_depth)
        except Exception as e:  # noqa: BLE001
            return protocol.pack({"ok": False, "error": f"{name}'s result could not be sent: {e}"})

    def _error(self, err, label: str) -> StudentCodeError:
        if not isinstance(err, dict):
            return ProtocolError("the worker sent a malformed error report", exc_type="ProtocolError",
                                 function=label)

        def s(key, limit, keep="head"):  # the worker's own caps are under the student's control
            return clip(err.get(key), limit, keep)

        cls = NotImplementedYet if err.get("not_implemented") is True else StudentCodeError
        return cls(s("message", MAX_MESSAGE_CHARS), exc_type=s("type", MAX_NAME_CHARS), function=label,
                   student_traceback=s("traceback", MAX_TRACEBACK_CHARS, "tail"), stdout=self.last_stdout)

    # RemoteRef helpers
    def _get_attr(self, ref: RemoteRef, name: str):
        return self._request({"op": "get", "handle": ref._ag_id, "name": name}, f"{ref._ag_label}.{name}",
                             check=(ref,))

    def _set_attr(self, ref: RemoteRef, name: str, value) -> None:
        self._request({"op": "set", "handle": ref._ag_id, "name": name, "value": value},
                      f"{ref._ag_label}.{name}", check=(ref,))


def _as_tensors(args: list, kwargs: dict, where: list) -> tuple[list, dict]:
    """Copies of ``args`` and ``kwargs`` with the arrays at ``where`` (positions and names, as
    the worker listed them) made torch tensors; ValueError for a place that holds no array."""
    import torch

    args, kwargs = list(args), dict(kwargs)
    for key in where:
        holder = args if isinstance(key, int) and not isinstance(key, bool) and 0 <= key < len(args) \
            else kwargs if isinstance(key, str) and key in kwargs else None
        if holder is None or not isinstance(holder[key], np.ndarray):
            raise ValueError(f"no array argument at {key!r} to make a tensor of")
        holder[key] = torch.from_numpy(np.array(holder[key]))
    return args, kwargs


def _is_tensor(obj) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.Tensor)


def _plain_data(obj, depth: int = 0) -> bool:
    """Whether ``obj`` holds only data (no handles into the worker), so a served reference
    function never touches a worker object."""
    if depth > 64 or isinstance(obj, (RemoteRef, RemotePath)):
        return False
    if isinstance(obj, (list, tuple)):
        return all(_plain_data(v, depth + 1) for v in obj)
    if isinstance(obj, dict):
        return all(_plain_data(k, depth + 1) and _plain_data(v, depth + 1) for k, v in obj.items())
    return True


__all__ = ["RemotePath", "RemoteRef", "SubmissionProxy", "TimeBudget", "protocol"]
