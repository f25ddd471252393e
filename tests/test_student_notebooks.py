"""Each course notebook's student version, executed, fails at exactly its check
cells and nowhere else: the learner's unwritten functions make their checks
fail, and every later cell falls back to the package's reference."""

from pathlib import Path

import nbformat
import pytest

from bpcourse.tools.grading import execute_cells
from bpcourse.tools.student import exercises, make_student_notebook

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_student_version_fails_exactly_at_its_check_cells(path):
    student = make_student_notebook(nbformat.read(path, as_version=4), path.name)
    graded = {index for index, _, _ in exercises(student)}
    assert graded, f"{path.name} has no graded check cells"

    statuses = execute_cells(student, path.parent, cell_timeout=300)

    failing = {index for index, status in statuses.items() if status != "ok"}
    unexpected = {
        index: (status, student.cells[index].source.splitlines()[:2])
        for index, status in statuses.items()
        if index in failing - graded
    }
    assert not unexpected, f"{path.name}: cells other than checks failed: {unexpected}"
    assert failing == graded, f"{path.name}: check cells that passed without a solution: {sorted(graded - failing)}"
