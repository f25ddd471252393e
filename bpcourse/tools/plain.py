"""Plain data between the learner's sandboxed kernel and the grader.

The kernel's replies are untrusted, so they are JSON trees in which NumPy arrays are base64 buffers of a
numeric dtype (never pickles, never object arrays): :func:`decode` builds nothing but numbers, strings,
lists, tuples, dicts, arrays and :class:`PlainObject` namespaces. An object is sent as its attributes;
:func:`apply_state` writes them back onto the grader's own object after a call. Anything else (files,
functions) is sent as its type name and decodes to an :class:`Unsupported`.
"""

import base64
import types

import numpy as np

MAX_NODES = 1_000_000  # values in one message (array elements count once per array)
MAX_DEPTH = 200  # nesting of lists, dicts and objects in one message
ARRAY_KINDS = "biufc"  # NumPy dtype kinds sent as arrays: bool, signed and unsigned int, float, complex


class PlainObject(types.SimpleNamespace):
    """An object from the kernel, as its attributes (its class is not rebuilt)."""

    def __repr__(self):
        # Its attributes' names only: a node of a network reaches the whole network, and a message that
        # shows what a learner's function returned must stay a line long.
        return f"<an object with attributes {', '.join(sorted(vars(self))) or '(none)'}>"


class Unsupported:
    """A value the kernel could not send as plain data; only its type name is known."""

    def __init__(self, type_name):
        self.type_name = str(type_name)

    def __repr__(self):
        return f"<unsupported value of type {self.type_name}>"


class PlainDataError(ValueError):
    """A message from the kernel that is not plain data in the expected form."""


# --- encoding (in the kernel) ---------------------------------------------


def encode(value):
    return _Encoder().encode(value, 0)


class _Encoder:
    def __init__(self):
        self.seen = {}  # id(object) -> reference number, for shared and cyclic objects
        self.keep = []  # keeps encoded objects alive so that their ids stay unique
        self.nodes = 0

    def encode(self, value, depth):
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            return {"__unsupported__": "value too large or too deep"}
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, float)) and type(value) in (int, float):
            return value
        if isinstance(value, (np.ndarray, np.generic)):
            return self.array(value)
        if type(value) in (list, tuple):
            return {"__list__" if type(value) is list else "__tuple__": [self.encode(v, depth + 1) for v in value]}
        if type(value) is dict:
            return {"__dict__": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()]}
        if isinstance(value, (int, float)):  # subclasses: send the number they hold
            return float(value) if isinstance(value, float) else int(value)
        attributes = object_attributes(value)
        if attributes is not None:
            if id(value) in self.seen:
                return {"__ref__": self.seen[id(value)]}
            number = self.seen[id(value)] = len(self.seen)
            self.keep.append(value)
            return {"__object__": number, "type": type(value).__qualname__,
                    "attrs": [[str(k), self.encode(v, depth + 1)] for k, v in list(attributes.items())]}
        return {"__unsupported__": type(value).__qualname__}

    def array(self, value):
        array = np.asarray(value)
        if array.dtype.kind not in ARRAY_KINDS or array.dtype.hasobject:
            return {"__unsupported__": f"array of dtype {array.dtype}"}
        self.nodes += array.size
        if self.nodes > MAX_NODES:
            return {"__unsupported__": "array too large"}
        data = np.ascontiguousarray(array).tobytes()
        return {"__ndarray__": base64.b64encode(data).decode("ascii"), "dtype": array.dtype.str,
                "shape": list(array.shape), "scalar": isinstance(value, np.generic)}


