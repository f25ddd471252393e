"""Grade past one machine: the same sandboxed jobs, sent to the workers of a Dask distributed cluster.

A task carries the instructor's notebook and the submitted file's bytes (no shared file system) and is graded on
the worker as on one machine (:func:`grade_submission`, in a new interpreter: a worker runs tasks in threads); its
rows come back to the grader that sent it. :func:`check_workers` refuses, before anything is sent, a cluster with a
worker that lacks bubblewrap, the same ``bpcourse`` or MNIST. A worker that dies costs nothing: Dask runs the task
again elsewhere; one that took down ``allowed-failures`` workers becomes a ``grader error`` for that submission.
"""

import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from distributed import Client, as_completed

from bpcourse.tools.checker import ExerciseScore
from bpcourse.tools.grading_jobs import (ClusterProblem, GradingOptions, grade_submission, grader_error,
                                         sweep_job_folders)
from bpcourse.tools.kernel import Limits, mnist_dir, sandbox_problem
from bpcourse.tools.results_store import grader_fingerprint

CONNECT_TIMEOUT_SECONDS = 30
TASKS_PER_WORKER_THREAD = 2  # keeps the workers busy; the scheduler holds only a few of the class's files
TASK_FOLDER_PREFIX = "bpcourse-task-"  # then the worker's process id and a dash: bpcourse-task-4711-k2j3x_


def worker_problems(sandbox, fingerprint):
    """On a worker: what keeps it from grading (a list of sentences, empty when it can)."""
    problems = []
    if sandbox and sandbox_problem():
        problems.append(f"no sandbox: {sandbox_problem()}")
    if grader_fingerprint() != fingerprint:
        problems.append("its bpcourse is not the grader's (another version or changed files): install the same "
                        "course on every worker")
    if mnist_dir() is None:
        problems.append("no MNIST (set BPCOURSE_DATA, or run `make data` on it)")
    return problems


def check_workers(client, sandbox):
    """Raise ClusterProblem unless the cluster has workers and every one of them can grade."""
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_SECONDS)
    except TimeoutError:
        raise ClusterProblem(f"the Dask scheduler has no workers after {CONNECT_TIMEOUT_SECONDS} s") from None
    answers = client.run(worker_problems, sandbox, grader_fingerprint())
    lacking = {worker: problems for worker, problems in answers.items() if problems}
    if lacking:
        lines = "; ".join(f"{worker}: {', '.join(problems)}" for worker, problems in sorted(lacking.items()))
        raise ClusterProblem(f"{len(lacking)} of {len(answers)} Dask workers cannot grade, nothing was sent: {lines}")


def grade_task(task):
    """On a worker: grade one submission sent as a dict of its files and options; ``(rows, problems)``."""
    options = GradingOptions(**{**task["options"], "limits": Limits(**task["options"]["limits"])})
    sweep_job_folders(TASK_FOLDER_PREFIX)  # a worker killed mid-task left its folder
    with tempfile.TemporaryDirectory(prefix=f"{TASK_FOLDER_PREFIX}{os.getpid()}-") as folder:
        paths = {}
        for part, subfolder in (("instructor", "source"), ("submitted", "submitted")):
            if task[part] is not None:
                paths[part] = Path(folder) / subfolder / task["notebook"]
                paths[part].parent.mkdir()
                paths[part].write_bytes(task[part])
        instructor, submitted = paths["instructor"], paths.get("submitted")
        if options.sandbox and sandbox_problem():
            scores, problems = grader_error(task["student"], instructor,
                                            f"no sandbox on this worker: {sandbox_problem()}")
        else:
            scores, problems = grade_submission(task["student"], instructor, submitted, options, fork=False)
    return [asdict(s) for s in scores], problems


def _task(submission, options):
    try:
        submitted = None if submission.submitted_path is None else submission.submitted_path.read_bytes()
    except OSError:
        submitted = b""  # unreadable here: graded as an unreadable file, as on one machine
    return {"student": submission.student, "notebook": submission.instructor_path.name,
            "instructor": submission.instructor_path.read_bytes(), "submitted": submitted, "options": asdict(options)}


def connect(address, sandbox):
    """A Client of the Dask scheduler at ``address``; ClusterProblem when it is unreachable or a worker cannot grade."""
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_SECONDS)
    except (OSError, TimeoutError) as error:
        raise ClusterProblem(f"cannot reach the Dask scheduler at {address}: {error}") from None
    try:
        check_workers(client, sandbox)
    except BaseException:
        client.close()
        raise
    return client


def grade_on_cluster(client, pending, options, on_start, on_result):
    threads = sum(client.nthreads().values())
    waiting, sent, finished = list(pending), {}, as_completed()

    def send():
        submission = waiting.pop(0)
        future = client.submit(grade_task, _task(submission, options), pure=False,
                               key=f"bpcourse-grade-{submission.index}-{submission.key[:12]}")
        sent[future.key] = submission
        finished.add(future)
        on_start(submission)

    for _ in range(min(len(waiting), max(1, threads) * TASKS_PER_WORKER_THREAD)):
        send()
    for future in finished:
        submission = sent.pop(future.key)
        try:
            rows, problems = future.result()
            result = [ExerciseScore(**row) for row in rows], [str(p) for p in problems]
        except Exception as error:  # noqa: BLE001 - that submission's failure, not the run's
            result = grader_error(submission.student, submission.instructor_path,
                                  f"the Dask cluster could not grade it: {type(error).__name__}: {error}")
        finally:
            future.release()
        on_result(submission, result)
        if waiting:
            send()
