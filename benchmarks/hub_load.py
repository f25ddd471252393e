"""Load on the course's JupyterHub: N students at once log in, start their servers, get the hand-out, run a notebook.

Usage: ``.venv/bin/python benchmarks/hub_load.py [--students 10] [--notebook 01] [--memory 2G] [--json PATH]``,
as root (the hub makes an operating-system user per student), with configurable-http-proxy installed.

What it does:

1. Starts the hub of ``hub/jupyterhub_config.py`` on free ports with every folder temporary, as
   ``tests/browser/test_hub.py`` does: a class list of N students (``bpcload<hex>NN``), a random shared
   password, the chosen notebook handed out with ``hub/course.py release``, an API token for this
   script (``BPCOURSE_HUB_API_TOKEN``) and ``--memory`` per student server.
2. One thread per student, all released at the same moment:
   - **first log-in**: the hub's log-in form, fetched for its XSRF token and posted with the name and
     password, as a browser does (its redirect is not followed); the hub makes the student's
     operating-system user with its home here;
   then, through the hub's REST API and the student server's, authenticated with the token:
   - **time to a ready server**: from ``POST /hub/api/users/NAME/server`` until ``GET /hub/api/users/NAME``
     says the server is ready (polled every 0.25 s);
   - **hand-out**: nbgitpuller's ``git-pull/api`` event stream (the clone of the hand-out into ``~/bpcourse``)
     until its ``finished`` event; then the handed-out notebook is read back from the contents API;
   - **notebook run**: the student versions' exercise cells raise ``NotImplementedError`` by design, so
     the benchmark uploads the *instructor's* notebook (solutions included, so that every cell can finish)
     to ``~/bench/`` with the contents API, reads it back, starts a ``python3`` kernel (``POST api/kernels``)
     and runs every code cell in order over the kernel's websocket (``execute_request`` on the shell
     channel, waiting for its ``execute_reply``). A reply with status ``error`` or a cell that takes longer
     than ``CELL_TIMEOUT`` ends that student's run: it did not finish. The run time is the wall time of
     all the cells; the kernel's start (from the POST to its ``kernel_info_reply``) is timed apart.
3. Memory per student server, server and kernels together, sampled every 0.5 s until every run ends:
   - the peak of the student's memory cgroup (``memory.max_usage_in_bytes`` of
     ``/sys/fs/cgroup/memory/bpcourse-hub/NAME``, what the hub's limit counts; in cgroup v1 it includes
     the page cache the student's processes brought in first, and not pages already cached by others);
   - the peak of the sum of VmRSS over the student's processes (every process with their uid), which
     counts shared libraries once per process. Without a cgroup only this one is reported.
4. Tears everything down, also on Ctrl-C or SIGTERM: the hub, its proxy, the students' processes,
   users, homes and cgroups, the opened folders' modes, the temporary folder.

It is a benchmark, not a test: nothing in ``tests/`` runs it. The machine's other work shows in the
times; the first line of the output records the load, and the report the load at the end.
"""

import argparse
import asyncio
import http.cookiejar
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CONFIG = ROOT / "hub" / "jupyterhub_config.py"
CGROUPS = Path("/sys/fs/cgroup/memory/bpcourse-hub")  # where the hub's ClassSpawner puts each server
HUB_START_TIMEOUT = 120  # s: the hub makes N operating-system users before it answers
SPAWN_TIMEOUT = 300  # s: the config gives a server 120 s to start and 120 s to answer
HANDOUT_TIMEOUT = 300  # s
CELL_TIMEOUT = 300  # s per cell
REQUEST_TIMEOUT = 60  # s per REST request on a loaded machine
SAMPLE_EVERY = 0.5  # s
MIB = 1 << 20


# --- the machine -------------------------------------------------------------------------------------------

def hub_machine_line():
    """The machine line of every benchmark here, with JupyterHub's version."""
    import jupyterhub
    import numpy as np

    from machine import machine_line

    return f"{machine_line(np)}; JupyterHub {jupyterhub.__version__}"


def missing_requirements():
    """Why this machine cannot run the benchmark, or None."""
    if os.geteuid() != 0:
        return "run it as root: the hub makes an operating-system user per student"
    if shutil.which("configurable-http-proxy") is None:
        return "configurable-http-proxy is missing (`make hub-deps` installs it)"
    if not (BIN / "jupyterhub").exists() or not (BIN / "jupyterhub-singleuser").exists():
        return "the hub's packages are missing: pip install -e '.[hub]' (`make hub-setup`)"
    return None


