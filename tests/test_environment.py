"""environment.yml (for conda users) must name the same packages, with the same
lower bounds, as pyproject.toml (for pip users); every make target that needs the package sets it up."""

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

# conda packages that are not Python dependencies of the project
CONDA_ONLY = {"python", "pip"}
# PyPI name -> conda-forge name, where they differ
CONDA_NAMES = {}
# Extras that are not part of a learner's or an instructor's conda environment: the hub's
# packages run on the hub's machine (`make hub`, binder/ for its image; tests/test_hub_z2jh.py).
SERVER_EXTRAS = {"hub"}


def split_requirement(requirement):
    """'numpy>=2.4' -> ('numpy', '>=2.4')"""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", requirement)
    assert match, f"cannot parse requirement {requirement!r}"
    return match.group(1).lower(), match.group(2).replace(" ", "")


def pyproject_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for name, extra in project["optional-dependencies"].items():
        if name not in SERVER_EXTRAS:
            requirements += extra
    return dict(split_requirement(r) for r in requirements)


def environment_requirements():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    found = {}
    pip_section = []
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):
            pip_section += entry["pip"]
        else:
            name, spec = split_requirement(entry)
            if name not in CONDA_ONLY:
                found[name] = spec
    assert "-e ." in pip_section, "environment.yml must install the course itself with `-e .`"
    for entry in pip_section:
        if entry != "-e .":
            name, spec = split_requirement(entry)
            found[name] = spec
    return found


def test_environment_names_the_same_packages_as_pyproject():
    wanted = {CONDA_NAMES.get(name, name): spec for name, spec in pyproject_requirements().items()}
    assert environment_requirements() == wanted


def test_environment_python_matches_requires_python():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = [d for d in environment["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert python == ["python" + project["requires-python"]]


def test_version_is_exposed():
    import bpcourse

    assert re.fullmatch(r"\d+\.\d+\.\d+", bpcourse.__version__)
    assert bpcourse.version_info == tuple(int(p) for p in bpcourse.__version__.split("."))


@pytest.mark.parametrize("target", ["course", "test", "lab", "student", "data", "hub-release"])
def test_every_entry_point_sets_up_a_missing_environment(tmp_path, target):
    """On a fresh clone (no venv yet) each make target that uses the package first creates the venv and
    installs the course into it: `make -n` lists the commands it would run."""
    venv = tmp_path / "venv"
    listed = subprocess.run(["make", "-n", "-C", str(ROOT), target, f"VENV={venv}"],
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    commands = listed.stdout
    assert f"-m venv {venv}" in commands, commands
    assert "install" in commands and "-e '.[" in commands, commands
    assert commands.index("-m venv") < commands.index("bpcourse"), commands
