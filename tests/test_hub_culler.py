"""The hub's idle culler stops a student's server that nobody uses, and keeps the student's files.

The course's hub (``hub/jupyterhub_config.py``, through ``hub/local_hub.py``) with an idle time-out of
4 s instead of an hour: a student's server is started through the REST API and left alone; the culler
(jupyterhub-idle-culler, the hub's own service) must stop it, and the student's home stays.
"""

import pwd
import re
import secrets
import time
from pathlib import Path

import pytest

from hub.local_hub import LocalHub, missing_requirements, mnist_folder
from tests.browser.conftest import _skip_or_fail
from tests.notebook_solutions import notebook_path

pytestmark = pytest.mark.hub

IDLE_TIMEOUT = 4  # s; the culler then looks every 2 s
CULL_DEADLINE = 60  # s from a ready server to its stop, on a loaded machine
SPAWN_DEADLINE = 180  # s


def _wait(condition, deadline, what):
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, what
        time.sleep(0.5)


def test_an_idle_server_is_stopped_and_the_files_stay():
    problem = missing_requirements()
    if problem:
        _skip_or_fail(problem)
    mnist = mnist_folder()
    if mnist is None:
        _skip_or_fail("MNIST is not on this machine (`make data`)")
    name = f"bpc{secrets.token_hex(2)}idle"
    with LocalHub([name], [notebook_path("01")], mnist=mnist, idle_timeout=IDLE_TIMEOUT) as hub:
        hub.api("POST", f"/users/{name}")  # the hub makes the student's user, as at a first log-in
        home = Path(pwd.getpwnam(name).pw_dir)
        (home / "my-work.txt").write_text("a student's file\n")
        hub.api("POST", f"/users/{name}/server")
        server = lambda: hub.api("GET", f"/users/{name}")["servers"].get("")  # noqa: E731
        _wait(lambda: server() and server()["ready"], SPAWN_DEADLINE, "the server never became ready")
        _wait(lambda: server() is None, CULL_DEADLINE, f"the idle server still runs after {CULL_DEADLINE} s")
        log = hub.log.read_text(errors="replace")
        assert re.search(rf"DELETE /hub/api/users/{name}/server \(idle-culler@", log), "not stopped by the culler"
        assert (home / "my-work.txt").read_text() == "a student's file\n", "the student's files went with the server"