def mnist_folder():
    """The one folder holding the four MNIST files (``hub/course.py release`` copies them), or None."""
    from bpcourse.core.data import find_mnist_files

    try:
        files = find_mnist_files(download_missing=False)
    except Exception:  # not found: the caller says how to provide it
        return None
    folders = {path.parent for path, _ in files.values()}
    return folders.pop() if len(folders) == 1 else None


# --- the hub -----------------------------------------------------------------------------------------------

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


def open_python_path():
    """Let the students enter (not list) the folders on the way to this Python and the course; the old modes."""
    opened = {folder: os.stat(folder).st_mode & 0o7777
              for path in (sys.executable, Path(sys.base_prefix) / "lib", ROOT) for folder in closed_folders(path)}
    for folder, mode in opened.items():
        os.chmod(folder, mode | 0o001)
    return opened


def hub_environment(root, students, memory, mnist):
    """The environment of ``course.py`` and the hub, and the hub's URL and API token."""
    roster = root / "students.txt"
    roster.write_text("\n".join(students) + "\n")
    port, token = free_ports(3), secrets.token_hex(16)
    env = dict(os.environ, BPCOURSE_HUB_DIR=str(root / "hub"), BPCOURSE_EXCHANGE=str(root / "exchange"),
               BPCOURSE_HUB_ROSTER=str(roster), BPCOURSE_HUB_PORT=str(port), BPCOURSE_HUB_API_TOKEN=token,
               BPCOURSE_HUB_SERVER_ARGS="", BPCOURSE_HUB_MEMORY=memory,
               BPCOURSE_HUB_MAX_SERVERS=str(len(students)), BPCOURSE_DATA=str(mnist),
               BPCOURSE_HUB_PASSWORD=secrets.token_urlsafe(12))
    return env, f"http://127.0.0.1:{port}", token


