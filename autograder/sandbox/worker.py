"""The sandboxed worker: runs a student's submission on request.

STANDALONE SCRIPT (stdlib + numpy + msgpack only).  It runs inside the sandbox
where the ``autograder`` package is not visible; the codec ``protocol.py`` is
loaded by path from this script's directory.

Usage: ``python -I -B worker.py SUBMISSION_DIR LOG_FILE [PRELOAD]``

``PRELOAD`` (comma-separated module names, an assignment's ``preload``: torch, say) is
imported before the worker reports ready and before the submission folder joins
``sys.path``, so the grader's own start-up runs meanwhile and the first test does not wait
for it; a module that fails to import is left to the test that needs it.

The protocol arrives on fds 0 (requests) and 1 (responses).  At start-up the
worker moves them to private descriptors, points fd 0 at /dev/null and fds 1/2
at LOG_FILE (C-level output; its size is capped by RLIMIT_FSIZE) and replaces
``sys.stdout``/``sys.stderr`` with an in-memory tail buffer, so nothing student
code prints can reach the protocol.  Every request gets exactly one response,
tagged with the request's ``seq``; exceptions raised by student code (including
``SystemExit`` and ``KeyboardInterrupt``) are reported, never propagated.
"""
import os
import sys

PROTO_IN = PROTO_OUT = -1
MAIN_PID = os.getpid()


def _setup_fds(log_path):
    global PROTO_IN, PROTO_OUT
    PROTO_IN = os.dup(0)  # os.dup: not inheritable by child processes
    PROTO_OUT = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)


if __name__ == "__main__":
    _setup_fds(sys.argv[2])

import builtins  # noqa: E402
import importlib  # noqa: E402
import importlib.util  # noqa: E402
import io  # noqa: E402
import signal  # noqa: E402
import traceback  # noqa: E402

import numpy as np  # noqa: E402,F401  (warm import: students need it anyway)


def _load_sibling(name, filename):
    """A script next to this one (the sandbox has no ``autograder`` package) as a module."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), filename)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


protocol = _load_sibling("_autograder_sandbox_protocol", "protocol.py")

TAIL_BYTES = 4096
EXIT_CHANNEL_BROKEN = 86  # the launcher words this status as "communication channel broken"
MAX_MESSAGE = 4000
MAX_TRACEBACK = 8000


class TailWriter(io.TextIOBase):
    """A text stream that keeps only the last ``limit`` characters written."""

    def __init__(self, limit=TAIL_BYTES, name="<stdout>"):
        self.limit = limit
        self.name = name
        self.reset()

    def reset(self):
        self._parts = []
        self._size = 0
        self.total = 0

    def writable(self):
        return True

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        n = len(s)
        self.total += n
        if n >= self.limit:
            self._parts = [s[-self.limit :]]
            self._size = self.limit
        else:
            self._parts.append(s)
            self._size += n
            if self._size > 4 * self.limit:
                joined = "".join(self._parts)[-self.limit :]
                self._parts = [joined]
                self._size = len(joined)
        return n

    def flush(self):
        pass

    def isatty(self):
        return False

    def tail(self):
        return "".join(self._parts)[-self.limit :]


class _ForceHandle:
    """Wraps a result that must come back as a handle even if it is data."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj


class ReferenceCallFailed(Exception):
    """The grader could not run a function it serves from the reference (its message says why)."""


