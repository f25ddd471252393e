"""Load on the course's JupyterHub: N students at once log in, start their servers, get the hand-out, run a notebook.

Usage, from the repository's root (a module, so that it imports ``hub/local_hub.py``)::

    .venv/bin/python -m benchmarks.hub_load [--students 10] [--notebook 01] [--memory 2G] [--json PATH]

as root (the hub makes an operating-system user per student), with configurable-http-proxy installed.

What it does:

1. Starts the hub of ``hub/jupyterhub_config.py`` on free ports with every folder temporary
   (``hub/local_hub.py``, as ``tests/browser/test_hub.py`` does): a class list of N students
   (``bpcload<hex>NN``), a random shared password, the chosen notebook handed out with
   ``hub/course.py release``, an API token for this script (``BPCOURSE_HUB_API_TOKEN``) and
   ``--memory`` per student server.
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
import signal
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlencode

if __package__ in (None, ""):  # run as a file: the hub's helpers (hub/local_hub.py) are not importable
    sys.exit("run it from the repository's root as a module: .venv/bin/python -m benchmarks.hub_load")

from benchmarks.machine import machine_line  # noqa: E402
from hub.local_hub import CGROUPS, REPO, REQUEST_TIMEOUT, LocalHub, missing_requirements, mnist_folder  # noqa: E402

SPAWN_TIMEOUT = 300  # s: the config gives a server 120 s to start and 120 s to answer
HANDOUT_TIMEOUT = 300  # s
CELL_TIMEOUT = 300  # s per cell
SAMPLE_EVERY = 0.5  # s
MIB = 1 << 20


# --- the machine -------------------------------------------------------------------------------------------

def hub_machine_line():
    """The machine line of every benchmark here, with JupyterHub's version."""
    import jupyterhub
    import numpy as np

    return f"{machine_line(np)}; JupyterHub {jupyterhub.__version__}"


# --- one student, through the REST APIs --------------------------------------------------------------------

def server_api(hub, name, method, path, body=None):
    """The student's server's REST API through the proxy: ``server_api(hub, NAME, "GET", "/contents/x")``."""
    return hub.json(method, f"/user/{quote(name)}/api{path}", body)


class RunFailed(Exception):
    """One student's run did not finish: ``stage`` and the reason."""

    def __init__(self, stage, reason):
        super().__init__(f"{stage}: {reason}")
        self.stage, self.reason = stage, reason


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    """Do not follow the log-in's redirect: it would start the server the way a browser does."""

    def redirect_request(self, *args, **kwargs):
        return None


