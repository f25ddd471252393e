"""Shared by every test under tests/: headless plotting, and no figure left open after a test."""

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