def release(root, notebook, env):
    """Hand out the student version of ``notebook`` alone (``hub/course.py release``)."""
    source = root / "source"
    source.mkdir()
    shutil.copy2(notebook, source / notebook.name)
    done = subprocess.run([sys.executable, str(ROOT / "hub" / "course.py"), "release", "--source", str(source)],
                          env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"hub/course.py release failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def start_hub(root, env, log):
    """Start the hub (its own session, so that it and its children stop together)."""
    with open(log, "wb") as handle:
        return subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(CONFIG)], env=env, cwd=root,
                                stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for_hub(client, process, log):
    deadline = time.monotonic() + HUB_START_TIMEOUT
    while True:
        try:
            client.hub_api("GET", "/")
            return
        except (urllib.error.URLError, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the hub did not start:\n" + log.read_text(errors="replace")[-3000:])
            time.sleep(0.5)


def stop_hub(process, root):
    """Stop the hub's session and its proxy (which writes its own pid file)."""
    if process is not None and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    proxy_pid = root / "hub" / "state" / "proxy.pid"
    if proxy_pid.exists():
        try:
            os.kill(int(proxy_pid.read_text()), signal.SIGKILL)
        except (ValueError, ProcessLookupError):
            pass


def remove_user(name):
    """Kill the student's processes, remove the user with their home, and their memory cgroup."""
    subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
    time.sleep(0.5)
    subprocess.run(["userdel", "-r", name], capture_output=True)
    cgroup = CGROUPS / name
    if cgroup.is_dir():
        try:
            cgroup.rmdir()
        except OSError:
            pass


# --- one student, through the REST APIs --------------------------------------------------------------------

class Client:
    """Requests to the hub's API and to a student's server through the proxy, with the service's token."""

    def __init__(self, url, token):
        self.url, self.token = url, token

    def request(self, method, path, body=None, timeout=REQUEST_TIMEOUT):
        """``method`` on ``url + path`` with a JSON body; the response, open (the caller closes it)."""
        data = None if body is None else json.dumps(body).encode()
        if method == "POST" and data is None:
            data = b""
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        return urllib.request.urlopen(request, timeout=timeout)

    def json(self, method, path, body=None):
        with self.request(method, path, body) as response:
            text = response.read()
        return json.loads(text) if text else None

    def hub_api(self, method, path, body=None):
        return self.json(method, f"/hub/api{path}", body)

    def server_api(self, name, method, path, body=None):
        return self.json(method, f"/user/{quote(name)}/api{path}", body)


class RunFailed(Exception):
    """One student's run did not finish: ``stage`` and the reason."""

    def __init__(self, stage, reason):
        super().__init__(f"{stage}: {reason}")
        self.stage, self.reason = stage, reason


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    """Do not follow the log-in's redirect: it would start the server the way a browser does."""

    def redirect_request(self, *args, **kwargs):
        return None


def log_in(client, name, password):
    """The student's first log-in through the hub's log-in form; the hub creates their user then.

    The form is fetched for its XSRF token (the hub refuses a form without one), then posted with the
    name and the shared password; the hub answers a good log-in with a redirect (302), a refused one
    with the form again (403).
    """
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                         _KeepRedirects())
    with opener.open(f"{client.url}/hub/login", timeout=REQUEST_TIMEOUT) as page:
        form = page.read().decode("utf-8", errors="replace")
    match = re.search(r'name="_xsrf" value="([^"]+)"', form)
    if match is None:
        raise RunFailed("log-in", "the log-in form has no _xsrf field")
    data = urlencode({"username": name, "password": password, "_xsrf": match.group(1)}).encode()
    try:
        with opener.open(f"{client.url}/hub/login", data=data, timeout=REQUEST_TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
        if status == 302:
            return
    raise RunFailed("log-in", f"the hub answered the log-in with HTTP {status}, not a redirect")


def spawn(client, name):
    """Ask for the student's server, retrying while the hub says too many are starting (HTTP 429)."""
    while True:
        try:
            client.hub_api("POST", f"/users/{quote(name)}/server")
            return
        except urllib.error.HTTPError as error:
            if error.code != 429:
                raise RunFailed("spawn", f"POST server: HTTP {error.code} {error.read()[:300]!r}") from error
            time.sleep(float(error.headers.get("Retry-After") or 1))


def wait_until_ready(client, name, stop):
    """Poll the user's model until their default server is ready."""
    deadline = time.monotonic() + SPAWN_TIMEOUT
    while time.monotonic() < deadline and not stop.is_set():
        server = client.hub_api("GET", f"/users/{quote(name)}")["servers"].get("")
        if server is None:
            raise RunFailed("spawn", "the hub dropped the server while it started (see its log)")
        if server["ready"]:
            return
        time.sleep(0.25)
    raise RunFailed("spawn", f"not ready after {SPAWN_TIMEOUT} s" if not stop.is_set() else "stopped")


def hand_out(client, name, handout_repo, notebook_name):
    """nbgitpuller's clone of the hand-out into ``~/bpcourse``, read to its end; then the notebook is there."""
    query = urlencode({"repo": f"file://{handout_repo}", "branch": "main", "targetpath": "bpcourse"})
    last = None
    with client.request("GET", f"/user/{quote(name)}/git-pull/api?{query}", timeout=HANDOUT_TIMEOUT) as stream:
        for line in stream:
            if line.startswith(b"data:"):
                last = json.loads(line[5:])
                if last.get("phase") in ("finished", "error"):
                    break
    if last is None or last.get("phase") != "finished":
        raise RunFailed("hand-out", (last or {}).get("message", "the event stream ended without 'finished'"))
    model = client.server_api(name, "GET", f"/contents/bpcourse/{quote(notebook_name)}")
    if model["type"] != "notebook":
        raise RunFailed("hand-out", f"~/bpcourse/{notebook_name} is a {model['type']}, not a notebook")


def upload(client, name, notebook):
    """Put the instructor's notebook in ``~/bench/`` and read it back: its code cells' sources."""
    path = f"/contents/bench/{quote(notebook.name)}"
    client.server_api(name, "PUT", "/contents/bench", {"type": "directory"})
    content = json.loads(notebook.read_text(encoding="utf-8"))
    client.server_api(name, "PUT", path, {"type": "notebook", "format": "json", "content": content})
    cells = client.server_api(name, "GET", path)["content"]["cells"]
    return ["".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            for cell in cells if cell["cell_type"] == "code"]


def shell_request(msg_type, content, session):
    """A Jupyter message for the shell channel (protocol 5.3), and its message id."""
    msg_id = uuid.uuid4().hex
    header = {"msg_id": msg_id, "session": session, "username": "bench", "msg_type": msg_type,
              "date": datetime.now(timezone.utc).isoformat(), "version": "5.3"}
    return msg_id, {"header": header, "parent_header": {}, "metadata": {}, "content": content,
                    "channel": "shell", "buffers": []}


def execute_request(code, session):
    content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
               "allow_stdin": False, "stop_on_error": True}
    return shell_request("execute_request", content, session)


