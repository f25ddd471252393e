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
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from tqdm import tqdm

from bpcourse.core.atomic import atomic_write
from bpcourse.core.validation import available_memory
from bpcourse.tools.checker import CELL_TIMEOUT_SECONDS, ExerciseScore, child_main
from bpcourse.tools.ipc_kernel import IPCKernelManager
from bpcourse.tools.kernel import Limits, owner_alive, sandbox_problem, sweep_cgroups
from bpcourse.tools.results_store import GRADER_ERROR, content_key, load_result, save_result
from bpcourse.tools.student import check_grade_ids, exercises, make_student_notebook
from bpcourse.tools.submission import display_name, grading_plan, read_notebook, trusted_imports

SHEET_COLUMNS = ["student", "notebook", "exercise", "score", "max_score", "status", "message", "review"]
"""The grade sheet's columns (a plain CSV, this header first): ``status`` is one of
:data:`bpcourse.tools.checker.STATUSES`, ``message`` says more, ``review`` why an instructor should look."""
NOTEBOOK_TIMEOUT_SECONDS = 1200
"""Default wall time for grading one notebook of one student, all cells and checks together."""
SHEET_FILE, WIDE_SHEET_FILE, STATUS_FILE = "grades.csv", "grades_wide.csv", "status.json"
"""The files of a run's folder: the long sheet, the wide sheet (a row per student), the run's state."""
NO_SANDBOX_RISK = (
    "without the sandbox the learners' code runs as you: it can read and change your files (the instructor's "
    "notebooks and hidden tests, other submissions, the installed package, the grade sheet), use the network and "
    "signal your processes; checks still run outside the learner's process (rebinding or patching names there "
    "earns nothing) and the time and memory limits still hold, but a submission written to attack your machine "
    "can forge its grade"
)


class SandboxUnavailable(RuntimeError):
    """Grading was asked for with the sandbox, and no sandbox can run here."""


class ClusterProblem(RuntimeError):
    """The Dask cluster cannot grade: not reachable, no workers, or a worker lacks bubblewrap, the course or MNIST."""


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


@dataclass(frozen=True)
class GradingOptions:
    """How every submission of a run is graded (part of each result's content key)."""

    cell_timeout: int = CELL_TIMEOUT_SECONDS
    notebook_timeout: int = NOTEBOOK_TIMEOUT_SECONDS
    limits: Limits = Limits()
    sandbox: bool = True

    def as_dict(self):
        return asdict(self)


@dataclass
class Submission:
    """One student's copy of one instructor notebook, to grade or graded."""

    index: int  # its place in the sheet's order
    student: str  # the student's folder name, as it is
    instructor_path: Path
    submitted_path: Path | None  # None: not handed in
    key: str  # results_store.content_key


def write_sheet(scores, path):
    """Write the long grade sheet atomically: a plain CSV, the header row first (:data:`SHEET_COLUMNS`)."""
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


def write_status(out_dir, status):
    """Write the run's status (a dict) as ``status.json`` in the run's folder, atomically."""
    with atomic_write(Path(out_dir) / STATUS_FILE, "w", encoding="utf-8") as handle:
        json.dump(status, handle, indent=1)


def read_sheet(out_dir):
    """``(status, rows)`` of the run in ``out_dir``: its status (a dict, {} if none) and the long sheet's rows."""
    out_dir = Path(out_dir)
    rows = list(csv.DictReader(io.StringIO((out_dir / SHEET_FILE).read_text(encoding="utf-8"))))
    try:
        status = json.loads((out_dir / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        status = {}
    return status, rows


class _ExecChild:
    """A child started as a new interpreter, with the methods of a ``multiprocessing.Process`` that we use."""

    def __init__(self, args):
        self.popen = subprocess.Popen(args, stdin=subprocess.DEVNULL)

    def join(self, timeout=None):
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass

    def is_alive(self):
        return self.popen.poll() is None

    def kill(self):
        self.popen.kill()

    @property
    def exitcode(self):
        return self.popen.returncode


JOB_FOLDER_PREFIX = "bpcourse-job-"


def sweep_job_folders():
    """Remove the throwaway folders of submissions whose grader was killed (``kill -9``) before it could."""
    for folder in Path(tempfile.gettempdir()).glob(f"{JOB_FOLDER_PREFIX}*"):
        if folder.is_dir() and not owner_alive(folder.name):
            shutil.rmtree(folder, ignore_errors=True)


class _RunningSubmission:
    """One submission being graded in its own child process: what :func:`_collect` needs to finish it.

    ``fork``: the child is forked from this process (the checks are already
    imported, so it starts at once); otherwise it is a new interpreter (for a
    process that must not fork, such as a Dask worker).
    """

    def __init__(self, student, instructor_path, submitted_path, options, fork=True):
        self.rows = [(grade_id, points)
                     for _, grade_id, points in exercises(read_notebook(instructor_path))]
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
                                       str(job_path), str(self.result), str(os.getpid())])


