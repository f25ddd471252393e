"""No borrowed answers: refuse a learner's function that is, or calls, the package's own implementation.

A check calls :func:`refuse_borrowed` before it tries the learner's function.
The function is refused, with a :class:`BorrowedAnswer` (an ``AssertionError``,
so the check cell fails and the grader gives it no points), when

- it *is* a function of the ``bpcourse`` package (or a bound method, a
  ``functools.partial`` or a ``functools.wraps`` wrapper of one);
- its code (read from the compiled code object with :mod:`dis`, nested
  functions and lambdas included, and the learner's own helper functions it
  calls, followed through the notebook's globals) uses

  * a global name bound to one of the exercise's *forbidden* package objects
    (for example ``activations.sigmoid`` for the sigmoid exercise), or to
    anything in ``bpcourse.exercises`` (the checks and their references);
  * an attribute whose name is one of the exercise's *forbidden* method names
    (for example ``.gradients`` or ``.get_gradient`` for a backward pass);
  * a private package name (an attribute starting with one underscore);
  * an ``import`` of ``bpcourse`` (or ``importlib``, ``sys``, ``builtins``)
    inside the function, or a look-up by text (``__import__``, ``getattr``,
    ``globals``, ``eval`` ...).

Using the package's *lower-level* building blocks stays allowed: a layer's
forward pass may call ``sigmoid``; only the implementation of the very thing
the exercise asks for is refused. The message names what was found, so a
learner who meant no harm sees what to write instead, and an instructor
reviewing the grade sheet sees why the answer scored 0 (the text starts with
:data:`BORROWED_TAG`).

This is a look at the code, not a sandbox: a submission that patches the
check itself is out of its reach (see the grader's documentation). When the
grader runs a check, the learner's function is a stand-in that calls it in
the sandbox; the stand-in offers ``__code_view__``, the learner's code compiled
by the grader from the submitted source (never run), and that is what is read.
"""

import dis
import functools
import inspect
import types

BORROWED_TAG = "BORROWED ANSWER"
"""The first words of every refusal, for the grade sheet and for review."""

_IMPORT_HELPERS = {"__import__", "importlib", "import_module", "reload", "exec", "eval", "compile", "getattr",
                   "globals", "vars", "sys", "modules"}
"""Names through which code can reach a module, look a name up by text, or run text as code."""

_REFUSED_MODULES = {"bpcourse", "importlib", "builtins", "sys"}
"""Modules a solution must not import inside its body (other imports, e.g. ``math``, are fine)."""


class BorrowedAnswer(AssertionError):
    """The learner's function is, or calls, the package's implementation of the exercise."""


def _unwrap(function):
    """The plain function behind bound methods, partials and ``functools.wraps`` wrappers."""
    seen = set()
    while id(function) not in seen:
        seen.add(id(function))
        if isinstance(function, functools.partial):
            function = function.func
        elif isinstance(function, types.MethodType):
            function = function.__func__
        elif getattr(function, "__wrapped__", None) is not None:
            function = function.__wrapped__
        else:
            break
    return function


def _package_name(value):
    """The ``bpcourse`` module a value belongs to, or None for anything else."""
    if isinstance(value, types.ModuleType):
        name = value.__name__
    else:
        name = getattr(_unwrap(value), "__module__", None)
        if not isinstance(name, str) and hasattr(value, "__class__"):
            name = getattr(type(value), "__module__", None)
    if isinstance(name, str) and (name == "bpcourse" or name.startswith("bpcourse.")):
        return name
    return None


def _same(value, forbidden):
    value = _unwrap(value)
    return any(value is _unwrap(item) for item in forbidden)


def _code_objects(code):
    """``code`` and every code object nested in it (inner functions, lambdas, comprehensions)."""
    yield code
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _code_objects(constant)


def _uses(code):
    """(global names, attribute names, imported modules) that a code object and its nested code use."""
    globals_, attributes, imports = set(), set(), set()
    for inner in _code_objects(code):
        for instruction in dis.get_instructions(inner):
            name = instruction.argval
            if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                globals_.add(name)
            elif instruction.opname in ("LOAD_ATTR", "LOAD_METHOD", "STORE_ATTR"):
                attributes.add(name)
            elif instruction.opname in ("IMPORT_NAME", "IMPORT_FROM"):
                imports.add(name)
    return globals_, attributes, imports


