"""Warm workers: a sandboxed fork server that starts each worker with torch already imported.

A cold worker is a new Python in a new bubblewrap sandbox that imports numpy
and the assignment's ``preload`` (torch 2.13: ~2.7 s of CPU) before it can run
a line of the student's code -- for every student.  ``grade-all`` instead
starts one :class:`Zygote` per job server: ``zygote.py`` in a sandbox of its
own (the same view of the host as a cold worker's, :func:`~.launcher.bwrap_view`),
as root, importing those modules once and running no student code.  Each worker
is then forked from it (:meth:`Zygote.fork_worker`) into a sandbox built
fresh for that worker alone -- new mount, pid, ipc, uts and network
namespaces, new ``/submission``, ``/tmp`` and ``/dev/shm`` tmpfs, the worker
uid with no capabilities, the same rlimits and cgroups as a cold worker
(see zygote.py) -- so nothing of one student is visible to the next (shown by
tests/test_warm_workers.py).

Only where that fresh sandbox can be built: bubblewrap, a root grader (the
namespaces and mounts need it) and ``Sandbox.warm_workers`` on; anywhere else,
and whenever a warm start fails, workers start cold as before.

A process uses the zygote :func:`install`-ed in it (grade-all's job server
installs one before it forks each job) or the one set on its ``Sandbox``
(``sandbox.zygote``), if that zygote was started for the same sandbox view
(:func:`view_key`).

Notebook kernels have fork servers of their own (:meth:`Zygote.start_kernels`,
:func:`install_kernels`): ``grade-all --execute`` starts one per job server,
importing ipykernel and the assignment's ``notebook_preload``, and
``SandboxedKernelManager`` forks each kernel from it into a fresh sandbox.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .launcher import SANDBOX_WORKER_DIR, LaunchPlan, Sandbox, bwrap_view, kernel_env, worker_env
from .limits import Limits, make_preexec

ZYGOTE = f"{SANDBOX_WORKER_DIR}/zygote.py"
INBOX = f"{SANDBOX_WORKER_DIR}/inbox"

_installed: "Zygote | None" = None
_installed_kernels: "Zygote | None" = None


def install(zygote: "Zygote | None") -> None:
    """Make ``zygote`` this process's (and its forked children's) fork server; None: none."""
    global _installed
    _installed = zygote


def installed() -> "Zygote | None":
    return _installed


def install_kernels(zygote: "Zygote | None") -> None:
    """Make ``zygote`` this process's (and its forked children's) fork server of notebook
    kernels; None: none (kernels start cold)."""
    global _installed_kernels
    _installed_kernels = zygote


def installed_kernels() -> "Zygote | None":
    return _installed_kernels


def view_key(sandbox: Sandbox, plan: LaunchPlan) -> str:
    """What a worker's sandbox looks like from inside, minus the submission: a warm worker
    may come from a zygote only if this matches the one the zygote was started with."""
    return json.dumps([bwrap_view(sandbox, plan), sandbox.python])


def can_be_warm(sandbox: Sandbox, plan: LaunchPlan) -> bool:
    """A fresh sandbox per warm worker (kernel) can be built here (module doc), and warm ones
    are wanted (``Sandbox.warm_workers``, ``Sandbox.warm_kernels``)."""
    wanted = sandbox.warm_kernels if plan.purpose == "notebook" else sandbox.warm_workers
    return bool(wanted and plan.uses_bwrap and plan.is_root and plan.drop_uid and not plan.refuse)


class Zygote:
    """A running fork server (``zygote.py``) and the host folder its inbox is bound from."""

    def __init__(self, proc: subprocess.Popen, control: socket.socket, home: Path, key: str,
                 purpose: str = "hidden_suite"):
        self.proc = proc
        self.control = control  # SOCK_SEQPACKET: one fork request a message, fds attached
        self.home = home  # 0700, the grader's: inbox/ (bound read-only) and the zygote's log
        self.inbox = home / "inbox"
        self.sockets = home / "sockets"  # a kernels' zygote: one folder a kernel (bound read-write)
        self.key = key
        self.purpose = purpose  # the launch plan its children are forked for
        self.broken = False
        self.owner = os.getpid()  # a forked job process shares it, but cannot wait for it

    @classmethod
    def start(cls, sandbox: Sandbox, preload: tuple[str, ...] = ()) -> "Zygote | None":
        """Start a fork server for ``sandbox``'s workers that imports ``preload``; None where
        warm workers cannot be had here (:func:`can_be_warm`). Returns at once: the first
        worker forked waits for the imports (within ``Sandbox.startup_timeout``)."""
        return cls._start(sandbox, preload, "hidden_suite")

    @classmethod
    def start_kernels(cls, sandbox: Sandbox, preload: tuple[str, ...] = ()) -> "Zygote | None":
        """Start a fork server of notebook kernels (the ``"notebook"`` launch plan: they see the
        bundled datasets) that imports ipykernel and ``preload``; None where it cannot be had."""
        return cls._start(sandbox, preload, "notebook")

    @classmethod
    def _start(cls, sandbox: Sandbox, preload: tuple[str, ...], purpose: str) -> "Zygote | None":
        plan = sandbox.launch_plan(purpose, 0)
        if not can_be_warm(sandbox, plan):
            return None
        home = Path(tempfile.mkdtemp(prefix="autograder-zygote-"))
        inbox = home / "inbox"
        inbox.mkdir(mode=0o700)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = worker_env("/tmp")
        mode, flags = [], ["-I", "-B"]
        binds = []
        if purpose == "notebook":
            sockets = home / "sockets"
            sockets.mkdir(mode=0o700)
            # the kernels' sockets are made at the same path as on the host, where the grader
            # connects; bwrap makes missing parents 0700 root: make the way traversable
            binds = ["--perms", "0755", "--dir", str(home), "--bind", str(sockets), str(sockets)]
            mode = ["--kernels", str(sockets)]
            flags = ["-B"]  # a cold kernel's (`python -B -m ipykernel_launcher`): -I would hide its folder
            # what ipykernel sets before a cold kernel's notebook imports matplotlib, which
            # reads it once, at import (the kernels themselves get the cold kernel's environment)
            env.update(kernel_env("/tmp"), MPLBACKEND="module://matplotlib_inline.backend_inline")
        cmd = bwrap_view(sandbox, plan) + [
            "--ro-bind", str(inbox), INBOX, *binds,
            "--perms", "0755", "--dir", "/submission",
            "--proc", "/proc", "--dev", "/dev", "--chdir", "/", "--",
            sandbox.python, *flags, ZYGOTE, *mode, ",".join(preload)]
        # it dies with us; rlimits are each worker's (zygote.py sets them after the fork)
        no_limits = make_preexec(Limits(None, None, None, None, None), [], False)
        with open(home / "zygote-stderr.log", "wb") as err:
            proc = subprocess.Popen(cmd, stdin=theirs, stdout=subprocess.DEVNULL, stderr=err, cwd=str(home),
                                    env=env, close_fds=True, start_new_session=True,
                                    preexec_fn=no_limits)
        theirs.close()
        return cls(proc, ours, home, view_key(sandbox, plan), purpose)

    @property
    def alive(self) -> bool:
        if self.broken:
            return False
        return self.proc.poll() is None if os.getpid() == self.owner else True  # else: see fork_worker

    def serves(self, sandbox: Sandbox, plan: LaunchPlan) -> bool:
        """May a worker of ``sandbox`` started by ``plan`` be forked from this zygote?"""
        return (self.alive and plan.purpose == self.purpose and can_be_warm(sandbox, plan)
                and view_key(sandbox, plan) == self.key)

    def wait_ready(self, timeout: float) -> bool:
        """Wait for the zygote's imports (tests and benchmarks; workers need not)."""
        self.control.settimeout(timeout)
        try:
            return self.control.recv(16) == b"ready"
        except OSError:
            return False
        finally:
            self.control.settimeout(None)

    def new_inbox(self) -> Path:
        """A fresh path in the inbox (not made yet), for one worker's copy of the submission."""
        return self.inbox / secrets.token_hex(12)

    def new_sockets(self, token: str) -> Path:
        """The folder (made now, 0700) of kernel ``token``'s sockets and connection file."""
        path = self.sockets / token
        path.mkdir(mode=0o700)
        return path

    def fork_worker(self, request: "WarmRequest", fds: list[int]) -> bool:
        """Ask for a worker (``fds``: request read end, response write end, status write end,
        life read end, then the cgroup.procs files); False if the zygote is gone."""
        try:
            socket.send_fds(self.control, [json.dumps(dataclasses.asdict(request)).encode()], fds)
            return True
        except OSError:
            self.broken = True
            return False

    def close(self) -> None:
        """Stop the fork server (its owner only; in a forked process just let go of it)."""
        with contextlib.suppress(OSError):
            self.control.close()
        if os.getpid() != self.owner:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, 9)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        shutil.rmtree(self.home, ignore_errors=True)


