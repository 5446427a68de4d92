"""Start a sandboxed worker for one submission.

``Sandbox`` is the configurable (``c.Sandbox.memory_limit_mb = 4096`` in
``nbgrader_config.py``); ``Sandbox.start(submission_dir)`` returns a running
:class:`WorkerProcess`.  What a process started now gets on this machine
(bubblewrap or not, its uid, cgroups, which protections hold) is one record,
:class:`LaunchPlan` (``Sandbox.launch_plan(purpose, slot)``), which the
hidden-suite workers here and the notebook kernels
(:mod:`autograder.nbgrader_integration.sandboxed_kernel`) both launch from,
with :func:`bwrap_command`, :func:`drop_privileges`, ``Sandbox.process_limits``
and ``Sandbox.new_cgroups``.

Isolation, strongest first:

* bubblewrap (``bwrap``) available: fresh ipc/pid/net/uts(/cgroup) namespaces,
  a minimal read-only view (``/usr``, ``/etc``, the Python install, the venv,
  the worker's files), the grader's private copy of the submission read-only,
  copied (``seed.py``) into a size-limited tmpfs at ``/submission`` before any
  student code runs, a size-limited tmpfs ``/tmp``, scikit-learn's bundled
  datasets hidden (``hide_datasets``), private ``/proc`` and ``/dev``.
* no bubblewrap: a plain subprocess on a private copy on the host.

Either way, when the grader is root the worker runs as a dedicated uid
(``worker_uid_base + slot``) through ``setpriv`` with no capabilities and
``no_new_privs`` -- never as root; without setpriv it refuses to start.  Without
bubblewrap, :meth:`Sandbox.protections` judges from permission bits whether
that uid could read the hidden files or change the grader's
(``permissions.py``) and says so.

Always: rlimits (address space, CPU, processes, file size, open files, no core
dumps), a cgroup v1 ``pids``/``memory`` group when writable, a wall-clock
deadline on every call, SIGKILL of the whole process tree on timeout.
"""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import json
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from traitlets import Bool, Enum, Float, Int, List, Unicode
from traitlets.config import LoggingConfigurable

from autograder.paths import is_within

from . import protocol
from .errors import OversizeReply, ProtocolError, SandboxUnavailable, StudentTimeout, WorkerCrashed
from .limits import CgroupSet, Limits, count_processes_of, kill_processes_of, make_preexec
from .permissions import may, readable_paths, writable_paths

HERE = Path(__file__).resolve().parent
WORKER_FILES = ("worker.py", "protocol.py", "seed.py", "zygote.py", "dynamo_on_demand.py")
SANDBOX_WORKER_DIR = "/opt/autograder-worker"
SANDBOX_SOURCE = SANDBOX_WORKER_DIR + "/submission"  # the read-only copy seed.py copies from
SANDBOX_SUBMISSION = "/submission"
MiB = 1024 * 1024
PROTECTIONS = (
    "separate_process",
    "unprivileged_uid",
    "no_network",
    "filesystem_isolated",
    "hidden_files_unreadable",
    "grader_files_readonly",
    "datasets_hidden",
    "pid_namespace",
    "memory_limit",
    "process_limit",
    "file_size_limit",
    "disk_limit",
    "cpu_limit",
    "wall_timeout",
)
# Notebooks load the digits themselves: their kernels never hide the datasets.
NOT_FOR_NOTEBOOKS = frozenset({"datasets_hidden"})
# Under the course root: what student code must never read (hidden tests, reference,
# instructor notebooks, gradebook, other students' work) ...
HIDDEN_UNDER_ROOT = ("grading_tests", "solutions", "source", "gradebook.db", "submitted", "autograded",
                     "feedback")
# ... and, with those and the grader's own package, never change.
READONLY_UNDER_ROOT = ("nbgrader_config.py",)
_F_SETPIPE_SZ = 1031
EXIT_CHANNEL_BROKEN = 86  # worker.py exits with this when its protocol fds stop working


class WorkerStartError(RuntimeError):
    """The worker could not be started (a problem of the grading machine, not of the student)."""


@dataclasses.dataclass(frozen=True)
class LaunchPlan:
    """How a sandboxed process started now runs on this machine (:meth:`Sandbox.launch_plan`).

    Made once a launch and read by whoever starts the process: a hidden-suite
    :class:`WorkerProcess` or a notebook kernel (``SandboxedKernelManager``).
    The dict fields are for reading only.
    """

    purpose: str  # "hidden_suite" (a grading worker) or "notebook" (a kernel)
    slot: int  # the sandbox slot; the worker uid is worker_uid_base + slot when the grader is root
    bwrap: str | None  # the bubblewrap executable, when namespaces are used; None: a plain subprocess
    setpriv: str | None  # util-linux setpriv, when the grader is root and has it
    is_root: bool  # the grader runs as root
    drop_uid: bool  # the process runs as the slot's unprivileged uid (through setpriv)
    uid: int | None  # that uid and gid (None unless drop_uid)
    gid: int | None
    nproc_applies: bool  # RLIMIT_NPROC limits the process (not for root itself)
    cgroups: dict[str, bool]  # cgroup v1 controllers writable here ("pids", "memory")
    protections: dict[str, bool]  # protection name (PROTECTIONS) -> on/off
    notes: tuple[str, ...]  # why protections are off, one sentence each
    datasets: tuple[str, ...]  # host folders covered by an empty tmpfs (hidden_site_paths found)
    not_applicable: frozenset[str]  # protections that do not apply to this purpose
    refuse: bool  # root without setpriv: nothing may start

    @property
    def uses_bwrap(self) -> bool:
        return self.bwrap is not None


