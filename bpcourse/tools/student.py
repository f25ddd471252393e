"""Make student versions of the course notebooks (nbgrader's authoring format).

An exercise's solution sits in a *solution cell* (cell metadata
``nbgrader.solution`` true) between the lines ``### BEGIN SOLUTION`` and
``### END SOLUTION``. The student version replaces each such region by::

    # YOUR CODE HERE
    raise NotImplementedError()

at the indentation of the marker, removes ``### BEGIN HIDDEN TESTS`` ...
``### END HIDDEN TESTS`` regions from graded cells, clears every output and
execution count, and leaves everything else as it is. The solutions copy is the
instructor's notebook with outputs cleared.

Notebooks that would come out wrong are refused with a :class:`NotebookFormatError`
naming the notebook and cell: a solution marker outside a solution cell, a
hidden-test marker outside a graded cell, an unclosed or unopened marker, or a
code cell that would not be valid Python.
"""

import ast
import copy
import os
import re
import tempfile
from pathlib import Path

import nbformat

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
PLACEHOLDER = ("# YOUR CODE HERE", "raise NotImplementedError()")


class NotebookFormatError(ValueError):
    """A notebook that cannot be turned into a correct student version."""


def nbgrader_metadata(cell):
    """The cell's ``nbgrader`` metadata dict (empty when it has none)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def is_solution_cell(cell):
    return bool(nbgrader_metadata(cell).get("solution"))


def is_graded_cell(cell):
    return bool(nbgrader_metadata(cell).get("grade"))


def _replace_regions(lines, begin, end, replacement, where):
    """Replace every ``begin`` ... ``end`` region of ``lines``.

    ``replacement(indent)`` gives the lines put in its place. Raises
    NotebookFormatError for an unclosed, unopened or nested region.
    """
    out, inside, indent = [], False, ""
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker == begin:
            if inside:
                raise NotebookFormatError(f"{where}: line {number}: {begin!r} inside an open region")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            out += replacement(indent)
        elif marker == end:
            if not inside:
                raise NotebookFormatError(f"{where}: line {number}: {end!r} without a {begin!r} before it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise NotebookFormatError(f"{where}: {begin!r} is never closed by {end!r}")
    return out


def _has_marker(source, *markers):
    return any(line.strip() in markers for line in source.splitlines())


def _check_python(source, where):
    """Raise NotebookFormatError if a code cell is not valid Python (IPython magics aside)."""
    code = "\n".join("" if re.match(r"\s*[%!]", line) else line for line in source.splitlines())
    try:
        ast.parse(code)
    except SyntaxError as error:
        raise NotebookFormatError(f"{where}: not valid Python: {error.msg} (line {error.lineno})") from None


def student_cell_source(cell, where):
    """The student version of one cell's source (validated)."""
    source = cell.source
    solution_markers = (BEGIN_SOLUTION, END_SOLUTION)
    hidden_markers = (BEGIN_HIDDEN, END_HIDDEN)
    if _has_marker(source, *solution_markers) and not (cell.cell_type == "code" and is_solution_cell(cell)):
        raise NotebookFormatError(
            f"{where}: has a solution marker but is not a solution code cell "
            "(set metadata nbgrader.solution = true, or remove the markers)"
        )
    if _has_marker(source, *hidden_markers) and not (cell.cell_type == "code" and is_graded_cell(cell)):
        raise NotebookFormatError(
            f"{where}: has a hidden-test marker but is not a graded code cell (set metadata nbgrader.grade = true)"
        )
    if cell.cell_type != "code":
        return source
    _check_python(source, where + " (solution version)")
    lines = source.splitlines()
    lines = _replace_regions(lines, BEGIN_SOLUTION, END_SOLUTION, lambda indent: [indent + p for p in PLACEHOLDER], where)
    lines = _replace_regions(lines, BEGIN_HIDDEN, END_HIDDEN, lambda indent: [], where)
    student = "\n".join(lines)
    _check_python(student, where + " (student version)")
    return student


def clear_outputs(notebook):
    """Remove every output and execution count, in place."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return notebook


def make_student_notebook(notebook, name="notebook"):
    """Return the student version of ``notebook`` (a new object; the input is unchanged)."""
    student = clear_outputs(copy.deepcopy(notebook))
    for index, cell in enumerate(student.cells):
        cell.source = student_cell_source(cell, f"{name}, cell {index}")
    return student


def write_notebook_atomically(notebook, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as handle:
        nbformat.write(notebook, handle)
    os.replace(handle.name, path)


def make_student_versions(source_dir, student_dir, solutions_dir):
    """Write the student version and the solutions copy of every ``NN_*.ipynb`` in ``source_dir``.

    Every notebook is validated before anything is written, so a refused
    notebook leaves the output folders as they were. Returns the student paths.
    """
    sources = sorted(Path(source_dir).glob("[0-9][0-9]_*.ipynb"))
    if not sources:
        raise NotebookFormatError(f"no notebooks named NN_*.ipynb in {source_dir}")
    versions = []
    for path in sources:
        notebook = nbformat.read(path, as_version=4)
        versions.append((path.name, make_student_notebook(notebook, path.name), clear_outputs(notebook)))
    written = []
    for name, student, solution in versions:
        write_notebook_atomically(student, Path(student_dir) / name)
        write_notebook_atomically(solution, Path(solutions_dir) / name)
        written.append(Path(student_dir) / name)
    return written


def exercises(notebook):
    """The graded cells of a notebook: list of ``(cell_index, grade_id, points)``."""
    return [
        (index, nbgrader_metadata(cell)["grade_id"], nbgrader_metadata(cell).get("points", 0))
        for index, cell in enumerate(notebook.cells)
        if is_graded_cell(cell)
    ]
