"""The warm workers' fork server ("zygote"): forks each new worker with the heavy modules imported.

STANDALONE SCRIPT (stdlib + what worker.py needs), run by bubblewrap as root
inside a sandbox of its own, never running student code itself:

    python -I -B zygote.py [PRELOAD]

It imports ``worker.py`` (numpy) and ``PRELOAD`` (an assignment's torch, say),
``gc.freeze()``s them, then reads fork requests from its control socket (fd 0,
a ``SOCK_SEQPACKET`` socket only the grader holds): one JSON message a worker,
with the worker's pipes and cgroup files attached (``SCM_RIGHTS``).  For each
it forks a child that builds a FRESH sandbox for that one worker -- so nothing
of one student is visible to the next, while the ~3 s of importing torch is paid
once per fork server instead of once per worker:

* the child joins the worker's cgroups, then ``unshare``s new mount, pid, ipc,
  uts and network namespaces (loopback up, nothing else, as bubblewrap does);
* mounts a new size-limited tmpfs at ``/submission`` (owned by the worker uid),
  copies the submission in from the read-only inbox, covers the inbox with an
  empty mount, and mounts new tmpfs ``/tmp`` (keeping, read-only, what the view binds
  below it: a virtualenv under /tmp) and ``/dev/shm``;
* forks the new pid namespace's init, which mounts a ``/proc`` that shows that
  namespace only, drops to the worker uid (no capabilities, empty bounding
  set, ``no_new_privs``), sets the rlimits and forks the worker itself; the
  init reaps orphans and exits with the worker's status (which kills the rest
  of the namespace).
* The first child stays outside that namespace, as its watcher: it kills the
  namespace's init when the grader closes the worker's "life" pipe (the grader
  stopped the worker, or died), and writes the exit status on the status pipe
  (``exit N``, N = the worker's exit code or 128 + the signal that killed it;
  ``error MESSAGE`` when the sandbox could not be built).

With ``--kernels SOCKETS PRELOAD`` it is the fork server of notebook kernels instead
(``autograder.nbgrader_integration.sandboxed_kernel``): it imports ipykernel and
``PRELOAD`` (what the course's notebooks import first: numpy, matplotlib...) and
forks each kernel into the same kind of fresh sandbox, which also gets its own
folder of ``SOCKETS`` (the kernel's ZeroMQ sockets; the other kernels' folders are
covered), and runs ``python -m ipykernel_launcher`` there: the kernel is what a
cold one would be, minus the imports.

Why by hand (ctypes): ``os.unshare`` only exists from Python 3.12 and no
library in the lock file wraps ``mount``/``prctl``.  The grader's side is
``autograder.sandbox.warm``.
"""
import ctypes
import fcntl
import importlib.util
import json
import os
import re
import resource
import runpy
import select
import shutil
import signal
import socket
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
INBOX = HERE + "/inbox"  # the grader's copies of submissions, one folder a worker (read-only)
SUBMISSION = "/submission"
WORKER_LOG = "/tmp/worker-output.log"
SOCKETS = None  # a kernels' fork server: the folder of the kernels' socket folders (argv)

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND = 1, 2, 4, 8, 32, 4096
MS_REC, MS_PRIVATE = 0x4000, 1 << 18
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
libc.unshare.argtypes = [ctypes.c_int]
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]


def _check(rc, what):
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source, target, fstype, flags=0, data=None):
    def b(s):
        return s.encode() if s is not None else None

    _check(libc.mount(b(source), b(target), b(fstype), flags, b(data)), f"mount {target}")


def tmpfs(target, size, mode, uid=0, gid=0, flags=MS_NOSUID | MS_NODEV):
    """A new tmpfs at ``target``; ``size`` 0: the kernel's default (half the RAM)."""
    size_opt = f"size={int(size)}," if size else ""
    mount("tmpfs", target, "tmpfs", flags, f"{size_opt}mode={mode},uid={uid},gid={gid}")


