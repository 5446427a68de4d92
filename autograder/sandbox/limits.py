"""Resource limits for a worker: rlimits (set in the child before exec) and,
where the machine allows it, a cgroup v1 ``pids``/``memory`` group per worker.
"""
from __future__ import annotations

import os
import signal
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

try:
    import resource
except ImportError:  # pragma: no cover - non-POSIX
    resource = None  # type: ignore[assignment]

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass
class Limits:
    memory_bytes: int | None
    cpu_seconds: int | None
    max_processes: int | None
    file_size_bytes: int | None
    open_files: int | None = 256


def count_processes_of(uid: int) -> int:
    return len(processes_of(uid))


def processes_of(uid: int) -> list[int]:
    """Pids whose real, effective or saved uid is ``uid`` (psutil reads /proc/<pid>/status,
    which a process cannot hide by making itself non-dumpable, unlike the owner of /proc/<pid>)."""
    import psutil

    out = []
    for proc in psutil.process_iter():
        try:
            if uid in proc.uids():
                out.append(proc.pid)
        except (psutil.Error, OSError):  # gone, or a zombie without a status
            pass
    return out


def kill_processes_of(uid: int, timeout: float = 3.0) -> None:
    """SIGKILL every process of ``uid`` until none is left (or ``timeout``): the fallback that
    ends a worker's daemons when neither a pid namespace nor a cgroup holds them."""
    if uid == 0 or uid == os.getuid():
        raise ValueError("refusing to kill the processes of root or of the grader itself")
    kill_until_gone(lambda: processes_of(uid), timeout, pause=0.02)


def kill_until_gone(list_pids, timeout: float, pause: float) -> None:
    """SIGKILL the pids ``list_pids()`` returns, again and again (a forking process keeps
    making new ones), until it returns none or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = list_pids()
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(pause)


def make_preexec(limits: Limits, cgroup_procs: list[str], nproc_applies: bool):
    """A ``preexec_fn``: join cgroups, set rlimits, sane umask.  Runs in the child."""

    libc = _libc()

    def preexec() -> None:  # pragma: no cover - runs in the forked child
        os.umask(0o022)
        if libc is not None:  # die with the grader (PR_SET_PDEATHSIG; bwrap also has --die-with-parent)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)
        pid = str(os.getpid())
        for procs in cgroup_procs:
            with open(procs, "w") as fh:
                fh.write(pid)
        if resource is None:
            return
        if limits.memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        if limits.cpu_seconds:
            resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
        if limits.file_size_bytes:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_bytes, limits.file_size_bytes))
        if limits.max_processes and nproc_applies:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes, limits.max_processes))
        if limits.open_files:
            resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    return preexec


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover
        return None


def _own_cgroup(controller: str) -> str:
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, ctrls, path = line.split(":", 2)
            if controller in ctrls.split(","):
                return path
    except OSError:
        pass
    return "/"


@dataclass
class CgroupSet:
    """cgroup v1 directories created for one worker (possibly none)."""

    dirs: dict[str, Path] = field(default_factory=dict)

    @classmethod
    def create(cls, memory_bytes: int | None, max_pids: int | None) -> "CgroupSet":
        cg = cls()
        name = "autograder-sbx-" + uuid.uuid4().hex[:12]
        if max_pids:
            d = cls._mkdir("pids", name)
            if d is not None:
                try:
                    (d / "pids.max").write_text(str(max_pids))
                    cg.dirs["pids"] = d
                except OSError:
                    _rmdir(d)
        if memory_bytes:
            d = cls._mkdir("memory", name)
            if d is not None:
                try:
                    (d / "memory.limit_in_bytes").write_text(str(memory_bytes))
                    sw = d / "memory.memsw.limit_in_bytes"
                    if sw.exists():
                        try:
                            sw.write_text(str(memory_bytes))
                        except OSError:
                            pass
                    cg.dirs["memory"] = d
                except OSError:
                    _rmdir(d)
        return cg

    @staticmethod
    def _mkdir(controller: str, name: str) -> Path | None:
        base = CGROUP_ROOT / controller
        if not (base / "cgroup.procs").exists():
            return None  # not cgroup v1 (or not mounted)
        parent = base / _own_cgroup(controller).lstrip("/")
        d = parent / name
        try:
            d.mkdir()
            return d
        except OSError:
            return None

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs.values()]

    def pids(self) -> set[int]:
        out: set[int] = set()
        for d in self.dirs.values():
            try:
                out.update(int(x) for x in (d / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return out

    def oom_killed(self) -> bool:
        d = self.dirs.get("memory")
        if d is None:
            return False
        try:
            for line in (d / "memory.oom_control").read_text().splitlines():
                k, _, v = line.partition(" ")
                if k == "oom_kill" and int(v) > 0:
                    return True
            return False
        except (OSError, ValueError):
            return False

    def kill_all(self, timeout: float = 5.0) -> None:
        kill_until_gone(self.pids, timeout, pause=0.01)

    def remove(self) -> None:
        if not self.dirs:
            return
        self.kill_all()
        for d in self.dirs.values():
            for _ in range(100):
                if _rmdir(d):
                    break
                time.sleep(0.02)
        self.dirs.clear()


def _rmdir(d: Path) -> bool:
    try:
        d.rmdir()
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False
