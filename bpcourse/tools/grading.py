"""Grade a folder of submitted notebooks so that no submission can forge its grade or hurt another.

Each submission is graded in its own child process (:mod:`bpcourse.tools.checker`): the learner's code in a
sandboxed kernel (:mod:`bpcourse.tools.kernel`), every verdict outside it. Each result is kept under its
content key as soon as it is graded (:mod:`bpcourse.tools.results_store`), so a stopped run resumes; the
README's instructor section describes the sandbox, the limits and the run's folder. ``execute_cells`` (not
sandboxed) runs the course's own notebooks, to test the student versions.
"""

import contextlib
import csv
import io
import json
import os
import sys
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from tqdm import tqdm

from bpcourse.core.atomic import atomic_write, write_csv
from bpcourse.tools.checker import CELL_TIMEOUT_SECONDS
from bpcourse.tools.class_report import write_summary, write_wide_sheet
from bpcourse.tools.feedback import feedback_page, write_feedback
from bpcourse.tools.grading_jobs import (NOTEBOOK_TIMEOUT_SECONDS, ClusterProblem, GradingOptions, Submission,
                                         grade_here, job_count, sweep_job_folders, warm_up)
from bpcourse.tools.ipc_kernel import IPCKernelManager
from bpcourse.tools.kernel import Limits, sandbox_problem
from bpcourse.tools.results_store import GRADER_ERROR, content_key, load_result, save_result
from bpcourse.tools.similarity import THRESHOLD, class_copies, similarity_report
from bpcourse.tools.student import check_grade_ids, is_solution_cell, make_student_notebook, nbgrader_metadata
from bpcourse.tools.submission import SubmissionError, display_name, read_notebook, read_solutions

SHEET_COLUMNS = ["student", "notebook", "exercise", "score", "max_score", "status", "message", "review"]
"""The long sheet's header (``status`` is one of :data:`bpcourse.tools.checker.STATUSES`)."""
SHEET_FILE, WIDE_SHEET_FILE, STATUS_FILE = "grades.csv", "grades_wide.csv", "status.json"
FEEDBACK_FOLDER, SIMILARITY_FILE = "feedback", "similarity.html"
NO_SANDBOX_RISK = ("without the sandbox the learners' code runs as you: it can read and change your files (the "
                   "instructor's notebooks and hidden tests, other submissions, the installed package, the grade "
                   "sheet), use the network and signal your processes; checks still run outside the learner's process "
                   "(rebinding or patching names there earns nothing) and the time and memory limits still hold, but a "
                   "submission written to attack your machine can forge its grade")


class SandboxUnavailable(RuntimeError):
    """Grading was asked for with the sandbox, and no sandbox can run here."""


