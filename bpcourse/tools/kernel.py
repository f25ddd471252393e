"""Start the learner's kernel for grading, sandboxed, and talk to it over pipes.

The kernel is :mod:`bpcourse.tools.sandbox_worker`, a plain Python process (no Jupyter kernel, no TCP
ports). The grader writes pickled requests to its standard input and reads JSON replies from its standard
output, each with a deadline and a size cap, matched by request id (forged frames are skipped); a kernel
that misses the deadline is killed and started again (:meth:`Kernel.restart`).

The sandbox (:func:`bwrap_command`) is bubblewrap with every namespace unshared, all capabilities dropped,
user 65534, and a file system of only the read-only ``/usr``, Python, the virtual environment, the package
and MNIST (``/data/mnist``), two small tmpfs (``/sandbox``, holding a read-only copy of the assembled
notebook, and ``/tmp``), ``/dev`` and its own ``/proc``; :class:`Limits` bound the rest. Without bubblewrap
(``--no-sandbox``) the same worker runs as a plain child process with the same limits and pipes, but with
the grader's user's access to files, network and processes.
"""

import contextlib
import functools
import json
import os
import pickle
import resource
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import bpcourse
from bpcourse.core.atomic import process_running
from bpcourse.core.data import cache_dir

SANDBOX_DIR = "/sandbox"
SANDBOX_DATA = "/data/mnist"
MAX_REPLY_BYTES = 256 << 20  # a bigger reply counts as a broken kernel
START_TIMEOUT_SECONDS = 60
NOBODY = 65534


@dataclass(frozen=True)
class Limits:
    """Resource limits of one kernel (per process, set with setrlimit before it starts)."""

    memory_mb: int = 4096  # address space (RLIMIT_AS)
    cpu_seconds: int = 3600  # CPU time of the kernel process in total (RLIMIT_CPU)
    file_mb: int = 16  # size of any one file it writes, its output file included (RLIMIT_FSIZE)
    tmpfs_mb: int = 64  # size of each writable file system in the sandbox: /sandbox, /tmp and /dev/shm
    processes: int = 64  # processes and threads of the kernel at once (a pids cgroup; RLIMIT_NPROC too)

    def apply(self):
        """Set the limits on the calling process (in the child before exec), and die with the parent."""
        die_with_parent()
        for limit, value in (
            (resource.RLIMIT_AS, self.memory_mb << 20),
            (resource.RLIMIT_CPU, self.cpu_seconds),
            (resource.RLIMIT_FSIZE, self.file_mb << 20),
            (resource.RLIMIT_CORE, 0),
            (resource.RLIMIT_NPROC, self.processes),  # holds for a grader that is not root; the cgroup for root
        ):
            resource.setrlimit(limit, (value, value))


def die_with_parent(parent_pid=None):
    """Have Linux kill the calling process when its parent ends; end at once if ``parent_pid`` has already gone."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent_pid is not None and os.getppid() != parent_pid:  # the parent died before the call above
        os._exit(1)


PIDS_CGROUP_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))  # cgroup v1's pids, v2's unified


def make_pids_cgroup(limit):
    """A new pids cgroup (a folder) allowing ``limit`` tasks, or None where none can be made."""
    for root in PIDS_CGROUP_ROOTS:
        if not (root / "cgroup.procs").exists() or (root.name == "cgroup" and "pids" not in _read(
                root / "cgroup.subtree_control")):
            continue
        try:
            # the owner's pid in the name: a sweep by another grader leaves it alone while we live
            folder = Path(tempfile.mkdtemp(prefix=f"bpcourse-kernel-{os.getpid()}-", dir=root))
        except OSError:
            continue
        try:
            (folder / "pids.max").write_text(str(limit))
            return folder
        except OSError:
            remove_cgroup(folder)
    return None


def _read(path):
    try:
        return path.read_text()
    except OSError:
        return ""


def join_cgroup(folder):
    with open(folder / "cgroup.procs", "w") as handle:
        handle.write(str(os.getpid()))


def sweep_cgroups():
    """Remove the cgroups whose grader (the pid in the name) is gone: a living one's is empty for a moment."""
    for root in PIDS_CGROUP_ROOTS:
        for folder in root.glob("bpcourse-kernel-*"):
            if owner_alive(folder.name):
                continue
            with contextlib.suppress(OSError):  # still in use
                folder.rmdir()


