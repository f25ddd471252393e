"""The benchmark scripts start: each answers ``--help`` (they are run by hand, so nothing else would notice)."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.stem for p in (REPO / "benchmarks").glob("*.py") if p.stem != "machine")
MODULES = {"hub_load"}  # run as ``python -m benchmarks.NAME``: they import hub/local_hub.py


def test_every_script_is_listed():
    assert {"train_mnist", "grade_class", "hub_load"} <= set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_answers_help(name):
    command = ["-m", f"benchmarks.{name}"] if name in MODULES else [str(REPO / "benchmarks" / f"{name}.py")]
    done = subprocess.run([sys.executable, *command, "--help"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("usage:"), done.stdout[:300]


def test_a_module_run_as_a_file_says_how_to_run_it():
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "hub_load.py"), "--help"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "-m benchmarks.hub_load" in done.stderr, done.stderr[-500:]
