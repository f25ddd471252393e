"""Static review of a learner's solution cell: what an instructor should look at by hand.

The sandbox and the grader's own verdicts (:mod:`bpcourse.tools.grading`)
make sure that tricks cannot earn points, and the clean room
(:mod:`bpcourse.tools.clean_room`) that the package's own answer earns none,
so importing ``bpcourse`` for a building block is no reason for a look. Code
that writes or loads code (``importlib``, ``__import__``, ``exec``, ``eval``,
``compile``, ``get_ipython`` ...) still is: :func:`review_reasons` lists such
uses, the grade sheet's review column gives them, and the points stand until
the instructor decides.
"""

import ast
import re

FLAGGED_NAMES = ("importlib", "__import__", "exec", "eval", "get_ipython", "compile", "globals", "builtins",
                 "__builtins__")
"""Names whose use in a solution cell is flagged for review."""


def review_reasons(source, given=""):
    """Why ``source`` (a solution cell's code) needs a human look: a list of short reasons, empty if none.

    ``given`` is the cell as the student version handed it out (its stub): a
    line the learner received unchanged (a docstring naming the package, say)
    is never a reason.
    """
    code = "\n".join("" if re.match(r"\s*[%!]", line) else line for line in source.splitlines())
    handed_out = {line.strip() for line in given.splitlines() if line.strip()}
    lines = code.splitlines()
    reasons = []
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError) as error:
        return [f"not valid Python ({getattr(error, 'msg', error)}), not reviewed"]
    for node in ast.walk(tree):
        line = getattr(node, "lineno", None)
        if line is not None and 0 < line <= len(lines) and lines[line - 1].strip() in handed_out:
            continue  # as the student version gave it
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        else:
            modules = []
        for module in modules:
            top = module.split(".")[0]
            if top in FLAGGED_NAMES:
                reasons.append(f"line {node.lineno}: imports {module}")
        name = None
        if isinstance(node, ast.Name):
            name = node.id
        elif isinstance(node, ast.Attribute):
            name = node.attr
        if name in FLAGGED_NAMES:
            reasons.append(f"line {node.lineno}: uses {name}")
    return list(dict.fromkeys(reasons))