async def shell_reply(connection, msg_id, stage):
    """The content of the shell channel's reply to ``msg_id``; RunFailed at ``stage`` if the kernel dies.

    Other messages are passed over, but for the server's notice that the kernel is restarting or dead
    (killed at the memory limit, say), after which no reply comes.
    """
    while True:
        text = await connection.read_message()
        if text is None:
            raise RunFailed(stage, "the kernel's websocket closed")
        if isinstance(text, bytes):
            continue
        message = json.loads(text)
        if message.get("channel") == "shell" and message["parent_header"].get("msg_id") == msg_id:
            return message["content"]
        if (message["header"]["msg_type"] == "status"
                and message["content"].get("execution_state") in ("restarting", "dead")):
            raise RunFailed(stage, f"the kernel died (the server reports it {message['content']['execution_state']})")


async def kernel_session(ws_url, token, sources):
    """Over the kernel's websocket: wait for its ``kernel_info_reply``, then run ``sources`` in order.

    Returns the ``time.perf_counter()`` of the kernel's first reply and of the last cell's reply; raises
    RunFailed at the first cell that replies with an error or does not reply within CELL_TIMEOUT.
    """
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    stage = "kernel"
    connection = await websocket_connect(HTTPRequest(ws_url, headers={"Authorization": f"token {token}"}))
    session = uuid.uuid4().hex
    try:
        msg_id, message = shell_request("kernel_info_request", {}, session)
        await connection.write_message(json.dumps(message))
        await asyncio.wait_for(shell_reply(connection, msg_id, stage), CELL_TIMEOUT)
        ready = time.perf_counter()
        for number, code in enumerate(sources, 1):
            stage = f"code cell {number}"
            msg_id, message = execute_request(code, session)
            await connection.write_message(json.dumps(message))
            reply = await asyncio.wait_for(shell_reply(connection, msg_id, stage), CELL_TIMEOUT)
            if reply["status"] != "ok":
                raise RunFailed(stage, f"{reply.get('ename')}: {reply.get('evalue')}")
        return ready, time.perf_counter()
    except asyncio.TimeoutError as error:
        raise RunFailed(stage, f"no reply within {CELL_TIMEOUT} s") from error
    finally:
        connection.close()


def run_notebook(client, name, sources, result):
    """Start a kernel in ``~/bench`` and run the cells.

    The kernel's start lasts from ``POST api/kernels`` (which answers before the kernel is up) to its first
    reply; the run, from then to the last cell's reply.
    """
    start = time.perf_counter()
    kernel = client.server_api(name, "POST", "/kernels", {"name": "python3", "path": "bench"})
    ws_url = f"{client.url.replace('http', 'ws', 1)}/user/{quote(name)}/api/kernels/{kernel['id']}/channels"
    ready, end = asyncio.run(kernel_session(ws_url, client.token, sources))
    result["kernel_start_s"], result["run_s"] = ready - start, end - ready


def student_run(client, name, password, handout_repo, instructor_notebook, barrier, stop):
    """One student from log-in to the notebook's last cell: a dict of the times, and the failure if any."""
    result, stage = {"student": name}, "start"
    try:
        barrier.wait()
        stage, start = "log-in", time.perf_counter()
        log_in(client, name, password)
        result["login_s"] = time.perf_counter() - start
        if uid_of(name) is None:
            raise RunFailed("log-in", f"the hub let {name} in without making their operating-system user")
        stage, start = "spawn", time.perf_counter()
        spawn(client, name)
        wait_until_ready(client, name, stop)
        result["ready_s"] = time.perf_counter() - start
        stage, start = "hand-out", time.perf_counter()
        hand_out(client, name, handout_repo, instructor_notebook.name)
        result["handout_s"] = time.perf_counter() - start
        stage = "upload"
        sources = upload(client, name, instructor_notebook)
        result["cells"] = len(sources)
        stage = "notebook"
        run_notebook(client, name, sources, result)
        result["finished"] = True
    except RunFailed as failure:
        result.update(finished=False, stage=failure.stage, reason=failure.reason)
    except Exception as error:  # a request that failed, or Ctrl-C's broken barrier: the others go on
        result.update(finished=False, stage=stage, reason=f"{type(error).__name__}: {error}")
    return result


