"""End to end: a student works on the release in JupyterLab, in a real browser.

Starts ``jupyter lab`` from this virtualenv on a private copy of
``release/assignment2`` (config, data, runtime and home directories all in a
temporary directory, a random token, a free port on 127.0.0.1) and drives it in
headless Debian Chromium through Playwright's sync API:

1. open ``FullyConnectedNets.ipynb``, run the set-up cell, the affine_forward
   test cell and its graded cell: both show the stub's one-line
   "affine_forward is not implemented yet (cs231n/layers.py)", no traceback;
2. open ``cs231n/layers.py`` from the file browser, replace the stub line of
   ``affine_forward`` in the CodeMirror editor with an implementation, save
   with Ctrl+S (checked on disk);
3. re-run the two cells (``%autoreload 2`` picks the change up): the public
   check prints ``affine_forward: OK`` (and no ``True``: the graded cell calls
   ``check_part("affine_forward", strict=True)``, which returns None);
4. the nbgrader lab extensions (assignment list, validate) are installed,
   registered and activated, the notebook toolbar has nbgrader's Validate
   button, and the browser console shows no error mentioning nbgrader.

A screenshot of each state goes to a temporary directory (and, when
``AUTOGRADER_SCREENSHOTS`` names a directory, is copied there; the ones in
``docs/screenshots/`` were made that way).

Needs ``/usr/bin/chromium`` (``scripts/install-browser.sh``); skipped with the
reason otherwise. Playwright's own browser downloads are never used.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from autograder.paths import course_root

CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOK = "FullyConnectedNets.ipynb"
STUB_LINE = 'raise NotImplementedError("affine_forward is not implemented yet (cs231n/layers.py)")'
IMPLEMENTATION = "out = x.reshape(x.shape[0], -1).dot(w) + b"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
NBGRADER_PLUGINS = ("@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:validate-assignment")
TIMEOUT_MS = 60_000
PlaywrightTimeout = Exception  # playwright.sync_api.TimeoutError once imported

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="/usr/bin/chromium is missing (as root on Debian: scripts/install-browser.sh)"),
]


# --------------------------------------------------------------------------- fixtures


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _release_copy(dest: Path) -> Path:
    """A private copy of release/assignment2 (generated into a temporary course
    root when the committed release is not there yet)."""
    root = course_root()
    release = root / "release" / "assignment2"
    if not (release / NOTEBOOK).is_file() or not (release / "cs231n" / "layers.py").is_file():
        course = dest.parent / "course"
        course.mkdir()
        for name in ("solutions", "source"):
            shutil.copytree(root / name, course / name)
        shutil.copy(root / "nbgrader_config.py", course / "nbgrader_config.py")
        proc = subprocess.run([sys.executable, "-m", "autograder.cli", "release", "assignment2",
                               "--root", str(course)], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        release = course / "release" / "assignment2"
    shutil.copytree(release, dest, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return dest


class Lab:
    """A running JupyterLab server plus a browser page on it."""

    def __init__(self, url: str, token: str, root: Path, proc: subprocess.Popen, log: Path,
                 shots: Path, page, context, console: list):
        self.url, self.token, self.root, self.proc, self.log = url, token, root, proc, log
        self.shots, self.page, self.context, self.console = shots, page, context, console

    def api(self, path: str):
        req = urllib.request.Request(f"{self.url}{path}", headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def screenshot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path))
        extra = os.environ.get("AUTOGRADER_SCREENSHOTS")
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(extra) / path.name)
        return path


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    sync_api = pytest.importorskip("playwright.sync_api")
    global PlaywrightTimeout
    PlaywrightTimeout = sync_api.TimeoutError
    base = tmp_path_factory.mktemp("jupyterlab")
    root = _release_copy(base / "assignment2")
    for d in ("config", "data", "runtime", "home", "chromium-profile", "screenshots"):
        (base / d).mkdir()
    # No "get notified about Jupyter news?" toast over the screenshots.
    (base / "config" / "labconfig").mkdir()
    (base / "config" / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    env = dict(os.environ)
    env.update(JUPYTER_CONFIG_DIR=str(base / "config"), JUPYTER_DATA_DIR=str(base / "data"),
               JUPYTER_RUNTIME_DIR=str(base / "runtime"), HOME=str(base / "home"),
               IPYTHONDIR=str(base / "home" / ".ipython"), MPLCONFIGDIR=str(base / "home" / "mpl"),
               PYTHONDONTWRITEBYTECODE="1", JUPYTER_PLATFORM_DIRS="1")
    env.pop("PYTHONPATH", None)  # the kernel imports cs231n from the notebook's folder only
    # The venv's bin first: the kernelspec says "python", which jupyter_client maps to
    # sys.executable of the server, i.e. this virtualenv's interpreter.
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    token, port = secrets.token_hex(16), _free_port()
    log = base / "jupyter-lab.log"
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
           f"--ServerApp.token={token}", f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
           "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}",
           "--LabApp.expose_app_in_browser=True"]
    with open(log, "wb") as logf:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=logf, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, f"jupyter lab exited:\n{log.read_text()[-3000:]}"
            try:
                req = urllib.request.Request(f"{url}/api/status", headers={"Authorization": f"token {token}"})
                urllib.request.urlopen(req, timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline, f"jupyter lab did not start:\n{log.read_text()[-3000:]}"
                time.sleep(0.3)
        with sync_api.sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                str(base / "chromium-profile"), executable_path=str(CHROMIUM), headless=True,
                args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 900})
            console: list = []
            context.on("console", lambda m: console.append((m.type, m.text)))
            page = context.pages[0] if context.pages else context.new_page()
            page.on("pageerror", lambda e: console.append(("pageerror", str(e))))
            page.set_default_timeout(TIMEOUT_MS)
            try:
                yield Lab(url, token, root, proc, log, base / "screenshots", page, context, console)
            finally:
                context.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --------------------------------------------------------------------------- page helpers


def _open_lab(lab: Lab, path: str = "") -> None:
    page = lab.page
    target = f"{lab.url}/lab/tree/{path}?token={lab.token}" if path else f"{lab.url}/lab?token={lab.token}"
    page.goto(target, wait_until="domcontentloaded")
    page.wait_for_selector("#jp-main-dock-panel", state="visible")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined")


def _cell(page, text: str):
    """The notebook cell whose source holds ``text``."""
    return page.locator(".jp-Notebook .jp-Cell").filter(
        has=page.locator(".jp-InputArea-editor", has_text=text)).first


def _run_cell(page, cell) -> None:
    """Select ``cell`` in command mode, Shift+Enter, wait until it has executed."""
    prompt = cell.locator(".jp-InputArea-prompt").first
    before = prompt.inner_text().strip()
    handle = prompt.element_handle()
    changed = "([el, before]) => el.textContent.trim() !== before"
    for attempt in range(2):
        prompt.click()
        page.keyboard.press("Escape")
        page.keyboard.press("Shift+Enter")
        try:  # "[*]:" (queued/running) or already a new number
            page.wait_for_function(changed, arg=[handle, before], timeout=10_000)
            break
        except PlaywrightTimeout:
            if attempt:
                raise
    page.wait_for_function(
        """([el, before]) => { const t = el.textContent.trim();
                              return /^\\[\\d+\\]:$/.test(t) && t !== before; }""",
        arg=[handle, before], timeout=TIMEOUT_MS)


def _wait_output(cell, text: str) -> str:
    """Wait until the cell's output holds ``text`` (outputs may render after the
    prompt number), return the whole output text."""
    cell.locator(".jp-OutputArea-output", has_text=text).first.wait_for(timeout=TIMEOUT_MS)
    return _output_text(cell)


def _output_text(cell) -> str:
    return "\n".join(cell.locator(".jp-OutputArea-output").all_inner_texts())


def _kernel_argv0(lab: Lab) -> str | None:
    """argv[0] of the ipykernel process started by the server."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == lab.proc.pid and any(b"ipykernel_launcher" in a for a in argv):
            return argv[0].decode()
    return None