def load(name, filename):
    """A script next to this one as a module (worker.py: not ``__main__``, its fd set-up
    waits for the fork)."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, filename))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


seed = load("_autograder_seed", "seed.py")


# ---------------------------------------------------------------------- in the fork
def copy_submission(source, dest, uid, gid):
    """Copy ``source`` into the tmpfs ``dest`` (as seed.py does for a cold worker) and give it
    to ``uid``."""
    seed.copy_into(source, dest)
    for top, dirs, files in os.walk(dest):
        for name in dirs + files:
            os.lchown(os.path.join(top, name), uid, gid)


def build_sandbox(req, cgroup_fds):
    """In the first child, still root: a new sandbox of this worker's own (module doc)."""
    for fd in cgroup_fds:  # cgroup v1: writing 0 moves the writer; its children follow
        os.write(fd, b"0")
        os.close(fd)
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET), "unshare")
    loopback_up()
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing mounted here reaches the fork server
    uid, gid = req["uid"], req["gid"]
    tmpfs(SUBMISSION, req["submission_bytes"], "0755", uid, gid)
    try:
        copy_submission(os.path.join(INBOX, req["token"]), SUBMISSION, uid, gid)
    except (OSError, shutil.Error) as exc:
        raise SeedFailed(f"the submission does not fit into the sandbox's {SUBMISSION} ({exc})") from None
    tmpfs(INBOX, 4096, "0555", flags=MS_NOSUID | MS_NODEV | MS_RDONLY)  # the inbox, hidden again
    own = None
    if req.get("kind") == "kernel":  # its sockets' folder, reachable once /tmp is covered
        own = os.open(os.path.join(SOCKETS, req["token"]), os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW)
    fresh_tmp(req["tmp_bytes"])
    if os.path.isdir("/dev/shm"):
        tmpfs("/dev/shm", req["tmp_bytes"], "1777")
    if own is not None:
        # the shared sockets folder covered (no other kernel's folder in sight), then this
        # kernel's own folder bound back, writable, at the same path as on the host
        tmpfs(SOCKETS, 1 << 20, "0755")
        os.mkdir(os.path.join(SOCKETS, req["token"]), 0o700)
        mount(f"/proc/self/fd/{own}", os.path.join(SOCKETS, req["token"]), None, MS_BIND)
        os.close(own)


class SeedFailed(Exception):
    pass


def mount_points():
    """Where something is mounted in this mount namespace (``/proc/self/mountinfo``, unescaped)."""
    with open("/proc/self/mountinfo") as fh:
        return [re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), line.split()[4]) for line in fh]


def fresh_tmp(size):
    """A new, empty tmpfs at /tmp -- the fork server's is one file system shared by all its
    workers -- that still shows what the sandbox's view binds below /tmp (read-only): the
    grader's Python or virtualenv may live there (a CI checkout under /tmp)."""
    below = sorted({p for p in mount_points() if p.startswith("/tmp/")})
    outermost = [p for p in below if not any(p.startswith(q + "/") for q in below)]
    kept = [(p, os.open(p, os.O_PATH)) for p in outermost]  # still reachable once /tmp is covered
    tmpfs("/tmp", size, "1777")
    for path, fd in kept:
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            os.makedirs(path, mode=0o755, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
        mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)


def loopback_up():
    """Bring up ``lo`` in the new network namespace (as bubblewrap does for a cold worker):
    the worker has 127.0.0.1 and no other network."""
    ifreq = struct.Struct("16sH14x")  # struct ifreq: the name, then ifr_flags
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        flags = ifreq.unpack(fcntl.ioctl(s, SIOCGIFFLAGS, ifreq.pack(b"lo", 0)))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, ifreq.pack(b"lo", flags | IFF_UP))


def drop_privileges(uid, gid):
    """Become ``uid`` for good: no capabilities (none to regain: empty bounding set), no groups,
    ``no_new_privs`` -- what ``setpriv`` does for a cold worker."""
    with open("/proc/sys/kernel/cap_last_cap") as fh:
        last = int(fh.read())
    for cap in range(last + 1):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)  # from root to a non-zero uid: permitted/effective caps are cleared
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")