# --- memory ------------------------------------------------------------------------------------------------

def cgroup_peak(name):
    """Bytes: the peak of the student's memory cgroup so far, or None without one."""
    try:
        return int((CGROUPS / name / "memory.max_usage_in_bytes").read_text())
    except (OSError, ValueError):
        return None


def rss_by_uid(uids):
    """``{uid: bytes}``: the sum of VmRSS over each uid's processes."""
    totals = dict.fromkeys(uids, 0)
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/status") as file:
                fields = dict(line.split(":", 1) for line in file if line.startswith(("Uid:", "VmRSS:")))
        except OSError:  # the process ended meanwhile
            continue
        uid = int(fields["Uid"].split()[0]) if "Uid" in fields else None
        if uid in totals and "VmRSS" in fields:  # kernel threads have none
            totals[uid] += int(fields["VmRSS"].split()[0]) * 1024
    return totals


def uid_of(name):
    """The student's uid, or None before the hub has made their user (at their first log-in)."""
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


def sample_memory(students, stop, peaks):
    """Every SAMPLE_EVERY s until ``stop``: ``peaks[name] = {"cgroup": bytes or None, "rss": bytes}``.

    A student's user appears at their first log-in; until then there is nothing of theirs to count.
    """
    uids = {}
    for name in students:
        peaks[name] = {"cgroup": None, "rss": 0}
    while True:
        uids.update((uid, name) for name in students if name not in uids.values() and (uid := uid_of(name)) is not None)
        for uid, rss in rss_by_uid(uids).items():
            peak = peaks[uids[uid]]
            peak["rss"] = max(peak["rss"], rss)
            peak["cgroup"] = cgroup_peak(uids[uid])
        if stop.wait(SAMPLE_EVERY):
            return


# --- the run and the report --------------------------------------------------------------------------------

def run_class(client, students, password, handout_repo, instructor_notebook):
    """Every student's run at the same moment, memory sampled meanwhile: the results and the memory peaks."""
    stop, peaks = threading.Event(), {}
    sampler = threading.Thread(target=sample_memory, args=(students, stop, peaks), daemon=True)
    sampler.start()
    barrier = threading.Barrier(len(students))
    pool = ThreadPoolExecutor(max_workers=len(students))
    try:
        futures = [pool.submit(student_run, client, name, password, handout_repo, instructor_notebook, barrier, stop)
                   for name in students]
        wait(futures)
        return [future.result() for future in futures], peaks
    finally:
        stop.set()
        barrier.abort()  # after Ctrl-C, a student still waiting to start does not
        sampler.join(timeout=5)
        pool.shutdown(wait=False, cancel_futures=True)


def spread(values):
    """``{"median": ..., "max": ..., "n": ...}`` of the values, or None when there are none."""
    values = [v for v in values if v is not None]
    return {"median": statistics.median(values), "max": max(values), "n": len(values)} if values else None


def figure_line(label, stats, unit, scale=1.0):
    if stats is None:
        return f"{label}: none measured"
    return (f"{label}: median {stats['median'] / scale:.1f} {unit}, max {stats['max'] / scale:.1f} {unit}"
            f" (of {stats['n']})")