@contextlib.contextmanager
def _screenshot_on_failure(lab: Lab, name: str):
    """On failure, leave failure-<name>.png and point at the server log."""
    try:
        yield
    except BaseException:
        try:
            path = lab.screenshot(f"failure-{name}")
            print(f"failure screenshot: {path}\nserver log: {lab.log}")
        except Exception as exc:  # the browser may be gone
            print(f"no failure screenshot ({exc}); server log: {lab.log}")
        raise


# --------------------------------------------------------------------------- the tests


def test_student_fills_a_stub_in_jupyterlab(lab: Lab):
    with _screenshot_on_failure(lab, "student"):
        _student_fills_a_stub(lab)


def _student_fills_a_stub(lab: Lab):
    page = lab.page
    start = time.monotonic()
    _open_lab(lab, NOTEBOOK)
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell")
    # The kernel (python3 from this venv) is up once the status says Idle.
    page.locator("#jp-main-statusbar", has_text="| Idle").wait_for()

    setup = _cell(page, "setup_notebook()")
    test_cell = _cell(page, "# Test the affine_forward function")
    graded = _cell(page, 'check_part("affine_forward", strict=True)')
    _run_cell(page, setup)
    assert _kernel_argv0(lab) == sys.executable, "the kernel is not this virtualenv's python"
    _run_cell(page, test_cell)
    _run_cell(page, graded)

    # 1. not implemented yet: one line, no traceback
    for cell in (test_cell, graded):
        text = _wait_output(cell, "NotImplementedError: affine_forward is not implemented yet "
                                  "(cs231n/layers.py)")
        assert "Fill in the TODO in that file" in text, text
        assert "Traceback" not in text and "most recent call last" not in text and "----" not in text, text
        assert len([ln for ln in text.splitlines() if ln.strip()]) == 1, text
    graded.scroll_into_view_if_needed()
    lab.screenshot("1-not-implemented")

    # 2. open cs231n/layers.py from the file browser and replace the stub line
    listing = page.locator(".jp-DirListing-content")
    listing.get_by_text("cs231n", exact=True).dblclick()
    listing.get_by_text("layers.py", exact=True).dblclick()
    editor = page.locator(".jp-FileEditor .cm-content").first
    editor.wait_for()
    line = page.locator(".jp-FileEditor .cm-line", has_text=STUB_LINE).first
    line.scroll_into_view_if_needed()
    line.click()
    page.keyboard.press("End")
    page.keyboard.press("Home")            # start of the code, after the indentation
    page.keyboard.press("Shift+End")       # select the raise statement
    page.keyboard.insert_text(IMPLEMENTATION)
    new_line = page.locator(".jp-FileEditor .cm-line", has_text=IMPLEMENTATION).first
    new_line.wait_for()
    assert page.locator(".jp-FileEditor .cm-line", has_text=STUB_LINE).count() == 0
    page.keyboard.press("Control+s")
    layers = lab.root / "cs231n" / "layers.py"
    deadline = time.monotonic() + 30
    while STUB_LINE in layers.read_text() and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    source = layers.read_text()
    assert STUB_LINE not in source and f"    {IMPLEMENTATION}\n    cache = (x, w, b)" in source
    page.wait_for_selector(".lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-current:not(.jp-mod-dirty)")
    new_line.click()  # cursor on the new line for the screenshot
    lab.screenshot("2-editor")

    # 3. back to the notebook: autoreload picks the new code up
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=NOTEBOOK).first.click()
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
    _run_cell(page, test_cell)
    _run_cell(page, graded)
    text = _wait_output(test_cell, "difference:")
    err = float(re.search(r"difference:\s+(\S+)", text).group(1))
    assert err < 1e-9, text
    text = _wait_output(graded, "affine_forward:")
    assert re.search(r"affine_forward: OK \(relative error \S+, should be < \S+\)", text), text
    assert "NotImplementedError" not in text and "FAILED" not in text, text
    # check_part(..., strict=True) returns None on success: no "True" output, no error
    assert "True" not in text.split() and "PublicCheckFailed" not in text, text
    graded.scroll_into_view_if_needed()
    lab.screenshot("3-passing")
    assert time.monotonic() - start < 120


