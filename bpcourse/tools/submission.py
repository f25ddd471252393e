"""Read a learner's submitted notebook and plan its grading with the instructor's notebook.

A submission is untrusted: :func:`read_solutions` keeps only its well-formed solution cells, and a file that
is not a notebook raises :class:`SubmissionError` (that notebook's points, nothing more). Every other cell
comes from the instructor's notebook (:func:`grading_plan`).
"""

import ast
import json
import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from bpcourse.tools.review import review_reasons
from bpcourse.tools.sandbox_worker import without_magics
from bpcourse.tools.student import (check_grade_ids, is_graded_cell, is_solution_cell, make_student_notebook,
                                    nbgrader_metadata)

MAX_NOTEBOOK_BYTES = 50 << 20  # a bigger submitted file (outputs included) is refused


class SubmissionError(ValueError):
    """A submitted file that is not a readable notebook."""


def read_solutions(path):
    """``{grade_id: source}`` of the well-formed solution cells of the submitted notebook at ``path``."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise SubmissionError(f"{size} bytes, more than the {MAX_NOTEBOOK_BYTES} accepted")
        notebook = json.loads(path.read_bytes().decode("utf-8-sig"))  # a byte-order mark is allowed
    except SubmissionError:
        raise
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        raise SubmissionError(f"not a notebook: {type(error).__name__}: {str(error)[:200]}") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise SubmissionError("not a notebook: no list of cells")
    solutions = {}
    for cell in cells:
        if not isinstance(cell, dict) or not is_solution_cell(cell):
            continue
        grade_id = nbgrader_metadata(cell).get("grade_id")
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if isinstance(grade_id, str) and isinstance(source, str) and grade_id not in solutions:
            solutions[grade_id] = source
    return solutions


@dataclass
class Step:
    """One code cell of the graded run: ``kind`` ``"kernel"`` (the instructor's and the learner's solution cells,
    run in the learner's kernel) or ``"check"`` (a graded cell, run by the grader with its hidden tests)."""

    index: int
    kind: str
    source: str
    grade_id: str = ""
    points: float = 0
    solution_of: str = ""  # the grade_id of the solution cell this step holds, if any
    names: set = field(default_factory=set)  # what the INSTRUCTOR's solution cell defines (trusted)
    review: list = field(default_factory=list)
    instructor_source: str = ""  # a solution cell's source in the instructor's notebook (for copy detection)
    handed_out: str = ""  # a solution cell's source in the student version (what every learner got)


def defined_names(source):
    try:
        tree = ast.parse(without_magics(source))
    except (SyntaxError, ValueError):
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def grading_plan(instructor, solutions, name):
    """The :class:`Step` list of grading one submission, from the instructor's notebook (validated here) and the
    learner's ``{grade_id: source}`` (a missing solution cell: the student version's stub).

    The plan ends at the last cell that earns points: the cells after it cannot change a score.
    """
    check_grade_ids(instructor, name)
    student = make_student_notebook(instructor, name)
    steps = []
    for index, cell in enumerate(instructor["cells"]):
        if cell.get("cell_type") != "code":
            continue
        source = _text(cell.get("source", ""))
        metadata = nbgrader_metadata(cell)
        grade_id = metadata.get("grade_id", "")
        if is_graded_cell(cell) and not is_solution_cell(cell):
            steps.append(Step(index, "check", source, grade_id, metadata.get("points", 0)))
        elif is_solution_cell(cell):
            learner = solutions.get(grade_id, student["cells"][index]["source"])
            steps.append(Step(index, "kernel", learner, grade_id, metadata.get("points", 0) if is_graded_cell(cell) else 0,
                              solution_of=grade_id, names=defined_names(source),
                              review=review_reasons(learner, _text(student["cells"][index]["source"])),
                              instructor_source=source, handed_out=_text(student["cells"][index]["source"])))
        else:
            steps.append(Step(index, "kernel", source))
    last = max((position for position, step in enumerate(steps) if step.kind == "check" or step.points), default=-1)
    return steps[:last + 1]


def _text(source):
    return "".join(source) if isinstance(source, list) else source


def read_notebook(path):
    """The instructor's notebook at ``path`` as a plain dict (JSON), without importing nbformat (slow to import)."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    for cell in notebook.get("cells", []):
        if isinstance(cell, dict) and "source" in cell:
            cell["source"] = _text(cell["source"])
    return notebook


def trusted_imports(steps, before):
    """The top-level import statements of the instructor's cells before step ``before``, as one code string."""
    lines = []
    for step in steps[:before]:
        if step.kind != "kernel" or step.solution_of:
            continue
        try:
            tree = ast.parse(without_magics(step.source))
        except SyntaxError:
            continue
        lines += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(lines)


def kernel_notebook(steps):
    """The notebook the learner's kernel sees, as JSON text: the kernel steps only (no check cells, no hidden tests)."""
    cells = [{"cell_type": "code", "execution_count": None, "id": f"cell-{step.index}", "metadata": {},
              "outputs": [], "source": step.source} for step in steps if step.kind == "kernel"]
    notebook = {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}}
    return json.dumps(notebook, indent=1)


def display_name(name):
    """A file or folder name on one line of any sheet, terminal or browser: bytes that are not UTF-8 become
    ``\\xNN``, control characters and line or paragraph separators ``\\n``, ``\\u2028`` ..."""
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return "".join(ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) in ("Cc", "Zl", "Zp")
                   else ch for ch in text)
