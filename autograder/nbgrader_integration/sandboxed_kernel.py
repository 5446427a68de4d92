"""A Jupyter kernel manager whose ipykernel runs inside the project's sandbox.

``nbgrader autograde`` executes every submitted notebook. With a plain kernel
that code runs as the grader: it could read ``gradebook.db``, ``source/``,
``grading_tests/`` and other students' folders, or use the network.
:class:`SandboxedKernelManager` starts ipykernel the way the grading workers
are started (:class:`autograder.sandbox.Sandbox`: bubblewrap namespaces,
rlimits, cgroups), on a private copy of the notebook's folder, copied into the
sandbox's size-limited tmpfs ``/submission``.  When the grader is root the
kernel always runs as the unprivileged uid ``worker_uid_base + slot``
(``setpriv``: no capabilities, no_new_privs), with or without bubblewrap.
Unlike the hidden-suite workers it sees scikit-learn's bundled datasets: the
notebooks load the digits.

The sandbox has its own network namespace, so the kernel talks ZeroMQ over
unix sockets (``transport='ipc'``) in a private directory bound into the
sandbox at the same path; interrupts are sent as messages (signals do not
cross bubblewrap).

The kernel is launched from the same record as the hidden-suite workers,
``Sandbox.launch_plan("notebook", slot)`` (:class:`~autograder.sandbox.launcher.LaunchPlan`:
bubblewrap or not, the uid, cgroups, protections), with the launcher's
``bwrap_command``, ``drop_privileges``, ``process_limits`` and ``new_cgroups``.
The limits are the ``Sandbox`` traits of ``nbgrader_config.py``
(``c.Sandbox.memory_limit_mb``...); ``c.Sandbox.require_isolation = True``
refuses to start a kernel without every protection.

Warm kernels: where a kernels' fork server is installed in this process
(``autograder.sandbox.warm.install_kernels``; grade-all's job servers start one
when they execute notebooks) and serves this sandbox, the kernel is forked from
it, with ipykernel and the assignment's ``notebook_preload`` already imported,
into a sandbox built fresh for it (new namespaces, ``/submission``, ``/tmp``,
the same uid, rlimits and cgroups; only its own socket folder in sight), and
runs ``python -m ipykernel_launcher`` there as a cold kernel would
(``zygote.run_kernel``).  If that fails the kernel starts cold.
"""
from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import stat
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Int, List, Unicode, default

from autograder.sandbox import warm
from autograder.sandbox.launcher import (SANDBOX_SUBMISSION, LaunchPlan, MiB, Sandbox, bwrap_command,
                                         copy_submission, drop_privileges, kernel_env)
from autograder.sandbox.limits import CgroupSet, kill_processes_of, make_preexec
from autograder.sandbox.slots import GRADE_SLOT_BASE, GRADE_SLOT_COUNT, acquire_slot


class SandboxedKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` that launches ipykernel in the bubblewrap sandbox."""

    slot = Int(None, allow_none=True,
               help="Sandbox slot of the kernel: when grading as root it runs as uid "
                    "Sandbox.worker_uid_base + slot. None: a free slot is held for the kernel's "
                    "lifetime (autograder.sandbox.slots.acquire_slot).").tag(config=True)
    kernel_module = Unicode("ipykernel_launcher",
                            help="Module run with `python -m` inside the sandbox.").tag(config=True)
    copy_ignore = List(Unicode(), default_value=["__pycache__", "*.pyc", ".ipynb_checkpoints"],
                       help="Patterns not copied into the kernel's private working folder.").tag(config=True)

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    @default("cache_ports")
    def _default_cache_ports(self) -> bool:
        return False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._private: Path | None = None
        self._cgroups = CgroupSet()
        self.sandbox = Sandbox(parent=self)
        self.protections: dict[str, bool] = {}
        self.launch_plan: LaunchPlan | None = None  # the running kernel's
        self._slot_hold = None  # the acquire_slot context while this kernel holds a slot
        self._held_slot: int | None = None
        self._zygote: warm.Zygote | None = None  # the kernels' fork server this kernel comes from
        self._sockets: Path | None = None  # then: its folder of the zygote's sockets/
        self.warm = False  # the running kernel was forked warm

    def _slot(self) -> int:
        """The configured slot, or one taken from the free ones (kept until cleanup)."""
        if self.slot is not None:
            return self.slot
        if self._slot_hold is None:
            self._slot_hold = acquire_slot(GRADE_SLOT_BASE, GRADE_SLOT_COUNT)
            self._held_slot = self._slot_hold.__enter__()
        return self._held_slot

    def _release_slot(self) -> None:
        hold, self._slot_hold = self._slot_hold, None
        if hold is not None:
            hold.__exit__(None, None, None)

    # ------------------------------------------------------------------ start
    async def _async_pre_start_kernel(self, **kw):
        if self._private is None:
            self._private = Path(tempfile.mkdtemp(prefix="autograder-kernel-"))
            self._zygote = self._warm_zygote()
            if self._zygote is not None:  # where the fork server's sandboxes see the sockets
                ipc = self._sockets = self._zygote.new_sockets(secrets.token_hex(12))
            else:
                ipc = self._private / "ipc"
                ipc.mkdir(mode=0o700)
            # the kernel (not the grader) creates the sockets: absolute paths, bound
            # at the same place inside the sandbox
            self.ip = str(ipc / "kernel")
            self.connection_file = str(ipc / "kernel.json")
        return await super()._async_pre_start_kernel(**kw)

    def _warm_zygote(self) -> "warm.Zygote | None":
        """The installed kernels' fork server, if it serves this kernel's sandbox."""
        zygote = warm.installed_kernels()
        if zygote is None or not zygote.serves(self.sandbox, self.sandbox.launch_plan("notebook", self._slot())):
            return None
        return zygote

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        sb = self.sandbox
        slot = self._slot()
        plan = sb.launch_plan("notebook", slot)
        sb.check_requirements(plan)
        self.launch_plan = plan
        self.protections = dict(plan.protections)
        off = [k for k, v in self.protections.items() if not v]
        if off:
            self.log.warning("sandboxed kernel: protections off on this machine: %s", ", ".join(off))

        cwd = Path(kw.pop("cwd", None) or os.getcwd()).resolve()
        argv = kernel_cmd[kernel_cmd.index("-f"):] if "-f" in kernel_cmd else ["-f", self.connection_file]
        self.warm = False
        if self._zygote is not None and self._launch_warm(plan, cwd, argv):
            return
        work = self._private / "work"
        if work.exists():
            shutil.rmtree(work)
        copy_submission(cwd, work)
        tmp = self._private / "tmp"
        tmp.mkdir(exist_ok=True)
        ipc = Path(self.connection_file).parent

        uid, gid = plan.uid, plan.gid
        if uid is not None:
            os.chmod(self._private, 0o711)  # traversable (not listable) for the kernel's uid
            for p in [work, tmp, ipc, Path(self.connection_file), *work.rglob("*")]:
                try:
                    os.chown(p, uid, gid, follow_symlinks=False)
                except OSError:
                    pass

        inner = [sb.python, "-B", "-m", self.kernel_module, *argv]
        if plan.uses_bwrap:
            home = "/tmp"
            # bwrap makes missing parents 0700 root: make the way to the sockets traversable
            extra = ["--perms", "0755", "--dir", str(ipc.parent),
                     "--bind", str(ipc), str(ipc), "--unsetenv", "JPY_PARENT_PID"]
            cmd = bwrap_command(sb, plan, work, inner, extra=extra)
            kw["cwd"] = str(self._private)
            # a signal to bwrap does not reach the kernel: interrupt with a message
            if self.kernel_spec is not None:
                self.kernel_spec.interrupt_mode = "message"
        else:  # no namespaces here: a private copy, rlimits, a clean environment, and never root
            home = str(tmp)
            cmd = [*drop_privileges(plan), *inner]
            kw["cwd"] = str(work)
        kw["env"] = kernel_env(home)

        limits = sb.process_limits(plan)
        self._cgroups = sb.new_cgroups(plan)
        kw["preexec_fn"] = make_preexec(limits, self._cgroups.procs_files, plan.nproc_applies)
        self.log.debug("sandboxed kernel command: %s", cmd)
        await super()._async_launch_kernel(cmd, **kw)

    def _launch_warm(self, plan: LaunchPlan, cwd: Path, argv: list[str]) -> bool:
        """Have the kernels' fork server fork this kernel on a copy of ``cwd`` (module doc);
        False (after saying why in the log): start it cold."""
        sb, zygote, token = self.sandbox, self._zygote, self._sockets.name
        for path in (self._sockets, Path(self.connection_file)):  # the kernel makes its sockets here
            os.chown(path, plan.uid, plan.gid, follow_symlinks=False)
        inbox = zygote.inbox / token
        copy_submission(cwd, inbox)  # the zygote copies it into the kernel's /submission
        cgroups = sb.new_cgroups(plan)
        status_r, status_w = os.pipe()
        life_r, life_w = os.pipe()
        theirs = [status_w, life_r, *(os.open(f, os.O_WRONLY) for f in cgroups.procs_files)]
        request = warm.WarmRequest(
            token=token, uid=plan.uid, gid=plan.gid, submission_bytes=sb.submission_tmpfs_mb * MiB,
            tmp_bytes=sb.tmp_tmpfs_mb * MiB, limits=dataclasses.asdict(sb.process_limits(plan)),
            kind="kernel", module=self.kernel_module, argv=argv,
            env=dict(kernel_env("/tmp"), PWD=SANDBOX_SUBMISSION))  # PWD: as bwrap's --chdir sets it
        sent = zygote.fork_worker(request, theirs)
        for fd in theirs:
            os.close(fd)
        proc = warm.WarmKernel(status_r, life_w)
        started = sent and proc.wait_started(sb.startup_timeout)
        _rmtree(inbox)
        if not started:
            self.log.warning("sandboxed kernel: a warm start failed (%s); starting it cold",
                             proc.message or "the fork server did not answer")
            proc.close()
            cgroups.remove()
            return False
        self._cgroups = cgroups
        if self.kernel_spec is not None:
            self.kernel_spec.interrupt_mode = "message"  # no signal reaches it
        # what LocalProvisioner.launch_kernel records of a Popen'd kernel
        self.provisioner.process = proc
        self.provisioner.pid = self.provisioner.pgid = None
        self.provisioner.cwd = cwd
        self._reconcile_connection_info(self.provisioner.connection_info)
        self.warm = True
        self.log.debug("sandboxed kernel: forked from the warm fork server as uid %s", plan.uid)
        return True

    # ------------------------------------------------------------------ cleanup
    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            plan = self.launch_plan
            if plan is not None and plan.drop_uid and not plan.uses_bwrap and not self._cgroups.dirs:
                kill_processes_of(plan.uid)  # daemons the kernel left
            self._cgroups.remove()
            self._release_slot()
            if self._private is not None:
                _rmtree(self._private)
                self._private = None
            if self._sockets is not None:
                _rmtree(self._sockets)
                self._sockets = None

    cleanup_resources = _async_cleanup_resources  # AsyncKernelManager binds the base function


def _rmtree(path: Path) -> None:
    def onerror(func, p, exc_info):  # files the kernel made read-only
        try:
            os.chmod(os.path.dirname(p), stat.S_IRWXU)
            func(p)
        except OSError:
            pass

    shutil.rmtree(path, onerror=onerror)
