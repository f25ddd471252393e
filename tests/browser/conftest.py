"""Fixtures for the browser tests: a JupyterLab server and headless Chromium.

The tests open every course notebook in a real JupyterLab, run all cells in
Debian's Chromium (driven by Playwright's Python package) and look at what
the page shows. Everything runs in temporary folders:

- the notebooks are *copies* (the repository's notebooks are never touched);
- HOME and Jupyter's config, data, runtime, settings and workspace folders
  point into the temporary folder, so nothing is written into the user's home;
- Chromium starts with a new empty profile and no background networking
  (the CI machine has no network).

When Chromium or Playwright is missing the tests are SKIPPED with the reason
(`make browser-deps` installs Chromium as root); when the environment variable
CI is "true" a missing browser is a FAILURE instead, so CI cannot pass without
running them.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from hub.local_hub import mnist_folder

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPO / "notebooks"
CHROMIUM = os.environ.get("BPCOURSE_CHROMIUM", "/usr/bin/chromium")
SERVER_START_TIMEOUT = 90  # seconds for JupyterLab to answer /api/status
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
]

# JupyterLab user settings written into the temporary JUPYTERLAB_SETTINGS_DIR.
LAB_SETTINGS = {
    # no news feed, no update check, no "would you like news?" toast
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    # keep every cell in the DOM, so that errors and widgets far down the
    # notebook are visible to the checks (the default virtualises cells)
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
        # execution timestamps in the cell metadata: the tests report slow cells
        "recordTiming": True,
    },
    # the copies are throwaway: no autosave traffic while cells run
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {
        "autosave": False,
    },
}

# Per-notebook run times, printed at the end of the pytest run.
_TIMINGS = []


def pytest_terminal_summary(terminalreporter):
    """Print how long each notebook took in JupyterLab."""
    if not _TIMINGS:
        return
    terminalreporter.section("browser tests: seconds per notebook")
    for name, seconds, detail in _TIMINGS:
        terminalreporter.write_line(f"{seconds:7.1f}  {name}  {detail}")
    total = sum(seconds for _, seconds, _ in _TIMINGS)
    terminalreporter.write_line(f"{total:7.1f}  total (open, run, checks, screenshots)")


@pytest.fixture(scope="session")
def browser_timings():
    """A list the tests append ``(notebook name, seconds, detail)`` to; printed at the end."""
    return _TIMINGS


def _skip_or_fail(reason):
    """Skip the browser tests, or fail them when CI is "true"."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run under CI=true: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def chromium_executable():
    """Path of Debian's Chromium; skip (or fail under CI=true) when it is missing."""
    problems = []
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        problems.append(
            f"{CHROMIUM} is missing (run `make browser-deps` as root, "
            "or `apt-get install chromium`)"
        )
    try:
        import playwright.sync_api  # noqa: F401  (only checking that it is installed)
    except ImportError as error:
        problems.append(f"the playwright Python package is missing ({error}); "
                        "install the test extras: pip install -e '.[test]'")
    if problems:
        _skip_or_fail("; ".join(problems))
    return CHROMIUM


def _free_port():
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_lab_settings(settings_dir):
    for relative, values in LAB_SETTINGS.items():
        path = settings_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2))


class LabServer:
    """A running JupyterLab: ``url`` (no trailing slash), ``token``, ``root`` (its folder)."""

    def __init__(self, process, url, token, root, log_path):
        self.process = process
        self.url = url
        self.token = token
        self.root = root
        self.log_path = log_path

    def api(self, method, path, timeout=10):
        """Call the server's REST API; return the decoded JSON (or None)."""
        request = urllib.request.Request(
            f"{self.url}{path}", method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self):
        """Shut down every kernel of this server (frees memory between notebooks)."""
        for kernel in self.api("GET", "/api/kernels") or []:
            try:
                self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)
            except (urllib.error.URLError, OSError):
                pass

    def log_tail(self, lines=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _stop_process_group(process):
    """Stop the server's process group: SIGTERM, then SIGKILL after 15 s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=15)


@pytest.fixture(scope="session")
def lab_server(chromium_executable, tmp_path_factory):
    """Start JupyterLab on a free loopback port with a token, on copies of the notebooks.

    The server runs in its own process group and is stopped by its process id
    at the end of the session, also when a test fails.
    """
    base = tmp_path_factory.mktemp("jupyterlab")
    home = base / "home"
    root = base / "notebooks"
    if NOTEBOOK_DIR.is_dir():
        shutil.copytree(NOTEBOOK_DIR, root,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    else:
        root.mkdir()
    folders = {
        "HOME": home,
        "JUPYTER_CONFIG_DIR": home / "jupyter-config",
        "JUPYTER_DATA_DIR": home / "jupyter-data",
        "JUPYTER_RUNTIME_DIR": home / "jupyter-runtime",
        "JUPYTERLAB_SETTINGS_DIR": home / "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": home / "lab-workspaces",
        "IPYTHONDIR": home / "ipython",
        "MPLCONFIGDIR": home / "matplotlib",
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    _write_lab_settings(folders["JUPYTERLAB_SETTINGS_DIR"])

    env = dict(os.environ)
    env.update({name: str(folder) for name, folder in folders.items()})
    # The Makefile exports MPLBACKEND=Agg for scripts; in a kernel it would stop
    # plots from showing, so the notebooks get their inline backend.
    env.pop("MPLBACKEND", None)
    env["PYTHONUNBUFFERED"] = "1"
    # BPCOURSE_DATA (the MNIST folder) passes through with the rest of os.environ.
    if not env.get("BPCOURSE_DATA"):
        mnist = mnist_folder()
        if mnist is not None:
            env["BPCOURSE_DATA"] = str(mnist)

    token = os.urandom(16).hex()
    port = _free_port()
    log_path = base / "jupyterlab.log"
    command = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser",
        "--allow-root",  # CI runs as root
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        # lets the tests call JupyterLab's own commands (run all cells) and
        # read the notebook model through window.jupyterapp
        "--LabApp.expose_app_in_browser=True",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    server = LabServer(process, f"http://127.0.0.1:{port}", token, root, log_path)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {process.returncode} while starting:\n"
                            f"{server.log_tail()}", pytrace=False)
            try:
                server.api("GET", "/api/status", timeout=2)
                break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer on {server.url} within "
                                f"{SERVER_START_TIMEOUT} s:\n{server.log_tail()}", pytrace=False)
                time.sleep(0.25)
        yield server
    finally:
        try:
            if process.poll() is None:
                server.shutdown_kernels()
        except (urllib.error.URLError, OSError):
            pass
        _stop_process_group(process)


@pytest.fixture(scope="session")
def playwright_driver(chromium_executable):
    """Playwright's driver, one per test process (its sync API allows only one at a time)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def chromium_context(playwright_driver, chromium_executable, tmp_path_factory):
    """A headless Chromium (Debian's, driven by Playwright) with a new empty profile."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    context = playwright_driver.chromium.launch_persistent_context(
        str(profile),
        executable_path=chromium_executable,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(30_000)
    try:
        yield context
    finally:
        context.close()
