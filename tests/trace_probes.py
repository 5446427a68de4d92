"""What one sandboxed student could leave behind for the next, and look for: the code the
warm-worker and warm-kernel tests run in two students' processes (each prints one JSON
line)."""

# Student A leaves what it can behind: a file in every folder it may write to, a FIFO, a
# background process and a daemon, an abstract unix socket, System V shared memory, an
# environment variable, changed modules.
LEAVE_TRACES = r'''
import ctypes, json, os, socket, subprocess, sys, numpy
written = []
for top, dirs, files in os.walk("/"):
    if top.startswith(("/proc", "/sys")):
        dirs[:] = []
        continue
    try:
        with open(os.path.join(top, "amark-file"), "w") as fh:
            fh.write("A")
        written.append(top)
    except OSError:
        pass
os.mkfifo("/tmp/amark-fifo")
os.environ["AMARK"] = "1"
numpy.AMARK = json.AMARK = 1
sys.modules["amark_module"] = json
keep = socket.socket(socket.AF_UNIX)
keep.bind("\0amark-socket")
keep.listen()
subprocess.Popen(["sleep", "300"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sleep", ["sleep", "301"])
    os._exit(0)
libc = ctypes.CDLL(None, use_errno=True)
shm = libc.shmget(0xA11CE, 4096, 0o1666)  # IPC_CREAT | 0666
print(json.dumps({"written": written, "shm": shm, "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())}))
'''

# Student B looks for them.
LOOK_FOR_TRACES = r'''
import ctypes, json, os, socket, sys, numpy
found = []
for top, dirs, files in os.walk("/"):
    if top.startswith(("/proc", "/sys")):
        dirs[:] = []
        continue
    found += [os.path.join(top, f) for f in files + dirs if f.startswith("amark")]
cmdlines = []
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            with open(f"/proc/{p}/cmdline", "rb") as fh:
                cmdlines.append(fh.read().replace(b"\0", b" ").decode())
        except OSError:
            pass
try:
    s = socket.socket(socket.AF_UNIX)
    s.connect("\0amark-socket")
    socket_reachable = True
except OSError:
    socket_reachable = False
libc = ctypes.CDLL(None, use_errno=True)
print(json.dumps({
    "found": found, "cmdlines": cmdlines, "socket": socket_reachable,
    "shm": libc.shmget(0xA11CE, 0, 0), "env": os.environ.get("AMARK"),
    "modules": [hasattr(numpy, "AMARK"), hasattr(json, "AMARK"), "amark_module" in sys.modules],
}))
'''

# What a student could learn or reach of the fork server.
LOOK_AT_THE_FORK_SERVER = r'''
import json, os, signal
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
fds = {}
for fd in os.listdir("/proc/self/fd"):
    try:
        fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        pass
try:
    os.kill(1, signal.SIGKILL)  # the namespace's init: ignored from inside
    killed_init = "sent"
except OSError as exc:
    killed_init = type(exc).__name__
print(json.dumps({
    "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
    "uid": os.getuid(), "cap_eff": status["CapEff"].strip(), "cap_bnd": status["CapBnd"].strip(),
    "no_new_privs": status["NoNewPrivs"].strip(), "fds": fds, "killed_init": killed_init,
    "inbox": os.listdir("/opt/autograder-worker/inbox"), "hostname": os.uname().nodename,
}))
'''