def report(args, machine, notebook, results, peaks, log):
    """Print the figures, write the JSON; the exit code (1 if a run did not finish)."""
    n = len(results)
    figures = {
        "machine": machine, "students": n, "notebook": notebook.name, "memory_limit": args.memory,
        "login_s": spread(r.get("login_s") for r in results),
        "ready_s": spread(r.get("ready_s") for r in results),
        "handout_s": spread(r.get("handout_s") for r in results),
        "kernel_start_s": spread(r.get("kernel_start_s") for r in results),
        "run_s": spread(r.get("run_s") for r in results),
        "memory_cgroup_peak_bytes": spread(peaks[r["student"]]["cgroup"] for r in results),
        "memory_rss_peak_bytes": spread(peaks[r["student"]]["rss"] for r in results),
        "finished": sum(r["finished"] for r in results),
        "load_after": os.getloadavg()[0],
        "per_student": [r | {"memory_cgroup_peak_bytes": peaks[r["student"]]["cgroup"],
                             "memory_rss_peak_bytes": peaks[r["student"]]["rss"]} for r in results],
    }
    print(f"\n{n} students at once, notebook {notebook.name} (the instructor's, solutions included, so that every "
          f"cell can finish), memory limit {args.memory} per student server")
    print(figure_line("first log-in (the form posted; the hub creates the user)", figures["login_s"], "s"))
    print(figure_line("time to a ready server (POST server to ready)", figures["ready_s"], "s"))
    print(figure_line("hand-out (nbgitpuller clone into ~/bpcourse)", figures["handout_s"], "s"))
    print(figure_line("kernel start (POST to its first reply)", figures["kernel_start_s"], "s"))
    cells = next((r["cells"] for r in results if "cells" in r), "?")
    print(figure_line(f"notebook run (all {cells} code cells)", figures["run_s"], "s"))
    print(figure_line("memory per student server, cgroup peak (memory.max_usage_in_bytes)",
                      figures["memory_cgroup_peak_bytes"], "MiB", MIB))
    print(figure_line("memory per student server, peak of summed VmRSS (0.5 s samples)",
                      figures["memory_rss_peak_bytes"], "MiB", MIB))
    print(f"runs finished: {figures['finished']} of {n}")
    for r in results:
        if not r["finished"]:
            print(f"  {r['student']}: did not finish at {r['stage']}: {r['reason']}")
    print(f"load average at the end: {figures['load_after']:.1f}")
    if figures["finished"] < n and log.exists():
        print("\nthe hub's log, last 30 lines:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-30:]))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1), encoding="utf-8")
        print(f"\nfigures written to {args.json}")
    return 0 if figures["finished"] == n else 1


def raise_on_sigterm():
    """SIGTERM ends the run like Ctrl-C does, through the tear-down."""
    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, handler)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10, help="students logging in at once (10)")
    parser.add_argument("--notebook", default="01", help="the number of the notebook to hand out and run (01)")
    parser.add_argument("--memory", default="2G", help="memory limit per student server, BPCOURSE_HUB_MEMORY (2G)")
    parser.add_argument("--json", default=None, help="write the figures to this file")
    args = parser.parse_args(argv)
    if args.students < 1:
        parser.error("--students must be at least 1")
    matches = sorted((ROOT / "notebooks").glob(f"{args.notebook}_*.ipynb"))
    if len(matches) != 1:
        parser.error(f"--notebook {args.notebook}: found {[p.name for p in matches]} in {ROOT / 'notebooks'}")
    notebook = matches[0]
    problem = missing_requirements()
    mnist = mnist_folder()
    if problem is None and mnist is None:
        problem = "MNIST is not on this machine: `make data`, or BPCOURSE_DATA pointing at its folder"
    if problem:
        sys.exit(f"hub_load.py: {problem}")

    machine = hub_machine_line()
    print(machine, flush=True)
    raise_on_sigterm()
    tag = secrets.token_hex(2)
    students = [f"bpcload{tag}{i:02d}" for i in range(1, args.students + 1)]
    root = Path(tempfile.mkdtemp(prefix="bpcourse-hub-load-"))
    os.chmod(root, 0o755)  # students enter it to read the hand-out and the data
    log = root / "jupyterhub.log"
    opened, process = {}, None
    try:
        opened = open_python_path()
        env, url, token = hub_environment(root, students, args.memory, mnist)
        print(f"handing out {notebook.name} ...", flush=True)
        release(root, notebook, env)
        print(f"starting the hub at {url} for {args.students} students ({students[0]} ...) ...", flush=True)
        process = start_hub(root, env, log)
        client = Client(url, token)
        wait_for_hub(client, process, log)
        print("every student at once: server, hand-out, notebook ...", flush=True)
        results, peaks = run_class(client, students, env["BPCOURSE_HUB_PASSWORD"], root / "hub" / "handout", notebook)
        return report(args, machine, notebook, results, peaks, log)
    finally:
        print("tearing down the hub, the students' users and cgroups ...", flush=True)
        stop_hub(process, root)
        for name in students:
            remove_user(name)
        for folder, mode in opened.items():
            os.chmod(folder, mode)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
