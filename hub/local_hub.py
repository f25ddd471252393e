"""A throwaway JupyterHub of ``hub/jupyterhub_config.py``, for the browser test and the load benchmark.

``LocalHub`` starts the course's hub as ``make hub`` does, but on free ports with every folder
temporary, and removes all it made when it stops: the hub and its proxy, the students'
processes, users, homes and memory cgroups, the folder modes it opened, the temporary folder.
It runs as root (the hub makes an operating-system user per student), with the hub extra
installed (``make hub-setup``) and configurable-http-proxy (``make hub-deps``)::

    with LocalHub(["bpcann", "bpcben"], [notebook], mnist=folder) as hub:
        hub.api("GET", "/users")          # the hub's REST API, with the hub's service token
        hub.course("release")             # hub/course.py on this hub's folders

One LocalHub runs on a machine at a time (users, folder modes and cgroups are the machine's): a
second one waits for the first to stop (a lock on ``LOCK``).

Used by ``tests/browser/test_hub.py``, ``tests/test_hub_culler.py`` and ``benchmarks/hub_load.py``;
not by ``make hub``.
"""

import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "hub" / "jupyterhub_config.py"
BIN = Path(sys.executable).parent
CGROUPS = Path("/sys/fs/cgroup/memory/bpcourse-hub")  # where the config's ClassSpawner puts each server
LOCK = Path(tempfile.gettempdir()) / "bpcourse-local-hub.lock"
START_TIMEOUT = 120  # s for the hub to answer on a loaded machine
REQUEST_TIMEOUT = 60  # s per REST request


def missing_requirements():
    """Why this machine cannot run a LocalHub, or None."""
    if os.geteuid() != 0:
        return "run it as root: the hub makes an operating-system user per student"
    if shutil.which("configurable-http-proxy") is None:
        return "configurable-http-proxy is missing (`make hub-deps` installs it)"
    if not all((BIN / name).exists() for name in ("jupyterhub", "jupyterhub-singleuser", "nbgrader")):
        return "the hub's packages are missing: pip install -e '.[hub]' (`make hub-setup`)"
    return None


def mnist_folder():
    """The one folder holding the four MNIST files, found as the course finds them (None if not found).

    ``hub/course.py release`` copies them where students can read them; a server's own HOME
    would not find the instructor's cache, so an explicit folder is passed on.
    """
    try:
        from bpcourse.core.data import find_mnist_files

        files = find_mnist_files(download_missing=False)
    except Exception:  # not found: the caller says how to provide it
        return None
    folders = {path.parent for path, _ in files.values()}
    return folders.pop() if len(folders) == 1 else None


