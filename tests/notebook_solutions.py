"""The instructor's solutions, taken from the notebooks themselves (one source of truth).

``solutions("01")`` runs notebook 01's first cell (its imports, magics left
out) and then every solution cell, in order, in a fresh namespace named
``__main__`` as in a kernel, and returns that namespace: ``solutions("01")["sigmoid"]``
is the solution a check must accept. ``solution_lines()`` lists every line
between the solution markers of every notebook, for the test that no hint
gives one away.
"""

import functools
import json
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def notebook_path(number):
    (path,) = NOTEBOOKS.glob(f"{number}_*.ipynb")
    return path


def _cells(number):
    return json.loads(notebook_path(number).read_text(encoding="utf-8"))["cells"]


def solution_cells(number):
    """The sources of notebook ``number``'s solution cells, in order."""
    return ["".join(cell["source"]) for cell in _cells(number)
            if cell.get("metadata", {}).get("nbgrader", {}).get("solution")]


@functools.lru_cache(maxsize=None)
def _namespace(number):
    first = "".join(next(cell for cell in _cells(number) if cell["cell_type"] == "code")["source"])
    namespace = {"__name__": "__main__"}
    exec(compile("\n".join(line for line in first.splitlines() if not line.startswith("%")),
                 f"<notebook {number}, first cell>", "exec"), namespace)
    for index, source in enumerate(solution_cells(number)):
        exec(compile(source, f"<notebook {number}, solution cell {index}>", "exec"), namespace)
    return namespace


def solutions(number):
    """A copy of the namespace holding notebook ``number``'s imports and solution functions."""
    return dict(_namespace(number))


def solution_lines():
    """(notebook, line) for every non-blank, non-comment line inside a solution region of any notebook."""
    lines = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        for source in solution_cells(path.name[:2]):
            inside = False
            for line in source.splitlines():
                marker = line.strip()
                if marker in (BEGIN, END):
                    inside = marker == BEGIN
                elif inside and marker and not marker.startswith("#"):
                    lines.append((path.name, line.split("  #")[0].strip()))
    return lines