class Sandbox(LoggingConfigurable):
    """Limits and isolation of the worker processes that run student code."""

    call_timeout = Float(60.0, help="Wall-clock seconds one call into student code may take before the "
                                    "worker is killed (StudentTimeout).").tag(config=True)
    submission_timeout = Float(1800.0, help="Wall-clock seconds all calls into student code may take in total "
                                            "for one grading, shared by every worker of it (one a hidden "
                                            "module) and across restarts; 0 = unlimited.").tag(config=True)
    calibrate = Bool(True, help="Derive each call's limit from the reference's own time for the same call "
                                "on this machine (autograder.calibration): call_time_factor x that time, at "
                                "least call_time_floor, at most call_timeout. Measured once per course "
                                "version and machine by grading the reference.").tag(config=True)
    call_time_factor = Float(25.0, help="A call may take this many times the reference's time for it "
                                        "(with `calibrate`).").tag(config=True)
    call_time_floor = Float(3.0, help="Seconds every calibrated call may take at least (a part's "
                                      "`time_limit` in the assignment's description raises it).").tag(config=True)
    test_timeout = Float(300.0, help="Wall-clock seconds the calls of ONE hidden test may take in total; a "
                                     "test over it fails with a timeout message and the next test goes "
                                     "on; 0 = unlimited.").tag(config=True)
    startup_timeout = Float(60.0, help="Seconds to wait for a new worker to report ready, its "
                            "preload (an assignment's torch, say) included.").tag(config=True)
    memory_limit_mb = Int(4096, help="Address-space limit (RLIMIT_AS) of the worker in MiB, also the "
                                     "cgroup memory limit where cgroups are writable; 0 = none.").tag(config=True)
    cpu_time_limit = Int(900, help="CPU seconds a worker process may use over its lifetime "
                                   "(RLIMIT_CPU); 0 = none.").tag(config=True)
    max_processes = Int(64, help="Processes/threads the worker's uid may have (RLIMIT_NPROC, "
                                 "and the cgroup pids.max where writable); 0 = none.").tag(config=True)
    max_file_size_mb = Int(64, help="Largest file the worker may write (RLIMIT_FSIZE) in MiB.").tag(config=True)
    submission_tmpfs_mb = Int(256, help="Size in MiB of the tmpfs holding the worker's writable copy of the "
                                        "submission (bubblewrap only): all it writes there together; 0 = "
                                        "bind the host copy read-write instead (no disk limit).").tag(config=True)
    tmp_tmpfs_mb = Int(256, help="Size in MiB of the worker's /tmp tmpfs (bubblewrap only); 0 = "
                                 "unlimited (half the RAM).").tag(config=True)
    max_open_files = Int(256, help="Open file descriptors per worker process (RLIMIT_NOFILE).").tag(config=True)
    max_frame_mb = Int(16, help="Largest reply accepted from the worker, in MiB (the hidden suites' largest "
                                "is under 2 MiB; decoding costs about 3x this in the grader). A larger "
                                "reply fails the test at hand.").tag(config=True)
    max_depth = Int(64, help="Deepest nesting of lists/tuples/dicts accepted as data.").tag(config=True)
    require_isolation = Bool(False, help="Refuse to start workers unless every protection in "
                                         "`required_protections` is available on this machine.").tag(config=True)
    required_protections = List(Unicode(), default_value=list(PROTECTIONS),
                                help="Protections that `require_isolation` insists on; names as in "
                                     "Sandbox.protections().").tag(config=True)
    use_bwrap = Enum(["auto", True, False], default_value="auto",
                     help="Use bubblewrap namespaces: 'auto' (if it works here), True (required), "
                          "False (plain subprocess; as root still an unprivileged uid).").tag(config=True)
    bwrap_path = Unicode("bwrap", help="The bubblewrap executable.").tag(config=True)
    setpriv_path = Unicode("setpriv", help="util-linux setpriv, used to drop root (required when the grader "
                                           "is root).").tag(config=True)
    worker_uid_base = Int(61000, help="When grading as root, worker slot N runs as uid/gid "
                                      "worker_uid_base + N (a uid no one else uses).").tag(config=True)
    use_cgroups = Bool(True, help="Put each worker in its own cgroup v1 pids/memory group when "
                                  "/sys/fs/cgroup is writable.").tag(config=True)
    hide_datasets = Bool(True, help="Hide the `hidden_site_paths` (data sets whose held-out labels a "
                                    "hidden suite uses) from hidden-suite workers, behind an empty tmpfs "
                                    "(bubblewrap only; notebook kernels always see them).").tag(config=True)
    hidden_site_paths = List(Unicode(), help="Folders, relative to a directory of the worker's import path "
                                             "(site-packages), that hidden-suite workers must not read; "
                                             "the assignment's description adds its own "
                                             "(`hidden_site_paths` in grading_tests/<a>/assignment.toml)."
                             ).tag(config=True)
    course_root = Unicode("", help="The course folder whose hidden tests, reference, notebooks, gradebook "
                                   "and students' work the worker must not read and, with the grader's "
                                   "code, not change; checked by permission bits when there is no "
                                   "bubblewrap. Default: autograder.paths.course_root().").tag(config=True)
    hidden_paths = List(Unicode(), help="More host paths student code must never read (checked like the "
                                        "course's hidden files).").tag(config=True)
    extra_readonly_paths = List(Unicode(), help="More host paths made visible read-only inside the "
                                                "sandbox (same path).").tag(config=True)
    python = Unicode(sys.executable, help="Python interpreter of the worker (its install and venv "
                                          "are mounted read-only).").tag(config=True)
    sync_mutable_args = Bool(True, help="Mirror in-place changes a call makes to dict/list arguments "
                                        "(state such as bn_param) back into the grader's objects; arrays "
                                        "changed in place are only reported (SubmissionProxy.last_modified), "
                                        "never written back.").tag(config=True)
    warm_workers = Bool(True, help="Fork workers from a warm fork server that has the assignment's "
                                   "`preload` (torch) imported, each into a sandbox built fresh for it "
                                   "(autograder.sandbox.warm): grade-all starts one per job server. Only "
                                   "as root with bubblewrap; elsewhere, or if a warm start fails, workers "
                                   "start cold.").tag(config=True)
    warm_kernels = Bool(True, help="Fork grade-all --execute's notebook kernels from a warm fork server "
                                   "that has ipykernel and the assignment's `notebook_preload` imported, "
                                   "each into a sandbox built fresh for it (autograder.sandbox.warm). Only "
                                   "as root with bubblewrap; elsewhere, or if a warm start fails, kernels "
                                   "start cold.").tag(config=True)
    stdout_tail_bytes = Int(4096, help="How much of a call's printed output is kept for feedback.").tag(config=True)

    def __init__(self, **kw):
        super().__init__(**kw)
        self._path_findings: dict = {}
        self.zygote = None  # a warm.Zygote for this sandbox's workers (else the one installed)

    # ------------------------------------------------------------------ planning
    def _bwrap_exe(self) -> str | None:
        return shutil.which(self.bwrap_path)

    def worker_ids(self, slot: int) -> tuple[int, int]:
        """The (uid, gid) a worker of ``slot`` runs as when the grader is root."""
        return self.worker_uid_base + slot, self.worker_uid_base + slot

    def _course_root(self) -> Path:
        if self.course_root:
            return Path(self.course_root).resolve()
        from autograder.paths import course_root

        return course_root()

    def hidden_host_paths(self) -> list[Path]:
        """Host paths the worker must not read (those that exist)."""
        root = self._course_root()
        paths = [root / name for name in HIDDEN_UNDER_ROOT] + [Path(p) for p in self.hidden_paths]
        return [p for p in paths if os.path.lexists(p)]

    def grader_host_paths(self) -> tuple[list[Path], list[Path]]:
        """(trees, single paths) the worker must not change: the hidden files, the grader's own
        package, the course config; the course folder and the interpreter's library folders
        themselves (not their whole trees: too large to walk for every worker)."""
        from autograder.paths import PACKAGE_DIR

        root = self._course_root()
        trees = [*self.hidden_host_paths(), PACKAGE_DIR]
        single = [root, *(root / n for n in READONLY_UNDER_ROOT)]
        for key in ("stdlib", "purelib", "platlib"):
            with contextlib.suppress(KeyError, OSError):
                single.append(Path(sysconfig.get_paths()[key]))
        return trees, [p for p in single if os.path.lexists(p)]

    def _host_path_findings(self, uid: int, gid: int) -> dict:
        """What ``uid`` could read or change among the course's and grader's files (cached)."""
        key = (uid, gid, self.course_root, tuple(self.hidden_paths))
        if key not in self._path_findings:
            trees, single = self.grader_host_paths()
            self._path_findings[key] = {
                "readable": readable_paths(self.hidden_host_paths(), uid, gid),
                "writable": (writable_paths(trees, uid, gid) + writable_paths(single, uid, gid, recursive=False))[:5],
            }
        return self._path_findings[key]

    def launch_plan(self, purpose: str = "hidden_suite", slot: int = 0) -> LaunchPlan:
        """What a process started now in ``slot`` gets: bwrap or not, uid drop, cgroups, protections.

        ``purpose`` is ``"hidden_suite"`` (a grading worker) or ``"notebook"`` (a kernel: the
        datasets stay visible and ``datasets_hidden`` does not apply).
        """
        is_root = hasattr(os, "geteuid") and os.geteuid() == 0
        notes = []
        use = False
        bwrap = self._bwrap_exe()
        setpriv = shutil.which(self.setpriv_path) if is_root else None
        if is_root and setpriv is None:
            notes.append("running as root but setpriv is missing: student code would run as root, so no "
                         "worker is started (install util-linux)")
        if self.use_bwrap is not False:
            if bwrap is None:
                notes.append("bubblewrap not found")
            elif is_root and setpriv is None:
                pass
            else:
                ok, why = _probe_bwrap(bwrap, is_root)
                use = ok
                if not ok:
                    notes.append("bubblewrap cannot create namespaces here: " + why)
            if self.use_bwrap is True and not use:
                raise SandboxUnavailable("use_bwrap=True but " + "; ".join(notes))
        cg = _probe_cgroups() if self.use_cgroups else {"pids": False, "memory": False}
        # Root never runs student code: the worker is always the slot's own unprivileged uid.
        drop_uid = is_root and setpriv is not None
        nproc_applies = (not is_root) or drop_uid
        datasets: tuple[str, ...] = ()
        datasets_ok = False
        if use and self.hide_datasets and purpose == "hidden_suite" and self.hidden_site_paths:
            found = _dataset_dirs(self.python, tuple(self.hidden_site_paths))
            datasets_ok = found is not None
            datasets = found or ()
            if found is None:
                notes.append("could not locate the worker's import path to hide "
                             + ", ".join(self.hidden_site_paths))
        elif not self.hidden_site_paths:
            datasets_ok = True  # nothing to hide
        if use:
            binds = self._readonly_binds()
            exposed = [str(p) for p in self.hidden_host_paths()
                       if any(is_within(os.path.realpath(p), b) for b in binds)]
            hidden_ok, readonly_ok = not exposed, True
            if exposed:
                notes.append("visible inside the sandbox (mounted read-only): " + ", ".join(exposed))
        elif drop_uid:
            uid, gid = self.worker_ids(slot)
            found = self._host_path_findings(uid, gid)
            hidden_ok, readonly_ok = not found["readable"], not found["writable"]
            if found["readable"]:
                notes.append(f"uid {uid} could read hidden files (no bubblewrap): " + ", ".join(found["readable"]))
            if found["writable"]:
                notes.append(f"uid {uid} could change grader files (no bubblewrap): " + ", ".join(found["writable"]))
        else:  # the worker is the grader's own uid on the host's file system
            hidden_ok = readonly_ok = False
        prot = {
            "separate_process": True,
            "unprivileged_uid": (not is_root) or drop_uid,
            "no_network": use,
            "filesystem_isolated": use,
            "hidden_files_unreadable": hidden_ok,
            "grader_files_readonly": readonly_ok,
            "datasets_hidden": datasets_ok,
            "pid_namespace": use,
            "memory_limit": self.memory_limit_mb > 0,
            "process_limit": self.max_processes > 0 and (nproc_applies or cg["pids"]),
            "file_size_limit": self.max_file_size_mb > 0,
            "disk_limit": use and self.submission_tmpfs_mb > 0 and self.tmp_tmpfs_mb > 0,
            "cpu_limit": self.cpu_time_limit > 0,
            "wall_timeout": self.call_timeout > 0,
        }
        not_applicable = NOT_FOR_NOTEBOOKS if purpose == "notebook" else frozenset()
        for name in not_applicable:
            prot.pop(name, None)
        uid, gid = self.worker_ids(slot) if drop_uid else (None, None)
        return LaunchPlan(purpose=purpose, slot=slot, bwrap=bwrap if use else None, setpriv=setpriv,
                          is_root=is_root, drop_uid=drop_uid, uid=uid, gid=gid, nproc_applies=nproc_applies,
                          cgroups=dict(cg), protections=prot, notes=tuple(notes), datasets=tuple(datasets),
                          not_applicable=frozenset(not_applicable), refuse=is_root and setpriv is None)

    def _readonly_binds(self) -> list[str]:
        """Host paths bound read-only into the sandbox besides /usr and /etc (realpaths, outermost)."""
        ro = []
        py_real = os.path.realpath(self.python)
        for p in [sys.base_prefix, sys.prefix, os.path.dirname(os.path.dirname(py_real)),
                  *self.extra_readonly_paths]:
            p = os.path.realpath(p)
            if os.path.exists(p) and p not in ro:
                ro.append(p)
        ro.sort(key=len)
        binds: list[str] = []
        for p in ro:
            if any(is_within(p, b) for b in ["/usr", "/etc", *binds]):
                continue
            binds.append(p)
        return binds

    def protections(self, purpose: str = "hidden_suite") -> dict[str, bool]:
        """Which protections a worker started now would have (name -> on/off)."""
        return dict(self.launch_plan(purpose).protections)

    def notes(self, purpose: str = "hidden_suite") -> list[str]:
        """Why protections are off here, one sentence each (empty when all are on)."""
        return list(self.launch_plan(purpose).notes)

    def process_limits(self, plan: LaunchPlan) -> Limits:
        """The rlimits of a process launched by ``plan``."""
        mem = self.memory_limit_mb * MiB if self.memory_limit_mb > 0 else None
        nproc = self.max_processes if self.max_processes > 0 else None
        if nproc and not plan.is_root:
            # RLIMIT_NPROC counts every process of the grader's own uid: allow those that exist.
            nproc += count_processes_of(os.getuid()) + 8
        return Limits(memory_bytes=mem, cpu_seconds=self.cpu_time_limit or None, max_processes=nproc,
                      file_size_bytes=(self.max_file_size_mb * MiB) or None,
                      open_files=self.max_open_files or None)

    def new_cgroups(self, plan: LaunchPlan) -> CgroupSet:
        """A fresh cgroup v1 pids/memory group for a process launched by ``plan`` (empty where
        ``use_cgroups`` is off or no controller is writable)."""
        if not (self.use_cgroups and any(plan.cgroups.values())):
            return CgroupSet()
        mem = self.memory_limit_mb * MiB if self.memory_limit_mb > 0 else None
        return CgroupSet.create(mem, (self.max_processes + 8) if self.max_processes > 0 else None)

    def check_requirements(self, plan: LaunchPlan | None = None) -> None:
        """Raise SandboxUnavailable when ``plan`` (default: a hidden-suite worker's) may not start."""
        plan = plan or self.launch_plan()
        if plan.refuse:
            raise SandboxUnavailable(
                "the grader runs as root but setpriv (util-linux) is missing, so student code cannot be "
                "run as an unprivileged uid; install util-linux (or run the grader as a normal user)")
        if not self.require_isolation:
            return
        missing = [p for p in self.required_protections
                   if p not in plan.not_applicable and not plan.protections.get(p, False)]
        if missing:
            why = ("; ".join(plan.notes) + ". ") if plan.notes else ""
            raise SandboxUnavailable(
                "the course requires sandbox isolation (Sandbox.require_isolation=True) but these protections "
                f"are unavailable on this machine: {', '.join(missing)}. {why}"
                "Run the grader on Linux with bubblewrap (and as root for a dedicated worker uid), or relax "
                "Sandbox.required_protections."
            )

    def start(self, submission_dir, slot: int = 0, preload: tuple[str, ...] = (),
              wait: bool = True) -> "WorkerProcess":
        """Copy ``submission_dir`` privately and start a worker on it, which imports
        ``preload`` first; ``wait=False`` returns before it is ready (see
        :meth:`WorkerProcess.spawn`)."""
        plan = self.launch_plan("hidden_suite", slot)
        self.check_requirements(plan)
        for n in plan.notes:
            self.log.debug("sandbox: %s", n)
        w = WorkerProcess(self, Path(submission_dir), plan, preload)
        w.spawn()
        if wait:
            w.wait_ready()
        return w


