"""Each course notebook's student version fails at exactly its check cells and nowhere else: the learner's
unwritten functions make their checks fail, and every later cell falls back to the package's reference.

The student version is executed up to its last check cell: that is where it differs from the instructor's
notebook in what runs. The cells after it are the instructor's cells, word for word; they reach a learner's
function only through ``learner_or_reference`` (checked here on their syntax trees), which hands them the
package's reference while the learner's function is unwritten (executed here, in the cells between the checks).
The instructor's notebook itself runs to its end in JupyterLab (tests/browser/test_jupyterlab.py), or under
nbval without a browser. So the long training runs of notebooks 06-08 are not repeated for the student version.
"""

import ast
import copy
import re
from pathlib import Path

import nbformat
import pytest

from bpcourse.tools.grading import execute_cells
from bpcourse.tools.sandbox_worker import without_magics
from bpcourse.tools.student import exercises, is_solution_cell, make_student_notebook

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def names_defined(source):
    """The names a cell binds at its top level (functions, classes, assignments, imports)."""
    names = set()
    for node in ast.parse(without_magics(source)).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def functions_defined(source):
    """The functions a cell defines at its top level."""
    return {node.name for node in ast.parse(without_magics(source)).body if isinstance(node, ast.FunctionDef)}


def direct_uses(source, names):
    """The uses of ``names`` in a cell other than as the first argument of ``learner_or_reference(...)``:
    ``[(name, line)]``. A name on an IPython magic's line (``%timeit f(x)``) is a use."""
    in_magics = [(name, number) for number, line in enumerate(source.splitlines(), 1)
                 if line.lstrip().startswith(("%", "!")) for name in sorted(names)
                 if re.search(rf"\b{re.escape(name)}\b", line)]
    tree = ast.parse(without_magics(source))
    through_fallback = {id(node.args[0]) for node in ast.walk(tree)
                        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id == "learner_or_reference" and node.args}
    return in_magics + [(node.id, node.lineno) for node in ast.walk(tree)
                        if isinstance(node, ast.Name) and node.id in names and id(node) not in through_fallback]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_student_version_fails_exactly_at_its_check_cells(path):
    instructor = nbformat.read(path, as_version=4)
    student = make_student_notebook(instructor, path.name)
    graded = {index for index, _, _ in exercises(student)}
    assert graded, f"{path.name} has no graded check cells"
    last_check = max(graded)

    # the learner's functions (placeholders in the student version) and whatever else only a solution defines
    learner_names = set()
    for theirs, ours in zip(student.cells, instructor.cells):
        if ours.cell_type == "code" and is_solution_cell(ours):
            only_in_solution = names_defined(ours.source) - names_defined(theirs.source)
            learner_names |= functions_defined(theirs.source) | only_in_solution
    assert learner_names, f"{path.name} has no solution cells"
    for index in range(last_check + 1, len(student.cells)):
        assert student.cells[index].source == instructor.cells[index].source, (
            f"{path.name}: cell {index}, after the last check, differs in the student version")
        if student.cells[index].cell_type == "code":
            assert not direct_uses(student.cells[index].source, learner_names), (
                f"{path.name}: cell {index}, after the last check, uses a learner's function directly (not through "
                f"learner_or_reference): {direct_uses(student.cells[index].source, learner_names)}")

    until_last_check = copy.deepcopy(student)
    until_last_check.cells = until_last_check.cells[:last_check + 1]
    statuses = execute_cells(until_last_check, path.parent, cell_timeout=300)

    failing = {index for index, status in statuses.items() if status != "ok"}
    unexpected = {
        index: (status, student.cells[index].source.splitlines()[:2])
        for index, status in statuses.items()
        if index in failing - graded
    }
    assert not unexpected, f"{path.name}: cells other than checks failed: {unexpected}"
    assert failing == graded, f"{path.name}: check cells that passed without a solution: {sorted(graded - failing)}"


def test_a_later_cell_that_calls_a_learner_function_directly_is_found():
    """The syntax check sees a direct call, and lets the call through learner_or_reference pass."""
    names = names_defined("import numpy as np\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))\nRATE: float = 0.5")
    assert names == {"np", "sigmoid", "RATE"}
    assert functions_defined("import numpy as np\ndef sigmoid(z):\n    raise NotImplementedError()") == {"sigmoid"}
    assert direct_uses("y = sigmoid(0.0)\n%timeit sigmoid(1)", {"sigmoid"}) == [("sigmoid", 2), ("sigmoid", 1)]
    assert direct_uses("f = learner_or_reference(sigmoid, 'sigmoid', 0.0)\ny = f(0.0)", {"sigmoid"}) == []
    assert direct_uses("f = learner_or_reference(np.exp, sigmoid)", {"sigmoid"}) == [("sigmoid", 1)]
