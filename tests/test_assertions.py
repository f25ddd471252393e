"""Assertions that check nothing are found in every notebook and test file.

Two patterns look like checks but are not:

* ``assert_allclose(a, A) and assert_allclose(b, B)``: ``assert_allclose``
  returns None, so ``and`` stops after the first call and ``b`` is never
  compared. Any call to a function that returns None, used as an operand of
  ``and`` / ``or``, is reported.
* ``assert f(...)`` where ``f`` returns None: it always fails, or, if ``f``
  raises on a mistake, the ``assert`` adds nothing and misleads the reader.

A function "returns None" when it is numpy.testing's ``assert_*``, ``print``,
a name starting with ``assert_`` / ``assert`` + capital letter (the helpers'
convention), or a function defined in the same file or imported from a
``bpcourse`` module whose body has no ``return <value>`` and no ``yield``.
"""

import ast
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TEST_FILES = sorted(path for path in (ROOT / "tests").rglob("*.py"))


def returns_nothing(function):
    """True if an ast FunctionDef has no ``return <value>`` and no ``yield`` (nested functions aside)."""
    def walk(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                continue
            if isinstance(child, ast.Return) and child.value is not None:
                return False
            if isinstance(child, (ast.Yield, ast.YieldFrom)):
                return False
            if not walk(child):
                return False
        return True

    return walk(function)


def _module_functions_returning_nothing(module_name):
    """Names of the top-level functions of a bpcourse module that return None."""
    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return set()
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and returns_nothing(node)}


def void_names(tree):
    """Local names that call a function returning None, in one parsed file."""
    names = {"print"}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and returns_nothing(node):
            names.add(node.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("bpcourse"):
                nothing = _module_functions_returning_nothing(node.module)
            elif node.module == "numpy.testing":
                nothing = {alias.name for alias in node.names if alias.name.startswith("assert_")}
            else:
                continue
            names.update(alias.asname or alias.name for alias in node.names if alias.name in nothing)
    return names


def _called_name(node):
    """The called function's last name (``f`` for ``f(...)`` and ``np.testing.f(...)``), else None."""
    if not isinstance(node, ast.Call):
        return None
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _is_void_call(node, names):
    name = _called_name(node)
    if name is None:
        return False
    if isinstance(node.func, ast.Attribute):  # np.testing.assert_allclose(...), self.assertEqual(...)
        return name.startswith("assert_") or (name.startswith("assert") and name[6:7].isupper())
    return name in names or name.startswith("assert_")


def find_void_assertions(source):
    """(line, message) for every ``call() and ...`` / ``assert call()`` whose call returns None."""
    tree = ast.parse(source)
    names = void_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BoolOp):
            void = [operand for operand in node.values if _is_void_call(operand, names)]
            if void:
                found.append((node.lineno, f"{_called_name(void[0])}() returns None inside "
                              f"'{'and' if isinstance(node.op, ast.And) else 'or'}': what follows it "
                              "never runs (or always does); write one statement per check"))
        elif isinstance(node, ast.Assert) and _is_void_call(node.test, names):
            found.append((node.lineno, f"'assert {_called_name(node.test)}(...)': it returns None; "
                          "call it without assert"))
    return sorted(found)


def notebook_source(path):
    """The code cells of a notebook as one Python text, IPython magics commented out."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        lines = "".join(cell["source"]).splitlines()
        lines = ["# " + line if line.lstrip().startswith(("%", "!")) else line for line in lines]
        cells.append(f"# cell {index}\n" + "\n".join(lines))
    return "\n".join(cells) + "\n"


# ---- the detector finds what it should, and nothing else ------------------------------------------------


@pytest.mark.parametrize("source", [
    "from numpy.testing import assert_allclose\nassert_allclose(a, b) and assert_allclose(c, d)\n",
    "import numpy as np\nnp.testing.assert_allclose(a, b) or np.testing.assert_allclose(c, d)\n",
    "from numpy.testing import assert_allclose as close\nx = close(a, b) and close(c, d)\n",
    "from numpy.testing import assert_array_equal\nassert assert_array_equal(a, b)\n",
    "def show(x):\n    print(x)\nassert show(3)\n",
    "assert print('checked')\n",
    "from bpcourse.exercises.checks.nb01 import check_sigmoid\nassert check_sigmoid(f)\n",
    "class T:\n    def test(self):\n        assert self.assertEqual(a, b)\n",
])
def test_finds_assertions_that_check_nothing(source):
    assert len(find_void_assertions(source)) == 1, source


@pytest.mark.parametrize("source", [
    "from numpy.testing import assert_allclose\nassert_allclose(a, b)\nassert_allclose(c, d)\n",
    "import numpy as np\nassert np.allclose(a, b) and np.allclose(c, d)\n",
    "from bpcourse.core.validation import check_layer_sizes\nassert check_layer_sizes((2, 1)) == (2, 1)\n",
    "def square(x):\n    return x * x\nassert square(2) and square(3)\n",
    "def numbers():\n    yield 1\nassert numbers()\n",
    "def outer():\n    def inner():\n        return 1\n    print(inner())\nouter()\n",
])
def test_leaves_real_checks_alone(source):
    assert find_void_assertions(source) == []


def test_returns_nothing_reads_the_function_body():
    tree = ast.parse("def a():\n    pass\ndef b():\n    return 1\ndef c():\n    return\n")
    assert [returns_nothing(f) for f in tree.body] == [True, False, True]


# ---- every notebook and every test file ------------------------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_assertion_that_checks_nothing(path):
    found = find_void_assertions(notebook_source(path))
    assert not found, f"{path.name}: " + "; ".join(f"line {line} of its code cells: {message}"
                                                   for line, message in found)


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_test_file_has_no_assertion_that_checks_nothing(path):
    found = find_void_assertions(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(ROOT)}: " + "; ".join(f"line {line}: {message}" for line, message in found)
