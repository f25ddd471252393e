"""Grade a folder of submitted notebooks so that no submission can forge its grade or hurt another.

``grade_folder`` matches each student's notebooks by file name with the
instructor's (``source_dir/NN_name.ipynb``) and grades every submission in
its own child process (:mod:`bpcourse.tools.checker`), which runs the
learner's code in a sandboxed kernel (:mod:`bpcourse.tools.kernel`) and
decides every verdict itself. The design, in short:

1. **Sandbox per submission.** The learner's cells run under bubblewrap: no
   network, its own process and user namespaces, no capabilities, only Python,
   the virtual environment, the ``bpcourse`` package and MNIST visible (all
   read-only), a small private tmpfs as working folder, and limits on memory,
   CPU time, file size and wall time per cell. The instructor's notebook,
   the hidden tests, other submissions and the grade sheet are not in it.
   Without bubblewrap, grading refuses unless ``sandbox=False``
   (``--no-sandbox``), which keeps the limits and runs the checks outside the
   learner's process, but lets the learner's code read and write what the
   instructor can (the grade sheet included).
2. **Verdicts outside the kernel.** Check cells and hidden tests run in the
   grader's child process, calling the learner's functions through proxies
   that bring back plain data only (:mod:`bpcourse.tools.plain`). Patching
   ``bpcourse``, NumPy, the check's name or IPython in the kernel changes
   nothing here. Solution cells that import ``bpcourse`` or use
   ``importlib``, ``__import__``, ``exec``, ``eval``, ``get_ipython``
   (:mod:`bpcourse.tools.review`) are marked for review in the sheet.
3. **No run lost.** A child that crashes, is killed or runs past its time
   budget costs only the exercises of that submission it had not finished.
   The grade sheet is rewritten atomically after every submission; its first
   line names the run's start time and how far it got, so an old sheet can't
   pass for a new one. A summary lists every student's total and every
   problem met.

``execute_cells`` (a Jupyter kernel run of a whole notebook, used to test the
student versions) is here as well; it talks to its kernel over Unix sockets.
"""

import csv
import io
import json
import multiprocessing
import multiprocessing.connection
import os
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from bpcourse.core.atomic import atomic_write
from bpcourse.core.validation import available_memory
from bpcourse.tools.checker import CELL_TIMEOUT_SECONDS, ExerciseScore, run_job
from bpcourse.tools.ipc_kernel import IPCKernelManager
from bpcourse.tools.kernel import Limits, sandbox_problem, sweep_cgroups
from bpcourse.tools.student import check_grade_ids, exercises, make_student_notebook
from bpcourse.tools.submission import display_name, grading_plan, read_notebook, trusted_imports

SHEET_COLUMNS = ["student", "notebook", "exercise", "score", "max_score", "status", "message", "review"]
"""The grade sheet's columns (a plain CSV, this header first): ``status`` is one of
:data:`bpcourse.tools.checker.STATUSES`, ``message`` says more, ``review`` why an instructor should look."""
NOTEBOOK_TIMEOUT_SECONDS = 1200
"""Default wall time for grading one notebook of one student, all cells and checks together."""
NO_SANDBOX_RISK = (
    "without the sandbox the learners' code runs as you: it can read and change your files (the instructor's "
    "notebooks and hidden tests, other submissions, the installed package, the grade sheet), use the network and "
    "signal your processes; checks still run outside the learner's process (rebinding or patching names there "
    "earns nothing) and the time and memory limits still hold, but a submission written to attack your machine "
    "can forge its grade"
)


class SandboxUnavailable(RuntimeError):
    """Grading was asked for with the sandbox, and no sandbox can run here."""


def execute_cells(notebook, working_dir, cell_timeout=CELL_TIMEOUT_SECONDS):
    """Run ``notebook`` (in place) in a Jupyter kernel; return ``{cell_index: status}`` for every code cell.

    A status is ``"ok"``, ``"failed"`` (the cell raised), ``"timeout"`` (the cell
    ran longer than ``cell_timeout`` seconds and was interrupted) or
    ``"not run"`` (the kernel died before it). Not sandboxed: for the course's
    own notebooks, not for learners' submissions.
    """
    statuses = {index: "not run" for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"}

    def on_cell_executed(cell, cell_index, execute_reply):
        content = execute_reply["content"] if execute_reply else {}
        if content.get("status") == "ok":
            statuses[cell_index] = "ok"
        elif content.get("ename") == "CellTimeoutError":
            statuses[cell_index] = "timeout"
        else:
            statuses[cell_index] = "failed"

    client = NotebookClient(
        notebook,
        timeout=cell_timeout,
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": "CellTimeoutError",
            "evalue": f"the cell ran longer than {cell_timeout} s and was interrupted",
            "traceback": [],
        },
        kernel_name="python3",
        kernel_manager_class=IPCKernelManager,
        resources={"metadata": {"path": str(working_dir)}},
        on_cell_executed=on_cell_executed,
    )
    try:
        client.execute()
    except DeadKernelError:
        pass  # cells after the crash stay "not run"
    return statuses


