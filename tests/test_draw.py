"""The draw-a-digit panel of notebook 06 (bpcourse.visuals.draw), built and driven headless."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpcourse.core.activations import sigmoid
from bpcourse.core.digit_image import PEN_WIDTH, strokes_to_input
from bpcourse.core.vectorized import Network
from bpcourse.visuals.draw import SQUARED_ERROR_TARGETS, draw_digit, hidden_activations

ONE = [[(140, 40), (140, 240)]]
SEVEN = [[(80, 60), (210, 60), (120, 250)]]
PNG = b"\x89PNG\r\n\x1a\n"


class ReadsTheInkRow:
    """A stand-in network with only ``predict``: output k is the ink in image rows 2.8k to 2.8(k + 1)."""

    def predict(self, x):
        x = np.asarray(x, dtype=np.float64)
        assert x.shape == (784,)
        rows = x.reshape(28, 28).sum(axis=1)
        return np.array([rows[round(2.8 * k):round(2.8 * (k + 1))].sum() for k in range(10)]) / 100


@pytest.fixture(scope="module")
def network():
    return Network((784, 30, 10), seed=0)


def bar_axes(drawer):
    return drawer.figure.axes[1]


def test_an_empty_canvas_gives_a_message_not_a_prediction(network):
    drawer = draw_digit(network)
    assert drawer.prediction is None and drawer.outputs is None and drawer.image is None
    assert drawer.text.startswith("nothing drawn yet")
    assert "nothing drawn yet" in drawer.prediction_html.value
    assert bytes(drawer.picture.value).startswith(PNG)


def test_mouse_strokes_are_read_when_the_stroke_ends(network):
    drawer = draw_digit(network)
    readings = drawer.readings
    drawer.pen_down(140, 40)
    drawer.pen_move(140, 140)
    assert drawer.readings == readings and drawer.prediction is None  # not while drawing
    drawer.pen_up(140, 240)
    assert drawer.readings == readings + 1
    assert drawer.strokes == [[(140.0, 40.0), (140.0, 140.0), (140.0, 240.0)]]
    x = strokes_to_input(drawer.strokes, pen_width=PEN_WIDTH)
    assert_allclose(drawer.image.reshape(-1), x, atol=0)
    assert_allclose(drawer.outputs, network.predict(x), rtol=1e-12)
    assert drawer.prediction == int(network.predict(x).argmax())
    assert f"the network reads a {drawer.prediction} " in drawer.text
    assert f"<b style='font-size: 150%'>{drawer.prediction}</b>" in drawer.prediction_html.value


def test_strokes_from_code_go_through_the_same_pipeline_as_the_mouse(network):
    by_mouse = draw_digit(network)
    for stroke in SEVEN:
        by_mouse.pen_down(*stroke[0])
        for point in stroke[1:]:
            by_mouse.pen_move(*point)
        by_mouse.pen_up()
    by_code = draw_digit(network).draw_strokes(SEVEN)
    assert by_code.strokes == by_mouse.strokes
    assert_allclose(by_code.image, by_mouse.image, atol=0)
    assert_allclose(by_code.outputs, by_mouse.outputs, atol=0)


def test_the_prediction_follows_the_drawing():
    drawer = draw_digit(ReadsTheInkRow())
    drawer.draw_strokes([[(20, 30), (260, 30)]])  # one horizontal line: ink in one band of rows only
    first = drawer.prediction
    drawer.clear()
    assert drawer.prediction is None and drawer.strokes == []
    drawer.draw_strokes(ONE)  # a vertical bar: ink in every row
    assert drawer.prediction != first
    assert drawer.prediction == int(ReadsTheInkRow().predict(drawer.image.reshape(-1)).argmax())


def test_moves_and_releases_without_a_pressed_pen_are_ignored(network):
    drawer = draw_digit(network)
    readings = drawer.readings
    drawer.pen_move(10, 10)
    drawer.pen_up(20, 20)
    assert drawer.strokes == [] and drawer.readings == readings


def test_points_just_outside_the_canvas_are_clipped(network):
    drawer = draw_digit(network)
    drawer.pen_down(-3, 100)
    drawer.pen_up(300, 100)
    assert drawer.strokes == [[(0.0, 100.0), (280.0, 100.0)]]
    assert drawer.prediction is not None


def test_a_click_is_a_dot(network):
    drawer = draw_digit(network)
    drawer.pen_down(100, 100)
    drawer.pen_up()
    assert drawer.strokes == [[(100.0, 100.0)]]
    assert drawer.image.max() == 1.0


def test_events_from_the_browser_reach_the_pen(network):
    """The messages ipycanvas's front end sends for mouse and touch events (as in the browser)."""
    drawer = draw_digit(network)
    send = drawer.canvas._handle_frontend_event  # what a message from the page calls
    send(None, {"event": "mouse_down", "x": 140, "y": 40}, [])
    send(None, {"event": "mouse_move", "x": 140, "y": 120}, [])
    send(None, {"event": "mouse_up", "x": 140, "y": 240}, [])
    send(None, {"event": "touch_start", "touches": [{"x": 100, "y": 200}]}, [])
    send(None, {"event": "touch_move", "touches": [{"x": 180, "y": 200}]}, [])
    send(None, {"event": "touch_end", "touches": []}, [])
    send(None, {"event": "mouse_down", "x": 50, "y": 50}, [])
    send(None, {"event": "mouse_out", "x": 0, "y": 60}, [])  # leaving the canvas ends the stroke
    assert drawer.strokes == [
        [(140.0, 40.0), (140.0, 120.0), (140.0, 240.0)],
        [(100.0, 200.0), (180.0, 200.0)],
        [(50.0, 50.0), (0.0, 60.0)],
    ]
    assert drawer.prediction is not None


