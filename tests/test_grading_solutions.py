"""The instructor's own notebook, graded for real (in the sandbox) as if a learner had submitted it, earns
every point of every exercise, with nothing to review: the grader's stand-ins carry the checks' arguments
into the sandbox and the answers back (plain data), the clean rooms refuse none of them (they borrow nothing),
and the only review notes are that each is a copy (of the instructor's solution, or like the package's).

Notebook 01 is graded so in tests/test_borrowed_submission.py (its copy of the solution), not again here.
Notebook 08 is graded here: its multi-step exercise (``softmax_train_step``) passes weights, a batch and a
rate to the learner's function and brings back the new weights of both layers."""

import csv
import shutil
from pathlib import Path

import pytest

from bpcourse.exercises import catalog
from bpcourse.tools.grading import grade_folder
from bpcourse.tools.kernel import sandbox_problem

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.mark.parametrize("number", [number for number in catalog.NOTEBOOKS if number != "01"])
def test_the_instructors_notebook_earns_full_marks(tmp_path, number):
    problem = sandbox_problem()
    if problem is not None:
        pytest.skip(f"no sandbox here: {problem}")
    (path,) = NOTEBOOKS.glob(f"{number}_*.ipynb")
    source, submitted = tmp_path / "source", tmp_path / "submitted" / "instructor"
    source.mkdir()
    submitted.mkdir(parents=True)
    shutil.copy(path, source)
    shutil.copy(path, submitted)

    grade_folder(tmp_path / "submitted", source, tmp_path / "grades", cell_timeout=300,
                 echo=lambda *a, **k: None)

    rows = {r["exercise"]: r for r in csv.DictReader((tmp_path / "grades" / "grades.csv").open(encoding="utf-8"))}
    assert_full_marks_and_only_copy_notes(rows, number)


def assert_full_marks_and_only_copy_notes(rows, number):
    """``rows`` (exercise -> sheet row) of the instructor's notebook ``number``: every exercise of the notebook,
    each with all its points and status ``ok``, and no review note but ``copy?``."""
    expected = {f"nb{number}_{exercise.name}_check": exercise.points for exercise in catalog.exercises(number)}
    assert set(rows) == set(expected)
    for exercise, points in expected.items():
        row = rows[exercise]
        assert (float(row["score"]), float(row["max_score"]), row["status"]) == (points, points, "ok"), row
        # the only notes: it IS the instructor's solution, which may also resemble the package's (copies flagged)
        notes = [note.split(": ", 1)[1] for note in row["review"].split("; ") if note]
        assert all(note.startswith("copy?: ") for note in notes), row