@functools.lru_cache(maxsize=8)
def _dataset_dirs(python: str, relpaths: tuple[str, ...]) -> tuple[str, ...] | None:
    """The folders ``relpaths`` (e.g. ``"pkg/datasets/data"``) below every directory of the
    worker ``python``'s import path that exist, or None if that path is unknown.

    The worker's interpreter is asked for its import path (``python -I``, as the worker
    runs) instead of importing anything here; the system's dist-packages (visible through
    /usr) count too.
    """
    try:
        r = subprocess.run([python, "-I", "-c", "import sys, json; print(json.dumps(sys.path))"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=30, text=True)
        paths = json.loads(r.stdout) if r.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError):
        paths = None
    if not isinstance(paths, list):
        return None
    import glob

    paths += glob.glob("/usr/lib/python3*/dist-packages") + glob.glob("/usr/local/lib/python3*/*-packages")
    out: list[str] = []
    for p in paths:
        if not isinstance(p, str) or not p:
            continue
        for rel in relpaths:
            d = os.path.realpath(os.path.join(p, *rel.split("/")))
            if os.path.isdir(d) and d not in out:
                out.append(d)
    return tuple(out)


@functools.lru_cache(maxsize=8)
def _probe_bwrap(bwrap: str, is_root: bool) -> tuple[bool, str]:
    cmd = [bwrap, *_unshare_flags(is_root), "--die-with-parent", "--ro-bind", "/", "/",
           "--proc", "/proc", "--dev", "/dev", "--", "/bin/true"]
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    return r.returncode == 0, r.stderr.decode("utf-8", "replace").strip()


