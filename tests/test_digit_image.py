"""A drawing turned into an MNIST-like input (bpcourse.core.digit_image), on synthetic strokes."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpcourse.core.data import MnistNotFoundError, load_mnist
from bpcourse.core.digit_image import (
    BOX,
    CANVAS_SIZE,
    CENTER,
    PEN_WIDTH,
    SIDE,
    EmptyDrawingError,
    area_resize,
    center_of_mass,
    check_strokes,
    mnist_like,
    render_strokes,
    shrink,
    strokes_to_input,
)

ONE = [[(140, 40), (140, 240)]]  # a vertical bar in the middle of the canvas
ONE_IN_A_CORNER = [[(30, 20), (30, 120)]]  # the same kind of bar, small, top left
SEVEN_OFF_CENTER = [[(160, 150), (260, 150), (200, 270)]]  # bottom right
CIRCLE = [[(140 + 70 * np.cos(a), 140 + 90 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 40)]]


def ink_box(image, threshold=0.0):
    """(top, bottom, left, right) of the pixels above threshold, inclusive."""
    rows = np.flatnonzero((image > threshold).any(axis=1))
    cols = np.flatnonzero((image > threshold).any(axis=0))
    return rows[0], rows[-1], cols[0], cols[-1]


def as_28(strokes):
    x = strokes_to_input(strokes)
    assert x.shape == (SIDE * SIDE,) and x.dtype == np.float64
    return x.reshape(SIDE, SIDE)


# --- rendering --------------------------------------------------------------------------

def test_a_horizontal_line_is_as_thick_as_the_pen():
    image = render_strokes([[(50, 100), (200, 100)]], pen_width=20)
    column = image[:, 120]  # across the middle of the line
    assert_allclose(column.sum(), 20.0, atol=0.01)  # full ink over the pen's width, gray edges adding up
    assert_allclose(column[91:109], 1.0)  # inside: full ink
    assert column[:85].max() == 0 and column[115:].max() == 0


def test_a_single_point_is_a_round_dot():
    image = render_strokes([[(100, 100)]], pen_width=20)
    assert_allclose(image.sum(), np.pi * 10 ** 2, rtol=0.02)  # the area of the pen's disc
    assert_allclose(center_of_mass(image), (99.5, 99.5), atol=1e-9)  # pixel 99 covers [99, 100]


def test_ink_stays_in_zero_one_where_strokes_cross():
    image = render_strokes([[(20, 20), (260, 260)], [(20, 260), (260, 20)], [(20, 20), (260, 260)]])
    assert image.min() == 0.0 and image.max() == 1.0


# --- MNIST's recipe ---------------------------------------------------------------------

def test_a_drawn_one_becomes_a_centered_vertical_bar():
    image = as_28(ONE)
    top, bottom, left, right = ink_box(image)
    assert bottom - top + 1 == BOX  # the longer side fills the 20 x 20 box
    assert right - left + 1 <= 4  # thin: the aspect ratio is kept, not stretched to 20 x 20
    row, col = center_of_mass(image)
    assert abs(row - CENTER) <= 0.5 and abs(col - CENTER) <= 0.5
    assert_allclose(image[:, 12:16].sum(axis=1), image.sum(axis=1), atol=1e-12)  # all ink in the middle columns
    assert image.max() > 0.9 and 0.0 <= image.min()


def test_an_off_center_digit_is_moved_to_the_center():
    drawn = render_strokes(SEVEN_OFF_CENTER)
    row, col = center_of_mass(drawn)
    assert row > CANVAS_SIZE * 0.6 and col > CANVAS_SIZE * 0.6  # drawn bottom right
    naive = shrink(drawn)
    assert center_of_mass(naive)[1] > CENTER + 5  # just shrinking keeps it off center
    image = mnist_like(drawn)
    row, col = center_of_mass(image)
    assert abs(row - CENTER) <= 0.5 and abs(col - CENTER) <= 0.5


def test_position_and_size_do_not_matter():
    big = as_28(ONE)
    small = as_28(ONE_IN_A_CORNER)
    top, bottom, _, _ = ink_box(small)
    assert bottom - top + 1 == BOX  # scaled up to the box as well
    for image in (big, small):  # both centered, whole-pixel moves: within half a pixel each
        assert_allclose(center_of_mass(image), (CENTER, CENTER), atol=0.5)


def test_a_wide_digit_fills_the_box_across_and_keeps_its_aspect_ratio():
    image = as_28(CIRCLE)  # an ellipse 140 wide, 180 tall, plus the pen
    top, bottom, left, right = ink_box(image, threshold=0.05)
    height, width = bottom - top + 1, right - left + 1
    assert height == BOX
    assert_allclose(width / height, (140 + PEN_WIDTH) / (180 + PEN_WIDTH), atol=0.08)


def test_the_center_is_where_mnist_digits_have_their_center_of_mass():
    try:
        X, _ = load_mnist("test", dtype=np.float32)
    except MnistNotFoundError as error:
        pytest.skip(f"MNIST not found: {error}")
    images = X.reshape(-1, SIDE, SIDE)
    rows, cols = np.indices((SIDE, SIDE))
    mass = images.sum(axis=(1, 2))
    mean_row = float(((images * rows).sum(axis=(1, 2)) / mass).mean())
    mean_col = float(((images * cols).sum(axis=(1, 2)) / mass).mean())
    assert_allclose((mean_row, mean_col), (CENTER, CENTER), atol=0.05)


def test_the_result_looks_like_mnist_gray_levels():
    image = as_28(CIRCLE)
    assert image.dtype == np.float64 and image.min() >= 0.0 and image.max() <= 1.0
    assert image.max() > 0.95  # the middle of a stroke is full ink
    gray = ((image > 0.05) & (image < 0.95)).sum()
    assert gray > 10  # anti-aliased edges, not a black-and-white image


def test_a_digit_touching_the_canvas_edge_is_not_cut():
    edge = [[(0, 0), (0, 280)]]
    image = as_28(edge)
    top, bottom, _, _ = ink_box(image)
    assert bottom - top + 1 == BOX


def test_area_resize_keeps_the_mean_ink():
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 1, size=(137, 91))
    small = area_resize(image, (20, 13))
    assert small.shape == (20, 13)
    assert_allclose(small.mean(), image.mean(), rtol=1e-12)
    assert_allclose(area_resize(image, image.shape), image, atol=1e-12)


# --- empty and bad drawings -------------------------------------------------------------

@pytest.mark.parametrize("strokes", [[], ()])
def test_an_empty_drawing_gives_a_clear_message(strokes):
    with pytest.raises(EmptyDrawingError, match="nothing drawn yet: draw a digit"):
        strokes_to_input(strokes)


def test_a_blank_image_gives_the_same_message():
    with pytest.raises(EmptyDrawingError, match="nothing drawn yet"):
        mnist_like(np.zeros((280, 280)))
    assert issubclass(EmptyDrawingError, ValueError)


@pytest.mark.parametrize("strokes, message", [
    ("1", "a list of strokes"),
    ([[]], "stroke 0 to be a non-empty list of points"),
    ([[(1, 2, 3)]], r"stroke 0 to be a non-empty list of points \(x, y\), got an array of shape \(1, 3\)"),
    ([[(1, 1)], [(10, 10), (300, 10)]], r"stroke 1 .* 0 <= x, y <= 280, got point 1 = \(300.0, 10.0\)"),
    ([[(np.nan, 1)]], "point 0 = "),
    ([[(-1, 5)]], "0 <= x, y <= 280"),
])
def test_bad_strokes_are_named(strokes, message):
    with pytest.raises(ValueError, match=message):
        check_strokes(strokes)


@pytest.mark.parametrize("kwargs, message", [
    (dict(size=10), "size to be an int >= 28"),
    (dict(size=280.0), "size to be an int"),
    (dict(pen_width=0), r"pen_width to be a number in \(0, 140\]"),
    (dict(pen_width=float("nan")), "pen_width"),
    (dict(pen_width=True), "pen_width"),
])
def test_bad_canvas_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        render_strokes(ONE, **kwargs)


@pytest.mark.parametrize("image, message", [
    (np.zeros(784), r"2-D gray image .* got shape \(784,\)"),
    (np.full((28, 28), 255.0), r"gray levels in \[0, 1\]"),
    (np.full((28, 28), np.nan), "NaN"),
])
def test_bad_images_are_named(image, message):
    with pytest.raises(ValueError, match=message):
        mnist_like(image)