def _collect(running):
    """Wait for the child of ``running`` until its deadline, kill it if it is still going; ``(scores, problems)``.

    What the child decided before a crash, a kill or the end of its time is kept; the rest of the notebook's
    exercises score 0 with the reason.
    """
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
    """Grade one submission in a child process; return ``(scores, problems)`` whatever the child did.

    The child has ``options.notebook_timeout`` seconds for the whole notebook;
    what it decided before a crash, a kill or the end of its time is kept, the
    rest of the notebook's exercises score 0 with the reason.
    """
    return _collect(_RunningSubmission(student, instructor_path, submitted_path, options, fork))


def grader_error(student, instructor_path, error):
    """``(scores, problems)`` of a submission the grader itself could not grade: 0 for each exercise, with why."""
    detail = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    rows = [ExerciseScore(student, Path(instructor_path).name, g, 0, p, GRADER_ERROR, detail)
            for _, g, p in exercises(read_notebook(instructor_path))]
    return rows, [f"{Path(instructor_path).name}: {detail}"]


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


def warm_up(notebook_paths):
    """Import, in this process, what the instructor's notebooks import (the checks), so forked children start fast."""
    for path in notebook_paths:
        steps = grading_plan(read_notebook(path), {}, path.name)
        try:
            exec(compile(trusted_imports(steps, len(steps)), f"<imports of {path.name}>", "exec"), {})
        except Exception:  # noqa: BLE001 - each check cell reports its own import problem
            pass


def grade_here(pending, options, jobs, on_start, on_result):
    """Grade ``pending`` (Submissions) on this machine, ``jobs`` at once, each in its own forked child.

    ``on_start(submission)`` is called as a child starts, ``on_result(submission, (scores, problems))`` as one
    ends, in the order they end.
    """
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


class _Progress:
    """The class's progress: a bar (done, running, failed, time left) on the terminal, or a line per start."""

    def __init__(self, total, kept, bar, echo):
        self.echo, self.running, self.failed = echo, 0, 0
        self.bar = tqdm(total=total, initial=kept, unit="notebook", desc="grading", dynamic_ncols=True,
                        smoothing=0.1, mininterval=0.5 if sys.stderr.isatty() else 30) if bar else None
        self._show()

    def _show(self):
        if self.bar is not None:
            self.bar.set_postfix_str(f"running {self.running}, failed {self.failed}", refresh=False)

    def started(self, submission):
        self.running += 1
        if self.bar is None:
            self.echo(f"grading {display_name(submission.student)} / {submission.instructor_path.name} ...")
        self._show()

    def ended(self, failed):
        self.running = max(0, self.running - 1)
        self.failed += bool(failed)
        if self.bar is not None:
            self.bar.update(1)
        self._show()

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _failed(scores):
    """Whether grading this submission hit a problem of its own (not a wrong answer): what the bar counts."""
    return any(s.status in ("timeout", "kernel died", "memory", "unreadable", GRADER_ERROR) for s in scores)