def test_nbgrader_extensions_load(lab: Lab):
    with _screenshot_on_failure(lab, "nbgrader"):
        _nbgrader_extensions_load(lab)


def _nbgrader_extensions_load(lab: Lab):
    page = lab.page
    if "/lab" not in page.url:
        _open_lab(lab, NOTEBOOK)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined")
    page.evaluate("() => window.jupyterapp.started")
    state = page.evaluate(
        """(ids) => ids.map(id => [id, window.jupyterapp.hasPlugin(id),
                                    window.jupyterapp.isPluginActivated(id)])""",
        list(NBGRADER_PLUGINS))
    for plugin, registered, activated in state:
        assert registered, f"{plugin} is not registered in JupyterLab"
        assert activated, f"{plugin} is registered but not activated"
    # nbgrader's Validate button sits in the notebook toolbar (validate-assignment plugin).
    if page.locator(".jp-NotebookPanel").count():
        toolbar = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-NotebookPanel-toolbar")
        assert toolbar.get_by_text("Validate", exact=True).count() >= 1
    # The labextension is installed as the server sees it.
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(lab.root.parent / "config"),
               JUPYTER_DATA_DIR=str(lab.root.parent / "data"), HOME=str(lab.root.parent / "home"))
    listing = subprocess.run([str(Path(sys.executable).parent / "jupyter-labextension"), "list"], env=env,
                             capture_output=True, text=True, timeout=120)
    out = re.sub(r"\x1b\[[0-9;]*m", "", listing.stdout + listing.stderr)
    assert re.search(r"@jupyter/nbgrader v\S+ enabled\s+OK", out), out
    errors = [text for kind, text in lab.console if kind in ("error", "pageerror")]
    for text in errors:  # shown with -s / on failure; only nbgrader's are this test's business
        print(f"browser console error: {text[:300]}")
    assert not [e for e in errors if "nbgrader" in e.lower()], errors