@dataclasses.dataclass(frozen=True)
class WarmRequest:
    """One fork request, as the zygote reads it (JSON)."""

    token: str  # the inbox folder holding this worker's copy of the submission (a kernel's: also
    #             its folder of the zygote's sockets/)
    uid: int  # the worker's uid and gid (never 0)
    gid: int
    submission_bytes: int  # size of its /submission tmpfs (0: the kernel's default, half the RAM)
    tmp_bytes: int  # size of its /tmp and /dev/shm tmpfs (0: likewise)
    limits: dict  # Sandbox.process_limits as a dict (rlimits)
    kind: str = "worker"  # or "kernel": runs `python -m module *argv` in env (zygote.run_kernel)
    module: str = ""
    argv: list = dataclasses.field(default_factory=list)
    env: dict = dataclasses.field(default_factory=dict)


class WarmChild:
    """What :class:`~.launcher.WorkerProcess` needs of a ``Popen``, for a forked worker: its
    pipes, and its exit status, which the zygote's watcher writes on a pipe (``exit N`` with
    N as bwrap reports it, or ``error MESSAGE``). :meth:`kill` closes the life pipe: the
    watcher then kills the worker's whole pid namespace."""

    pid = None  # not a child of ours; killed through the life pipe (and the cgroups)

    def __init__(self, req_w: int, resp_r: int, status_r: int, life_w: int):
        self.stdin = open(req_w, "wb", buffering=0)  # noqa: SIM115 - closed by WorkerProcess.close
        self.stdout = open(resp_r, "rb", buffering=0)  # noqa: SIM115
        self._status = status_r
        self._life = life_w
        self._buf = b""
        self.returncode: int | None = None
        self.message = ""  # why the sandbox could not be built, if it could not

    def _read(self, timeout: float) -> None:
        import select

        if self._status < 0:
            return
        ready, _, _ = select.select([self._status], [], [], max(0.0, timeout))
        if not ready:
            return
        data = os.read(self._status, 4096)
        if data:
            self._buf += data
            for line in self._buf.decode(errors="replace").splitlines():
                word, _, rest = line.partition(" ")
                if word == "exit" and rest.strip().lstrip("-").isdigit():
                    self.returncode = int(rest)
                elif word == "error":
                    self.message = rest
                    self.returncode = 87 if "does not fit" in rest else 1
            return
        if self.returncode is None:  # the watcher died without a word: killed with everything
            self.returncode = -9
        os.close(self._status)
        self._status = -1

    def poll(self) -> int | None:
        while self.returncode is None and self._status >= 0:
            before = (self.returncode, self._status, len(self._buf))
            self._read(0)
            if (self.returncode, self._status, len(self._buf)) == before:
                break
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = 3600.0 if deadline is None else deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired("warm worker", timeout)
            self._read(left)
        return self.returncode

    def kill(self) -> None:
        if self._life >= 0:
            os.close(self._life)
            self._life = -1

    def close(self) -> None:
        self.kill()
        if self._status >= 0:
            os.close(self._status)
            self._status = -1


