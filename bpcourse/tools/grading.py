"""Grade submitted student notebooks from the points in their nbgrader metadata.

For every student folder in the submissions folder, each submitted notebook is
matched by file name with the instructor's notebook. The graded notebook is the
instructor's, with the learner's *solution cells* (matched by ``grade_id``)
put in: check cells, hidden tests and the rest come from the instructor, so a
learner cannot edit a check away. It is run in a fresh kernel with a per-cell
timeout (an endless loop is interrupted and the run goes on), and each graded
cell that runs without error earns its points. A crash, a timeout or a dead
kernel costs only the exercises it affects; the grader itself never fails on a
submission.
"""

import csv
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from bpcourse.tools.student import exercises, is_solution_cell, make_student_notebook, nbgrader_metadata

CELL_TIMEOUT_SECONDS = 120


@dataclass
class ExerciseScore:
    """One row of the grade sheet."""

    student: str
    notebook: str
    exercise: str  # the check cell's grade_id
    score: float
    max_score: float
    status: str  # ok, failed, timeout, not run, missing notebook


def execute_cells(notebook, working_dir, cell_timeout=CELL_TIMEOUT_SECONDS):
    """Run ``notebook`` (in place) and return ``{cell_index: status}`` for every code cell.

    A status is ``"ok"``, ``"failed"`` (the cell raised), ``"timeout"`` (the cell
    ran longer than ``cell_timeout`` seconds and was interrupted) or
    ``"not run"`` (the kernel died before it).
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
        resources={"metadata": {"path": str(working_dir)}},
        on_cell_executed=on_cell_executed,
    )
    try:
        client.execute()
    except DeadKernelError:
        pass  # cells after the crash stay "not run"
    return statuses


def assemble(instructor, submitted):
    """The instructor's notebook with the submitted solution cells put in (by grade_id).

    A solution cell the learner deleted is taken from the student version, so
    its exercise fails instead of the grader.
    """
    graded = make_student_notebook(instructor)
    submitted_sources = {
        nbgrader_metadata(cell)["grade_id"]: cell.source
        for cell in submitted.cells
        if is_solution_cell(cell) and "grade_id" in nbgrader_metadata(cell)
    }
    for index, cell in enumerate(instructor.cells):
        if is_solution_cell(cell):
            graded.cells[index].source = submitted_sources.get(nbgrader_metadata(cell).get("grade_id"), graded.cells[index].source)
        else:
            graded.cells[index].source = cell.source  # hidden tests included
    return graded


def grade_notebook(student, instructor_path, submitted_path, cell_timeout=CELL_TIMEOUT_SECONDS):
    """Scores of one student's notebook: a list of ExerciseScore, one per graded cell."""
    instructor = nbformat.read(instructor_path, as_version=4)
    rows = [
        (grade_id, points)
        for _, grade_id, points in exercises(instructor)
    ]
    if submitted_path is None:
        return [ExerciseScore(student, instructor_path.name, g, 0, p, "missing notebook") for g, p in rows]
    try:
        submitted = nbformat.read(submitted_path, as_version=4)
    except Exception as error:  # a corrupt file is the learner's problem, not the grader's
        return [ExerciseScore(student, instructor_path.name, g, 0, p, f"unreadable: {error}") for g, p in rows]
    graded = assemble(instructor, submitted)
    statuses = execute_cells(graded, instructor_path.parent, cell_timeout)
    scores = []
    for index, grade_id, points in exercises(graded):
        status = statuses.get(index, "not run")
        scores.append(ExerciseScore(student, instructor_path.name, grade_id, points if status == "ok" else 0, points, status))
    return scores


def find_submission(student_dir, notebook_name):
    """The student's copy of ``notebook_name`` anywhere below their folder (nbgrader nests it), or None."""
    matches = sorted(p for p in Path(student_dir).rglob(notebook_name) if ".ipynb_checkpoints" not in p.parts)
    return matches[0] if matches else None


def write_csv_atomically(scores, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", newline="", dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "notebook", "exercise", "score", "max_score", "status"])
        for s in scores:
            writer.writerow([s.student, s.notebook, s.exercise, s.score, s.max_score, s.status])
    os.replace(handle.name, path)


def grade_folder(submissions_dir, source_dir, csv_path, cell_timeout=CELL_TIMEOUT_SECONDS, echo=print):
    """Grade every student folder in ``submissions_dir``; write the CSV; return all scores.

    ``submissions_dir/<student>/.../NN_name.ipynb`` is matched with
    ``source_dir/NN_name.ipynb``; only the instructor notebooks that a student
    submitted at least one of are graded for everyone (a missing one scores 0).
    """
    submissions_dir, source_dir = Path(submissions_dir), Path(source_dir)
    students = sorted(p for p in submissions_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not students:
        raise ValueError(f"no student folders in {submissions_dir}: expected {submissions_dir}/<student>/NN_name.ipynb")
    instructor_paths = sorted(source_dir.glob("[0-9][0-9]_*.ipynb"))
    assigned = [p for p in instructor_paths if any(find_submission(s, p.name) for s in students)]
    if not assigned:
        raise ValueError(f"none of the submitted notebooks has the name of a notebook in {source_dir}")
    scores = []
    for student in students:
        for instructor_path in assigned:
            echo(f"grading {student.name} / {instructor_path.name} ...")
            scores += grade_notebook(student.name, instructor_path, find_submission(student, instructor_path.name), cell_timeout)
    write_csv_atomically(scores, csv_path)
    echo("")
    for student in students:
        mine = [s for s in scores if s.student == student.name]
        echo(f"{student.name}: {sum(s.score for s in mine):g} / {sum(s.max_score for s in mine):g}")
        for s in mine:
            echo(f"    {s.exercise:<32} {s.score:g} / {s.max_score:g}  {s.status}")
    echo(f"\nscores written to {csv_path}")
    return scores