class Worker:
    def __init__(self, submission_dir):
        self.root = os.path.realpath(submission_dir)
        self.handles = {}
        self.next_handle = 1
        self.student_files = set()
        self.out = TailWriter()
        self.namespaces = 0
        self.seq = -1
        # dotted name -> (the student's object, the stub that asks the grader instead)
        self.served = {}

    # ----------------------------------------------------------------- handles
    def _to_handle(self, obj):
        if type(obj) is _ForceHandle:
            obj = obj.obj
        hid = self.next_handle
        self.next_handle += 1
        self.handles[hid] = obj
        try:
            name = type(obj).__qualname__
        except Exception:  # noqa: BLE001
            name = "object"
        return hid, name

    def _from_handle(self, h):
        try:
            return self.handles[h.id]
        except KeyError:
            raise LookupError(f"unknown or released handle {h.id}") from None

    def encode(self, obj):
        return protocol.to_wire(obj, self._to_handle)

    # ----------------------------------------------------------------- targets
    def resolve(self, path):
        parts = path.split(".")
        if not all(parts):
            raise ValueError(f"bad dotted name {path!r}")
        obj = importlib.import_module(parts[0])
        prefix = parts[0]
        for part in parts[1:]:
            prefix = prefix + "." + part
            if isinstance(obj, type(sys)) and hasattr(obj, "__path__"):
                try:
                    obj = getattr(obj, part)
                    continue
                except AttributeError:
                    obj = importlib.import_module(prefix)
                    continue
            obj = getattr(obj, part)
        return obj

    # ----------------------------------------------------------------- ops
    def op_ping(self, req):
        return {"pid": os.getpid(), "uid": os.getuid(), "gid": os.getgid(), "cwd": os.getcwd(),
                "python": sys.version.split()[0], "handles": len(self.handles)}

    def op_import(self, req):
        importlib.import_module(req["module"])
        return None

    def op_get(self, req):
        if "handle" in req:
            obj = self._from_handle(protocol.Handle(req["handle"]))
            return getattr(obj, req["name"]) if req.get("name") else obj
        return self.resolve(req["path"])

    def op_set(self, req):
        obj = self._from_handle(protocol.Handle(req["handle"]))
        setattr(obj, req["name"], req["value"])
        return None

    def op_put(self, req):
        return _ForceHandle(req["value"])

    def op_call(self, req):
        if "handle" in req:
            obj = self._from_handle(protocol.Handle(req["handle"]))
            fn = getattr(obj, req["method"]) if req.get("method") else obj
        else:
            fn = self.resolve(req["path"])
        args = req.get("args") or []
        kwargs = req.get("kwargs") or {}
        sync = req.get("sync", True)
        before = self._snapshot(args, kwargs) if sync else None
        result = fn(*args, **kwargs)
        self._synced = self._changed(args, kwargs, before) if sync else None
        return result

    # functions served by the grader: another part's graded functions, run from the reference
    def op_serve(self, req):
        """Route calls of the named functions (``pkg.module.function``) to the grader.

        Every module of the package that holds the student's function under any name gets a stub
        instead (so ``from .layers import *`` done earlier is covered too); the previously served
        functions are put back first.
        """
        self._unserve()
        for name in req.get("names") or []:
            original = self.resolve(name)
            stub = self._stub(name)
            self.served[name] = (original, stub)
            self._swap(name.split(".")[0], original, stub)
        return sorted(self.served)

    def _swap(self, package, old, new):
        for mod in list(sys.modules.values()):
            mname = getattr(mod, "__name__", None) or ""
            if mname != package and not mname.startswith(package + "."):
                continue
            for attr, value in list(vars(mod).items()):
                if value is old:
                    setattr(mod, attr, new)

    def _unserve(self):
        for name, (original, stub) in self.served.items():
            self._swap(name.split(".")[0], stub, original)
        self.served = {}

    def _stub(self, name):
        worker = self

        def served(*args, **kwargs):
            return worker.call_grader(name, args, kwargs)

        served.__name__ = served.__qualname__ = name.rsplit(".", 1)[-1]
        served.__doc__ = f"{name}, run by the grader from the reference (this part grades other code)"
        return served

    def call_grader(self, name, args, kwargs):
        """Ask the grader to run ``name`` (data in, data out); dict/list arguments the reference
        changed in place (a running mean in ``bn_param``) are updated here too. torch tensors
        (top-level arguments and the result) cross as arrays, their places listed under
        ``tensors``: values only, the result joins no autograd graph."""
        args, kwargs = list(args), dict(kwargs)
        tensors = _tensors_to_arrays(args, kwargs)
        try:
            frame = protocol.pack({"seq": self.seq, "callback": name, "args": args, "kwargs": kwargs,
                                   "tensors": tensors})
        except Exception as exc:  # noqa: BLE001
            raise TypeError(f"{name} was called with arguments that are not plain data "
                            f"(arrays, numbers, strings, lists, dicts): {exc}") from None
        protocol.write_frame(PROTO_OUT, frame)
        reply = protocol.read_frame(PROTO_IN)
        if reply is None:
            os._exit(0)  # the grader went away
        resp = protocol.unpack(reply)
        if not isinstance(resp, dict) or not resp.get("ok"):
            raise ReferenceCallFailed(str((resp or {}).get("error", "no answer"))[:MAX_MESSAGE])
        for where, new in list((resp.get("args") or {}).items()) + list((resp.get("kwargs") or {}).items()):
            old = args[where] if isinstance(where, int) and 0 <= where < len(args) else kwargs.get(where)
            if isinstance(old, dict) and isinstance(new, dict):
                old.clear()
                old.update(new)
            elif isinstance(old, list) and isinstance(new, list):
                old[:] = new
        result = resp.get("result")
        if resp.get("tensor_result") is True and isinstance(result, np.ndarray):
            import torch

            result = torch.from_numpy(result if result.flags.writeable else result.copy())
        return result

    def op_exec(self, req):
        filename = req.get("filename") or "<cell>"
        self.student_files.add(filename)
        if req.get("namespace") is not None:
            ns = self._from_handle(protocol.Handle(req["namespace"]))
        else:
            ns = {"__name__": "__main__", "__builtins__": builtins}
        code = compile(req["code"], filename, "exec")
        exec(code, ns)  # noqa: S102 - this IS the sandbox
        return _ForceHandle(ns)

    # mutable arguments: mirror in-place changes back to the grader
    @staticmethod
    def _snap_one(x):
        if isinstance(x, (np.ndarray, dict, list)):
            try:
                return protocol.pack(x, lambda o: (id(o), "x"))
            except Exception:  # noqa: BLE001
                return None
        return None

    def _snapshot(self, args, kwargs):
        return ([self._snap_one(a) for a in args], {k: self._snap_one(v) for k, v in kwargs.items()})

    def _changed(self, args, kwargs, before):
        pos, kw = {}, {}
        for i, a in enumerate(args):
            b = before[0][i]
            if b is not None and self._snap_one(a) != b:
                pos[i] = a
        for k, v in kwargs.items():
            b = before[1].get(k)
            if b is not None and self._snap_one(v) != b:
                kw[k] = v
        if not pos and not kw:
            return None
        return {"args": pos, "kwargs": kw}

    # ----------------------------------------------------------------- errors
    def _student_frame(self, filename):
        if filename in self.student_files:
            return True
        try:
            return os.path.realpath(filename).startswith(self.root + os.sep)
        except Exception:  # noqa: BLE001
            return False

    def describe(self, exc):
        try:
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if self._student_frame(f.filename)]
            for f in frames:
                if f.filename.startswith(self.root + os.sep):
                    f.filename = os.path.relpath(f.filename, self.root)
            tb = "".join(traceback.format_list(frames))
            if isinstance(exc, SyntaxError) and exc.filename:
                fn = exc.filename
                if fn.startswith(self.root + os.sep):
                    fn = os.path.relpath(fn, self.root)
                tb += f'  File "{fn}", line {exc.lineno}\n    {(exc.text or "").strip()}\n'
        except Exception:  # noqa: BLE001
            tb = ""
        try:
            msg = str(exc)
        except BaseException:  # noqa: BLE001
            msg = "<the exception's message could not be computed>"
        if isinstance(exc, SystemExit):
            msg = (f"your code called sys.exit({msg}) (SystemExit); "
                   "graded functions must return a value instead of exiting")
        try:
            tname = type(exc).__name__
        except BaseException:  # noqa: BLE001
            tname = "Exception"
        return {"type": str(tname)[:200], "message": str(msg)[:MAX_MESSAGE], "traceback": tb[-MAX_TRACEBACK:],
                "not_implemented": isinstance(exc, NotImplementedError)}

    # ----------------------------------------------------------------- loop
    def handle(self, frame):
        seq = -1
        self.out.reset()
        self._synced = None
        try:
            req = protocol.unpack(frame, self._from_handle)
            seq = self.seq = req.get("seq", -1)
            for hid in req.get("release") or ():
                self.handles.pop(hid, None)
            op = getattr(self, "op_" + str(req.get("op")), None)
            if op is None:
                raise ValueError(f"unknown op {req.get('op')!r}")
            result = op(req)
        except BaseException as exc:  # noqa: BLE001 - the loop must survive anything
            if os.getpid() != MAIN_PID:
                os._exit(0)
            return self._error(seq, exc)
        if os.getpid() != MAIN_PID:  # a fork()ed child of student code
            os._exit(0)
        try:
            resp = {"seq": seq, "ok": True, "result": result, "synced": self._synced}
            resp.update(self._io())
            return protocol.pack(resp, self._to_handle)
        except BaseException as exc:  # noqa: BLE001
            exc2 = RuntimeError(f"the return value could not be sent back to the grader: "
                                f"{type(exc).__name__}: {exc}")
            return self._error(seq, exc2)

    def _io(self):
        return {"stdout": self.out.tail(), "stdout_bytes": self.out.total}

    def _error(self, seq, exc):
        try:
            resp = {"seq": seq, "ok": False, "error": self.describe(exc)}
            resp.update(self._io())
            return protocol.pack(resp)
        except BaseException:  # noqa: BLE001
            return protocol.pack({"seq": seq, "ok": False,
                                  "error": {"type": "Exception", "message": "unreportable error",
                                            "traceback": "", "not_implemented": False}})

    def serve(self):
        sys.stdout = self.out
        sys.stderr = self.out
        sys.stdin = open(os.devnull)  # noqa: SIM115
        write_frame, read_frame = protocol.write_frame, protocol.read_frame
        write_frame(PROTO_OUT, protocol.pack({"seq": 0, "ok": True, "result": self.op_ping({})}))
        while True:
            try:
                frame = read_frame(PROTO_IN)
            except BaseException:  # noqa: BLE001
                os._exit(EXIT_CHANNEL_BROKEN)
            if frame is None:
                os._exit(0)  # grader went away; skip atexit hooks on purpose
            data = self.handle(frame)
            try:
                write_frame(PROTO_OUT, data)
            except BaseException:  # noqa: BLE001
                os._exit(EXIT_CHANNEL_BROKEN)


