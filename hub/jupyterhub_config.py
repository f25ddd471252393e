# JupyterHub configuration for running bpcourse for a class on one machine.
#
#   make hub            hand out the course, then start this hub on http://127.0.0.1:8000
#
# Read it top to bottom and adapt it; every setting says why it is here. The parts:
#   1. where things live (one folder, build/hub/ by default)
#   2. who may log in, and how (a shared demo password; PAM, OAuth and LTI commented)
#   3. each student's server: their own operating-system user, the course pulled into
#      their home with nbgitpuller, nbgrader's exchange to submit and get feedback
#   4. limits a class needs: memory per student server, idle servers culled
#
# Run it as root (`make hub` does): the hub creates an operating-system user for each
# student on their first log-in and starts their server as that user, so one student
# cannot read another's files (their homes are made private, mode 0700).
#
# The instructor's side (hand-out, collect, grade, return feedback) is hub/course.py:
#   make hub-release    student versions -> the hand-out repository and nbgrader's exchange
#   make hub-grade      collect every latest submission, grade it, return the feedback

import os
import pwd
import resource
import shutil
import sys
from pathlib import Path
from urllib.parse import urlencode

from jupyterhub.auth import LocalAuthenticator
from jupyterhub.authenticators.shared import SharedPasswordAuthenticator
from jupyterhub.spawner import LocalProcessSpawner

c = get_config()  # noqa: F821 (JupyterHub defines it when it reads this file)

# ---------------------------------------------------------------------------
# 1. Where things live. hub/course.py reads the same variables.
# ---------------------------------------------------------------------------
REPO = Path(__file__).resolve().parents[1]
HUB_DIR = Path(os.environ.get("BPCOURSE_HUB_DIR", REPO / "build" / "hub")).resolve()
EXCHANGE = os.environ.get("BPCOURSE_EXCHANGE", "/srv/nbgrader/exchange")  # nbgrader's exchange
HANDOUT_REPO = HUB_DIR / "handout"  # a git repository of the student versions (hub/course.py release)
DATA_DIR = HUB_DIR / "data"  # MNIST, readable by every student (hub/course.py release copies it there)
PORT = int(os.environ.get("BPCOURSE_HUB_PORT", "8000"))
VENV_BIN = Path(sys.executable).parent  # the students' servers and kernels use the hub's environment

STATE_DIR = HUB_DIR / "state"
STATE_DIR.mkdir(parents=True, exist_ok=True)
os.chmod(STATE_DIR, 0o700)  # the hub's database and cookie secret
c.JupyterHub.db_url = f"sqlite:///{STATE_DIR / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE_DIR / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(STATE_DIR / "proxy.pid")

# Local demo: listen on localhost only. For a class, put the hub behind HTTPS
# (c.JupyterHub.ssl_cert / ssl_key, or a reverse proxy such as nginx or Caddy)
# and bind to the machine's address.
c.JupyterHub.bind_url = f"http://127.0.0.1:{PORT}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{PORT + 2}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PORT + 1}"
# The hub and its proxy stop together (`make hub` runs in the foreground; Ctrl-C ends both).
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.cleanup_servers = True

# ---------------------------------------------------------------------------
# 2. Who may log in.
# ---------------------------------------------------------------------------
# The class list: one user name per line (hub/students.txt); only they may log in. It is read
# afresh at every log-in, so a student added or removed while the hub runs is let in or kept out
# at their next log-in (a removed student's running server is not stopped: stop it in the admin page).
ROSTER = Path(os.environ.get("BPCOURSE_HUB_ROSTER", REPO / "hub" / "students.txt"))


def roster():
    """The user names in the class list (blank lines and ``#`` comments skipped)."""
    return {line.strip() for line in ROSTER.read_text().splitlines() if line.strip() and not line.startswith("#")}


if not roster():
    raise SystemExit(f"jupyterhub_config.py: the class list {ROSTER} names no student (one user name per line)")


class LocalSharedPasswordAuthenticator(LocalAuthenticator, SharedPasswordAuthenticator):
    """One shared password for the local demo, and an operating-system user per student.

    Only names on the class list may log in. A student's user is created on their first log-in
    (``adduser``, as root) with a private home, not before: the hub's start adds no one.
    """

    any_allow_config = True  # check_allowed below is the allow rule

    def check_allowed(self, username, authentication=None):
        return username in roster()

    def add_system_user(self, user):
        super().add_system_user(user)
        os.chmod(pwd.getpwnam(user.name).pw_dir, 0o700)  # no student reads another's home