def test_bad_strokes_from_code_are_refused_and_nothing_is_added(network):
    drawer = draw_digit(network).draw_strokes(ONE)
    with pytest.raises(ValueError, match=r"stroke 1 .* 0 <= x, y <= 280"):
        drawer.draw_strokes([[(10, 10)], [(10, 10), (10, 400)]])
    assert len(drawer.strokes) == 1


def test_the_targets_are_drawn_as_reference_lines_only_when_asked(network):
    drawer = draw_digit(network).draw_strokes(ONE)
    lines = [line.get_ydata()[0] for line in bar_axes(drawer).get_lines()]
    assert sorted(lines) == list(SQUARED_ERROR_TARGETS) == [0.1, 0.9]
    softmax = draw_digit(network, targets=None).draw_strokes(ONE)
    assert bar_axes(softmax).get_lines() == []
    heights = [patch.get_height() for patch in bar_axes(drawer).patches]
    assert_allclose(heights, drawer.outputs, rtol=1e-12)


def test_hidden_activations_are_the_first_layer_outputs():
    network = Network((784, 300, 10), seed=3)
    x = strokes_to_input(ONE)
    hidden = hidden_activations(network, x)
    W, b = network.get_weights()[0]
    assert hidden.shape == (300,)
    assert_allclose(hidden, sigmoid(W @ x + b), rtol=1e-12)  # eq. 3.1
    drawer = draw_digit(network).draw_strokes(ONE)
    assert_allclose(drawer.hidden, hidden, rtol=1e-12)
    shown = drawer.figure.axes[2].images[0].get_array()
    assert shown.shape == (15, 20)  # 300 neurons as 15 x 20 pixels
    assert_allclose(np.asarray(shown).reshape(-1), hidden, rtol=1e-12)


def test_a_network_with_only_predict_works_without_the_hidden_layer():
    drawer = draw_digit(ReadsTheInkRow()).draw_strokes(ONE)
    assert hidden_activations(ReadsTheInkRow(), np.zeros(784)) is None
    assert drawer.hidden is None and drawer.prediction is not None
    texts = [t.get_text() for t in drawer.figure.axes[2].texts]
    assert any("hidden layer not available" in t for t in texts)


def test_no_hidden_layer_for_a_network_without_one():
    assert hidden_activations(Network((784, 10)), np.zeros(784)) is None


@pytest.mark.parametrize("make, error, message", [
    (lambda: draw_digit(object()), TypeError, "a trained network with a predict"),
    (lambda: draw_digit(Network((784, 5))), ValueError, r"10 outputs .* returned shape \(5,\)"),
    (lambda: draw_digit(Network((30, 10))), ValueError, "expected the input of length 30"),
    (lambda: draw_digit(ReadsTheInkRow(), targets=(0.9, 0.1)), ValueError, "off < on"),
    (lambda: draw_digit(ReadsTheInkRow(), targets="high"), ValueError, "targets"),
    (lambda: draw_digit(ReadsTheInkRow(), size=20), ValueError, "size to be an int >= 28"),
    (lambda: draw_digit(ReadsTheInkRow(), pen_width=-1), ValueError, "pen_width"),
])
def test_bad_arguments_are_named(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_the_panel_has_the_classes_the_browser_test_looks_for(network):
    drawer = draw_digit(network)
    assert "bpcourse-draw" in drawer._dom_classes
    assert "bpcourse-draw-canvas" in drawer.canvas._dom_classes
    assert "bpcourse-draw-clear" in drawer.clear_button._dom_classes
    assert "bpcourse-draw-prediction" in drawer.prediction_html._dom_classes
    assert "bpcourse-draw-plot" in drawer.picture._dom_classes
    assert drawer.clear_button.description == "clear"
    assert (drawer.canvas.width, drawer.canvas.height) == (280, 280)
