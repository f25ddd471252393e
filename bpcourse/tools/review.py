"""Static review of a learner's solution cell: what an instructor should look at by hand.

The sandbox and the grader's own verdicts (:mod:`bpcourse.tools.grading`)
make sure that tricks cannot earn points. Some code is still worth a human
look: a solution that imports ``bpcourse`` (it may hand back the package's
reference answer instead of the learner's own), or that reaches for
``importlib``, ``__import__``, ``exec``, ``eval`` or ``get_ipython`` (code
that writes or loads code). :func:`review_reasons` lists such uses; the grade
sheet marks the exercise "review" with these reasons, and the points stand
until the instructor decides.
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
            if top == "bpcourse":
                reasons.append(f"line {node.lineno}: imports {module} (the package holds the reference answers)")
            elif top in FLAGGED_NAMES:
                reasons.append(f"line {node.lineno}: imports {module}")
        name = None
        if isinstance(node, ast.Name):
            name = node.id
        elif isinstance(node, ast.Attribute):
            name = node.attr
        if name in FLAGGED_NAMES:
            reasons.append(f"line {node.lineno}: uses {name}")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "bpcourse" in node.value:
            reasons.append(f"line {node.lineno}: names bpcourse in a string")
    return list(dict.fromkeys(reasons))