c.JupyterHub.authenticator_class = LocalSharedPasswordAuthenticator
# The demo password (README, "The course on JupyterHub"). Anyone on the roster can log in
# as anyone else on it with this password: fine on localhost, not for a class.
c.SharedPasswordAuthenticator.user_password = os.environ.get("BPCOURSE_HUB_PASSWORD", "backprop-demo")
c.LocalAuthenticator.create_system_users = os.geteuid() == 0
# Who once logged in is not let in for that alone: the class list decides (see check_allowed).
c.Authenticator.allow_existing_users = False

# For a real class, choose one of these instead (and delete the two lines above):
#
# Operating-system passwords (PAM): students are existing users of this machine.
#   c.JupyterHub.authenticator_class = "pam"
#
# Your institution's or GitHub's log-in (OAuth; `pip install oauthenticator`):
#   c.JupyterHub.authenticator_class = "github"
#   c.GitHubOAuthenticator.client_id = "..."
#   c.GitHubOAuthenticator.client_secret = "..."
#   c.GitHubOAuthenticator.oauth_callback_url = "https://hub.example.org/hub/oauth_callback"
#   c.LocalGitHubOAuthenticator.create_system_users = True   # with class LocalGitHubOAuthenticator
#
# From your LMS (Canvas, Moodle, Blackboard) with LTI 1.3 (`pip install jupyterhub-ltiauthenticator`):
#   c.JupyterHub.authenticator_class = "ltiauthenticator.lti13.authenticator.LTI13Authenticator"
#   c.LTI13Authenticator.issuer = "https://canvas.instructure.com"
#   c.LTI13Authenticator.client_id = ["..."]
#   c.LTI13Authenticator.authorize_url = "https://canvas.example.org/api/lti/authorize_redirect"
#   c.LTI13Authenticator.jwks_endpoint = "https://canvas.example.org/api/lti/security/jwks"
#   c.LTI13Authenticator.username_key = "email"   # the LMS claim that names the student

# ---------------------------------------------------------------------------
# 3. Each student's server.
# ---------------------------------------------------------------------------
MEMORY_LIMIT = os.environ.get("BPCOURSE_HUB_MEMORY", "2G")  # per student server, kernels included


