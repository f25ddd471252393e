"""The grader scores fake submissions as expected: all right, all wrong, half,
an endless loop (interrupted, zero for that exercise only), a crash, a tampered
check cell, a missing notebook."""

import csv

import nbformat
import pytest

from bpcourse.tools.cli import main as bpcourse_main
from bpcourse.tools.grading import grade_folder
from bpcourse.tools.student import make_student_notebook

from test_student import check_cell, solution_cell

DOUBLE = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
SQUARE = "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"


def instructor_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("import math"),
        solution_cell(DOUBLE, "nb98_double"),
        check_cell("assert double(3) == 6\n### BEGIN HIDDEN TESTS\nassert double(-2) == -4\n### END HIDDEN TESTS",
                   "nb98_double_check", points=2),
        solution_cell(SQUARE, "nb98_square"),
        check_cell("assert square(3) == 9", "nb98_square_check", points=3),
    ]
    return nb


def submission(double_body, square_body):
    """The student version with the learner's bodies written in."""
    nb = make_student_notebook(instructor_notebook())
    nb.cells[1].source = f"def double(x):\n    {double_body}"
    nb.cells[3].source = f"def square(x):\n    {square_body}"
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("grading")
    source = tmp_path / "notebooks"
    source.mkdir()
    nbformat.write(instructor_notebook(), source / "98_fake.ipynb")
    submissions = {
        "all_right": submission("return x + x", "return x ** 2"),
        "all_wrong": submission("return x + 2", "return 2 * x"),
        "half": submission("return x * 2", "raise NotImplementedError()"),
        "hidden_fail": submission("return abs(x) * 2", "return x * x"),
        "loops": submission("while True:\n        pass", "return x * x"),
        "crash": submission("import os; os._exit(1)", "return x * x"),
    }
    tampered = submission("return 0", "return x * x")
    tampered.cells[2].source = "pass  # the learner removed the check"
    submissions["tampered"] = tampered
    for student, nb in submissions.items():
        (tmp_path / "submitted" / student / "hw1").mkdir(parents=True)
        nbformat.write(nb, tmp_path / "submitted" / student / "hw1" / "98_fake.ipynb")
    (tmp_path / "submitted" / "absent").mkdir()
    csv_path = tmp_path / "grades.csv"
    scores = grade_folder(tmp_path / "submitted", source, csv_path, cell_timeout=5, echo=lambda *a: None)
    return scores, csv_path


def table(scores):
    return {(s.student, s.exercise): (s.score, s.status) for s in scores}


def test_scores_per_student_and_exercise(graded):
    scores, _ = graded
    got = table(scores)
    expected = {
        "all_right": ((2, "ok"), (3, "ok")),
        "all_wrong": ((0, "failed"), (0, "failed")),
        "half": ((2, "ok"), (0, "failed")),
        "hidden_fail": ((0, "failed"), (3, "ok")),
        "loops": ((0, "timeout"), (3, "ok")),
        "tampered": ((0, "failed"), (3, "ok")),
        "absent": ((0, "missing notebook"), (0, "missing notebook")),
    }
    for student, (double, square) in expected.items():
        assert got[(student, "nb98_double_check")] == double, student
        assert got[(student, "nb98_square_check")] == square, student
    crash = (got[("crash", "nb98_double_check")], got[("crash", "nb98_square_check")])
    assert crash[0][0] == 0 and crash[1][0] == 0, "a dead kernel scores zero for what it did not run"


def test_csv_has_a_row_per_student_per_exercise(graded):
    scores, csv_path = graded
    with open(csv_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(scores) == 8 * 2
    right = [r for r in rows if r["student"] == "all_right"]
    assert sorted((r["exercise"], float(r["score"]), float(r["max_score"])) for r in right) == [
        ("nb98_double_check", 2.0, 2.0),
        ("nb98_square_check", 3.0, 3.0),
    ]


def test_command_line_refuses_an_empty_folder(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert bpcourse_main(["grade", str(tmp_path / "empty"), "--source", str(tmp_path)]) == 2
    assert "no student folders" in capsys.readouterr().err
