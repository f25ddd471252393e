"""Make student versions of the course notebooks, following nbgrader's rules.

A marker line is any number of ``#`` (none in a Markdown cell), then ``BEGIN SOLUTION``, ``END SOLUTION``, ``BEGIN
HIDDEN TESTS`` or ``END HIDDEN TESTS`` in capitals. In a solution cell each solution region becomes
:data:`PLACEHOLDER` at the marker's indentation (a cell without markers is replaced whole, Markdown by
:data:`TEXT_PLACEHOLDER`); hidden-test regions are removed from graded cells; outputs and execution counts are
cleared. The solutions copy is the instructor's notebook with outputs cleared. A notebook that could let a solution
out or break grading (bad metadata, a missing or repeated grade_id, a misplaced, look-alike, unclosed or nested
marker, a cell that is not valid Python) is refused with a :class:`NotebookFormatError` naming notebook, cell, line.
"""

import ast
import copy
import re
from numbers import Real
from pathlib import Path

from bpcourse.core.atomic import atomic_write
from bpcourse.tools.sandbox_worker import without_magics

PLACEHOLDER = ("# YOUR CODE HERE", "raise NotImplementedError()")
TEXT_PLACEHOLDER = "YOUR ANSWER HERE"
SOLUTION, HIDDEN = "SOLUTION", "HIDDEN TESTS"

MARKER_LINE = re.compile(r"^(?P<indent>\s*)#*\s*(?P<edge>BEGIN|END) (?P<kind>SOLUTION|HIDDEN TESTS)\s*$")
MARKER_LIKE = re.compile(r"(begin|end)[\s_-]*(solution|hidden[\s_-]*tests?)", re.IGNORECASE)  # could pass for one


class NotebookFormatError(ValueError):
    """A notebook that cannot be turned into a correct student version."""


def nbgrader_metadata(cell):
    """The cell's ``nbgrader`` metadata dict (empty when it has none or it is not a dict)."""
    metadata = cell.get("metadata", {})
    value = metadata.get("nbgrader", {}) if isinstance(metadata, dict) else {}
    return value if isinstance(value, dict) else {}


def is_solution_cell(cell):
    return nbgrader_metadata(cell).get("solution") is True


def is_graded_cell(cell):
    return nbgrader_metadata(cell).get("grade") is True


def check_metadata(cell, where):
    """Raise NotebookFormatError if the cell's nbgrader metadata has the wrong types or lacks a grade_id."""
    metadata = cell.get("metadata", {})
    if not isinstance(metadata, dict):
        raise NotebookFormatError(f"{where}: metadata is a {type(metadata).__name__}, expected a dict")
    if "nbgrader" not in metadata:
        return
    nbgrader = metadata["nbgrader"]
    if not isinstance(nbgrader, dict):
        raise NotebookFormatError(f"{where}: metadata nbgrader is {nbgrader!r}, expected a dict")
    for flag in ("solution", "grade", "locked", "task"):
        if flag in nbgrader and not isinstance(nbgrader[flag], bool):
            raise NotebookFormatError(f"{where}: metadata nbgrader.{flag} is {nbgrader[flag]!r}, expected true or false")
    if "points" in nbgrader:
        points = nbgrader["points"]
        if isinstance(points, bool) or not isinstance(points, Real) or not points >= 0 or points == float("inf"):
            raise NotebookFormatError(f"{where}: metadata nbgrader.points is {points!r}, expected a number >= 0")
    needs_id = nbgrader.get("solution") or nbgrader.get("grade") or nbgrader.get("task")
    if "grade_id" in nbgrader or needs_id:
        grade_id = nbgrader.get("grade_id")
        if not isinstance(grade_id, str) or not grade_id.strip():
            kind = "graded" if nbgrader.get("grade") else "solution" if nbgrader.get("solution") else "task"
            raise NotebookFormatError(f"{where}: this {kind} cell has grade_id {grade_id!r}, expected a non-empty "
                                      "string (set metadata nbgrader.grade_id, unique in the course)")


def _source(cell, where):
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        return "".join(source)
    if not isinstance(source, str):
        raise NotebookFormatError(f"{where}: source is a {type(source).__name__}, expected text")
    return source


def marker_lines(source, where):
    """``[(line number, edge, kind, indent)]`` of the marker lines in ``source``; refuses look-alikes."""
    found = []
    for number, line in enumerate(source.splitlines(), start=1):
        if not MARKER_LIKE.search(line):
            continue
        match = MARKER_LINE.match(line)
        if match is None:
            raise NotebookFormatError(f"{where}, line {number}: {line.strip()!r} looks like a marker but is not one: "
                                      "a marker line holds only '#'s and one of BEGIN SOLUTION, END SOLUTION, BEGIN "
                                      "HIDDEN TESTS, END HIDDEN TESTS (in capitals, nothing else on the line)")
        found.append((number, match["edge"], match["kind"], match["indent"]))
    return found


