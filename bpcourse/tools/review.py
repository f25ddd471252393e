"""Static review of a learner's solution cell: code that writes or loads code (``importlib``, ``exec``,
``get_ipython`` ...) is listed in the grade sheet's review column; the points stand until the instructor decides.
Importing ``bpcourse`` is no reason: the clean room (:mod:`bpcourse.tools.clean_room`) gives the package's own
answer no points.
"""

import ast

from bpcourse.tools.sandbox_worker import without_magics

FLAGGED_NAMES = ("importlib", "__import__", "exec", "eval", "get_ipython", "compile", "globals", "builtins",
                 "__builtins__")


def review_reasons(source, given=""):
    """Why ``source`` (a solution cell) needs a human look: short reasons, none for a line of ``given`` (the stub)."""
    code = without_magics(source)
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
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            reasons += [f"line {node.lineno}: imports {m}" for m in modules if m.split(".")[0] in FLAGGED_NAMES]
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        if name in FLAGGED_NAMES:
            reasons.append(f"line {node.lineno}: uses {name}")
    return list(dict.fromkeys(reasons))
