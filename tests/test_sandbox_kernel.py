"""The sandboxed notebook kernel (``nbgrader autograde`` runs submitted notebooks in it)
shares the launcher: as root it runs as the slot's unprivileged uid even without
bubblewrap, and unlike the hidden-suite workers it sees scikit-learn's digits."""
from __future__ import annotations

import asyncio
import importlib.util
import os
from pathlib import Path

import pytest
from traitlets.config import Config

from autograder.sandbox.slots import GRADE_SLOT_BASE, acquire_slot
from sandbox_helpers import IS_ROOT, bwrap_reason, run_in_kernel, worker_python

SLOT = 16
UID = 61000 + SLOT
PROBE = """
import os
status = dict(l.split(':', 1) for l in open('/proc/self/status') if ':' in l)
print('UID', os.getuid(), 'CAPEFF', status['CapEff'].strip(), 'NNP', status['NoNewPrivs'].strip())
print('DIGITS', os.path.exists({digits!r}))
try:
    open({victim!r}, 'w').write('overwritten')
    print('WROTE victim')
except OSError as e:
    print('DENIED', type(e).__name__)
"""


def digits_path() -> str:
    return str(Path(importlib.util.find_spec("sklearn").origin).parent / "datasets" / "data" / "digits.csv.gz")


def notebook_folder(base: Path) -> Path:
    folder = base / "nb"
    folder.mkdir()
    (folder / "Notebook.ipynb").write_text("{}")
    victim = base / "grader-owned.txt"
    victim.write_text("keep")
    os.chmod(victim, 0o644)
    return folder


@pytest.mark.skipif(not IS_ROOT, reason="the uid drop is for graders running as root")
def test_kernel_without_bwrap_runs_unprivileged(world_dir):
    python = worker_python()
    if python is None:
        pytest.skip("no Python the unprivileged worker uid can run")
    cfg = Config()
    cfg.Sandbox.use_bwrap = False
    cfg.Sandbox.python = python
    folder = notebook_folder(world_dir)
    victim = world_dir / "grader-owned.txt"
    out = asyncio.run(run_in_kernel(cfg, folder, PROBE.format(digits=digits_path(), victim=str(victim)), SLOT))
    assert f"UID {UID} CAPEFF 0000000000000000 NNP 1" in out, out
    assert "DENIED PermissionError" in out and victim.read_text() == "keep", out


def test_kernel_in_bwrap_sees_the_digits_and_runs_unprivileged(world_dir):
    reason = bwrap_reason()
    if reason:
        pytest.skip(reason)
    folder = notebook_folder(world_dir)
    victim = world_dir / "grader-owned.txt"
    code = PROBE.format(digits=digits_path(), victim=str(victim)) + "\nprint('CWD', sorted(os.listdir('.')))\n"
    with acquire_slot(GRADE_SLOT_BASE, 1, wait=120) as held:  # no slot configured: it takes a free one
        out = asyncio.run(run_in_kernel(Config(), folder, code, slot=None))
    assert "DIGITS True" in out, out  # notebooks load the digits: never hidden from the kernel
    assert "CWD ['Notebook.ipynb']" in out, out
    if IS_ROOT:
        uid = int(out.split("UID ")[1].split()[0])
        assert uid != 61000 + held and 61000 + GRADE_SLOT_BASE < uid < 61000 + GRADE_SLOT_BASE + 99, out
    assert victim.read_text() == "keep"


def test_execute_kills_the_kernel_once_the_last_cell_ran(world_dir):
    """SandboxedExecute stops the kernel at once (no graceful exit: it grades nothing), and
    nothing the notebook started outlives it; c.Execute.shutdown_kernel still chooses."""
    import time

    import nbformat
    import psutil
    from nbformat.v4 import new_code_cell, new_notebook

    from autograder.nbgrader_integration.sandboxed_execute import SandboxedExecute

    reason = bwrap_reason()
    if reason:
        pytest.skip(reason)
    cfg = Config()
    cfg.Execute.shutdown_kernel = "graceful"
    assert SandboxedExecute(config=cfg).shutdown_kernel == "graceful"
    folder = notebook_folder(world_dir)
    nb = new_notebook(cells=[new_code_cell(
        "import atexit, subprocess\n"
        "subprocess.Popen(['sleep', '987'], start_new_session=True)\n"
        "atexit.register(lambda: open('atexit-ran', 'w'))\n"
        "print('started')")])
    ex = SandboxedExecute()
    assert ex.shutdown_kernel == "immediate"
    nb, _ = ex.preprocess(nb, {"metadata": {"path": str(folder)}})
    assert "started" in nbformat.writes(nb)

    def sleepers():
        return [p.pid for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == ["sleep", "987"]]

    deadline = time.monotonic() + 10
    while sleepers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not sleepers()
    assert not (folder / "atexit-ran").exists()  # the kernel worked on a private copy anyway