def owner_alive(name):
    """Whether the grader process named in ``name`` (``bpcourse-<kind>-<pid>-...``, a cgroup or job folder) still runs."""
    owner = name.split("-")[2]
    return owner.isdigit() and process_running(int(owner))


def kill_cgroup(folder):
    for line in _read(folder / "cgroup.procs").split():
        with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
            os.kill(int(line), signal.SIGKILL)


def remove_cgroup(folder):
    for _ in range(50):
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)


class KernelError(RuntimeError):
    """The kernel did not answer as it should; ``kind`` is ``"timeout"``, ``"died"`` or ``"broken"``."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def bwrap_path():
    return shutil.which("bwrap")


def _readable_dirs():
    package_dir = Path(bpcourse.__file__).resolve().parent
    paths = [Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), package_dir]
    executable = Path(sys.executable).resolve()
    if not any(executable.is_relative_to(p) for p in paths + [Path("/usr")]):
        paths.append(executable.parent)
    kept = []
    for path in sorted(set(paths), key=lambda p: len(p.parts)):
        if str(path).startswith("/usr") or any(path.is_relative_to(k) for k in kept):
            continue
        kept.append(path)
    return kept


def mnist_dir():
    """The grader's MNIST folder (``BPCOURSE_DATA`` or the cache) if there is one, else None."""
    env = os.environ.get("BPCOURSE_DATA", "")
    for candidate in (Path(env) if env else None, cache_dir()):
        if candidate is not None and candidate.is_dir():
            return candidate.resolve()
    return None


