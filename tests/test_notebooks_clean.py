"""Notebooks are stored without outputs and execution counts, so that diffs stay
reviewable; the executed copies are build products in build/course/."""

import ast
import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_notebooks_exist():
    assert NOTEBOOKS, "notebooks/ holds no notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    dirty = [
        index
        for index, cell in enumerate(notebook["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; strip them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_name_is_numbered(path):
    number, _, rest = path.stem.partition("_")
    assert number.isdigit() and len(number) == 2 and rest, f"{path.name}: expected a name like 01_topic.ipynb"


def code_cells(path):
    """(index, source) of each code cell, IPython magics (%..., !...) blanked so that ast can parse it."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            lines = "".join(cell["source"]).splitlines()
            yield index, "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)


def private_names(source):
    """Names starting with one underscore that the code imports from bpcourse or reaches as attributes."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bpcourse"):
            parts = node.module.split(".") + [alias.name for alias in node.names]
            found += [part for part in parts if part.startswith("_")]
        elif isinstance(node, ast.Import):
            found += [part for alias in node.names if alias.name.startswith("bpcourse")
                      for part in alias.name.split(".") if part.startswith("_")]
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            found.append(node.attr)
    return found


def test_private_names_are_found():
    source = ("from bpcourse.core.vectorized import _Buffers, Network\nimport bpcourse.exercises.checks._common\n"
              "net._train_step(X, T, 0.1)\nshow(vectorized._activate)\nx = net.__class__\nfor _ in range(3): pass\n")
    assert private_names(source) == ["_Buffers", "_common", "_train_step", "_activate"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_uses_only_public_names(path):
    used = {index: names for index, source in code_cells(path) if (names := private_names(source))}
    assert not used, f"{path.name}: code cells use private names (a leading underscore): {used}"
