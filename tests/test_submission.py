"""The grading plan (bpcourse.tools.submission.grading_plan): every code cell up to the last one that earns points."""

from pathlib import Path

import nbformat
import pytest

from bpcourse.tools.student import exercises
from bpcourse.tools.submission import grading_plan

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_plan_runs_every_code_cell_up_to_the_last_graded_one_and_no_further(path):
    instructor = nbformat.read(path, as_version=4)
    steps = grading_plan(instructor, {}, path.name)
    last_graded = max(index for index, _, _ in exercises(instructor))
    code_cells = [index for index, cell in enumerate(instructor.cells) if cell.cell_type == "code"]
    assert [step.index for step in steps] == [index for index in code_cells if index <= last_graded]
    assert steps[-1].kind == "check" and steps[-1].index == last_graded


def test_a_cell_after_the_last_check_is_not_in_the_plan():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION",
                                  metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "f",
                                                         "locked": False, "schema_version": 3}}),
        nbformat.v4.new_code_cell("assert f() == 1",
                                  metadata={"nbgrader": {"solution": False, "grade": True, "grade_id": "f_check",
                                                         "points": 1, "locked": True, "schema_version": 3}}),
        nbformat.v4.new_code_cell("while True:\n    pass"),
    ])
    steps = grading_plan(notebook, {"f": "def f():\n    return 1"}, "x.ipynb")
    assert [(step.index, step.kind) for step in steps] == [(0, "kernel"), (1, "check")]