def kernel_env(home, package_dir=None):
    """The environment of the kernel: nothing of the grader's but the thread settings."""
    return {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(Path(home) / ".matplotlib"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(Path(package_dir or Path(bpcourse.__file__).resolve().parent).parent),
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1"),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
    }


def bwrap_command(notebook_path, limits, package_dir=None):
    """The bubblewrap command line of the worker on ``notebook_path``; ``package_dir``, if given, is mounted in
    place of the installed ``bpcourse`` (the clean room's copy)."""
    size = str(limits.tmpfs_mb << 20)
    # Mounts are made in order: the private /tmp first, so that a venv or a checkout under /tmp,
    # bound below, is not hidden by it.
    command = [bwrap_path(), "--unshare-all", "--unshare-user", "--disable-userns", "--uid", str(NOBODY),
               "--gid", str(NOBODY), "--cap-drop", "ALL", "--die-with-parent", "--new-session",
               "--dev", "/dev", "--size", size, "--perms", "1777", "--tmpfs", "/dev/shm", "--proc", "/proc",
               "--size", size, "--perms", "1777", "--tmpfs", "/tmp",
               "--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            command += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            command += ["--ro-bind", str(path), str(path)]
    for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime"):
        if (Path("/etc") / name).exists():
            command += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    for path in _readable_dirs():
        command += ["--ro-bind", str(path), str(path)]
    if package_dir is not None:
        command += ["--ro-bind", str(package_dir), str(Path(bpcourse.__file__).resolve().parent)]
    env = kernel_env(SANDBOX_DIR)
    data = mnist_dir()
    if data is not None:
        command += ["--ro-bind", str(data), SANDBOX_DATA]
        env["BPCOURSE_DATA"] = SANDBOX_DATA
    command += ["--size", size, "--perms", "0777", "--tmpfs", SANDBOX_DIR,
                "--ro-bind", str(notebook_path), f"{SANDBOX_DIR}/{Path(notebook_path).name}",
                "--remount-ro", "/", "--chdir", SANDBOX_DIR, "--clearenv"]
    for key, value in env.items():
        command += ["--setenv", key, value]
    return command + ["--"] + plain_command()


def plain_command():
    return [sys.executable, "-s", "-m", "bpcourse.tools.sandbox_worker"]


@functools.cache
def sandbox_problem():
    """None when bubblewrap can run the kernel here, else a sentence saying why not (checked once)."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux, this is {sys.platform}"
    if bwrap_path() is None:
        return "bubblewrap (`bwrap`) is not installed (Debian: apt-get install bubblewrap; or `make sandbox-deps` as root)"
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "probe.ipynb"
        probe.write_text("{}")
        command = bwrap_command(probe, Limits())
        command = command[: command.index("--") + 1] + [sys.executable, "-s", "-c", "import numpy, bpcourse"]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=60, preexec_fn=Limits().apply)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bubblewrap could not start: {error}"
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no message"])[-1]
        return (f"bubblewrap cannot run here: {detail} (the sandbox needs bubblewrap 0.8 or newer, and user "
                "namespaces enabled, or root)")
    return None


class Kernel:
    """One learner's kernel on the assembled notebook ``folder/notebook_name``: start, request, restart, close."""

    def __init__(self, folder, notebook_name, limits=Limits(), sandbox=True, package_dir=None):
        self.folder, self.notebook_name, self.limits, self.sandbox = Path(folder), notebook_name, limits, sandbox
        self.package_dir = package_dir
        self.process = self.cgroup = None
        self.next_id = 0

    def start(self):
        if self.sandbox:
            command = bwrap_command(self.folder / self.notebook_name, self.limits, self.package_dir)
            cwd, env = None, {"PATH": "/usr/bin:/bin"}
        else:
            work = self.folder / "work"
            work.mkdir(exist_ok=True)
            command, cwd, env = plain_command(), work, kernel_env(work, self.package_dir)
        self.cgroup = make_pids_cgroup(self.limits.processes)
        cgroup, limits = self.cgroup, self.limits

        def before_exec():
            if cgroup is not None:
                join_cgroup(cgroup)
            limits.apply()

        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd, env=env,
            start_new_session=True, preexec_fn=before_exec,
        )
        reply = self._read_reply(time.monotonic() + START_TIMEOUT_SECONDS)
        if reply.get("status") != "ready":
            self.close()
            raise KernelError("broken", f"the kernel did not start: {reply}")

    def restart(self):
        self.close()
        self.start()

    def close(self):
        """Kill the kernel and everything it started (its session; the sandbox's process namespace)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self.process = None
        if self.cgroup is not None:
            kill_cgroup(self.cgroup)
            remove_cgroup(self.cgroup)
            self.cgroup = None

    def request(self, op, timeout, **fields):
        if self.process is None or self.process.poll() is not None:
            raise KernelError("died", "the kernel is not running")
        self.next_id += 1
        fields.update(op=op, id=self.next_id)
        payload = pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.process.stdin.write(struct.pack(">Q", len(payload)) + payload)
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise KernelError("died", "the kernel stopped reading (it died)") from None
        deadline = time.monotonic() + timeout  # one deadline for the request, however many frames come
        while True:
            reply = self._read_reply(deadline)
            if reply.get("id") == self.next_id:
                return reply
            # a stale or forged frame (the learner's code can write to the reply pipe): skip it

    def _read_reply(self, deadline):
        header = self._read(8, deadline)
        (length,) = struct.unpack(">Q", header)
        if length > MAX_REPLY_BYTES:
            raise KernelError("broken", f"the kernel sent a reply of {length} bytes (at most {MAX_REPLY_BYTES})")
        try:
            reply = json.loads(self._read(length, deadline).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise KernelError("broken", f"the kernel sent a reply that is not JSON: {error}") from None
        if not isinstance(reply, dict):
            raise KernelError("broken", "the kernel sent a reply that is not a JSON object")
        return reply

    def _read(self, count, deadline):
        fd = self.process.stdout.fileno()
        chunks, remaining = [], count
        while remaining:
            left = deadline - time.monotonic()
            if left <= 0:
                raise KernelError("timeout", "the kernel did not answer in time")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                raise KernelError("died", "the kernel died")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
