"""The grading kernel's protocol: deadlines that hold whatever the learner's code
writes, restarts, size caps. Run without the sandbox (harmless code only), so
they run anywhere; the sandbox itself is tested with real attacks in
tests/test_grading.py."""

import subprocess
import time

import pytest

from bpcourse.tools.kernel import Kernel, KernelError, Limits, make_pids_cgroup, remove_cgroup, sweep_cgroups

FLOOD = """import os, struct, threading
fds = [int(fd) for fd in os.listdir('/proc/self/fd')]
def flood():
    frame = b'{"id": -1, "status": "ok"}'
    while True:
        for fd in fds:
            try:
                os.write(fd, struct.pack('>Q', len(frame)) + frame)
            except OSError:
                pass
threading.Thread(target=flood, daemon=True).start()
"""


@pytest.fixture
def kernel(tmp_path):
    (tmp_path / "n.ipynb").write_text("{}")
    k = Kernel(tmp_path, "n.ipynb", Limits(memory_mb=2048, file_mb=1), sandbox=False)
    k.start()
    yield k
    k.close()


def test_cells_run_and_functions_are_called_with_plain_replies(kernel):
    assert kernel.request("run", 30, source="def f(x):\n    return [x, x]")["status"] == "ok"
    reply = kernel.request("call", 30, name="f", args=(2.5,), kwargs={}, errstate={})
    assert reply["status"] == "ok" and reply["result"] == {"__list__": [2.5, 2.5]}
    error = kernel.request("run", 30, source="1 / 0")
    assert error["status"] == "error" and error["ename"] == "ZeroDivisionError"


def test_a_flood_of_forged_replies_cannot_stretch_the_deadline(kernel):
    kernel.request("run", 30, source=FLOOD)
    start = time.monotonic()
    with pytest.raises(KernelError) as caught:
        kernel.request("run", 2, source="import time\ntime.sleep(60)")
    assert time.monotonic() - start < 15
    assert caught.value.kind in ("timeout", "broken")


def test_a_restart_gives_a_fresh_kernel(kernel):
    kernel.request("run", 30, source="x = 1")
    with pytest.raises(KernelError, match="in time"):
        kernel.request("run", 1, source="import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass")
    kernel.restart()
    assert kernel.request("run", 30, source="y = 2")["status"] == "ok"
    assert kernel.request("run", 30, source="x")["ename"] == "NameError"


def test_output_is_capped(kernel):
    reply = kernel.request("run", 30, source="for _ in range(10):\n    print('x' * 1_000_000)")
    assert reply["status"] == "error" and "File too large" in reply["evalue"]


def test_a_dead_kernel_is_reported(kernel):
    with pytest.raises(KernelError) as caught:
        kernel.request("run", 30, source="import os\nos._exit(3)")
    assert caught.value.kind == "died"


def test_memory_is_capped(kernel):
    """3 GB of address space, never touched (so harmless without the cap), is refused under a 2 GB cap."""
    reply = kernel.request("run", 30, source="import numpy as np\nblock = np.empty(3 * 1024**3, dtype=np.uint8)")
    assert reply["status"] == "error" and reply["ename"] == "MemoryError"


def test_a_sweep_keeps_a_living_graders_empty_cgroup_and_removes_a_dead_ones():
    """Graders running side by side: one's sweep must not take the cgroup another just made for its kernel."""
    mine = make_pids_cgroup(8)
    if mine is None:
        pytest.skip("this machine does not let us make a pids cgroup")
    dead_owner = subprocess.Popen(["true"])
    dead_owner.wait()
    left_behind = mine.parent / f"bpcourse-kernel-{dead_owner.pid}-x"
    left_behind.mkdir()
    try:
        sweep_cgroups()
        assert mine.is_dir(), "the sweep removed a living grader's cgroup"
        assert not left_behind.exists(), "the sweep left a dead grader's cgroup"
    finally:
        remove_cgroup(mine)
        remove_cgroup(left_behind)