def _replace_regions(lines, markers, kind, replacement, where):
    """``lines`` with every ``kind`` region replaced by ``replacement(indent)``; refuses bad nesting."""
    edges = {number: (edge, indent) for number, edge, k, indent in markers if k == kind}
    out, inside, opened = [], False, None
    for number, line in enumerate(lines, start=1):
        if number in edges:
            edge, indent = edges[number]
            if edge == "BEGIN":
                if inside:
                    raise NotebookFormatError(f"{where}, line {number}: BEGIN {kind} inside the region opened on line {opened}")
                inside, opened = True, number
                out += replacement(indent)
            else:
                if not inside:
                    raise NotebookFormatError(f"{where}, line {number}: END {kind} without a BEGIN {kind} before it")
                inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise NotebookFormatError(f"{where}, line {opened}: BEGIN {kind} is never closed by END {kind}")
    return out


def _check_python(source, where):
    try:
        ast.parse(without_magics(source))
    except SyntaxError as error:
        raise NotebookFormatError(f"{where}, line {error.lineno}: not valid Python: {error.msg}") from None


def student_cell_source(cell, where):
    check_metadata(cell, where)
    source = _source(cell, where)
    markers = marker_lines(source, where)
    solution, graded, code = is_solution_cell(cell), is_graded_cell(cell), cell.get("cell_type") == "code"
    allowed = {SOLUTION: (solution, "solution", "solution"), HIDDEN: (graded, "graded", "grade")}
    for number, edge, kind, _ in markers:
        allowed_here, cell_kind, flag = allowed[kind]
        if not allowed_here:
            raise NotebookFormatError(f"{where}, line {number}: {edge} {kind} in a cell that is not a {cell_kind} cell "
                                      f"(set metadata nbgrader.{flag} = true, or remove the marker)")
    if code:
        _check_python(source, where + " (solution version)")
    lines, placeholder = source.splitlines(), PLACEHOLDER if code else (TEXT_PLACEHOLDER,)
    if solution and not any(kind == SOLUTION for _, _, kind, _ in markers):
        lines = list(placeholder)  # no markers: the whole cell is the solution
    else:
        lines = _replace_regions(lines, markers, SOLUTION, lambda indent: [indent + p for p in placeholder], where)
    lines = _replace_regions(lines, markers, HIDDEN, lambda indent: [], where) if graded else lines
    student = "\n".join(lines)
    if code:
        _check_python(student, where + " (student version)")
    return student


def check_grade_ids(notebook, name, seen=None):
    """Raise NotebookFormatError for a grade_id used twice; ``seen`` maps grade_id -> where (across notebooks)."""
    seen = {} if seen is None else seen
    for index, cell in enumerate(notebook["cells"]):
        where = f"{name}, cell {index}"
        check_metadata(cell, where)
        grade_id = nbgrader_metadata(cell).get("grade_id")
        if grade_id is None:
            continue
        if grade_id in seen:
            raise NotebookFormatError(f"{where}: grade_id {grade_id!r} is already used by {seen[grade_id]}")
        seen[grade_id] = where
    return seen


def clear_outputs(notebook):
    for cell in notebook["cells"]:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return notebook


def make_student_notebook(notebook, name="notebook"):
    """The student version of ``notebook`` (an ``nbformat`` notebook or a plain dict), a new object."""
    check_grade_ids(notebook, name)
    student = clear_outputs(copy.deepcopy(notebook))
    for index, cell in enumerate(student["cells"]):
        cell["source"] = student_cell_source(cell, f"{name}, cell {index}")
    return student


def make_student_versions(source_dir, student_dir, solutions_dir):
    """Write the student version and the solutions copy of every ``NN_*.ipynb`` in ``source_dir``; the student
    paths. All are validated (grade_ids unique across them) before anything is written."""
    import nbformat  # here, not at the top: importing it takes seconds, and grading's children do without

    sources = sorted(Path(source_dir).glob("[0-9][0-9]_*.ipynb"))
    if not sources:
        raise NotebookFormatError(f"no notebooks named NN_*.ipynb in {source_dir}")
    versions, seen = [], {}
    for path in sources:
        notebook = nbformat.read(path, as_version=4)
        check_grade_ids(notebook, path.name, seen)
        versions.append((path.name, make_student_notebook(notebook, path.name), clear_outputs(notebook)))
    for folder in (student_dir, solutions_dir):
        Path(folder).mkdir(parents=True, exist_ok=True)
    for name, student, solution in versions:
        for notebook, folder in ((student, student_dir), (solution, solutions_dir)):
            with atomic_write(Path(folder) / name, "w", encoding="utf-8") as handle:
                nbformat.write(notebook, handle)
    return [Path(student_dir) / name for name, _, _ in versions]


def exercises(notebook):
    """The graded cells of a notebook: list of ``(cell_index, grade_id, points)``."""
    return [(index, nbgrader_metadata(cell)["grade_id"], nbgrader_metadata(cell).get("points", 0))
            for index, cell in enumerate(notebook["cells"]) if is_graded_cell(cell)]
