"""Plain data from the learner's kernel: what encodes, what decodes, what is refused,
and how a state is written back onto the grader's objects."""

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from bpcourse.core.oo_network import Network
from bpcourse.tools.plain import PlainDataError, PlainObject, StateMismatch, Unsupported, apply_state, decode, encode


def roundtrip(value):
    return decode(json.loads(json.dumps(encode(value))))


class Slotted:
    __slots__ = ("weight", "unset")

    def __init__(self, weight):
        self.weight = weight


def test_numbers_strings_and_containers_come_back_equal():
    value = {"a": [1, 2.5, None, True, "x"], 3: (1, [2]), "nan": float("nan")}
    back = roundtrip(value)
    assert back["a"] == [1, 2.5, None, True, "x"] and back[3] == (1, [2]) and np.isnan(back["nan"])
    assert isinstance(back[3], tuple) and isinstance(back[3][1], list)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.uint8, np.bool_, np.complex128])
def test_arrays_keep_dtype_shape_and_values(dtype):
    array = (np.random.default_rng(0).normal(size=(3, 4)) * 10).astype(dtype)
    back = roundtrip(array)
    assert back.dtype == array.dtype and back.shape == (3, 4)
    assert_array_equal(back, array)
    scalar = roundtrip(array[0, 0])
    assert isinstance(scalar, np.generic) and scalar == array[0, 0]


def test_objects_come_back_as_attributes_with_shared_and_cyclic_references():
    class Node:
        pass

    a, b = Node(), Node()
    a.value, a.other, b.value, b.other = 1.5, b, np.arange(3.0), a
    back = roundtrip([a, a])
    assert isinstance(back[0], PlainObject) and back[0] is back[1]
    assert back[0].value == 1.5 and back[0].other.other is back[0]
    assert_allclose(back[0].other.value, [0, 1, 2], rtol=0, atol=0)
    assert roundtrip(Slotted(0.25)).weight == 0.25


def test_what_is_not_plain_data_is_sent_as_its_type_name_only():
    back = roundtrip([len, np.array(["a"], dtype=object), open])
    assert all(isinstance(v, Unsupported) for v in back)
    assert "object" in back[1].type_name


@pytest.mark.parametrize(
    "tree, message",
    [
        ([1, 2], "bare JSON list"),
        ({"__ndarray__": "AAAA", "dtype": "|O", "shape": [1]}, "expected a numeric array"),
        ({"__ndarray__": "AAAAAAAAAAA=", "dtype": "<f8", "shape": [2]}, "with 8 bytes"),
        ({"__ndarray__": "not base64!", "dtype": "<f8", "shape": [1]}, "malformed array"),
        ({"__ref__": 7}, "not sent before"),
        ({"__reduce__": "os.system"}, "unknown JSON object"),
        ({"__object__": 0, "attrs": [[1, 2]]}, "not a \\(name, value\\) pair"),
    ],
)
def test_anything_else_is_refused(tree, message):
    with pytest.raises(PlainDataError, match=message):
        decode(tree)


def test_deep_nesting_is_refused():
    text = '{"__list__": [' * 300 + "1" + "]}" * 300  # deeper than MAX_DEPTH, within json's recursion limit
    with pytest.raises(PlainDataError):
        decode(json.loads(text))


def test_apply_state_changes_arrays_and_attributes_in_place():
    W = np.zeros((2, 2))
    conn = Slotted(0.5)
    args = [W, conn, [1.0, np.ones(2)]]
    state = decode(json.loads(json.dumps(encode([np.eye(2), Slotted(0.75), [2.0, np.full(2, 3.0)]]))))
    inner = args[2][1]
    apply_state(args, state)
    assert args[0] is W and args[1] is conn and args[2][1] is inner, "the check's own objects must stay the same"
    assert_allclose(W, np.eye(2), rtol=0, atol=0)
    assert conn.weight == 0.75 and args[2][0] == 2.0
    assert_allclose(inner, [3.0, 3.0], rtol=0, atol=0)


def test_apply_state_refuses_dunders_and_unsupported_values():
    network = Network([2, 2, 1], seed=0)
    before = type(network)
    state = PlainObject(__class__=PlainObject, layers=Unsupported("x"))
    with pytest.raises(StateMismatch):
        apply_state(network, state)
    assert type(network) is before and not isinstance(network.layers, Unsupported)


def test_a_network_goes_there_and_back():
    network = Network([2, 3, 1], seed=0)
    x = np.array([0.2, 0.7])
    back = roundtrip(network)
    copy = Network([2, 3, 1], seed=1)
    apply_state(copy, back)
    assert_allclose(copy.predict(x), network.predict(x), rtol=1e-12, atol=0)


@pytest.mark.parametrize("change", [
    lambda n: setattr(n, "layers", n.layers[:1]),  # the notebook-04 attack: a shorter network
    lambda n: n.layers.clear(),
    lambda n: setattr(n, "layers", None),
    lambda n: setattr(n, "extra", 1.0),
    lambda n: setattr(n.layers[0].nodes[0], "output", "text"),
], ids=["shortened", "emptied", "replaced", "attribute added", "number became text"])
def test_apply_state_refuses_a_changed_structure_and_leaves_the_original_alone(change):
    network, copy = Network([2, 3, 1], seed=0), Network([2, 3, 1], seed=0)
    change(copy)
    with pytest.raises(StateMismatch):
        apply_state(network, decode(json.loads(json.dumps(encode(copy)))))
    assert len(network.layers) == 3 and network.get_weights()[0][0].shape == (3, 2)


def test_apply_state_refuses_arrays_of_another_shape_or_dtype():
    W = np.zeros((2, 2))
    for state in (np.zeros(4), np.zeros((2, 2), dtype=np.float32), [0.0, 0.0]):
        with pytest.raises(StateMismatch):
            apply_state(W, state)
    assert W.shape == (2, 2) and W.dtype == np.float64