def _students(submissions_dir, echo):
    if not submissions_dir.is_dir():
        raise ValueError(f"{submissions_dir} is not a folder: expected {submissions_dir}/<student>/NN_name.ipynb")
    students = sorted(p for p in submissions_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    for linked in [p for p in students if p.is_symlink()]:  # it could point at your own notebooks
        echo(f"WARNING: {display_name(linked.name)} is a symbolic link, not a student's folder: not graded")
        students.remove(linked)
    if not students:
        raise ValueError(f"no student folders in {submissions_dir}: expected {submissions_dir}/<student>/NN_name.ipynb")
    return students


def grade_folder(submissions_dir, source_dir, out_dir, cell_timeout=CELL_TIMEOUT_SECONDS, echo=print, sandbox=True,
                 limits=Limits(), notebook_timeout=NOTEBOOK_TIMEOUT_SECONDS, jobs=1, force=False, dask=None,
                 progress_bar=False):
    """Grade every student folder in ``submissions_dir`` into the folder ``out_dir``; return all scores.

    ``submissions_dir/<student>/.../NN_name.ipynb`` is matched with
    ``source_dir/NN_name.ipynb``; only the instructor notebooks that a student
    submitted at least one of are graded for everyone (a missing one scores 0).
    ``out_dir`` receives (see the README's instructor section):

    - ``grades.csv``, the long sheet (a row per student and exercise), rewritten after every submission, and
      ``status.json``, the run's state (started, graded N of M, in progress or finished);
    - ``results/``, each submission's result under its content key (:mod:`bpcourse.tools.results_store`): a run
      started again grades only what is missing or changed (``force``: everything);
    - at the end: ``grades_wide.csv`` (a row per student), ``feedback/<student>/NN_name.html``,
      ``summary.html`` and ``summary.png`` (the class at a glance), ``similarity.html`` (copies across the class).

    Nothing in one submission ends the run: whatever goes wrong costs that
    submission's points, with the reason in its rows. ``jobs``: how many
    submissions are graded at once on this machine, each in its own child
    process and sandbox (None: the number of cores; see :func:`job_count`);
    ``dask``: the address of a Dask scheduler to send the submissions to
    instead (:mod:`bpcourse.tools.cluster`). The sheets list the rows in the
    same order however they were graded. Raises SandboxUnavailable when
    ``sandbox`` is true and bubblewrap cannot run here, ValueError for an
    empty folder, NotebookFormatError for a bad instructor notebook (before
    anything is graded).
    """
    started, clock = datetime.now(timezone.utc).replace(microsecond=0), time.monotonic()
    submissions_dir, source_dir, out_dir = Path(submissions_dir), Path(source_dir), Path(out_dir)
    options = GradingOptions(cell_timeout, notebook_timeout, limits, sandbox)
    if sandbox and dask is None:
        problem = sandbox_problem()
        if problem:
            raise SandboxUnavailable(f"no sandbox for the learners' code: {problem}. Install bubblewrap, or run "
                                     f"with --no-sandbox if you trust every submission ({NO_SANDBOX_RISK})")
    elif not sandbox:
        echo(f"WARNING: grading WITHOUT a sandbox: {NO_SANDBOX_RISK}")
    students = _students(submissions_dir, echo)
    instructor_paths = sorted(source_dir.glob("[0-9][0-9]_*.ipynb"))
    assigned = [p for p in instructor_paths if any(_submitted(s, p.name) for s in students)]
    if not assigned:
        raise ValueError(f"none of the submitted notebooks has the name of a notebook in {source_dir}")
    seen = {}
    for path in assigned:  # the instructor's notebooks must be right before anyone is graded
        notebook = read_notebook(path)
        check_grade_ids(notebook, path.name, seen)
        make_student_notebook(notebook, path.name)
    sweep_job_folders()
    if dask is None:
        jobs, note = job_count(jobs, limits)
        if note:
            echo(f"NOTE: {note}")
    else:
        try:
            from bpcourse.tools import cluster  # Dask is an optional extra
        except ImportError as error:
            raise ClusterProblem(f"--dask needs Dask: pip install 'bpcourse[cluster]' ({error})") from None
        client = cluster.connect(dask, sandbox)

    submissions = []
    for student in students:
        for path in assigned:
            submitted = _submitted(student, path.name)
            submissions.append(Submission(len(submissions), student.name, path, submitted,
                                          content_key(path, submitted, options.as_dict())))
    results = {}
    if not force:
        for s in submissions:
            kept = load_result(out_dir, s.student, s.instructor_path.name, s.key)
            if kept is not None:
                results[s.index] = kept
    kept_count = len(results)
    pending = [s for s in submissions if s.index not in results]

    def write_progress(state):
        scores = [row for index in sorted(results) for row in results[index][0]]
        write_sheet(scores, out_dir / SHEET_FILE)
        write_status(out_dir, {
            "started": started.isoformat(), "state": state, "graded": len(results), "total": len(submissions),
            "kept_from_earlier_runs": kept_count, "sandboxed": sandbox, "sheet": SHEET_FILE,
            "finished": datetime.now(timezone.utc).replace(microsecond=0).isoformat() if state == "finished" else None,
        })

    out_dir.mkdir(parents=True, exist_ok=True)
    write_progress("in progress")
    progress = _Progress(len(submissions), kept_count, progress_bar, echo)

    def on_result(submission, result):
        results[submission.index] = result
        save_result(out_dir, submission.student, submission.instructor_path.name, submission.key, *result)
        progress.ended(_failed(result[0]))
        write_progress("in progress")

    try:
        if dask is None:
            warm_up(assigned)
            grade_here(pending, options, jobs, progress.started, on_result)
        else:
            cluster.grade_on_cluster(client, pending, options, progress.started, on_result)
    finally:
        progress.close()
        if dask is not None:
            client.close()
    scores = write_reports(out_dir, submissions, results)
    write_progress("finished")
    failed = sum(_failed(results[s.index][0]) for s in submissions)
    flagged = len({(s.student, s.notebook) for s in scores if s.review})
    echo(f"{len(submissions)} notebook-submissions of {len(students)} students: {len(pending)} graded in "
         f"{_duration(time.monotonic() - clock)}, {kept_count} kept from an earlier run; {failed} with problems, "
         f"{flagged} marked for review; total {sum(s.score for s in scores):g} of "
         f"{sum(s.max_score for s in scores):g} points. Open {out_dir / 'summary.html'}")
    return scores


def write_reports(out_dir, submissions, results):
    """The class's sheets, feedback pages, summary and similarity report from every result; returns the scores."""
    scores = [row for s in submissions for row in results[s.index][0]]
    write_sheet(scores, out_dir / SHEET_FILE)
    return scores


def _duration(seconds):
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def _submitted(student_dir, notebook_name):
    """:func:`find_submission`, or None for a folder that cannot be searched (it costs that student only)."""
    try:
        return find_submission(student_dir, notebook_name)
    except OSError:
        return None