def free_ports(count):
    """The first of ``count`` consecutive free ports on 127.0.0.1 (the hub, its proxy's API, the hub's own)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count > 65535:
            continue
        sockets = []
        try:
            for port in range(first, first + count):
                sockets.append(socket.socket())
                sockets[-1].bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no free ports")


def closed_folders(path):
    """Folders above ``path`` that other users cannot enter (as the hub's config checks)."""
    path = Path(path).resolve()
    return [folder for folder in reversed(path.parents) if not os.stat(folder).st_mode & 0o001]


def remove_user(name):
    """Remove the user with their home, and their memory cgroup (their processes killed first)."""
    subprocess.run(["userdel", "-r", name], capture_output=True)
    cgroup = CGROUPS / name
    if cgroup.is_dir():
        try:
            cgroup.rmdir()
        except OSError:  # a process of theirs is still leaving it
            pass


class LocalHub:
    """The course's hub for ``students`` on free ports, handing out ``notebooks``; a context manager.

    Attributes: ``url`` (http://127.0.0.1:PORT), ``token`` (the ``bpcourse-admin`` service's API
    token), ``password`` (the shared log-in password), ``env`` (the environment of the hub and of
    ``hub/course.py``), ``root`` (the temporary folder), ``hub_dir``, ``source`` (the instructor's
    notebooks handed out; edit them and call ``course("release")`` to update), ``log`` (the hub's).
    ``also_remove`` names users that are not on the class list but may have been made (a test's
    outsider). ``idle_timeout``: seconds after which the idle culler stops a server.
    ``keep_log``: copy the hub's log there when it stops.
    """

    def __init__(self, students, notebooks, *, mnist, memory="2G", server_args="", password=None,
                 idle_timeout=3600, also_remove=(), keep_log=None):
        self.students, self.notebooks, self.mnist = list(students), list(notebooks), mnist
        self.memory, self.server_args, self.idle_timeout = memory, server_args, idle_timeout
        self.password = password or secrets.token_urlsafe(12)
        self.also_remove, self.keep_log = tuple(also_remove), keep_log
        self.process, self.opened, self.root, self.url, self.lock = None, {}, None, None, None

    def __enter__(self):
        problem = missing_requirements()
        if problem:
            raise RuntimeError(problem)
        self.lock = open(LOCK, "a")
        fcntl.flock(self.lock, fcntl.LOCK_EX)  # wait for another LocalHub on this machine to stop
        self.root = Path(tempfile.mkdtemp(prefix="bpcourse-hub-"))
        self.hub_dir, self.source, self.log = self.root / "hub", self.root / "source", self.root / "jupyterhub.log"
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self):
        os.chmod(self.root, 0o755)  # students enter it to read the hand-out and the data
        self.source.mkdir()
        for notebook in self.notebooks:
            shutil.copy2(notebook, self.source / Path(notebook).name)
        roster = self.root / "students.txt"
        roster.write_text("\n".join(self.students) + "\n")
        port, self.token = free_ports(3), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{port}"
        self.env = dict(os.environ, BPCOURSE_HUB_DIR=str(self.hub_dir), BPCOURSE_EXCHANGE=str(self.root / "exchange"),
                        BPCOURSE_HUB_ROSTER=str(roster), BPCOURSE_HUB_PORT=str(port),
                        BPCOURSE_HUB_API_TOKEN=self.token, BPCOURSE_HUB_SERVER_ARGS=self.server_args,
                        BPCOURSE_HUB_MEMORY=self.memory, BPCOURSE_HUB_PASSWORD=self.password,
                        BPCOURSE_HUB_IDLE_TIMEOUT=str(self.idle_timeout),
                        BPCOURSE_HUB_MAX_SERVERS=str(max(len(self.students), 1)), BPCOURSE_DATA=str(self.mnist))
        # Students run this environment's Python: open (enter, not list) the folders on its way.
        self.opened = {folder: os.stat(folder).st_mode & 0o7777
                       for path in (sys.executable, Path(sys.base_prefix) / "lib", REPO)
                       for folder in closed_folders(path)}
        for folder, mode in self.opened.items():
            os.chmod(folder, mode | 0o001)
        released = self.course("release")
        if released.returncode != 0:
            raise RuntimeError(f"hub/course.py release failed:\n{released.stdout[-2000:]}{released.stderr[-2000:]}")
        with open(self.log, "wb") as handle:  # its own session, so that it and its children stop together
            self.process = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(CONFIG)], env=self.env, cwd=self.root,
                                            stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                self.api("GET", "/")
                return
            except (urllib.error.URLError, OSError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the hub did not start:\n" + self.log.read_text(errors="replace")[-3000:])
                time.sleep(0.5)

    def __exit__(self, *exc):
        # The students' processes and the hub's services (the idle culler, in a session of its own)
        # first: the hub then finds them gone and stops at once, instead of waiting on each one's
        # shutdown (a service is given 10 s for SIGINT, then 5 s for SIGTERM).
        for name in (*self.students, *self.also_remove):
            subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
        self._kill_services()
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        proxy_pid = self.hub_dir / "state" / "proxy.pid"  # the proxy writes its own
        if proxy_pid.exists():
            try:
                os.kill(int(proxy_pid.read_text()), signal.SIGKILL)
            except (ValueError, ProcessLookupError):
                pass
        self._kill_services()  # one the hub started while it stopped
        time.sleep(0.5)  # the killed processes leave their cgroups
        for name in (*self.students, *self.also_remove):
            remove_user(name)
        for folder, mode in self.opened.items():
            os.chmod(folder, mode)
        if self.keep_log is not None and self.log.exists():
            Path(self.keep_log).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(self.log, self.keep_log)
        shutil.rmtree(self.root, ignore_errors=True)
        if self.lock is not None:
            self.lock.close()  # releases the lock
            self.lock = None
        return False

    def _kill_services(self):
        for pid in self._services_left():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _services_left(self):
        """Pids of processes still talking to this hub's API (its managed services, such as the culler)."""
        if self.url is None:
            return []
        port = int(self.url.rsplit(":", 1)[1])
        apis = {f"JUPYTERHUB_API_URL=http://127.0.0.1:{p}/".encode() for p in range(port, port + 3)}
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:  # ended meanwhile, or not ours to read
                continue
            if any(entry.startswith(api) for entry in environ for api in apis):
                found.append(int(pid))
        return found

    def request(self, method, path, body=None, timeout=REQUEST_TIMEOUT):
        """``method`` on ``url + path`` with the token and a JSON body; the response, open (close it)."""
        data = None if body is None else json.dumps(body).encode()
        if method == "POST" and data is None:
            data = b""
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        return urllib.request.urlopen(request, timeout=timeout)

    def json(self, method, path, body=None):
        """The JSON answer of ``request`` (None for an empty one)."""
        with self.request(method, path, body) as response:
            text = response.read()
        return json.loads(text) if text else None

    def api(self, method, path, body=None):
        """The hub's REST API: ``api("GET", "/users/NAME")`` is ``GET /hub/api/users/NAME``."""
        return self.json(method, f"/hub/api{path}", body)

    def course(self, *args):
        """``hub/course.py ARGS --source SOURCE`` on this hub's folders: the finished process."""
        return subprocess.run([sys.executable, str(REPO / "hub" / "course.py"), *args, "--source", str(self.source)],
                              env=self.env, capture_output=True, text=True, timeout=900)
