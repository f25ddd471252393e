"""The suite's scheduling (tests/conftest.py): the whole-notebook tests it spreads over the workers exist."""

import importlib.util
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
NOTEBOOKS = sorted((TESTS.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def conftest():
    spec = importlib.util.spec_from_file_location("suite_conftest", TESTS / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_whole_notebook_test_is_defined_and_parametrized_by_notebook(conftest):
    sources = "\n".join(path.read_text(encoding="utf-8") for path in TESTS.rglob("test_*.py"))
    for name in conftest.WHOLE_NOTEBOOK_TESTS:
        assert re.search(rf"@pytest\.mark\.parametrize\([^\n]*\n(?:@[^\n]*\n)*def {name}\(", sources), name


def test_every_notebook_has_a_place_in_the_cost_order(conftest):
    assert sorted(conftest.NOTEBOOKS_BY_COST) == sorted(path.name[:2] for path in NOTEBOOKS)


def test_every_slow_file_exists(conftest):
    root = TESTS.parent
    assert [path for path in conftest.SLOW_FILES if not (root / path).is_file()] == []


@pytest.mark.parametrize("nodeid, number", [
    ("tests/browser/test_jupyterlab.py::test_notebook_in_jupyterlab[06_mnist]", "06"),
    ("tests/test_student_notebooks.py::test_student_version_fails_exactly_at_its_check_cells[08_beyond.ipynb]", "08"),
    ("tests/test_grading_solutions.py::test_the_instructors_notebook_earns_full_marks[07]", "07"),
    ("tests/browser/test_jupyterlab.py::test_harness_reports_errors", None),
    ("tests/test_grading.py::test_each_submission_gets_exactly_its_points[a_rebind_check]", None),
])
def test_whole_notebook_tests_are_told_apart_by_their_id(conftest, nodeid, number):
    assert conftest._whole_notebook_number(nodeid) == number


def test_the_hub_comes_first_then_the_slowest_notebook_then_the_slow_files_and_other_tests_keep_their_order(conftest):
    ids = ["tests/test_a.py::test_x", "tests/test_grading_solutions.py::test_the_instructors_notebook_earns_full_marks[02]",
           "tests/test_b.py::test_y", "tests/browser/test_jupyterlab.py::test_notebook_in_jupyterlab[06_mnist]",
           "tests/test_cluster.py::test_z", "tests/test_hub_culler.py::test_v", "tests/browser/test_hub.py::test_w"]
    assert sorted(ids, key=conftest._scheduling_order) == [ids[6], ids[5], ids[3], ids[1], ids[4], ids[0], ids[2]]


def test_the_two_hub_files_share_a_work_unit_and_a_whole_notebook_test_has_its_own(conftest):
    hub, culler = "tests/browser/test_hub.py", "tests/test_hub_culler.py"
    assert conftest._work_unit(f"{hub}::test_a", hub) == conftest._work_unit(f"{culler}::test_b", culler)
    assert conftest._work_unit("tests/test_a.py::test_x", "tests/test_a.py") == "tests/test_a.py"
    notebook = "tests/test_grading_solutions.py::test_the_instructors_notebook_earns_full_marks[07]"
    assert conftest._work_unit(notebook, "tests/test_grading_solutions.py") == notebook
