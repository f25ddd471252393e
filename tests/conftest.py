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
    """
    in_browser = {item.callspec.params["notebook"].name for item in items
                  if getattr(item, "originalname", None) == "test_notebook_in_jupyterlab" and hasattr(item, "callspec")}
    if not in_browser or not _browser_can_run():
        return
    repeated = [item for item in items if item.path.suffix == ".ipynb" and item.path.name in in_browser]
    if repeated:
        config.hook.pytest_deselected(items=repeated)
        items[:] = [item for item in items if item not in set(repeated)]