def _bytes(size):
    """'2G' -> 2147483648 (the suffixes JupyterHub's mem_limit takes: K, M, G, T)."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    size = str(size).strip().upper()
    return int(float(size[:-1]) * units[size[-1]]) if size[-1] in units else int(size)


MEMORY_CGROUPS = Path("/sys/fs/cgroup/memory")  # cgroup v1's memory hierarchy, where the machine has it


class ClassSpawner(LocalProcessSpawner):
    """LocalProcessSpawner that holds each student's server and kernels to ``mem_limit`` together.

    Where this machine lets root make memory cgroups (cgroup v1, as in many
    containers), the server joins ``bpcourse-hub/<user>`` with that limit: the
    kernel that goes past it is killed by the kernel's OOM killer, not the
    machine. Elsewhere the limit is an address-space limit per process
    (setrlimit), looser but never absent. For limits managed by systemd, use
    The Littlest JupyterHub's systemdspawner instead.
    """

    def memory_cgroup(self):
        return MEMORY_CGROUPS / "bpcourse-hub" / self.user.name

    def make_preexec_fn(self, name):
        drop_privileges = super().make_preexec_fn(name)
        limit = _bytes(self.mem_limit) if self.mem_limit else None
        cgroup = None
        if limit and os.geteuid() == 0 and (MEMORY_CGROUPS / "cgroup.procs").exists():
            try:
                cgroup = self.memory_cgroup()
                cgroup.mkdir(parents=True, exist_ok=True)
                (cgroup / "memory.limit_in_bytes").write_text(str(limit))
            except OSError as error:
                self.log.warning("no memory cgroup for %s (%s); limiting each process instead", name, error)
                cgroup = None

        def preexec():
            if cgroup is not None:
                (cgroup / "cgroup.procs").write_text(str(os.getpid()))  # children (kernels) inherit it
            elif limit:
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            drop_privileges()

        return preexec


# git refuses to read a repository that another user owns unless its system or global
# config names it safe; the hand-out is root's. The students' git reads this file as its
# system config (in place of /etc/gitconfig), which names that one repository.
GIT_CONFIG = HUB_DIR / "gitconfig"
GIT_CONFIG.write_text(f"[safe]\n\tdirectory = {HANDOUT_REPO / '.git'}\n\tdirectory = {HANDOUT_REPO}\n")
os.chmod(GIT_CONFIG, 0o644)

c.JupyterHub.spawner_class = ClassSpawner
c.Spawner.mem_limit = MEMORY_LIMIT
c.Spawner.cmd = [str(VENV_BIN / "jupyterhub-singleuser")]
c.Spawner.notebook_dir = "~"
c.Spawner.http_timeout = 120  # seconds for a server to answer after it starts (a loaded machine)
c.Spawner.start_timeout = 120
c.Spawner.environment = {
    "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
    # nbgrader's exchange and the lab settings the students' servers use (hub/singleuser/)
    "JUPYTER_CONFIG_PATH": str(REPO / "hub" / "singleuser"),
    "BPCOURSE_EXCHANGE": EXCHANGE,
    "BPCOURSE_DATA": str(DATA_DIR),
    "OPENBLAS_NUM_THREADS": "1",  # many kernels share the cores (see the Makefile)
    "OMP_NUM_THREADS": "1",
    "GIT_CONFIG_SYSTEM": str(GIT_CONFIG),
}

# Hand-out: every log-in goes through nbgitpuller, which clones the student versions into
# ~/bpcourse on the first start and later merges updates in without overwriting what the
# student changed (https://nbgitpuller.readthedocs.io). For a course on GitHub, set
# repo to its https address (a repository holding build/hub/handout's files).
FIRST_NOTEBOOK = min(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
c.Spawner.default_url = "/git-pull?" + urlencode({
    "repo": f"file://{HANDOUT_REPO}",
    "branch": "main",
    "targetpath": "bpcourse",
    "urlpath": f"lab/tree/bpcourse/{FIRST_NOTEBOOK}",
})
# Extra arguments for every student's server, e.g. "--LabApp.expose_app_in_browser=True",
# which the hub's browser test uses to drive JupyterLab.
c.Spawner.args = os.environ.get("BPCOURSE_HUB_SERVER_ARGS", "").split()

# ---------------------------------------------------------------------------
# 4. Limits a class needs.
# ---------------------------------------------------------------------------
# Servers idle for an hour are stopped (their files stay): jupyterhub-idle-culler.
IDLE_TIMEOUT = int(os.environ.get("BPCOURSE_HUB_IDLE_TIMEOUT", "3600"))  # seconds
CULL_EVERY = min(300, max(1, IDLE_TIMEOUT // 2))  # how often the culler looks (seconds)
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={IDLE_TIMEOUT}",
                f"--cull-every={CULL_EVERY}"],
}]
# At most this many servers starting at once, and running at once (a 2-core, 24 GB machine
# holds about 10 students working at the same time; see the README's measured figures).
c.JupyterHub.concurrent_spawn_limit = 10
c.JupyterHub.active_server_limit = int(os.environ.get("BPCOURSE_HUB_MAX_SERVERS", "40"))

# An API token for the instructor's scripts and the load benchmark (benchmarks/hub_load.py),
# only when one is given: it may create users and start and stop their servers.
if os.environ.get("BPCOURSE_HUB_API_TOKEN"):
    c.JupyterHub.services.append({"name": "bpcourse-admin", "api_token": os.environ["BPCOURSE_HUB_API_TOKEN"]})
    c.JupyterHub.load_roles.append({
        "name": "bpcourse-admin",
        "scopes": ["admin:users", "admin:servers", "access:servers", "list:users"],
        "services": ["bpcourse-admin"],
    })



def private_folders(path):
    """The folders above ``path`` that other users cannot enter (no execute bit for others)."""
    path = Path(path).resolve()
    return [str(folder) for folder in reversed(path.parents) if not os.stat(folder).st_mode & 0o001]


# Students' servers run this environment's Python as the student: every folder on the way to
# it (and to the course) must be open to others. A Python under /root is not (pyenv, conda);
# install the course with a Python every user can run, e.g. `make hub PYTHON=/usr/bin/python3`
# in a fresh clone under /opt, or open the folders with `chmod o+x FOLDER` (enter, not list).
_closed = private_folders(sys.executable) + private_folders(Path(sys.base_prefix) / "lib") + private_folders(REPO)
if _closed:
    _closed = sorted(set(_closed))
    sys.exit(f"students could not run {sys.executable}: {', '.join(_closed)} "
             f"{'is' if len(_closed) == 1 else 'are'} closed to other users. Use a Python every user can run "
             f"(README, 'The course on JupyterHub for a class'), or open the way: chmod o+x {' '.join(_closed)}")

if shutil.which("configurable-http-proxy") is None:
    sys.exit("configurable-http-proxy is missing: `make hub-deps` installs it (npm, as root)")