@functools.lru_cache(maxsize=1)
def _probe_cgroups() -> dict:
    cg = CgroupSet.create(memory_bytes=1 << 40, max_pids=1000)
    out = {"pids": "pids" in cg.dirs, "memory": "memory" in cg.dirs}
    cg.remove()
    return out


def _unshare_flags(is_root: bool) -> list[str]:
    flags = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    if not is_root:
        flags.insert(0, "--unshare-user")
    return flags


def _exit_sentence(sig: int | None, code: int | None, oom: bool, limits: Sandbox) -> str:
    if sig is None and code == EXIT_CHANNEL_BROKEN:
        return "your code closed or broke the worker's communication channel (its protocol file descriptors)"
    if sig is None:
        return (f"your code exited the worker process (sys.exit / os._exit) with status {code}; "
                "graded functions must return instead of exiting")
    if oom:
        return f"killed: memory limit of {limits.memory_limit_mb} MB exceeded"
    names = {
        signal.SIGKILL: "killed (SIGKILL): memory limit exceeded?",
        signal.SIGSEGV: "segmentation fault (invalid memory access, e.g. through ctypes, or infinitely deep recursion)",
        signal.SIGXCPU: f"CPU time limit of {limits.cpu_time_limit} s exceeded",
        signal.SIGXFSZ: f"file size limit of {limits.max_file_size_mb} MB exceeded",
        signal.SIGABRT: "aborted (SIGABRT), e.g. a failed assertion in native code",
        signal.SIGBUS: "bus error (invalid memory access)",
        signal.SIGFPE: "floating point exception in native code",
        signal.SIGILL: "illegal instruction",
    }
    if sig in names:
        return names[sig]
    try:
        return f"killed by signal {signal.Signals(sig).name}"
    except ValueError:
        return f"killed by signal {sig}"