class WarmKernel(WarmChild):
    """What jupyter_client's ``LocalProvisioner`` needs of a ``Popen``, for a notebook kernel
    forked by a kernels' zygote: ``poll``/``wait`` (its status pipe), ``kill``/``terminate``/
    ``send_signal(SIGKILL or SIGTERM)``, which end its whole pid namespace, and no pipes (the
    kernel talks ZeroMQ). Other signals are not delivered: its interrupts are messages."""

    def __init__(self, status_r: int, life_w: int):  # noqa: super().__init__ would open pipes
        self.stdin = self.stdout = self.stderr = None
        self._status = status_r
        self._life = life_w
        self._buf = b""
        self.returncode: int | None = None
        self.message = ""

    def wait_started(self, timeout: float) -> bool:
        """Wait until the zygote says the kernel's sandbox is built (then the kernel starts);
        False if it could not be built (``message`` says why) or no word came in ``timeout``."""
        deadline = time.monotonic() + timeout
        while b"started\n" not in self._buf and self.returncode is None and self._status >= 0:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._read(left)
        return b"started\n" in self._buf and self.returncode is None

    def send_signal(self, signum: int) -> None:
        if signum in (signal.SIGKILL, signal.SIGTERM):
            self.kill()

    def terminate(self) -> None:
        self.kill()

    def wait(self, timeout: float | None = None) -> int:
        code = super().wait(timeout)
        self.close()  # its status pipe: the provisioner forgets the process after wait()
        return code