def object_attributes(value):
    """An object's attributes as a dict (from ``__dict__`` and ``__slots__``), or None for what is not a plain object."""
    if isinstance(value, (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        return None
    attributes = getattr(value, "__dict__", None)
    attributes = dict(attributes) if isinstance(attributes, dict) else None
    for cls in type(value).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for name in [slots] if isinstance(slots, str) else slots:
            if name in ("__dict__", "__weakref__"):
                continue
            try:
                attribute = getattr(value, name)
            except AttributeError:
                continue  # a slot never set
            attributes = {} if attributes is None else attributes
            attributes.setdefault(name, attribute)
    return attributes


# --- decoding (in the grader) ---------------------------------------------


def decode(tree):
    """The value a JSON tree from :func:`encode` stands for (arrays, numbers, PlainObject ...)."""
    try:
        return _Decoder().decode(tree, 0)
    except RecursionError:
        raise PlainDataError("nested too deeply") from None


class _Decoder:
    def __init__(self):
        self.objects = {}
        self.nodes = 0

    def decode(self, tree, depth):
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            raise PlainDataError(f"more than {MAX_NODES} values or {MAX_DEPTH} levels")
        if tree is None or isinstance(tree, (bool, int, float, str)):
            return tree
        if isinstance(tree, list):
            raise PlainDataError("a bare JSON list (lists are sent as {'__list__': [...]})")
        if not isinstance(tree, dict) or len(tree) == 0:
            raise PlainDataError(f"unexpected JSON value of type {type(tree).__name__}")
        if "__list__" in tree or "__tuple__" in tree:
            items = tree.get("__list__", tree.get("__tuple__"))
            if not isinstance(items, list):
                raise PlainDataError("a list that is not a JSON array")
            values = [self.decode(v, depth + 1) for v in items]
            return values if "__list__" in tree else tuple(values)
        if "__dict__" in tree:
            pairs = tree["__dict__"]
            if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 for p in pairs):
                raise PlainDataError("a dict that is not a list of pairs")
            result = {}
            for key, value in pairs:
                key = self.decode(key, depth + 1)
                try:
                    result[key] = self.decode(value, depth + 1)
                except TypeError:
                    raise PlainDataError("a dict key that cannot be a key") from None
            return result
        if "__ndarray__" in tree:
            return self.array(tree)
        if "__object__" in tree:
            number, attrs = tree["__object__"], tree.get("attrs")
            if not isinstance(number, int) or not isinstance(attrs, list):
                raise PlainDataError("an object without a number or attributes")
            obj = self.objects[number] = PlainObject()
            obj._plain_type = str(tree.get("type", "object"))
            for pair in attrs:
                if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                    raise PlainDataError("an object attribute that is not a (name, value) pair")
                setattr(obj, pair[0], self.decode(pair[1], depth + 1))
            return obj
        if "__ref__" in tree:
            if tree["__ref__"] not in self.objects:
                raise PlainDataError("a reference to an object not sent before")
            return self.objects[tree["__ref__"]]
        if "__unsupported__" in tree:
            return Unsupported(tree["__unsupported__"])
        raise PlainDataError(f"unknown JSON object with keys {sorted(tree)[:5]}")

    def array(self, tree):
        try:
            dtype = np.dtype(tree["dtype"])
            shape = tuple(int(n) for n in tree["shape"])
            data = base64.b64decode(tree["__ndarray__"], validate=True)
        except (KeyError, TypeError, ValueError) as error:
            raise PlainDataError(f"a malformed array: {error}") from None
        if dtype.kind not in ARRAY_KINDS or dtype.hasobject or any(n < 0 for n in shape):
            raise PlainDataError(f"an array of dtype {dtype} or shape {shape}, expected a numeric array")
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if count * dtype.itemsize != len(data):
            raise PlainDataError(f"an array of shape {shape} and dtype {dtype} with {len(data)} bytes")
        self.nodes += count
        array = np.frombuffer(data, dtype=dtype).reshape(shape).copy()
        return array[()] if tree.get("scalar") is True else array


# --- applying a state to the grader's objects -------------------------------


class StateMismatch(PlainDataError):
    """The learner's function changed the *structure* of an argument, not only the numbers in it."""


_NUMBER = (int, float, np.integer, np.floating)


def apply_state(original, state, _seen=None, _where="the argument"):
    """Copy the numbers in ``state`` (decoded) onto ``original``, in place; raise StateMismatch on anything else.

    A learner's function may change its arguments' *values* in place, never their *structure*: arrays keep
    their shape and dtype, lists and tuples their length, dicts their keys, objects their attributes (private
    ones are neither compared nor copied), every slot its kind of value. Only numbers are written into the
    grader's own objects, so ``network.layers = network.layers[:1]`` cannot shorten the network a check measures.
    """
    seen = set() if _seen is None else _seen
    if id(original) in seen:
        return original
    if isinstance(original, (np.ndarray, list, tuple, dict)) or object_attributes(original) is not None:
        seen.add(id(original))

    def mismatch(what):
        return StateMismatch(f"{_where} {what}")

    if original is None or isinstance(original, (bool, str, int, float, np.generic)):
        _slot(original, state, seen, _where)  # a number or a string: the kernel's copy must be the same
        return original

    if isinstance(state, Unsupported):
        if _encodable(original):
            raise mismatch(f"became a {state.type_name}, which is not what the check gave")
        return original  # the grader's own unsendable value (a dtype, a function): nothing to compare
    if isinstance(original, np.ndarray):
        if not isinstance(state, np.ndarray) or state.shape != original.shape or state.dtype != original.dtype:
            got = f"shape {state.shape}, dtype {state.dtype}" if isinstance(state, np.ndarray) else type(state).__name__
            raise mismatch(f"was an array of shape {original.shape}, dtype {original.dtype}; it came back as {got}")
        if not np.array_equal(original, state, equal_nan=original.dtype.kind in "fc"):
            if not original.flags.writeable:
                raise mismatch("is a read-only array, and it was changed")
            original[...] = state
        return original
    if isinstance(original, (list, tuple)):
        if type(state) is not type(original) or len(state) != len(original):
            size = f"{len(state)} items" if isinstance(state, (list, tuple)) else type(state).__name__
            raise mismatch(f"was a {type(original).__name__} of {len(original)} items; it came back as {size}")
        for index, (item, value) in enumerate(zip(original, state)):
            new = _slot(item, value, seen, f"{_where}[{index}]")
            if new is not item:
                if isinstance(original, tuple):
                    raise mismatch(f"is a tuple, and its item {index} was changed")
                original[index] = new
        return original
    if isinstance(original, dict):
        if not isinstance(state, dict) or set(state) != set(original):
            raise mismatch("is a dict whose keys were changed")
        for key in original:
            new = _slot(original[key], state[key], seen, f"{_where}[{key!r}]")
            if new is not original[key]:
                original[key] = new
        return original
    attributes = object_attributes(original)
    if attributes is not None:
        if not isinstance(state, PlainObject):
            raise mismatch(f"was a {type(original).__name__}; it came back as {type(state).__name__}")
        sent = {k: v for k, v in vars(state).items() if not k.startswith("_")}
        attributes = {k: v for k, v in attributes.items() if not k.startswith("_")}
        if set(sent) != set(attributes):
            changed = sorted(set(sent) ^ set(attributes))[:5]
            raise mismatch(f"had its attributes added or removed ({', '.join(changed)})")
        for name, current in attributes.items():
            new = _slot(current, sent[name], seen, f"{_where}.{name}")
            if new is not current:
                setattr(original, name, new)
        return original
    raise mismatch(f"holds a {type(original).__name__}, which cannot be changed in place")


def _encodable(value):
    """True for what :func:`encode` sends as plain data (so an Unsupported in its place is a change)."""
    return (value is None or isinstance(value, (bool, str, int, float, np.ndarray, np.generic, list, tuple, dict))
            or object_attributes(value) is not None)


def _slot(current, value, seen, where):
    """The new value of a slot holding ``current``: ``current`` itself (updated in place), or a new number."""
    if isinstance(value, Unsupported) and not _encodable(current):
        return current
    if current is None:  # an empty slot (a layer's input before any forward pass) may come back filled, with numbers
        if value is None or isinstance(value, (np.ndarray, float, int)) and not isinstance(value, bool):
            return value
        raise StateMismatch(f"{where} was None; it came back as {type(value).__name__}")
    if isinstance(current, str):
        if type(value) is not type(current) or value != current:
            raise StateMismatch(f"{where} was {current!r}; it came back as {value!r}")
        return current
    if isinstance(current, (bool, np.bool_)):
        if not isinstance(value, (bool, np.bool_)):
            raise StateMismatch(f"{where} was a bool; it came back as {type(value).__name__}")
        return current if value == current else type(current)(value)
    if isinstance(current, _NUMBER):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, _NUMBER):
            raise StateMismatch(f"{where} was a number; it came back as {type(value).__name__}")
        if value == current or (value != value and current != current):
            return current
        return type(current)(value) if isinstance(current, (np.generic, float)) else value
    return apply_state(current, value, seen, where)