class WorkerProcess:
    """One running worker: private copy, process, protocol pipes, limits."""

    def __init__(self, sandbox: Sandbox, submission_dir: Path, plan: LaunchPlan,
                 preload: tuple[str, ...] = ()):
        self.sandbox = sandbox
        self.preload = tuple(preload)  # modules the worker imports before it reports ready
        self.submission_dir = submission_dir.resolve()
        self.slot = plan.slot
        self.plan = plan
        self.proc: subprocess.Popen | None = None
        self.private: Path | None = None
        self.cgroups = CgroupSet()
        self.seq = 0
        self.started_at = 0.0
        self.startup_seconds = 0.0
        self.info: dict = {}
        self.max_frame = sandbox.max_frame_mb * MiB
        self._rbuf = bytearray()
        self._dead_reason: str | None = None
        self._t0 = 0.0
        self.ready = False  # the worker's hello has arrived (see wait_ready)
        self.warm = False  # forked from a warm fork server (autograder.sandbox.warm)
        self.may_be_warm = True  # False after a warm start failed: start cold

    # ------------------------------------------------------------------ lifecycle
    @property
    def protections(self) -> dict[str, bool]:
        prot = dict(self.plan.protections)
        if self.cgroups.dirs.get("pids"):
            prot["process_limit"] = self.sandbox.max_processes > 0
        return prot

    @property
    def uses_bwrap(self) -> bool:
        return self.plan.uses_bwrap

    def spawn(self) -> None:
        """Start the worker without waiting for it (:meth:`wait_ready`, or the first request,
        waits): the grader gets on with its own start-up while the worker starts and imports
        its ``preload``."""
        sb = self.sandbox
        t0 = self._t0 = time.monotonic()
        if not self.submission_dir.is_dir():
            raise WorkerStartError(f"submission directory {self.submission_dir} does not exist")
        if self.plan.refuse:
            sb.check_requirements(self.plan)
        if self.may_be_warm and self._spawn_warm():
            return
        uid, gid = self.plan.uid, self.plan.gid
        self.private = Path(tempfile.mkdtemp(prefix="autograder-sbx-"))
        copy = self.private / "submission"
        copy_submission(self.submission_dir, copy)
        host_tmp = self.private / "tmp"
        host_tmp.mkdir()
        # The worker's files, copied next to the submission: the grader's package may be
        # unreadable for the worker uid (Gradescope's run_autograder makes it 0700).
        bin_dir = self.private / "bin"
        bin_dir.mkdir()
        for f in WORKER_FILES:
            shutil.copyfile(HERE / f, bin_dir / f)
            os.chmod(bin_dir / f, 0o644)
        os.chmod(bin_dir, 0o755)
        if uid is not None:
            # traversable, not listable, for the worker uid; its copy and /tmp are its own
            os.chmod(self.private, 0o711)
            for p in [copy, host_tmp, *copy.rglob("*")]:
                with contextlib.suppress(OSError):
                    os.chown(p, uid, gid, follow_symlinks=False)
            os.chmod(copy, 0o700)
            os.chmod(host_tmp, 0o700)
            if not self.uses_bwrap:
                self._check_interpreter(uid, gid)
        limits = sb.process_limits(self.plan)
        self.cgroups = sb.new_cgroups(self.plan)
        preload_arg = [",".join(self.preload)] if self.preload else []
        if self.uses_bwrap:
            program = [sb.python, "-I", "-B", f"{SANDBOX_WORKER_DIR}/worker.py", SANDBOX_SUBMISSION,
                       "/tmp/worker-output.log", *preload_arg]
            cmd = bwrap_command(sb, self.plan, copy, program)
            cwd, tmp_inside = str(self.private), "/tmp"
        else:
            cmd = [*drop_privileges(self.plan),
                   sb.python, "-I", "-B", str(bin_dir / "worker.py"), str(copy), str(host_tmp / "worker-output.log"),
                   *preload_arg]
            cwd, tmp_inside = str(copy), str(host_tmp)
        env = worker_env(tmp_inside)
        self._stderr_path = self.private / "startup-stderr.log"
        with open(self._stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, cwd=cwd, env=env,
                close_fds=True, start_new_session=True,
                preexec_fn=make_preexec(limits, self.cgroups.procs_files, self.plan.nproc_applies),
            )
        self._use_pipes()

    def _use_pipes(self) -> None:
        self._win = self.proc.stdin.fileno()
        self._rout = self.proc.stdout.fileno()
        for fd in (self._win, self._rout):
            try:
                fcntl.fcntl(fd, _F_SETPIPE_SZ, 1 << 20)
            except OSError:
                pass
            os.set_blocking(fd, False)
        self.started_at = time.monotonic()

    def _spawn_warm(self) -> bool:
        """Have the warm fork server (if one serves this sandbox) fork the worker, into a
        sandbox built for it alone (autograder.sandbox.warm); False: start it cold."""
        from . import warm

        sb, plan = self.sandbox, self.plan
        zygote = sb.zygote or warm.installed()
        if zygote is None or not zygote.serves(sb, plan):
            return False
        self.private = zygote.new_inbox()  # the zygote copies it into the worker's tmpfs
        copy_submission(self.submission_dir, self.private)
        self.cgroups = sb.new_cgroups(plan)
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        status_r, status_w = os.pipe()
        life_r, life_w = os.pipe()
        theirs = [req_r, resp_w, status_w, life_r]
        theirs += [os.open(f, os.O_WRONLY) for f in self.cgroups.procs_files]
        request = warm.WarmRequest(
            token=self.private.name, uid=plan.uid, gid=plan.gid,
            submission_bytes=sb.submission_tmpfs_mb * MiB, tmp_bytes=sb.tmp_tmpfs_mb * MiB,
            limits=dataclasses.asdict(sb.process_limits(plan)))
        sent = zygote.fork_worker(request, theirs)
        for fd in theirs:
            os.close(fd)
        if not sent:
            for fd in (req_w, resp_r, status_r, life_w):
                os.close(fd)
            self.cgroups.remove()
            _rmtree(self.private)
            self.private = None
            return False
        self.proc = warm.WarmChild(req_w, resp_r, status_r, life_w)
        self.warm = True
        self._use_pipes()
        return True

    def wait_ready(self) -> None:
        """Wait for the worker's hello (``Sandbox.startup_timeout``); WorkerStartError if it
        never comes."""
        if self.ready:
            return
        try:
            resp = self._receive(0, time.monotonic() + self.sandbox.startup_timeout, None)
        except Exception as exc:
            detail = self._startup_stderr()
            self.close()
            if self.warm:  # whatever went wrong, a cold start gets its own chance
                self.sandbox.log.warning("sandbox: a warm worker failed to start (%s %s); starting it cold",
                                         exc, detail)
                self.warm, self.may_be_warm = False, False
                self._rbuf.clear()
                self._dead_reason = None
                self.spawn()
                return self.wait_ready()
            raise WorkerStartError(f"the sandbox worker failed to start ({exc}). {detail}".strip()) from None
        self.ready = True
        self.info = resp.get("result") or {}
        self.startup_seconds = time.monotonic() - self._t0

    def _check_interpreter(self, uid: int, gid: int) -> None:
        """Without bubblewrap the worker uid runs ``python`` from the host: say so clearly if it cannot."""
        exe = Path(os.path.realpath(self.sandbox.python))
        if not may(exe, uid, gid, "rx"):
            where = next((str(d) for d in reversed(exe.parents) if not may(d, uid, gid, "x")), str(exe))
            self.close()
            raise WorkerStartError(
                f"the worker uid {uid} cannot run the worker's Python {exe} (no access at {where}). Without "
                "bubblewrap student code runs as that uid on the host's files: install Python and its "
                "packages where every user may read them (chmod -R a+rX), or install bubblewrap")

    def _startup_stderr(self) -> str:
        if self.warm:
            return getattr(self.proc, "message", "")
        try:
            return self._stderr_path.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and self._dead_reason is None

    def kill(self) -> None:
        p = self.proc
        if p is None:
            return
        if p.poll() is None:
            if p.pid is not None:  # a warm worker has none here: its kill() ends its namespace
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
            try:
                p.kill()
            except OSError:
                pass
        self.cgroups.kill_all(timeout=2.0)
        if self.plan.drop_uid and not self.uses_bwrap and not self.cgroups.dirs:
            # no pid namespace and no cgroup holds them: every process of the slot's uid
            # belongs to this worker (a slot is one grading's), including escaped daemons
            kill_processes_of(self.plan.uid)
        try:
            # a warm worker's status comes from its watcher, which may never have been forked (a
            # fork server that stopped answering); the cgroups above already killed what was
            p.wait(timeout=2 if self.warm else 10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass

    def close(self) -> None:
        """Kill the worker (and everything it started) and delete the private copy."""
        if self.proc is not None:
            for f in (self.proc.stdin, self.proc.stdout):
                try:
                    f.close()
                except OSError:
                    pass
            self.kill()
            if self.warm:
                self.proc.close()  # its status and life pipes
        self.cgroups.remove()
        if self.private is not None:
            _rmtree(self.private)
            self.private = None

    # ------------------------------------------------------------------ requests
    def request(self, msg: dict, timeout: float | None, what: str = "", to_handle=None, from_handle=None,
                on_callback=None) -> dict:
        """Send one request and return the decoded response (``{"ok": ..., ...}``).

        While the call runs, the worker may ask the grader to run a function it serves from the
        reference (a frame holding ``"callback"``): ``on_callback(frame) -> bytes`` answers it,
        within the same deadline. Raises StudentTimeout / WorkerCrashed / ProtocolError (the
        worker is then dead).
        """
        if not self.alive:
            raise WorkerCrashed("the worker is not running", function=what)
        self.wait_ready()
        self.seq += 1
        msg["seq"] = self.seq
        payload = protocol.pack(msg, to_handle, self.sandbox.max_depth)  # errors here leave it usable
        deadline = time.monotonic() + timeout if timeout and timeout > 0 else None
        try:
            self._send(protocol.HEADER.pack(len(payload)) + payload, deadline, what, timeout)
            while True:
                resp = self._receive(self.seq, deadline, from_handle, what, timeout)
                if "callback" not in resp:
                    return resp
                if on_callback is None:
                    raise self._protocol_error(what, "a call of a served function when none is served")
                answer = on_callback(resp)
                self._send(protocol.HEADER.pack(len(answer)) + answer, deadline, what, timeout)
        except BaseException:
            if self._dead_reason is None:  # interrupted mid-exchange: requests and replies are out of step
                self.kill()
                self._dead_reason = "interrupted"
            raise

    def _send(self, data: bytes, deadline, what, timeout) -> None:
        view = memoryview(data)
        while view:
            try:
                n = os.write(self._win, view)
                view = view[n:]
                continue
            except BlockingIOError:
                pass
            except (BrokenPipeError, OSError):
                raise self._crashed(what) from None
            self._wait(self._win, select.POLLOUT, deadline, what, timeout)

    def _wait(self, fd, events, deadline, what, timeout) -> None:
        poller = select.poll()
        poller.register(fd, events)
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                self.kill()
                self._dead_reason = "timeout"
                raise StudentTimeout(
                    f"did not finish within {timeout:g} s (wall-clock limit); the worker was stopped. "
                    "Look for an infinite loop or a much slower algorithm than needed.",
                    exc_type="Timeout", function=what)
            if poller.poll(None if left is None else max(1, int(left * 1000) + 1)):
                return

    def _read_some(self, n, deadline, what, timeout) -> bool:
        while True:
            try:
                chunk = os.read(self._rout, n)
            except BlockingIOError:
                self._wait(self._rout, select.POLLIN, deadline, what, timeout)
                continue
            if not chunk:
                return False
            self._rbuf += chunk
            return True

    def _receive(self, seq, deadline, from_handle, what="", timeout=None) -> dict:
        hs = protocol.HEADER.size
        while len(self._rbuf) < hs:
            if not self._read_some(1 << 16, deadline, what, timeout):
                raise self._crashed(what)
        (n,) = protocol.HEADER.unpack_from(self._rbuf, 0)
        if n > self.max_frame:
            self.kill()
            self._dead_reason = "protocol"
            raise OversizeReply(
                f"your code sent back {n / MiB:.1f} MB of data in one reply, more than the limit of "
                f"{self.max_frame / MiB:g} MB; the worker was stopped. Return arrays of the expected size "
                "(a much larger result is usually a broadcasting mistake).",
                exc_type="OversizeReply", function=what)
        while len(self._rbuf) < hs + n:
            if not self._read_some(min(hs + n - len(self._rbuf), 1 << 22), deadline, what, timeout):
                raise self._crashed(what)
        body = bytes(self._rbuf[hs:hs + n])
        del self._rbuf[:hs + n]
        try:
            resp = protocol.unpack(body, from_handle, self.sandbox.max_depth)
        except protocol.ProtocolViolation as exc:
            raise self._protocol_error(what, str(exc)) from None
        if isinstance(resp, dict) and resp.get("seq") == seq and isinstance(resp.get("callback"), str):
            return resp  # the worker asks for a served function (see request)
        if not isinstance(resp, dict) or resp.get("seq") != seq or not isinstance(resp.get("ok"), bool):
            raise self._protocol_error(what, "the response does not answer the request (was the protocol "
                                             "channel written to by student code?)")
        return resp

    def _protocol_error(self, what: str, detail: str) -> ProtocolError:
        self.kill()
        self._dead_reason = "protocol"
        return ProtocolError(f"the worker sent malformed data ({detail}); the worker was stopped",
                             exc_type="ProtocolError", function=what)

    def _crashed(self, what: str) -> WorkerCrashed:
        p = self.proc
        try:
            rc = p.wait(timeout=2)
            closed_only = False
        except subprocess.TimeoutExpired:
            closed_only = True
            self.kill()
            rc = p.returncode
        self._dead_reason = "crash"
        oom = self.cgroups.oom_killed()
        if closed_only:
            msg = "your code closed or broke the worker's communication channel; the worker was stopped"
            sig = code = None
        else:
            sig, code = None, rc
            if rc is not None and rc < 0:
                sig, code = -rc, None
            elif self.uses_bwrap and rc is not None and rc > 128:
                sig, code = rc - 128, None
            msg = _exit_sentence(sig, code, oom, self.sandbox)
        return WorkerCrashed(f"the worker process died: {msg}", exc_type="WorkerCrashed", function=what,
                             returncode=rc, signal=sig)


def worker_env(tmp: str) -> dict[str, str]:
    """The whole environment of a worker whose temporary folder is ``tmp``: one BLAS thread
    (the grader runs several workers side by side), no display."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": tmp,
        "TMPDIR": tmp,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": tmp,
    }


def kernel_env(home: str) -> dict[str, str]:
    """The whole environment of a notebook kernel whose home is ``home``: a worker's, minus
    the plotting backend (a notebook picks its own, inline), plus ipykernel's folders."""
    env = worker_env(home)
    del env["MPLBACKEND"]
    env.update(PYDEVD_DISABLE_FILE_VALIDATION="1", IPYTHONDIR=f"{home}/.ipython",
               JUPYTER_RUNTIME_DIR=f"{home}/.jupyter-runtime")
    return env


def drop_privileges(plan: LaunchPlan) -> list[str]:
    """The ``setpriv`` prefix that runs a command as the plan's uid with no capabilities and
    no_new_privs (empty when the grader is not root: the worker already is an ordinary user)."""
    if plan.uid is None or not plan.drop_uid:
        return []
    return [plan.setpriv, "--reuid", str(plan.uid), "--regid", str(plan.gid), "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]


def copy_submission(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest`` without caches, and without symbolic links that leave ``src``
    (a link to the reference would otherwise resolve wherever the worker can read)."""
    src = Path(src).resolve()

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".pyo"))}
        for n in names:
            full = os.path.join(directory, n)
            if os.path.islink(full) and not is_within(os.path.realpath(full), str(src)):
                skipped.add(n)
        return skipped

    shutil.copytree(src, dest, symlinks=True, ignore=ignore)


def bwrap_view(sb: Sandbox, plan: LaunchPlan) -> list[str]:
    """The part of a bubblewrap command line that every sandboxed process shares: namespaces,
    the minimal read-only view of the host (``/usr``, ``/etc``, the Python install and venv),
    a size-limited ``/tmp``, the hidden datasets covered, the worker's files.  Also what
    identifies a warm fork server's sandbox (``autograder.sandbox.warm``)."""
    cmd = [plan.bwrap, *_unshare_flags(plan.is_root), "--die-with-parent", "--new-session"]
    cmd += ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            cmd += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            cmd += ["--ro-bind", top, top]
    cmd += ["--ro-bind", "/etc", "/etc"]
    # /tmp is mounted before the binds: bwrap applies mounts in order, and the grader's own
    # Python or virtualenv may live under /tmp (a CI checkout), which a later tmpfs would hide.
    cmd += ["--perms", "01777"]
    if sb.tmp_tmpfs_mb > 0:
        cmd += ["--size", str(sb.tmp_tmpfs_mb * MiB)]
    cmd += ["--tmpfs", "/tmp"]
    binds = sb._readonly_binds()
    made = {"/", "/usr", "/etc", "/tmp", "/proc", "/dev", "/bin", "/lib", "/lib64", "/sbin"}
    dirs = []
    for p in [*binds, SANDBOX_WORKER_DIR]:
        parent = os.path.dirname(p)
        chain = []
        while parent not in made and parent != "/":
            chain.append(parent)
            parent = os.path.dirname(parent)
        for d in reversed(chain):
            made.add(d)
            dirs.append(d)
    for d in dirs:
        cmd += ["--perms", "0755", "--dir", d]
    for p in binds:
        cmd += ["--ro-bind", p, p]
    for d in plan.datasets:  # empty, read-only: the held-out digits are not in here
        cmd += ["--perms", "0555", "--size", "4096", "--tmpfs", d]
    cmd += ["--perms", "0755", "--dir", SANDBOX_WORKER_DIR]
    for f in WORKER_FILES:
        cmd += ["--ro-bind", str(HERE / f), f"{SANDBOX_WORKER_DIR}/{f}"]
    return cmd


def bwrap_command(sb: Sandbox, plan: LaunchPlan, copy: Path, program: list[str], *,
                  extra: list[str] = ()) -> list[str]:
    """The bubblewrap command line that runs ``program`` on the private ``copy`` of a submission.

    ``copy`` is bound read-only at ``SANDBOX_SOURCE`` and ``seed.py`` copies it into the
    size-limited tmpfs ``/submission`` (``Sandbox.submission_tmpfs_mb``; 0: ``copy`` is bound
    read-write there instead), then ``exec``s ``program`` in it as the plan's uid.  ``extra``
    are more bwrap options (the kernel's socket folder).  ``plan.datasets`` folders are
    covered by empty read-only tmpfs mounts.
    """
    cmd = bwrap_view(sb, plan)
    seeded = sb.submission_tmpfs_mb > 0
    if seeded:
        cmd += ["--ro-bind", str(copy), SANDBOX_SOURCE,
                "--perms", "01777", "--size", str(sb.submission_tmpfs_mb * MiB), "--tmpfs", SANDBOX_SUBMISSION]
    else:
        cmd += ["--bind", str(copy), SANDBOX_SUBMISSION]
    cmd += ["--proc", "/proc", "--dev", "/dev", *extra, "--chdir", SANDBOX_SUBMISSION, "--"]
    cmd += drop_privileges(plan)
    if seeded:
        cmd += [sb.python, "-I", "-S", "-B", f"{SANDBOX_WORKER_DIR}/seed.py", SANDBOX_SOURCE, SANDBOX_SUBMISSION,
                "--"]
    return cmd + list(program)


def _rmtree(path: Path) -> None:
    def onerror(func, p, exc_info):  # pragma: no cover - only for hostile permissions
        try:
            parent = os.path.dirname(p)
            os.chmod(parent, stat.S_IRWXU)
            if os.path.isdir(p) and not os.path.islink(p):
                os.chmod(p, stat.S_IRWXU)
            func(p)
        except OSError:
            pass

    shutil.rmtree(path, onerror=onerror)