def execute_cells(notebook, working_dir, cell_timeout=CELL_TIMEOUT_SECONDS):
    """Run ``notebook`` (in place) in a Jupyter kernel, not sandboxed; ``{cell_index: status}`` of its code cells,
    a status ``"ok"``, ``"failed"``, ``"timeout"`` (interrupted after ``cell_timeout`` s) or ``"not run"``."""
    statuses = {index: "not run" for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"}

    def on_cell_executed(cell, cell_index, execute_reply):
        content = execute_reply["content"] if execute_reply else {}
        timeout = content.get("ename") == "CellTimeoutError"
        statuses[cell_index] = "ok" if content.get("status") == "ok" else "timeout" if timeout else "failed"

    timeout_error = {"ename": "CellTimeoutError", "traceback": [],
                     "evalue": f"the cell ran longer than {cell_timeout} s and was interrupted"}
    client = NotebookClient(notebook, timeout=cell_timeout, allow_errors=True, interrupt_on_timeout=True,
                            error_on_timeout=timeout_error, kernel_name="python3",
                            kernel_manager_class=IPCKernelManager, resources={"metadata": {"path": str(working_dir)}},
                            on_cell_executed=on_cell_executed)
    with contextlib.suppress(DeadKernelError):  # cells after the crash stay "not run"
        client.execute()
    return statuses


def _submitted(student_dir, notebook_name):
    """The student's copy of ``notebook_name`` below their folder (nbgrader nests it), or None (also for a folder
    that cannot be searched: it costs that student only). Symbolic links are not followed: a submission is a file
    in the student's own folder."""
    try:
        root = student_dir.resolve()
        matches = sorted(p for p in student_dir.rglob(notebook_name)
                         if ".ipynb_checkpoints" not in p.parts and p.is_file() and not p.is_symlink()
                         and p.resolve().is_relative_to(root))
    except OSError:
        return None
    return matches[0] if matches else None


def write_sheet(scores, path):
    write_csv(path, [SHEET_COLUMNS] + [[display_name(s.student), s.notebook, s.exercise, f"{s.score:g}",
                                        f"{s.max_score:g}", s.status, display_name(s.message), display_name(s.review)]
                                       for s in scores])


def read_sheet(out_dir):
    """``(status, rows)`` of the run in ``out_dir``: its status (a dict, {} if none) and the long sheet's rows."""
    out_dir = Path(out_dir)
    rows = list(csv.DictReader(io.StringIO((out_dir / SHEET_FILE).read_text(encoding="utf-8"))))
    try:
        status = json.loads((out_dir / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        status = {}
    return status, rows


class _Progress:
    """The class's progress: a bar (done, running, failed, time left) on the terminal, or a line per start."""

    def __init__(self, total, kept, bar, echo):
        self.echo, self.running, self.failed = echo, 0, 0
        self.bar = tqdm(total=total, initial=kept, unit="notebook", desc="grading", dynamic_ncols=True,
                        smoothing=0.1, mininterval=0.5 if sys.stderr.isatty() else 30, disable=not bar)
        self._show()

    def _show(self):
        self.bar.set_postfix_str(f"running {self.running}, failed {self.failed}", refresh=False)

    def started(self, submission):
        self.running += 1
        if self.bar.disable:
            self.echo(f"grading {display_name(submission.student)} / {submission.instructor_path.name} ...")
        self._show()

    def ended(self, failed):
        self.running = max(0, self.running - 1)
        self.failed += bool(failed)
        self.bar.update(1)
        self._show()


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

    ``submissions_dir/<student>/.../NN_name.ipynb`` is matched with ``source_dir/NN_name.ipynb``; only the
    instructor notebooks that someone submitted are graded, for everyone (a missing one scores 0). ``out_dir``
    gets the files of the README's instructor section. ``jobs``: submissions at once here (None: the cores,
    see :func:`job_count`); ``dask``: a Dask scheduler's address to send them to instead. Raises
    SandboxUnavailable, ValueError (no submissions) or NotebookFormatError before anything is graded."""
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
                                          content_key(path, submitted, asdict(options))))
    kept = {} if force else {s.index: load_result(out_dir, s.student, s.instructor_path.name, s.key)
                             for s in submissions}
    results = {index: result for index, result in kept.items() if result is not None}
    kept_count = len(results)
    pending = [s for s in submissions if s.index not in results]

    def write_progress(state):
        scores = [row for index in sorted(results) for row in results[index][0]]
        write_sheet(scores, out_dir / SHEET_FILE)
        with atomic_write(out_dir / STATUS_FILE, "w", encoding="utf-8") as handle:
            json.dump({"started": started.isoformat(), "state": state, "graded": len(results),
                       "total": len(submissions), "kept_from_earlier_runs": kept_count, "sandboxed": sandbox,
                       "sheet": SHEET_FILE, "finished": datetime.now(timezone.utc).replace(microsecond=0).isoformat()
                       if state == "finished" else None}, handle, indent=1)

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
        progress.bar.close()
        if dask is not None:
            client.close()
    scores = write_reports(out_dir, submissions, results)
    write_progress("finished")
    failed = sum(_failed(results[s.index][0]) for s in submissions)
    flagged = len({(s.student, s.notebook) for s in scores if s.review})
    minutes, seconds = divmod(round(time.monotonic() - clock), 60)
    took = f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
    echo(f"{len(submissions)} notebook-submissions of {len(students)} students: {len(pending)} graded in "
         f"{took}, {kept_count} kept from an earlier run; {failed} with problems, "
         f"{flagged} marked for review; total {sum(s.score for s in scores):g} of "
         f"{sum(s.max_score for s in scores):g} points. Open {out_dir / 'summary.html'}")
    return scores


def write_reports(out_dir, submissions, results, copy_threshold=THRESHOLD):
    """The sheets, feedback pages, summary and similarity report from ``results[submission.index]``; the scores.
    Copies are looked for in every submitted solution cell without the lines handed out (no score changes)."""
    scores = [row for s in submissions for row in results[s.index][0]]
    write_sheet(scores, out_dir / SHEET_FILE)
    write_wide_sheet(scores, out_dir / WIDE_SHEET_FILE)
    solutions, handed_out, problems, links = {}, {}, {}, {}
    for path in dict.fromkeys(s.instructor_path for s in submissions):
        for cell in make_student_notebook(read_notebook(path), path.name)["cells"]:
            if is_solution_cell(cell):
                handed_out[nbgrader_metadata(cell)["grade_id"]] = cell.get("source", "")
    for s in submissions:
        name = s.instructor_path.name
        rows, notebook_problems = results[s.index]
        problems[(s.student, name)] = list(notebook_problems)
        page = Path(FEEDBACK_FOLDER) / s.student / f"{Path(name).stem}.html"
        write_feedback(out_dir / page, feedback_page(display_name(s.student), s.instructor_path, s.submitted_path,
                                                     rows, notebook_problems))
        links[(s.student, name)] = quote(os.fsencode(page.as_posix()))
        try:
            submitted = read_solutions(s.submitted_path) if s.submitted_path is not None else {}
        except SubmissionError:
            submitted = {}
        for grade_id, source in submitted.items():
            if grade_id in handed_out:
                solutions.setdefault(grade_id, {})[s.student] = source
    copies = class_copies(solutions, handed_out, copy_threshold)
    with atomic_write(out_dir / SIMILARITY_FILE, "w", encoding="utf-8") as handle:
        handle.write(similarity_report(copies, copy_threshold, list(handed_out)))
    write_summary(out_dir, scores, copies, problems, links, SIMILARITY_FILE)
    return scores