def find_submission(student_dir, notebook_name):
    """The student's copy of ``notebook_name`` below their folder (nbgrader nests it), or None.

    Symbolic links are not followed: a submission is a file in the student's own folder.
    """
    student_dir = Path(student_dir)
    root = student_dir.resolve()
    matches = sorted(
        p for p in student_dir.rglob(notebook_name)
        if ".ipynb_checkpoints" not in p.parts and p.is_file() and not p.is_symlink()
        and p.resolve().is_relative_to(root)
    )
    return matches[0] if matches else None


def write_sheet(scores, path):
    """Write the grade sheet atomically: a plain CSV, the header row first (:data:`SHEET_COLUMNS`)."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(SHEET_COLUMNS)
    for s in scores:
        writer.writerow([display_name(s.student), s.notebook, s.exercise, f"{s.score:g}", f"{s.max_score:g}",
                         s.status, display_name(s.message), display_name(s.review)])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text.getvalue())


def status_path(sheet_path):
    """The run's status file beside the grade sheet: ``grades.csv`` -> ``grades.status.json``."""
    sheet_path = Path(sheet_path)
    return sheet_path.with_name(sheet_path.stem + ".status.json")


def write_status(sheet_path, status):
    """Write the run's status (a dict) as JSON beside the sheet, atomically."""
    with atomic_write(status_path(sheet_path), "w", encoding="utf-8") as handle:
        json.dump(status, handle, indent=1)


