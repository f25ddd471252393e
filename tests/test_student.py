"""Student versions: solutions replaced, hidden tests removed, outputs cleared,
everything else unchanged, following nbgrader's marker rules; notebooks that
would let a solution out or break grading refused with notebook, cell and line."""

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


def with_metadata(cell, nbgrader):
    """``cell`` with its nbgrader metadata replaced (a non-dict) or updated (a dict)."""
    if isinstance(nbgrader, dict):
        cell.metadata["nbgrader"] = {**cell.metadata.get("nbgrader", {}), **nbgrader}
    else:
        cell.metadata["nbgrader"] = nbgrader
    return cell


@pytest.mark.parametrize(
    "cells, message",
    [
        ([nbformat.v4.new_code_cell(SOLUTION)], "cell 0, line 3: BEGIN SOLUTION in a cell that is not a solution cell"),
        ([nbformat.v4.new_markdown_cell("### BEGIN SOLUTION\nx\n### END SOLUTION")], "line 1: BEGIN SOLUTION in a cell"),
        ([solution_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n")], "line 2: BEGIN SOLUTION is never closed"),
        ([solution_cell("def f():\n    return 1\n    ### END SOLUTION\n")], "line 3: END SOLUTION without a BEGIN"),
        ([solution_cell("### BEGIN SOLUTION\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n")],
         "line 2: BEGIN SOLUTION inside the region opened on line 1"),
        ([solution_cell("for i in range(3):\n### BEGIN SOLUTION\n    print(i)\n### END SOLUTION\n")], "not valid Python"),
        ([nbformat.v4.new_code_cell(CHECK)], "line 2: BEGIN HIDDEN TESTS in a cell that is not a graded cell"),
        ([solution_cell("def f(:\n    pass")], "line 1: not valid Python"),
        ([solution_cell("def f():\n    ### begin solution\n    return 1\n    ### end solution")],
         "line 2: '### begin solution' looks like a marker but is not one"),
        ([solution_cell("def f():\n    x = 1  ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION")],
         "line 2: 'x = 1  ### BEGIN SOLUTION' looks like a marker"),
        ([solution_cell("def f():\n    ### BEGIN SOLUTIONS\n    return 1\n    ### END SOLUTION")], "line 2: .*looks like"),
        ([solution_cell(SOLUTION, "nb99_x"), check_cell(CHECK, "nb99_x")], "cell 1: grade_id 'nb99_x' is already used by .*cell 0"),
        ([check_cell(CHECK, None)], "cell 0: this graded cell has grade_id None, expected a non-empty string"),
        ([solution_cell(SOLUTION, "")], "cell 0: this solution cell has grade_id '', expected"),
        ([check_cell(CHECK, ["nb99_a"])], r"grade_id \['nb99_a'\], expected a non-empty string"),
        ([with_metadata(nbformat.v4.new_code_cell("x = 1"), "x")], "cell 0: metadata nbgrader is 'x', expected a dict"),
        ([with_metadata(check_cell(CHECK), {"points": "2"})], "nbgrader.points is '2', expected a number"),
        ([with_metadata(check_cell(CHECK), {"grade": "yes"})], "nbgrader.grade is 'yes', expected true or false"),
    ],
    ids=["unmarked-code", "markdown", "unclosed", "unopened", "nested", "invalid-after", "hidden-ungraded", "invalid",
         "lower-case", "code-on-marker-line", "misspelled", "duplicate-id", "graded-without-id", "empty-id",
         "list-id", "nbgrader-not-dict", "points-text", "flag-text"],
)
def test_malformed_notebooks_are_refused(cells, message):
    with pytest.raises(NotebookFormatError, match=f"01_bad.ipynb, {message}" if message.startswith("cell") else message):
        make_student_notebook(notebook(*cells), "01_bad.ipynb")


@pytest.mark.parametrize("hashes", ["#", "##", "###", "####"])
def test_markers_take_any_number_of_hashes(hashes):
    cell = solution_cell(f"def f(x):\n    {hashes} BEGIN SOLUTION\n    return x\n    {hashes} END SOLUTION")
    student = make_student_notebook(notebook(cell), "nb")
    assert student.cells[0].source == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"


def test_a_solution_cell_without_markers_is_replaced_whole():
    code = solution_cell("def f(x):\n    return 2 * x  # the whole cell is the answer")
    text = solution_cell("The answer is 42.", "nb99_text")
    text.cell_type = "markdown"
    del text["outputs"], text["execution_count"]
    student = make_student_notebook(notebook(code, text), "nb")
    assert student.cells[0].source == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert student.cells[1].source == "YOUR ANSWER HERE"


def test_hidden_tests_with_other_hashes_are_removed():
    cell = check_cell("assert double(3) == 6\n# BEGIN HIDDEN TESTS\nassert double(-1) == -2\n#### END HIDDEN TESTS")
    assert make_student_notebook(notebook(cell), "nb").cells[0].source == "assert double(3) == 6"


def test_grade_ids_are_unique_across_the_notebooks(tmp_path):
    source = tmp_path / "notebooks"
    source.mkdir()
    nbformat.write(notebook(solution_cell(SOLUTION, "nb01_x")), source / "01_a.ipynb")
    nbformat.write(notebook(solution_cell(SOLUTION, "nb01_x")), source / "02_b.ipynb")
    with pytest.raises(NotebookFormatError, match="02_b.ipynb, cell 0: grade_id 'nb01_x' is already used by 01_a.ipynb, cell 0"):
        make_student_versions(source, tmp_path / "student", tmp_path / "solutions")
    assert not (tmp_path / "student").exists()


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
    with pytest.raises(NotebookFormatError, match="02_bad.ipynb, cell 0, line 3"):
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
