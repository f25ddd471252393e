"""show_source displays the package's code, highlighted, and refuses what has no Python source."""

import numpy as np
import pytest
from IPython.display import Code

from bpcourse.core.vectorized import FullConnectedLayer
from bpcourse.visuals import source


def test_each_object_is_displayed_as_its_own_highlighted_code(monkeypatch):
    shown = []
    monkeypatch.setattr(source, "display", shown.append)
    source.show_source(FullConnectedLayer.forward, FullConnectedLayer.backward)
    assert [type(item) for item in shown] == [Code, Code]
    assert "def forward(" in shown[0].data and "def backward(" in shown[1].data
    assert "def backward(" not in shown[0].data


def test_a_property_shows_its_getter(monkeypatch):
    shown = []
    monkeypatch.setattr(source, "display", shown.append)
    source.show_source(FullConnectedLayer.dW)
    assert "@property" in shown[0].data and "def dW(self):" in shown[0].data


def test_an_object_without_python_source_is_refused():
    with pytest.raises(TypeError, match="show_source: expected a function, method or class"):
        source.show_source(np.add)
