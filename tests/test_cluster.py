"""``grade_folder(..., dask=ADDRESS)`` on a real ``distributed.LocalCluster`` of two worker processes: the rows of
the local run, a worker killed in the middle costs nothing, and a cluster whose workers cannot grade is refused
before anything is sent."""

import csv
import os
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed", reason="the cluster extra: pip install '.[cluster]'")

from bpcourse.tools.cluster import TASK_FOLDER_PREFIX  # noqa: E402
from bpcourse.tools.grading import ClusterProblem, grade_folder  # noqa: E402
from bpcourse.tools.grading_jobs import sweep_job_folders  # noqa: E402
from tests.test_grading import SOURCE, require_sandbox  # noqa: E402
from tests.test_grading_resume import CLASS  # noqa: E402
from tests.test_grading_robust import write  # noqa: E402


def rows(out):
    return list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))


def quiet(*args, **kwargs):
    pass


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=40) as local:
        yield local


def test_a_cluster_grades_the_rows_of_the_local_run_though_a_worker_is_killed(tmp_path, cluster):
    require_sandbox()
    submitted = tmp_path / "submitted"
    for student, (sigmoid, double, _) in CLASS.items():
        write(submitted / student, "98_fixture.ipynb", sigmoid, double)
    grade_folder(submitted, SOURCE, tmp_path / "local", cell_timeout=20, echo=quiet, jobs=1)

    killed, errors = [], []

    def grade_on_the_cluster():
        try:
            grade_folder(submitted, SOURCE, tmp_path / "cluster", cell_timeout=20, echo=quiet,
                         dask=cluster.scheduler_address)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    run = threading.Thread(target=grade_on_the_cluster)
    with distributed.Client(cluster.scheduler_address) as client:
        run.start()
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline and run.is_alive():
            busy = [worker for worker, keys in client.processing().items() if keys]
            if busy:
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                time.sleep(0.5)  # its task is grading: the child and the kernel run
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.05)
        run.join(240)
    assert killed, "a worker was killed while it graded"
    assert not run.is_alive(), "the run finishes"
    assert not errors, errors
    assert rows(tmp_path / "cluster") == rows(tmp_path / "local")
    assert {r["status"] for r in rows(tmp_path / "cluster")} <= {"ok", "failed"}, "the kill cost a submission its grade"
    left = list(Path(tempfile.gettempdir()).glob(f"{TASK_FOLDER_PREFIX}{killed[0]}-*"))
    assert not left, f"the killed worker's folder was left behind though a task ran again after it: {left}"


def test_only_the_folders_of_killed_workers_are_removed(tmp_path):
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = tmp_path / f"{TASK_FOLDER_PREFIX}{gone.pid}-abc"
    alive = tmp_path / f"{TASK_FOLDER_PREFIX}{os.getpid()}-def"
    unowned = tmp_path / f"{TASK_FOLDER_PREFIX}k2j3x_qz"  # named without a pid, as before the pid was in the name
    for folder in (dead, alive, unowned):
        (folder / "submitted").mkdir(parents=True)
        (folder / "submitted" / "98_fixture.ipynb").write_text("{}")
    assert sorted(sweep_job_folders(TASK_FOLDER_PREFIX, tmp_path)) == sorted([dead, unowned])
    assert not dead.exists() and not unowned.exists(), "the folders of no running process are removed"
    assert alive.is_dir(), "a running worker's folder stays"


def test_workers_without_bubblewrap_are_refused_before_anything_is_sent(tmp_path):
    require_sandbox()
    write(tmp_path / "submitted" / "ann", "98_fixture.ipynb", RIGHT, RIGHT_D)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=40, env={"PATH": "/nonexistent"}) as lacking:
        with pytest.raises(ClusterProblem, match=r"1 of 1 Dask workers cannot grade.*bubblewrap"):
            grade_folder(tmp_path / "submitted", SOURCE, tmp_path / "grades", echo=quiet,
                         dask=lacking.scheduler_address)
    assert not (tmp_path / "grades" / "results").exists(), "nothing was graded"


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, monkeypatch):
    from bpcourse.tools import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_SECONDS", 2)
    write(tmp_path / "submitted" / "ann", "98_fixture.ipynb", RIGHT, RIGHT_D)
    with pytest.raises(ClusterProblem, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        grade_folder(tmp_path / "submitted", SOURCE, tmp_path / "grades", echo=quiet, dask="tcp://127.0.0.1:9")


RIGHT, RIGHT_D = CLASS["ann"][0], CLASS["ann"][1]
