"""Call a learner's function where the package's answer to the exercise does not exist: the clean room.

A check that refuses borrowed answers (:mod:`bpcourse.exercises.originality`) names the package functions
that implement the exercise. In the learner's kernel that refusal could be undone, so the grader calls the
learner's function in a second sandboxed kernel whose copy of ``bpcourse`` has each of those bodies replaced,
on disk, by a ``raise`` (:func:`tripwired_package`): no alias, closure or reading of the source reaches the
answer, and the rest of the package works as usual. It runs the cells that define the learner's functions
(:func:`clean_room_steps`); cells that only change objects in place are not run there. Its answers are as
untrusted as the kernel's.
"""

import ast
import shutil
from pathlib import Path

import bpcourse
from bpcourse.core.atomic import atomic_write
from bpcourse.tools.kernel import Kernel
from bpcourse.tools.sandbox_worker import without_magics
from bpcourse.tools.submission import kernel_notebook


class TripwireError(RuntimeError):
    """A forbidden function is not in the package's source (a bug in a check, not the learner's)."""


def _find_function(tree, qualname):
    body, node = tree.body, None
    for part in qualname.split("."):
        node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     and n.name == part), None)
        if node is None:
            return None
        body = node.body
    return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def tripwired_package(destination, refusals):
    """Copy the installed ``bpcourse`` to ``destination/bpcourse`` (returned) with each function of ``refusals``
    (full name, ``"bpcourse.core.oo_network.Network.train"`` -> message) raising ``AssertionError(message)``."""
    source = Path(bpcourse.__file__).resolve().parent
    copy = Path(destination) / "bpcourse"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    by_module = {}
    for name, message in refusals.items():
        module, qualname = split_name(name)
        by_module.setdefault(module, []).append((qualname, message))
    for module, functions in by_module.items():
        path = copy.joinpath(*module.split(".")[1:])
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for qualname, message in functions:
            node = _find_function(tree, qualname)
            if node is None:
                raise TripwireError(f"{module}.{qualname} is not a function in {path.name}")
            node.body = [ast.Raise(exc=ast.Call(func=ast.Name("AssertionError", ast.Load()),
                                                args=[ast.Constant(message)], keywords=[]), cause=None)]
        path.write_text(ast.unparse(ast.fix_missing_locations(tree)) + "\n", encoding="utf-8")
    return copy


def split_name(full_name):
    """``("bpcourse.core.oo_network", "Network.train")`` from a full name, by the package's module files."""
    parts = full_name.split(".")
    root = Path(bpcourse.__file__).resolve().parent
    for cut in range(len(parts) - 1, 1, -1):
        candidate = root.joinpath(*parts[1:cut])
        if candidate.with_suffix(".py").is_file() or (candidate / "__init__.py").is_file():
            return ".".join(parts[:cut]), ".".join(parts[cut:])
    raise TripwireError(f"{full_name} is not in a module of the bpcourse package")


# --- which cells the clean room runs -----------------------------------------------


def _names(source):
    """``(defined, used, imports_only)`` of a cell: top-level names it binds, every name it reads anywhere."""
    try:
        tree = ast.parse(without_magics(source))
    except (SyntaxError, ValueError):
        return set(), set(), False
    defined, used = set(), set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.With)):
            targets = {ast.Assign: lambda n: n.targets, ast.For: lambda n: [n.target],
                       ast.With: lambda n: [i.optional_vars for i in n.items if i.optional_vars]}.get(
                type(node), lambda n: [n.target])(node)
            for target in targets:
                defined.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            used.add(node.id)
    imports_only = bool(tree.body) and all(isinstance(n, (ast.Import, ast.ImportFrom)) or
                                           (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
                                           for n in tree.body)
    return defined, used, imports_only


def clean_room_steps(steps, position):
    """The kernel steps before ``steps[position]`` that the clean room runs: every solution cell, the first code
    cell, every cell of imports only, and (working back) every cell that binds a name a chosen cell reads."""
    before = [(i, s) for i, s in enumerate(steps[:position]) if s.kind == "kernel"]
    chosen, needed = set(), set()
    for i, step in before:
        defined, used, imports_only = _names(step.source)
        if step.solution_of or imports_only or i == before[0][0]:
            chosen.add(i)
            needed |= used
    for i, step in reversed(before):
        if i in chosen:
            continue
        defined, used, _ = _names(step.source)
        if defined & needed:
            chosen.add(i)
            needed |= used
    return [s for i, s in before if i in chosen]


def cell_label(notebook_name, index):
    """A kernel cell's name in tracebacks, problems and the cells that ran: "01_x.ipynb, cell 4"."""
    return f"{notebook_name}, cell {index}"


class CleanRoom:
    """A sandboxed kernel with a tripwired package, holding the learner's functions; see the module docstring."""

    def __init__(self, folder, notebook_name, refusals, steps, cell_timeout, limits, sandbox):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True)
        package = tripwired_package(self.folder / "package", refusals)
        with atomic_write(self.folder / notebook_name, "w", encoding="utf-8") as handle:
            handle.write(kernel_notebook(steps))
        self.kernel = Kernel(self.folder, notebook_name, limits, sandbox, package_dir=package)
        self.steps, self.cell_timeout, self.notebook_name = steps, cell_timeout, notebook_name

    def start(self):
        """Start the kernel and run the chosen cells, each with its wall time; one that hangs or kills the kernel
        raises KernelError (a cell that raises is the notebook's business)."""
        self.kernel.start()
        for step in self.steps:
            label = cell_label(self.notebook_name, step.index)
            self.kernel.request("run", self.cell_timeout, source=step.source, filename=label)
        return self

    def request(self, op, timeout, **fields):
        return self.kernel.request(op, timeout, **fields)

    def close(self):
        self.kernel.close()
        shutil.rmtree(self.folder, ignore_errors=True)
