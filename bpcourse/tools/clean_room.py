"""Call a learner's function where the package's answer to the exercise does not exist: the clean room.

A check refuses borrowed answers (:mod:`bpcourse.exercises.originality`): it
names the package's functions and methods that implement the exercise. In
the learner's own kernel that refusal is a courtesy, since the learner's code
can undo anything done in its process. The grader therefore calls the
learner's function for such a check in a *clean room*: a second sandboxed
kernel, started for that check, whose copy of ``bpcourse`` has the body of
every forbidden function and method replaced, in the source on disk, by a
``raise`` with the refusal's message (:func:`tripwired_package`). The
package's implementation of the exercise is not in that process, nor in any
file it can read, so no route (an alias, a decorator, a default argument, a
closure, a dict, ``functools.partial``, reading the package's source) reaches
it; the package's other code, the learner's building blocks, works as usual.

The clean room holds the learner's functions as the notebook defines them:
it runs the notebook's import cells, every solution cell above the check,
and the instructor cells that define a name those cells use
(:func:`clean_room_steps`), in the notebook's order. Cells that only change
objects in place (a training run) are not run there; a learner's function
that reads such an object sees it as its defining cell left it.

Everything the clean room answers is untrusted, like the learner's kernel's
answers: the grader takes the result as the learner's answer and judges it
itself.
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
    """A forbidden object could not be found in the package's source (a bug in a check, not the learner's)."""


def _find_function(tree, qualname):
    """The FunctionDef node of ``qualname`` ("Network.train") in a module's AST, or None."""
    body, node = tree.body, None
    for part in qualname.split("."):
        node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     and n.name == part), None)
        if node is None:
            return None
        body = node.body
    return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def tripwired_package(destination, refusals):
    """Copy the installed ``bpcourse`` into ``destination/bpcourse`` with the forbidden functions' bodies replaced.

    ``refusals`` maps a function's full name (``"bpcourse.core.activations.sigmoid"``,
    ``"bpcourse.core.oo_network.Network.train"``) to the message its
    replacement raises as an ``AssertionError``. Returns the copy's folder.
    Raises TripwireError for a name that is not a function defined in the package's source.
    """
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
    """The kernel steps before ``steps[position]`` that the clean room runs, in the notebook's order.

    Every solution cell; the notebook's first code cell (its imports and seed)
    and every cell of imports only; and, working back from the end, every
    instructor cell that binds a name that a cell already chosen reads.
    """
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
    """How a kernel cell is named in tracebacks, problems and the list of cells that ran: "01_x.ipynb, cell 4"."""
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
        """Start the kernel and run the chosen cells, each with its own wall time; raises KernelError.

        A cell that raises is the learner's or the notebook's business (as in
        the learner's kernel); one that hangs or kills the kernel ends the
        clean room, and the check that needed it.
        """
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