def find_borrowing(function, forbidden=(), forbidden_attributes=()):
    """What makes ``function`` a borrowed answer, in words, or None if nothing does.

    Args:
        function: the learner's function.
        forbidden: package objects (functions, methods, classes) that implement the exercise.
        forbidden_attributes: method or attribute names that implement it, e.g. ``{"gradients"}``.
    """
    forbidden_attributes = set(forbidden_attributes)
    plain = _unwrap(function)
    view = getattr(plain, "__code_view__", None)
    if isinstance(view, types.FunctionType):  # the grader's stand-in: read the learner's compiled code
        plain = view
    if _same(plain, forbidden) or _package_name(plain):
        name = getattr(plain, "__qualname__", repr(plain))
        return f"it is the package's own {_package_name(plain) or 'bpcourse'}.{name}"
    if not isinstance(plain, (types.FunctionType, types.BuiltinFunctionType)) and callable(plain):
        plain = getattr(type(plain), "__call__", plain)  # a callable object: look at its __call__
        if _same(plain, forbidden) or _package_name(plain):
            return f"it is an object of the package ({_package_name(plain) or 'bpcourse'})"
    pending, seen = [plain], set()
    while pending:
        current = pending.pop()
        code = getattr(current, "__code__", None)
        if code is None or id(code) in seen:
            continue
        seen.add(id(code))
        names, attributes, imports = _uses(code)
        modules = sorted(str(name) for name in imports if str(name).split(".")[0] in _REFUSED_MODULES)
        if modules:
            return f"it imports {', '.join(modules)} inside the function"
        if names & _IMPORT_HELPERS or attributes & _IMPORT_HELPERS:
            return f"it loads code by name ({', '.join(sorted((names | attributes) & _IMPORT_HELPERS))})"
        used = sorted(attributes & forbidden_attributes)
        if used:
            return f"it calls the package's implementation through .{', .'.join(used)}"
        private = sorted(a for a in attributes if a.startswith("_") and not a.startswith("__"))
        if private:
            return f"it uses the package's private name(s) {', '.join(private)}"
        namespace = getattr(current, "__globals__", {})
        closure = [cell.cell_contents for cell in (getattr(current, "__closure__", None) or ())
                   if _has_contents(cell)]
        values = [(name, namespace[name]) for name in sorted(names) if name in namespace]
        values += [(f"a variable of {getattr(current, '__name__', 'the function')}", value) for value in closure]
        for name, value in values:
            package = _package_name(value)
            if _same(value, forbidden):
                return f"it calls {name}, the package's implementation of this exercise"
            if package and package.startswith("bpcourse.exercises"):
                return f"it uses {name} from {package}, the course's exercise code"
            helper = _unwrap(value)
            if (package is None and isinstance(helper, types.FunctionType)
                    and helper.__globals__ is getattr(plain, "__globals__", None)):
                pending.append(helper)  # the learner's own helper, from the same notebook: look inside it too
    return None


def _has_contents(cell):
    try:
        cell.cell_contents
    except ValueError:  # an empty closure cell
        return False
    return True


def refuse_borrowed(function, *, check, name, forbidden=(), forbidden_attributes=(), equation):
    """Raise :class:`BorrowedAnswer` if ``function`` is or calls the package's implementation.

    Args:
        function: the learner's function.
        check, name: the check's and the learner's function's names, for the message.
        forbidden, forbidden_attributes: see :func:`find_borrowing`.
        equation: where the text derives what the learner should write, e.g. ``"eq. 1.2"``.
    """
    if not callable(function):
        raise AssertionError(f"{check}: expected your function {name}, got {type(function).__name__} {function!r}")
    reason = find_borrowing(function, forbidden, forbidden_attributes)
    if reason is None:
        return
    where = ""
    try:
        where = f" (defined at {inspect.getsourcefile(_unwrap(function))})" if _package_name(
            _unwrap(function)) else ""
    except TypeError:
        pass
    raise BorrowedAnswer(
        f"{BORROWED_TAG}: {check} refuses your {name}{where}: {reason}. This exercise asks you to write "
        f"it yourself from {equation}, with NumPy and the inputs you are given; the package's version is "
        f"what your answer is compared with. (A grader gives this answer 0 points and marks it for review.)")
