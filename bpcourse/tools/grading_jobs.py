"""Grade one submission in a child process of its own, or several at once: the jobs of a grading run.

Whatever the child does (crash, kill, run past its time budget) costs only the exercises of that submission
it had not finished: :func:`grade_submission` always returns a row per exercise.
"""

import contextlib
import json
import multiprocessing
import multiprocessing.connection
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bpcourse.core.validation import available_memory, check_positive_int
from bpcourse.tools.checker import CELL_TIMEOUT_SECONDS, ExerciseScore, child_main
from bpcourse.tools.kernel import Limits, owner_alive, sweep_cgroups
from bpcourse.tools.results_store import GRADER_ERROR
from bpcourse.tools.student import exercises
from bpcourse.tools.submission import grading_plan, read_notebook, trusted_imports

NOTEBOOK_TIMEOUT_SECONDS = 1200  # wall time for one student's notebook, all cells and checks together


class ClusterProblem(RuntimeError):
    """The Dask cluster cannot grade: not reachable, no workers, or a worker lacks bubblewrap, the course or MNIST."""


@dataclass(frozen=True)
class GradingOptions:
    """How every submission of a run is graded (part of each result's content key)."""

    cell_timeout: int = CELL_TIMEOUT_SECONDS
    notebook_timeout: int = NOTEBOOK_TIMEOUT_SECONDS
    limits: Limits = Limits()
    sandbox: bool = True


@dataclass
class Submission:
    """One student's copy of one instructor notebook, to grade or graded."""

    index: int  # its place in the sheet's order
    student: str  # the student's folder name, as it is
    instructor_path: Path
    submitted_path: Path | None  # None: not handed in
    key: str  # results_store.content_key


class _ExecChild(subprocess.Popen):
    """A child started as a new interpreter, with the methods of a ``multiprocessing.Process`` that we use."""

    exitcode = property(lambda self: self.returncode)

    def join(self, timeout=None):
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.wait(timeout)

    def is_alive(self):
        return self.poll() is None


JOB_FOLDER_PREFIX = "bpcourse-job-"


def sweep_job_folders(prefix=JOB_FOLDER_PREFIX, temporary=None):
    """Remove the temporary folders ``<prefix><pid>-...`` whose process is gone (one killed cannot clean up after
    itself; :func:`owner_alive` reads the pid); a running process's folders stay. Returns the paths removed."""
    removed = []
    for folder in Path(temporary or tempfile.gettempdir()).glob(f"{prefix}*"):
        if folder.is_dir() and not owner_alive(folder.name):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


class _RunningSubmission:
    """One submission being graded in its own child: forked (the checks already imported), or with ``fork=False``
    a new interpreter (a Dask worker must not fork)."""

    def __init__(self, student, instructor_path, submitted_path, options, fork=True):
        self.rows = [(grade_id, points) for _, grade_id, points in exercises(read_notebook(instructor_path))]
        self.student, self.name = student, Path(instructor_path).name
        job = {"student": student, "instructor": str(instructor_path),
               "submitted": None if submitted_path is None else str(submitted_path),
               "cell_timeout": options.cell_timeout, "limits": options.limits, "sandbox": options.sandbox}
        # The child's throwaway folder lives in this one, which is removed in _collect even if the child is killed.
        self.folder = tempfile.TemporaryDirectory(prefix=f"{JOB_FOLDER_PREFIX}{os.getpid()}-",
                                                  ignore_cleanup_errors=True)
        self.result = Path(self.folder.name) / "result.json"
        job["folder"] = str(Path(self.folder.name) / "submission")
        Path(job["folder"]).mkdir()
        self.notebook_timeout = options.notebook_timeout
        self.deadline = time.monotonic() + options.notebook_timeout
        if fork:
            self.process = multiprocessing.get_context("fork").Process(
                target=child_main, args=(job, self.result, os.getpid()), daemon=True)
            self.process.start()
        else:
            job_path = Path(self.folder.name) / "job.json"
            job_path.write_text(json.dumps({**job, "limits": asdict(options.limits)}), encoding="utf-8")
            self.process = _ExecChild([sys.executable, "-c", "from bpcourse.tools.checker import exec_main; exec_main()",
                                       str(job_path), str(self.result), str(os.getpid())], stdin=subprocess.DEVNULL)