def read_sheet(path):
    """``(status, rows)``: the run's status (a dict, {} if there is none) and the sheet's rows as dicts."""
    rows = list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))
    try:
        status = json.loads(status_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        status = {}
    return status, rows


def _child(job, result_path):
    """The child process of one submission: its own session, the checker, exit code 0 when it finished."""
    os.setsid()  # a kill aimed at the child's process group never reaches the grader
    try:
        run_job(job, result_path)
    except BaseException:  # noqa: BLE001 - reported by the exit code; the parent decides
        traceback.print_exc()
        os._exit(1)
    os._exit(0)


class _RunningSubmission:
    """One submission being graded in its own child process: what :func:`_collect` needs to finish it."""

    def __init__(self, student, instructor_path, submitted_path, cell_timeout, limits, sandbox, notebook_timeout):
        self.rows = [(grade_id, points)
                     for _, grade_id, points in exercises(nbformat.read(instructor_path, as_version=4))]
        self.student, self.name = student, Path(instructor_path).name
        job = {"student": student, "instructor": str(instructor_path),
               "submitted": None if submitted_path is None else str(submitted_path),
               "cell_timeout": cell_timeout, "limits": limits, "sandbox": sandbox}
        # The child's throwaway folder lives in this one, which is removed in _collect even if the child is killed.
        self.folder = tempfile.TemporaryDirectory(prefix="bpcourse-job-", ignore_cleanup_errors=True)
        self.result = Path(self.folder.name) / "result.json"
        job["folder"] = str(Path(self.folder.name) / "submission")
        Path(job["folder"]).mkdir()
        self.notebook_timeout = notebook_timeout
        self.deadline = time.monotonic() + notebook_timeout
        self.process = multiprocessing.get_context("fork").Process(target=_child, args=(job, self.result),
                                                                   daemon=True)
        self.process.start()


def _collect(running):
    """Wait for the child of ``running`` until its deadline, kill it if it is still going; ``(scores, problems)``.

    What the child decided before a crash, a kill or the end of its time is kept; the rest of the notebook's
    exercises score 0 with the reason.
    """
    student, name = running.student, running.name
    try:
        process = running.process
        process.join(max(0.0, running.deadline - time.monotonic()))
        problem, cause = None, "grader error"
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


def grade_submission(student, instructor_path, submitted_path, cell_timeout, limits, sandbox,
                     notebook_timeout=NOTEBOOK_TIMEOUT_SECONDS):
    """Grade one submission in a child process; return ``(scores, problems)`` whatever the child did.

    The child is forked from this process (so the check modules it needs are
    already imported) and has ``notebook_timeout`` seconds for the whole
    notebook; what it decided before a crash, a kill or the end of its time is
    kept, the rest of the notebook's exercises score 0 with the reason.
    """
    return _collect(_RunningSubmission(student, instructor_path, submitted_path, cell_timeout, limits, sandbox,
                                       notebook_timeout))


def job_count(jobs, limits):
    """How many submissions to grade at once: ``jobs`` (None: the number of cores), lowered to what memory allows.

    Each job's kernel may use up to ``limits.memory_mb`` of address space plus three in-memory file systems of
    ``limits.tmpfs_mb``; N jobs are allowed only while N times that fits in the machine's physical memory.
    Returns ``(count, note)``: note says why the count is lower than asked, or is None.
    """
    asked = (os.cpu_count() or 1) if jobs is None else jobs
    if not (isinstance(asked, int) and asked >= 1):
        raise ValueError(f"expected --jobs to be a positive int, got {jobs!r}")
    per_job = (limits.memory_mb + 3 * limits.tmpfs_mb) << 20
    memory = available_memory()
    fits = asked if memory is None else max(1, memory // per_job)
    if fits >= asked:
        return asked, None
    return fits, (f"grading {fits} at once, not {asked}: each kernel may use {per_job >> 20} MB "
                  f"(--memory-mb plus its file systems) and this machine has {memory >> 20} MB")


def _warm_up(notebook_paths):
    """Import, in this process, what the instructor's notebooks import (the checks), so forked children start fast."""
    for path in notebook_paths:
        steps = grading_plan(read_notebook(path), {}, path.name)
        try:
            exec(compile(trusted_imports(steps, len(steps)), f"<imports of {path.name}>", "exec"), {})
        except Exception:  # noqa: BLE001 - each check cell reports its own import problem
            pass


def grade_folder(submissions_dir, source_dir, csv_path, cell_timeout=CELL_TIMEOUT_SECONDS, echo=print, sandbox=True,
                 limits=Limits(), notebook_timeout=NOTEBOOK_TIMEOUT_SECONDS, jobs=1):
    """Grade every student folder in ``submissions_dir``; keep the grade sheet current; return all scores.

    ``submissions_dir/<student>/.../NN_name.ipynb`` is matched with
    ``source_dir/NN_name.ipynb``; only the instructor notebooks that a student
    submitted at least one of are graded for everyone (a missing one scores 0).
    The sheet (plain CSV) is rewritten after every submission, and the run's
    status (:func:`write_status`: started, graded N of M, in progress or
    finished) beside it. Nothing in one submission ends the run: whatever goes
    wrong costs that submission's points, with the reason in its rows.
    ``jobs``: how many submissions are graded at once, each in its own child
    process and sandbox (None: the number of cores; see :func:`job_count`);
    the sheet lists the rows in the same order whatever the number of jobs.
    Raises SandboxUnavailable when ``sandbox`` is true and bubblewrap cannot
    run, ValueError for an empty folder, NotebookFormatError for a bad
    instructor notebook (before anything is graded).
    """
    started = datetime.now(timezone.utc).replace(microsecond=0)
    submissions_dir, source_dir, csv_path = Path(submissions_dir), Path(source_dir), Path(csv_path)
    if sandbox:
        problem = sandbox_problem()
        if problem:
            raise SandboxUnavailable(f"no sandbox for the learners' code: {problem}. Install bubblewrap, or run "
                                     f"with --no-sandbox if you trust every submission ({NO_SANDBOX_RISK})")
    else:
        echo(f"WARNING: grading WITHOUT a sandbox: {NO_SANDBOX_RISK}")
    if not submissions_dir.is_dir():
        raise ValueError(f"{submissions_dir} is not a folder: expected {submissions_dir}/<student>/NN_name.ipynb")
    students = sorted(p for p in submissions_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    for linked in [p for p in students if p.is_symlink()]:  # it could point at your own notebooks
        echo(f"WARNING: {display_name(linked.name)} is a symbolic link, not a student's folder: not graded")
        students.remove(linked)
    if not students:
        raise ValueError(f"no student folders in {submissions_dir}: expected {submissions_dir}/<student>/NN_name.ipynb")
    instructor_paths = sorted(source_dir.glob("[0-9][0-9]_*.ipynb"))
    assigned = [p for p in instructor_paths if any(_submitted(s, p.name) for s in students)]
    if not assigned:
        raise ValueError(f"none of the submitted notebooks has the name of a notebook in {source_dir}")
    seen = {}
    for path in assigned:  # the instructor's notebooks must be right before anyone is graded
        notebook = nbformat.read(path, as_version=4)
        check_grade_ids(notebook, path.name, seen)
        make_student_notebook(notebook, path.name)

    _warm_up(assigned)
    total = len(students) * len(assigned)
    scores, problems, graded = [], [], 0

    def status(state):
        write_status(csv_path, {
            "started": started.isoformat(), "state": state, "graded": graded, "total": total,
            "sandboxed": sandbox, "sheet": csv_path.name,
            "finished": datetime.now(timezone.utc).replace(microsecond=0).isoformat() if state == "finished" else None,
        })

    jobs, note = job_count(jobs, limits)
    if note:
        echo(f"NOTE: {note}")
    write_sheet(scores, csv_path)
    status("in progress")
    waiting = [(student, path) for student in students for path in assigned]  # the sheet's order
    running, results = {}, {}

    def start(index):
        student, instructor_path = waiting[index]
        echo(f"grading {display_name(student.name)} / {instructor_path.name} ...")
        try:
            running[index] = _RunningSubmission(student.name, instructor_path,
                                                _submitted(student, instructor_path.name),
                                                cell_timeout, limits, sandbox, notebook_timeout)
        except Exception as error:  # noqa: BLE001 - one submission never ends the run
            results[index] = _grader_error(student, instructor_path, error)

    def collect(index):
        student, instructor_path = waiting[index]
        try:
            results[index] = _collect(running.pop(index))
        except Exception as error:  # noqa: BLE001 - one submission never ends the run
            results[index] = _grader_error(student, instructor_path, error)

    next_index = 0
    while next_index < len(waiting) or running:
        while next_index < len(waiting) and len(running) < jobs:
            start(next_index)
            next_index += 1
        if running:
            sentinels = {running[i].process.sentinel: i for i in running}
            wait_for = max(0.0, min(r.deadline for r in running.values()) - time.monotonic())
            ready = multiprocessing.connection.wait(list(sentinels), timeout=wait_for)
            late = [i for i, r in running.items() if time.monotonic() >= r.deadline]
            for index in sorted({sentinels[s] for s in ready} | set(late)):
                collect(index)
        graded = len(results)
        scores = [row for index in sorted(results) for row in results[index][0]]
        problems = [f"{display_name(waiting[index][0].name)} / {display_name(p)}"
                    for index in sorted(results) for p in results[index][1]]
        write_sheet(scores, csv_path)
        status("in progress" if graded < total else "finished")
    echo("")
    for student in students:
        mine = [s for s in scores if s.student == student.name]
        echo(f"{display_name(student.name)}: {sum(s.score for s in mine):g} / {sum(s.max_score for s in mine):g}")
        for s in mine:
            detail = f"  ({display_name(s.message)[:120]})" if s.message and s.status != "ok" else ""
            echo(f"    {s.exercise:<32} {s.score:g} / {s.max_score:g}  {s.status}{detail}"
                 + (f"  REVIEW: {display_name(s.review)}" if s.review else ""))
    echo(f"\nproblems met: {len(problems)}")
    for problem in problems:
        echo(f"  {problem}")
    reviews = [s for s in scores if s.review]
    if reviews:
        echo(f"exercises marked for review: {len(reviews)} (see the review column)")
    echo(f"\nscores written to {csv_path} (the run's status in {status_path(csv_path)})")
    return scores


def _grader_error(student, instructor_path, error):
    """``(scores, problems)`` of a submission the grader itself could not grade: 0 for each exercise, with why."""
    detail = f"{type(error).__name__}: {error}"
    rows = [ExerciseScore(student.name, instructor_path.name, g, 0, p, "grader error", detail)
            for _, g, p in exercises(nbformat.read(instructor_path, as_version=4))]
    return rows, [f"{instructor_path.name}: {detail}"]


def _submitted(student_dir, notebook_name):
    """:func:`find_submission`, or None for a folder that cannot be searched (it costs that student only)."""
    try:
        return find_submission(student_dir, notebook_name)
    except OSError:
        return None
