"""Shared by every test under tests/: headless plotting, no figure left open after a test, each notebook run once."""

import importlib.util
import os
import sys

import matplotlib
import pytest

matplotlib.use("Agg")  # before any test module imports pyplot: no window and no display needed


@pytest.fixture(autouse=True)
def close_figures():
    """Close the figures a test opened (the plotting tests open many); nothing to do without pyplot."""
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


def _browser_can_run():
    """Whether the browser tests will run here: Debian's Chromium and the playwright package are present."""
    chromium = os.environ.get("BPCOURSE_CHROMIUM", "/usr/bin/chromium")
    return os.path.isfile(chromium) and os.access(chromium, os.X_OK) and importlib.util.find_spec("playwright")


@pytest.hookimpl(trylast=True)  # after -k and -m have chosen
def pytest_collection_modifyitems(config, items):
    """Each notebook runs once for "no cell raises": in JupyterLab when its browser test runs, else under nbval.

    The browser test of a notebook (tests/browser/test_jupyterlab.py) runs every cell with JupyterLab's "Run All"
    and fails on any error output, so nbval's run of the same notebook would only repeat it. Its cells are
    deselected then; ``pytest --nbval-lax notebooks/`` on its own (or without Chromium) still runs them all.
    The hub tests then move to the front, followed by the tests that run a whole notebook, the slowest first
    (see ``_scheduling_order`` and ``pytest_xdist_make_scheduler``).
    """
    in_browser = {item.callspec.params["notebook"].name for item in items
                  if getattr(item, "originalname", None) == "test_notebook_in_jupyterlab" and hasattr(item, "callspec")}
    if in_browser and _browser_can_run():
        repeated = [item for item in items if item.path.suffix == ".ipynb" and item.path.name in in_browser]
        if repeated:
            config.hook.pytest_deselected(items=repeated)
            items[:] = [item for item in items if item not in set(repeated)]
    items.sort(key=lambda item: _scheduling_order(item.nodeid))


# The tests that each run a whole course notebook (in JupyterLab, as its student version, graded): most of the
# work of the suite, and mostly waiting on kernels, sandboxes and the browser.
WHOLE_NOTEBOOK_TESTS = {
    "test_notebook_in_jupyterlab",
    "test_student_version_fails_exactly_at_its_check_cells",
    "test_the_instructors_notebook_earns_full_marks",
}
# The notebooks from the slowest to run to the quickest (measured; only the order matters).
NOTEBOOKS_BY_COST = ["06", "08", "07", "04", "05", "03", "01", "02"]
# The test files that take longest (measured, slowest first): the two hub files before everything, the others
# after the whole-notebook tests, so that no long file is left to start when the other workers are done.
SLOW_FILES = ["tests/browser/test_hub.py", "tests/test_hub_culler.py", "tests/test_borrowed_submission.py",
              "tests/test_destructive_bodies.py", "tests/test_grading.py", "tests/test_grading_robust.py",
              "tests/browser/test_grading_pages.py", "tests/test_cluster.py", "tests/test_grading_resume.py"]


# Test files that each start a JupyterHub: LocalHub lets one run on the machine at a time (hub/local_hub.py), so
# they share a work unit, one after the other on one worker, instead of one worker waiting for the other's hub.
ONE_HUB_AT_A_TIME = {"tests/browser/test_hub.py", "tests/test_hub_culler.py"}


def _work_unit(nodeid, file_scope):
    """The xdist work unit of a test: its own id for a whole-notebook test, one unit for the hub files, else its
    file (``file_scope``)."""
    if _whole_notebook_number(nodeid) is not None:
        return nodeid
    return "the hub tests" if file_scope in ONE_HUB_AT_A_TIME else file_scope


def _whole_notebook_number(nodeid):
    """The notebook number ("06") a whole-notebook test's id names, else None."""
    function, _, parameter = nodeid.split("::")[-1].partition("[")
    return parameter[:2] if function in WHOLE_NOTEBOOK_TESTS else None


def _scheduling_order(nodeid):
    """The hub tests first (the longest work unit: about three minutes on 2 cores), then the whole-notebook tests,
    the slowest notebook first; then the other slow files; every other test as collected."""
    path = nodeid.split("::", 1)[0]
    if path in ONE_HUB_AT_A_TIME:
        return (0, SLOW_FILES.index(path))
    number = _whole_notebook_number(nodeid)
    if number is not None:
        return (1, NOTEBOOKS_BY_COST.index(number) if number in NOTEBOOKS_BY_COST else len(NOTEBOOKS_BY_COST))
    return (2, SLOW_FILES.index(path)) if path in SLOW_FILES else (3, 0)


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile``, except that each whole-notebook test is a work unit of its own, and that the files
    of ``ONE_HUB_AT_A_TIME`` are one unit.

    A file's tests stay on one worker, so its module fixtures are built once. The whole-notebook tests of one
    file are spread over the workers instead, the slowest first (the workers run their units in the order
    collected): with more workers than cores, that waiting is shared out evenly.
    """
    if config.getoption("dist", "no") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class WholeNotebooksApart(LoadFileScheduling):
        def _split_scope(self, nodeid):
            return _work_unit(nodeid, super()._split_scope(nodeid))

    config.option.loadscopereorder = False  # keep the collected order: slowest first
    return WholeNotebooksApart(config, log)
