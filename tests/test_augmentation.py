"""Tests of bpcourse.core.augmentation: random whole-pixel shifts of flattened images."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from bpcourse.core.augmentation import shift_images


def marked_images(n, seed=0, border=2):
    """n flattened 28 x 28 images: random ink inside a blank border, one marker pixel (2.0) at (14, 14)."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28))
    images[:, border:28 - border, border:28 - border] = rng.random((n, 28 - 2 * border, 28 - 2 * border))
    images[:, 14, 14] = 2.0
    return images.reshape(n, 784)


def test_a_hand_example_moves_a_pixel_by_its_shift():
    image = np.zeros((1, 784))
    image[0, 14 * 28 + 14] = 1.0
    moved = shift_images(image, np.random.default_rng(0), max_shift=3).reshape(28, 28)
    (r,), (c,) = np.nonzero(moved)
    assert moved[r, c] == 1.0 and abs(r - 14) <= 3 and abs(c - 14) <= 3


@pytest.mark.parametrize("max_shift", [1, 2])
def test_each_image_is_its_own_random_translation(max_shift):
    X = marked_images(300)
    shifted = shift_images(X, np.random.default_rng(1), max_shift=max_shift)
    seen = set()
    for original, image in zip(X.reshape(-1, 28, 28), shifted.reshape(-1, 28, 28)):
        (r,), (c,) = np.nonzero(image == 2.0)
        dy, dx = r - 14, c - 14
        assert abs(dy) <= max_shift and abs(dx) <= max_shift
        assert_array_equal(image, np.roll(original, (dy, dx), axis=(0, 1)))  # the blank border wraps nothing
        seen.add((dy, dx))
    assert len(seen) == (2 * max_shift + 1) ** 2  # every shift occurs among 300 images


def test_ink_over_the_border_is_lost_and_the_border_fills_with_zeros():
    X = np.ones((200, 784))
    shifted = shift_images(X, np.random.default_rng(2), max_shift=1).reshape(-1, 28, 28)
    lost = 784 - shifted.reshape(200, -1).sum(axis=1)
    assert set(lost.tolist()) <= {0.0, 28.0, 55.0}  # no shift, one row or column, or both (28 + 28 - 1)
    assert 0.0 in lost and 55.0 in lost


def test_the_same_generator_state_gives_the_same_shifts_and_x_is_unchanged():
    X = marked_images(50, seed=3).astype(np.float32)
    copy = X.copy()
    a = shift_images(X, np.random.default_rng(4), max_shift=2)
    b = shift_images(X, 4, max_shift=2)  # an int seed is a generator of that seed
    c = shift_images(X, np.random.default_rng(5), max_shift=2)
    assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.dtype == np.float32 and a.shape == X.shape
    assert_array_equal(X, copy)


def test_max_shift_zero_is_an_unchanged_copy():
    X = marked_images(5)
    shifted = shift_images(X, np.random.default_rng(0), max_shift=0)
    assert_array_equal(shifted, X)
    assert shifted is not X


@pytest.mark.parametrize("change, error, message", [
    (dict(X=np.zeros((3, 28, 28))), ValueError, r"X of shape \(N, 784\).*flatten them"),
    (dict(X=np.zeros((3, 783))), ValueError, r"X of shape \(N, 784\)"),
    (dict(max_shift=-1), ValueError, "max_shift to be an int from 0 to 27"),
    (dict(max_shift=1.5), ValueError, "max_shift to be an int"),
    (dict(max_shift=28), ValueError, "max_shift to be an int from 0 to 27"),
    (dict(max_shift=True), ValueError, "max_shift to be an int"),
    (dict(rng="seed"), TypeError, "rng to be an int >= 0 or a numpy.random.Generator"),
    (dict(image_shape=(28,)), ValueError, "image_shape to be a pair of positive ints"),
    (dict(X=np.zeros((3, 12)), image_shape=(3, 4), max_shift=3), ValueError, "max_shift to be an int from 0 to 2"),
])
def test_bad_input_is_refused_by_name(change, error, message):
    arguments = dict(X=np.zeros((3, 784)), rng=np.random.default_rng(0), max_shift=1)
    arguments.update(change)
    with pytest.raises(error, match=message):
        shift_images(**arguments)
