"""The package's layers: core <- visuals <- exercises <- tools.

Read with ``ast`` (nothing is imported): each module may import only from its
own layer and the layers below it, and the module import graph has no cycles.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bpcourse"
LAYERS = ["core", "visuals", "exercises", "tools"]  # each may import the ones before it
# Packages that only the instructor tools may need (the `instructor` extra).
INSTRUCTOR_ONLY = {"nbclient", "nbconvert", "nbformat", "jupyter_server_mathjax", "copydetect"}


def module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules():
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported_names(path, module):
    """Every absolute module name that `path` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module
            names.append(prefix)
            # `from bpcourse.core import data` imports the module bpcourse.core.data
            names += [f"{prefix}.{alias.name}" for alias in node.names]
    return names


def internal_imports():
    modules = package_modules()
    graph = {}
    for module, path in modules.items():
        graph[module] = sorted({name for name in imported_names(path, module) if name in modules and name != module})
    return graph


def layer_of(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_sits_in_a_layer():
    loose = [m for m in package_modules() if m != "bpcourse" and layer_of(m) is None]
    assert loose == [], f"modules outside core/visuals/exercises/tools: {loose}"


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_the_layers_below_it(layer):
    allowed = set(LAYERS[: LAYERS.index(layer) + 1])
    wrong = []
    for module, targets in internal_imports().items():
        if layer_of(module) != layer:
            continue
        for target in targets:
            if layer_of(target) is not None and layer_of(target) not in allowed:
                wrong.append(f"{module} imports {target}")
    assert wrong == [], f"{layer} must not import the layers above it: {wrong}"


def test_the_imports_have_no_cycles():
    graph = internal_imports()
    # Package __init__ files are containers; `from bpcourse.core import data` is an edge to the module only.
    graph = {m: [t for t in targets if not (PACKAGE.parent / Path(*t.split("."))).is_dir()] for m, targets in graph.items()}
    state, stack, cycles = {}, [], []

    def visit(module):
        state[module] = "open"
        stack.append(module)
        for target in graph.get(module, []):
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[module] = "done"

    for module in graph:
        if module not in state:
            visit(module)
    assert cycles == [], f"import cycles: {cycles}"


def test_only_the_tools_need_the_instructor_extra():
    wrong = []
    for module, path in package_modules().items():
        if layer_of(module) == "tools":
            continue
        for name in imported_names(path, module):
            if name and name.split(".")[0] in INSTRUCTOR_ONLY:
                wrong.append(f"{module} imports {name}")
    assert wrong == [], f"a learner's install lacks the instructor extra: {wrong}"


def test_the_checker_sees_a_wrong_import(tmp_path):
    """The rule can fail: a core module that imports a visual is reported."""
    fake = tmp_path / "bpcourse" / "core" / "fake.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("from bpcourse.visuals.live_plot import LivePlot\nfrom . import activations\n")
    names = imported_names(fake, "bpcourse.core.fake")
    assert "bpcourse.visuals.live_plot" in names
    assert "bpcourse.core.activations" in names
