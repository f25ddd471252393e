"""Student versions: solutions replaced, hidden tests removed, outputs cleared,
everything else unchanged; malformed notebooks refused with a clear message."""

import nbformat
import pytest

from bpcourse.tools.student import NotebookFormatError, make_student_notebook, make_student_versions


def solution_cell(source, grade_id="nb99_double"):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {
        "grade": False, "grade_id": grade_id, "locked": False, "schema_version": 3, "solution": True, "task": False,
    }
    return cell


def check_cell(source, grade_id="nb99_double_check", points=2):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {
        "grade": True, "grade_id": grade_id, "locked": True, "points": points,
        "schema_version": 3, "solution": False, "task": False,
    }
    return cell


SOLUTION = """def double(x):
    \"\"\"Return 2 x.\"\"\"
    ### BEGIN SOLUTION
    y = x + x
    return y
    ### END SOLUTION"""

CHECK = """assert double(3) == 6, "double(3) should be 6"
### BEGIN HIDDEN TESTS
assert double(-1) == -2
### END HIDDEN TESTS
print("ok")"""


def notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def test_solution_replaced_hidden_tests_removed_rest_unchanged():
    intro = nbformat.v4.new_markdown_cell("# Doubling\nWrite `double`.")
    setup = nbformat.v4.new_code_cell("import math")
    setup.outputs = [nbformat.v4.new_output("stream", text="hi\n")]
    setup.execution_count = 3
    original = notebook(intro, setup, solution_cell(SOLUTION), check_cell(CHECK))

    student = make_student_notebook(original, "nb")

    assert student.cells[2].source == (
        'def double(x):\n    """Return 2 x."""\n    # YOUR CODE HERE\n    raise NotImplementedError()'
    )
    assert student.cells[3].source == 'assert double(3) == 6, "double(3) should be 6"\nprint("ok")'
    assert student.cells[0].source == intro.source
    assert student.cells[1].source == "import math"
    assert student.cells[1].outputs == [] and student.cells[1].execution_count is None
    assert student.cells[3].metadata == original.cells[3].metadata
    assert original.cells[2].source == SOLUTION, "the instructor's notebook must not change"


@pytest.mark.parametrize(
    "cells, message",
    [
        ([nbformat.v4.new_code_cell(SOLUTION)], "not a solution code cell"),
        ([nbformat.v4.new_markdown_cell("### BEGIN SOLUTION\nx\n### END SOLUTION")], "not a solution code cell"),
        ([solution_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n")], "never closed"),
        ([solution_cell("def f():\n    return 1\n    ### END SOLUTION\n")], "without a"),
        ([solution_cell("### BEGIN SOLUTION\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n")], "inside an open region"),
        ([solution_cell("for i in range(3):\n### BEGIN SOLUTION\n    print(i)\n### END SOLUTION\n")], "not valid Python"),
        ([nbformat.v4.new_code_cell(CHECK)], "not a graded code cell"),
        ([solution_cell("def f(:\n    pass")], "not valid Python"),
    ],
    ids=["unmarked-code", "markdown", "unclosed", "unopened", "nested", "invalid-after", "hidden-ungraded", "invalid"],
)
def test_malformed_notebooks_are_refused(cells, message):
    with pytest.raises(NotebookFormatError, match=message):
        make_student_notebook(notebook(*cells), "01_bad.ipynb")


def test_magics_do_not_count_as_invalid_python():
    student = make_student_notebook(notebook(nbformat.v4.new_code_cell("%matplotlib inline\nx = 1")))
    assert student.cells[0].source == "%matplotlib inline\nx = 1"


def test_writes_student_and_solutions_folders_and_refuses_atomically(tmp_path):
    source = tmp_path / "notebooks"
    source.mkdir()
    nbformat.write(notebook(solution_cell(SOLUTION), check_cell(CHECK)), source / "01_good.ipynb")

    written = make_student_versions(source, tmp_path / "build/student", tmp_path / "build/solutions")

    assert [p.name for p in written] == ["01_good.ipynb"]
    student = nbformat.read(tmp_path / "build/student/01_good.ipynb", as_version=4)
    solution = nbformat.read(tmp_path / "build/solutions/01_good.ipynb", as_version=4)
    assert "raise NotImplementedError()" in student.cells[0].source
    assert solution.cells[0].source == SOLUTION and "HIDDEN" in solution.cells[1].source

    nbformat.write(notebook(nbformat.v4.new_code_cell(SOLUTION)), source / "02_bad.ipynb")
    with pytest.raises(NotebookFormatError, match="02_bad.ipynb, cell 0"):
        make_student_versions(source, tmp_path / "again/student", tmp_path / "again/solutions")
    assert not (tmp_path / "again").exists(), "nothing may be written when a notebook is refused"


def test_course_notebooks_make_valid_student_versions(tmp_path):
    from pathlib import Path

    course = Path(__file__).resolve().parents[1] / "notebooks"
    written = make_student_versions(course, tmp_path / "student", tmp_path / "solutions")
    assert len(written) == len(list(course.glob("[0-9][0-9]_*.ipynb"))) >= 1
    for path in written:
        student = nbformat.read(path, as_version=4)
        text = "\n".join(cell.source for cell in student.cells)
        assert "### BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