def _tensors_to_arrays(args, kwargs):
    """Replace the torch tensors among ``args`` (a list) and ``kwargs`` (a dict) by numpy
    arrays of their values (detached; packing the frame copies them); returns where they were
    (positions and names)."""
    torch = sys.modules.get("torch")
    if torch is None:  # no tensor exists without torch imported
        return []
    where = []
    for key, value in list(enumerate(args)) + list(kwargs.items()):
        if isinstance(value, torch.Tensor):
            array = value.detach().cpu().numpy()
            if isinstance(key, int):
                args[key] = array
            else:
                kwargs[key] = array
            where.append(key)
    return where


def preload(names):
    """Import ``names`` (site-packages only: the submission is not on sys.path yet), defer
    ``torch._dynamo`` to its first real use if torch is among them (dynamo_on_demand.py), then
    move what they made out of the garbage collector's sight (``gc.freeze``): torch's million
    objects would otherwise be walked by every full collection the student's code triggers."""
    import gc

    for name in names:
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - reported by the test that needs it
            pass
    if "torch" in sys.modules:
        try:
            _load_sibling("_autograder_dynamo_on_demand", "dynamo_on_demand.py").install()
        except BaseException:  # noqa: BLE001 - torch then imports its _dynamo when it wants
            pass
    gc.freeze()


def serve_submission(root):
    """Serve the protocol (fds set up by ``_setup_fds``) on the submission at ``root``; never
    returns. Also the entry of a worker forked by the warm fork server (zygote.py)."""
    for sig in ("SIGPIPE", "SIGXFSZ"):
        if hasattr(signal, sig):
            signal.signal(getattr(signal, sig), signal.SIG_IGN)
    os.chdir(root)
    sys.path.insert(0, root)
    sys.dont_write_bytecode = True
    Worker(root).serve()


def main():
    root = os.path.realpath(sys.argv[1])
    if len(sys.argv) > 3:
        preload([n for n in sys.argv[3].split(",") if n])
    serve_submission(root)


if __name__ == "__main__":
    main()