def log_in(hub, name, password):
    """The student's first log-in through the hub's log-in form; the hub creates their user then.

    The form is fetched for its XSRF token (the hub refuses a form without one), then posted with the
    name and the shared password; the hub answers a good log-in with a redirect (302), a refused one
    with the form again (403).
    """
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                         _KeepRedirects())
    with opener.open(f"{hub.url}/hub/login", timeout=REQUEST_TIMEOUT) as page:
        form = page.read().decode("utf-8", errors="replace")
    match = re.search(r'name="_xsrf" value="([^"]+)"', form)
    if match is None:
        raise RunFailed("log-in", "the log-in form has no _xsrf field")
    data = urlencode({"username": name, "password": password, "_xsrf": match.group(1)}).encode()
    try:
        with opener.open(f"{hub.url}/hub/login", data=data, timeout=REQUEST_TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
        if status == 302:
            return
    raise RunFailed("log-in", f"the hub answered the log-in with HTTP {status}, not a redirect")


def spawn(hub, name):
    """Ask for the student's server, retrying while the hub says too many are starting (HTTP 429)."""
    while True:
        try:
            hub.api("POST", f"/users/{quote(name)}/server")
            return
        except urllib.error.HTTPError as error:
            if error.code != 429:
                raise RunFailed("spawn", f"POST server: HTTP {error.code} {error.read()[:300]!r}") from error
            time.sleep(float(error.headers.get("Retry-After") or 1))


def wait_until_ready(hub, name, stop):
    """Poll the user's model until their default server is ready."""
    deadline = time.monotonic() + SPAWN_TIMEOUT
    while time.monotonic() < deadline and not stop.is_set():
        server = hub.api("GET", f"/users/{quote(name)}")["servers"].get("")
        if server is None:
            raise RunFailed("spawn", "the hub dropped the server while it started (see its log)")
        if server["ready"]:
            return
        time.sleep(0.25)
    raise RunFailed("spawn", f"not ready after {SPAWN_TIMEOUT} s" if not stop.is_set() else "stopped")


def hand_out(hub, name, notebook_name):
    """nbgitpuller's clone of the hand-out into ``~/bpcourse``, read to its end; then the notebook is there."""
    query = urlencode({"repo": f"file://{hub.hub_dir / 'handout'}", "branch": "main", "targetpath": "bpcourse"})
    last = None
    with hub.request("GET", f"/user/{quote(name)}/git-pull/api?{query}", timeout=HANDOUT_TIMEOUT) as stream:
        for line in stream:
            if line.startswith(b"data:"):
                last = json.loads(line[5:])
                if last.get("phase") in ("finished", "error"):
                    break
    if last is None or last.get("phase") != "finished":
        raise RunFailed("hand-out", (last or {}).get("message", "the event stream ended without 'finished'"))
    model = server_api(hub, name, "GET", f"/contents/bpcourse/{quote(notebook_name)}")
    if model["type"] != "notebook":
        raise RunFailed("hand-out", f"~/bpcourse/{notebook_name} is a {model['type']}, not a notebook")


def upload(hub, name, notebook):
    """Put the instructor's notebook in ``~/bench/`` and read it back: its code cells' sources."""
    path = f"/contents/bench/{quote(notebook.name)}"
    server_api(hub, name, "PUT", "/contents/bench", {"type": "directory"})
    content = json.loads(notebook.read_text(encoding="utf-8"))
    server_api(hub, name, "PUT", path, {"type": "notebook", "format": "json", "content": content})
    cells = server_api(hub, name, "GET", path)["content"]["cells"]
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


def run_notebook(hub, name, sources, result):
    """Start a kernel in ``~/bench`` and run the cells.

    The kernel's start lasts from ``POST api/kernels`` (which answers before the kernel is up) to its first
    reply; the run, from then to the last cell's reply.
    """
    start = time.perf_counter()
    kernel = server_api(hub, name, "POST", "/kernels", {"name": "python3", "path": "bench"})
    ws_url = f"{hub.url.replace('http', 'ws', 1)}/user/{quote(name)}/api/kernels/{kernel['id']}/channels"
    ready, end = asyncio.run(kernel_session(ws_url, hub.token, sources))
    result["kernel_start_s"], result["run_s"] = ready - start, end - ready


def student_run(hub, name, instructor_notebook, barrier, stop):
    """One student from log-in to the notebook's last cell: a dict of the times, and the failure if any."""
    result, stage = {"student": name}, "start"
    try:
        barrier.wait()
        stage, start = "log-in", time.perf_counter()
        log_in(hub, name, hub.password)
        result["login_s"] = time.perf_counter() - start
        if uid_of(name) is None:
            raise RunFailed("log-in", f"the hub let {name} in without making their operating-system user")
        stage, start = "spawn", time.perf_counter()
        spawn(hub, name)
        wait_until_ready(hub, name, stop)
        result["ready_s"] = time.perf_counter() - start
        stage, start = "hand-out", time.perf_counter()
        hand_out(hub, name, instructor_notebook.name)
        result["handout_s"] = time.perf_counter() - start
        stage = "upload"
        sources = upload(hub, name, instructor_notebook)
        result["cells"] = len(sources)
        stage = "notebook"
        run_notebook(hub, name, sources, result)
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

def run_class(hub, students, instructor_notebook):
    """Every student's run at the same moment, memory sampled meanwhile: the results and the memory peaks."""
    stop, peaks = threading.Event(), {}
    sampler = threading.Thread(target=sample_memory, args=(students, stop, peaks), daemon=True)
    sampler.start()
    barrier = threading.Barrier(len(students))
    pool = ThreadPoolExecutor(max_workers=len(students))
    try:
        futures = [pool.submit(student_run, hub, name, instructor_notebook, barrier, stop)
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
    matches = sorted((REPO / "notebooks").glob(f"{args.notebook}_*.ipynb"))
    if len(matches) != 1:
        parser.error(f"--notebook {args.notebook}: found {[p.name for p in matches]} in {REPO / 'notebooks'}")
    notebook = matches[0]
    problem = missing_requirements()
    mnist = mnist_folder()  # hub/course.py release copies it where the students can read it
    if problem is None and mnist is None:
        problem = "MNIST is not on this machine: `make data`, or BPCOURSE_DATA pointing at its folder"
    if problem:
        sys.exit(f"hub_load.py: {problem}")

    machine = hub_machine_line()
    print(machine, flush=True)
    raise_on_sigterm()
    tag = secrets.token_hex(2)
    students = [f"bpcload{tag}{i:02d}" for i in range(1, args.students + 1)]
    print(f"handing out {notebook.name} and starting the hub for {args.students} students "
          f"({students[0]} ...) ...", flush=True)
    try:
        with LocalHub(students, [notebook], mnist=mnist, memory=args.memory) as hub:
            print(f"the hub is at {hub.url}; every student at once: log-in, server, hand-out, notebook ...",
                  flush=True)
            results, peaks = run_class(hub, students, notebook)
            code = report(args, machine, notebook, results, peaks, hub.log)
            print("tearing down the hub, the students' users and cgroups ...", flush=True)
            return code
    except RuntimeError as error:  # the hub did not start
        sys.exit(f"hub_load.py: {error}")


if __name__ == "__main__":
    sys.exit(main())