def _collect(running):
    """Wait for the child of ``running`` until its deadline, then kill it; ``(scores, problems)``."""
    student, name = running.student, running.name
    try:
        process = running.process
        process.join(max(0.0, running.deadline - time.monotonic()))
        problem, cause = None, GRADER_ERROR
        if process.is_alive():
            process.kill()
            process.join()
            problem = f"the notebook's time budget of {running.notebook_timeout} s ran out, and its grading was stopped"
            cause = "timeout"
        elif process.exitcode != 0:
            problem = f"the grader's child process ended with exit code {process.exitcode}"
        sweep_cgroups()
        done, problems = [], []
        if running.result.exists():
            try:
                data = json.loads(running.result.read_text(encoding="utf-8"))
                done = [ExerciseScore(**row) for row in data["scores"]]
                problems = [str(p) for p in data["problems"]]
            except (ValueError, KeyError, TypeError) as error:
                problem, done = f"the grader's child process left an unreadable result: {error}", []
        elif problem is None:
            problem = "the grader's child process left no result"
        if problem:
            graded = {s.exercise for s in done}
            done += [ExerciseScore(student, name, g, 0, p, cause, problem) for g, p in running.rows if g not in graded]
            problems.append(f"{name}: {problem}")
        return done, problems
    finally:
        running.folder.cleanup()


def grade_submission(student, instructor_path, submitted_path, options=GradingOptions(), fork=True):
    """Grade one submission in a child process; return ``(scores, problems)`` whatever the child did: what it
    decided before a crash, a kill or the end of ``options.notebook_timeout`` is kept, the rest scores 0 with why."""
    return _collect(_RunningSubmission(student, instructor_path, submitted_path, options, fork))


def grader_error(student, instructor_path, error):
    """``(scores, problems)`` of a submission the grader itself could not grade: 0 for each exercise, with why."""
    name, detail = Path(instructor_path).name, error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    rows = [ExerciseScore(student, name, g, 0, p, GRADER_ERROR, detail)
            for _, g, p in exercises(read_notebook(instructor_path))]
    return rows, [f"{name}: {detail}"]


def job_count(jobs, limits):
    """``(count, note)``: ``jobs`` (None: the cores), lowered until that many kernels (memory plus three tmpfs
    each) fit in the machine's memory; the note says why, or is None."""
    asked = check_positive_int((os.cpu_count() or 1) if jobs is None else jobs, "--jobs")
    per_job = (limits.memory_mb + 3 * limits.tmpfs_mb) << 20
    memory = available_memory()
    fits = asked if memory is None else max(1, memory // per_job)
    if fits >= asked:
        return asked, None
    return fits, (f"grading {fits} at once, not {asked}: each kernel may use {per_job >> 20} MB "
                  f"(--memory-mb plus its file systems) and this machine has {memory >> 20} MB")


def warm_up(notebook_paths):
    for path in notebook_paths:
        steps = grading_plan(read_notebook(path), {}, path.name)
        try:
            exec(compile(trusted_imports(steps, len(steps)), f"<imports of {path.name}>", "exec"), {})
        except Exception:  # noqa: BLE001 - each check cell reports its own import problem
            pass


def grade_here(pending, options, jobs, on_start, on_result):
    """Grade ``pending`` here, ``jobs`` at once; ``on_start(submission)``, ``on_result(submission, (scores,
    problems))`` as each starts and ends."""
    waiting, running = list(pending), {}
    while waiting or running:
        while waiting and len(running) < jobs:
            submission = waiting.pop(0)
            on_start(submission)
            try:
                running[submission.index] = (submission, _RunningSubmission(
                    submission.student, submission.instructor_path, submission.submitted_path, options))
            except Exception as error:  # noqa: BLE001 - one submission never ends the run
                on_result(submission, grader_error(submission.student, submission.instructor_path, error))
        if not running:
            continue
        sentinels = {child.process.sentinel: index for index, (_, child) in running.items()}
        wait_for = max(0.0, min(child.deadline for _, child in running.values()) - time.monotonic())
        ready = multiprocessing.connection.wait(list(sentinels), timeout=wait_for)
        late = [index for index, (_, child) in running.items() if time.monotonic() >= child.deadline]
        for index in sorted({sentinels[s] for s in ready} | set(late)):
            submission, child = running.pop(index)
            try:
                result = _collect(child)
            except Exception as error:  # noqa: BLE001 - one submission never ends the run
                result = grader_error(submission.student, submission.instructor_path, error)
            on_result(submission, result)