def set_limits(lim):
    """The rlimits of ``Sandbox.process_limits`` (as ``limits.make_preexec`` sets them)."""
    os.umask(0o022)
    pairs = [(resource.RLIMIT_AS, lim.get("memory_bytes")), (resource.RLIMIT_FSIZE, lim.get("file_size_bytes")),
             (resource.RLIMIT_NPROC, lim.get("max_processes")), (resource.RLIMIT_NOFILE, lim.get("open_files"))]
    for which, value in pairs:
        if value:
            resource.setrlimit(which, (value, value))
    if lim.get("cpu_seconds"):
        resource.setrlimit(resource.RLIMIT_CPU, (lim["cpu_seconds"], lim["cpu_seconds"] + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def exit_code(status):
    """A wait status as the code this process exits with: N, or 128 + signal (as bwrap does)."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1


def namespace_init(req, pipes, run):
    """Pid 1 of the worker's new pid namespace; never returns. ``pipes``: the worker's request
    and response pipes, its fds 0 and 1 (a kernel has none: /dev/null); ``run()`` is the
    worker or kernel itself."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd, source in enumerate([*pipes, devnull, devnull, devnull][:3]):
        os.dup2(source, fd)  # fd 2: the fork server's log is not the worker's
    os.closerange(3, 1 << 16)  # the control socket, status and life pipes, anything else
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)  # this namespace's processes only
    drop_privileges(req["uid"], req["gid"])
    set_limits(req.get("limits") or {})
    pid = os.fork()
    if pid == 0:
        run()
    for fd in (0, 1):
        os.dup2(os.open(os.devnull, os.O_RDWR), fd)
    while True:  # reap orphans; leave (killing the namespace) with the worker
        try:
            done, status = os.wait()
        except ChildProcessError:
            os._exit(1)
        if done == pid:
            os._exit(exit_code(status))


def run_worker(worker):
    """The worker itself (pid 2): what ``worker.py`` does as a script, minus the imports."""
    try:
        worker.MAIN_PID = os.getpid()
        sys.argv = [os.path.join(HERE, "worker.py"), SUBMISSION, WORKER_LOG]
        sys.modules["__main__"] = worker  # as in a cold worker, where worker.py is the script
        worker._setup_fds(WORKER_LOG)
        reseed()
        worker.serve_submission(SUBMISSION)
    finally:
        os._exit(1)


def run_kernel(req):
    """The kernel itself (pid 2): ``python -m ipykernel_launcher -f CONNECTION_FILE`` as a cold
    kernel runs it, in the folder and environment a cold kernel gets."""
    code = 1
    try:
        os.chdir(SUBMISSION)
        os.environ.clear()
        os.environ.update(req["env"])
        reseed()
        sys.path[0] = SUBMISSION  # what `python -m` puts first (the launcher takes it out again)
        sys.argv = [req["module"], *req["argv"]]
        try:
            runpy.run_module(req["module"], run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        os._exit(code)


def reseed():
    """A fresh process's random seeds, not the fork server's (numpy's too, if imported)."""
    import random

    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()


def watch(req, fds, run):
    """The first child: build the sandbox, start its init, report its exit; never returns.
    ``fds``: a worker's request read end and response write end (not a kernel's), the status
    write end, the life read end, then the cgroup.procs files."""
    kernel = req.get("kind") == "kernel"
    pipes, (status_w, life_r, *cgroup_fds) = ((), fds) if kernel else (fds[:2], fds[2:])
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        try:
            build_sandbox(req, cgroup_fds)
        except SeedFailed as exc:
            os.write(status_w, f"error {exc}\n".encode())
            os._exit(seed.EXIT_SEED_FAILED)  # the submission did not fit
        except BaseException as exc:  # noqa: BLE001 - reported to the grader, which falls back
            os.write(status_w, f"error the warm sandbox could not be built: {exc}\n".encode())
            os._exit(1)
        if kernel:
            os.write(status_w, b"started\n")  # the sandbox is built: the kernel comes next
        pid = os.fork()
        if pid == 0:
            try:
                namespace_init(req, pipes, run)
            finally:
                os._exit(1)
        for fd in pipes:
            os.close(fd)
        pidfd = os.pidfd_open(pid)
        poller = select.poll()
        poller.register(life_r, select.POLLIN)  # POLLHUP: the grader closed it
        poller.register(pidfd, select.POLLIN)  # readable: the init exited
        killed = False
        while True:
            events = dict(poller.poll())
            if pidfd in events:
                break
            if life_r in events and not killed:
                os.kill(pid, signal.SIGKILL)  # the init: the kernel kills its whole namespace
                killed = True
        _, status = os.waitpid(pid, 0)
        code = exit_code(status)
        os.write(status_w, f"exit {code}\n".encode())
        code = 0
    finally:
        os._exit(code)


# ---------------------------------------------------------------------- the server
def serve(control, run):
    """Fork a watcher for each request; ``run(req)`` is what the worker (or kernel) runs."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the watchers are reaped by the kernel
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(control, 1 << 16, 32)
        except OSError:
            return 0
        if not msg:
            return 0  # the grader closed its end
        try:
            req = json.loads(msg)
            kernel = req.get("kind") == "kernel"
            ok = (int(req["uid"]) > 0 and int(req["gid"]) > 0 and len(fds) >= (2 if kernel else 4)
                  and kernel == (SOCKETS is not None)  # a worker from a kernels' server, or the reverse: no
                  and "/" not in req["token"] and req["token"] not in ("", ".", ".."))
        except (ValueError, KeyError, TypeError):
            ok = False
        if ok:
            pid = os.fork()
            if pid == 0:
                try:
                    control.close()
                    watch(req, fds, lambda: run(req))
                finally:
                    os._exit(1)
        for fd in fds:
            os.close(fd)


def preload_kernels(names):
    """Import what a kernel imports before it runs a cell (ipykernel), then ``names``; a module
    that fails to import is left to the notebook that imports it. Then ``gc.freeze()``."""
    import gc
    import importlib

    for name in ["ipykernel.kernelapp", *names]:
        try:
            importlib.import_module(name)
        except BaseException as exc:  # noqa: BLE001 - the zygote's log says why
            print(f"zygote: could not import {name}: {exc!r}", file=sys.stderr)
    gc.freeze()


def main(argv):
    global SOCKETS
    control = socket.socket(fileno=os.dup(0))
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    if argv[:1] == ["--kernels"]:
        SOCKETS, argv = argv[1], argv[2:]
        preload_kernels([n for n in (argv[0] if argv else "").split(",") if n])
        run = run_kernel
    else:
        worker = load("_autograder_worker", "worker.py")
        worker.preload([n for n in (argv[0] if argv else "").split(",") if n])  # then gc.freeze()s them
        run = lambda req: run_worker(worker)  # noqa: E731
    control.send(b"ready")
    return serve(control, run)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
