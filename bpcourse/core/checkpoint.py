"""Checkpoints: a training run saved to one ``.npz`` file, so that it can be resumed.

The text trains for hours and saves the weights every 10 epochs "so that an
abnormal termination does not waste all the work". A checkpoint here holds
everything needed to continue *exactly* where the run stopped:

=============  ==============================================================
key            content
=============  ==============================================================
format         "bpcourse-checkpoint-2" (0-d unicode array)
layer_sizes    int64 array, e.g. [784, 300, 10]
activation     the activator's name, e.g. "sigmoid" (0-d unicode)
loss           the loss's name, e.g. "squared_error" (0-d unicode)
dtype          "float32" or "float64" (0-d unicode)
W0, b0, W1...  the weights of layer l: W (n_out, n_in), b (n_out,), in that dtype
epoch          number of epochs completed (0-d int64)
rate           the learning rate of the run (0-d float64)
rng_state      ``rng.bit_generator.state`` as a JSON string (0-d unicode)
history        the training history as a JSON string (0-d unicode)
=============  ==============================================================

Nothing is half-written (:func:`bpcourse.core.atomic.atomic_write`). Loading
reads only the entries above, each after checking its stored size against
what its shape allows, with ``allow_pickle=False``: a checkpoint someone sends
you can neither run code nor fill the memory when you open it; anything else
raises ``ValueError``. The first format (``bpcourse-checkpoint-1``, before
losses were recorded) loads as a squared-error run.
"""

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from bpcourse.core.atomic import atomic_write, remove_stale_temporaries

__all__ = ["FORMAT", "Checkpoint", "save_checkpoint", "load_checkpoint"]

FORMAT = "bpcourse-checkpoint-2"
OLD_FORMATS = {"bpcourse-checkpoint-1": "squared_error"}  # format -> the loss it implies
DEFAULT_LOSS = "squared_error"  # the text's E = 1/2 sum (t - y)^2 (eq. 4.9)
_SCALAR_KEYS = ("format", "layer_sizes", "activation", "dtype", "epoch", "rate", "rng_state", "history")
# The most bytes an entry may take in the archive (.npy header included), before it is read.
_NPY_HEADER_BYTES = 4096
_MAX_TEXT_BYTES = {"format": 1024, "activation": 1024, "loss": 1024, "dtype": 1024,
                   "rng_state": 64 * 1024, "history": 64 * 1024 * 1024}
_MAX_NUMBER_BYTES = 64 * 1024  # layer_sizes, epoch, rate
_MAX_WEIGHT_BYTES = 1024**3  # the course's largest network holds about 2 MB of weights


def save_checkpoint(path, network, *, epoch, rate, rng, history):
    """Write the training state to ``path`` (exactly there, ".npz" is not added), atomically; the Path.

    ``epoch``: epochs completed; ``rng``: the Generator that shuffles the data (a resumed run draws
    the same shuffles); ``history``: a History, a dict of lists, or None.
    """
    path = Path(path)
    if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
        raise ValueError(f"expected epoch to be an int >= 0 (epochs completed), got {epoch!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"expected rng to be a numpy.random.Generator, got {type(rng).__name__}")
    history_dict = {} if history is None else history.to_dict() if hasattr(history, "to_dict") else dict(history)
    weights = network.get_weights()
    dtype = np.dtype(getattr(network, "dtype", weights[0][0].dtype))
    arrays = {"format": np.array(FORMAT), "layer_sizes": np.array(network.layer_sizes, dtype=np.int64),
              "activation": np.array(network.activator.name), "loss": np.array(loss_name(network)),
              "dtype": np.array(dtype.name), "epoch": np.array(int(epoch), dtype=np.int64),
              "rate": np.array(float(rate), dtype=np.float64),
              "rng_state": np.array(json.dumps(rng.bit_generator.state, default=_jsonable)),
              "history": np.array(json.dumps(history_dict, default=_jsonable))}
    for index, (W, b) in enumerate(weights):
        arrays[f"W{index}"] = np.asarray(W, dtype=dtype)
        arrays[f"b{index}"] = np.asarray(b, dtype=dtype)

    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"cannot write the checkpoint {path}: the folder {folder} does not exist")
    remove_stale_temporaries(path)  # what a save killed half-way left behind
    with atomic_write(path) as file:
        np.savez(file, **arrays)
    return path


def loss_name(network):
    """The name of the loss ``network`` trains with (the text's squared error if it names none)."""
    loss = getattr(network, "loss", None)  # the loss object (network.loss.name)
    name = getattr(loss, "name", DEFAULT_LOSS)
    if not isinstance(name, str):
        raise ValueError(f"expected the network's loss to have a string name, got {name!r}")
    return name


def load_checkpoint(path, network=None):
    """Read a checkpoint of :func:`save_checkpoint`; with ``network``, which it must match, set its weights.

    Returns a dict: ``weights`` (list of (W, b)), ``layer_sizes`` (tuple), ``activation``, ``loss``,
    ``dtype``, ``epoch``, ``rate``, ``rng_state`` (for ``rng.bit_generator.state``), ``history`` (for
    ``History.from_dict``). FileNotFoundError without a file; ValueError for anything but a complete
    bpcourse checkpoint, or one that does not match ``network`` (which is then unchanged).
    """
    path = Path(path)
    remove_stale_temporaries(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        raw = _read_known_entries(path, None if network is None else tuple(network.layer_sizes))
    except _OtherNetwork as other:
        sizes = other.args[0]
        raise ValueError(f"the checkpoint {path} is for a network with layer sizes {sizes}, but this "
                         f"network has {list(network.layer_sizes)}: build Network({sizes}) to load it "
                         "(no weight was read)") from None
    except ValueError as error:
        raise ValueError(f"{path} is not a valid bpcourse checkpoint: {_explain(error)} "
                         "(checkpoints are written by bpcourse.core.checkpoint.save_checkpoint)") from None
    except (OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile) as error:
        raise ValueError(f"{path} is not a valid bpcourse checkpoint (corrupt or truncated file: "
                         f"{type(error).__name__}: {error})") from None
    state = _parse(raw, path)
    if network is not None:
        _check_matches(state, network, path)
        network.set_weights(state["weights"])
    return state


# --- internals ----------------------------------------------------------------------


class _OtherNetwork(ValueError):
    """The checkpoint claims layer sizes (``args[0]``) other than the network's, found before any weight is read."""


def _read_known_entries(path, expected_sizes=None):
    """The checkpoint's known entries as arrays, each read after a size check: nothing is decompressed
    beyond what the claimed network can hold, and other sizes than ``expected_sizes`` are refused first."""
    with open(path, "rb") as file:
        magic = file.read(6)
    if magic.startswith(b"\x93NUMPY"):
        raise ValueError("it holds a single array, not an .npz archive")
    if not magic.startswith(b"PK"):  # every zip file starts so; a damaged one is reported by ZipFile
        raise ValueError("it is not an .npz archive (a zip file of .npy arrays)")
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: info for info in archive.infolist()}
        names = {name[:-4] for name in members if name.endswith(".npy")}
        missing = [key for key in _SCALAR_KEYS if key not in names]
        if missing:
            raise ValueError(f"missing entries {missing}")

        def read(key, max_bytes):
            info = members[f"{key}.npy"]
            if info.file_size > max_bytes:
                raise ValueError(f"entry {key!r} claims {info.file_size} bytes, more than the "
                                 f"{max_bytes} its shape allows")
            with archive.open(info) as member:
                data = member.read(max_bytes + 1)  # never more than allowed, whatever the header says
            if len(data) > max_bytes:
                raise ValueError(f"entry {key!r} holds more than the {max_bytes} bytes its shape allows")
            return np.load(io.BytesIO(data), allow_pickle=False)

        raw = {}
        for key in _SCALAR_KEYS + ("loss",):
            if key in names:
                limit = _MAX_TEXT_BYTES.get(key, _MAX_NUMBER_BYTES)
                raw[key] = read(key, limit * 4 + _NPY_HEADER_BYTES)  # unicode arrays: 4 bytes a character
        sizes = raw["layer_sizes"]
        if sizes.ndim != 1 or sizes.dtype.kind not in "iu" or len(sizes) < 2 or (sizes < 1).any():
            raise ValueError(f"layer_sizes should be at least two positive ints, got {sizes!r}")
        layer_sizes = [int(n) for n in sizes]
        if expected_sizes is not None and tuple(layer_sizes) != tuple(expected_sizes):
            raise _OtherNetwork(layer_sizes)
        weight_bytes = sum((n_in + 1) * n_out * 8 for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))
        if weight_bytes > _MAX_WEIGHT_BYTES:
            raise ValueError(f"layer_sizes {layer_sizes} would need {weight_bytes} bytes of weights, "
                             f"more than the {_MAX_WEIGHT_BYTES} a checkpoint may hold")
        for index, (n_in, n_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
            for key, count in ((f"W{index}", n_out * n_in), (f"b{index}", n_out)):
                if key in names:  # a missing one is reported by _parse
                    raw[key] = read(key, count * 8 + _NPY_HEADER_BYTES)
    return raw


def _parse(raw, path):
    """Check and convert the raw arrays of a checkpoint; ValueError naming what is wrong."""

    def bad(message):
        return ValueError(f"{path} is not a valid bpcourse checkpoint: {message}")

    def text(key):
        value = raw[key]
        if value.shape != () or value.dtype.kind != "U":
            raise bad(f"entry {key!r} should be a string, got an array of shape {value.shape} "
                      f"and dtype {value.dtype}")
        return str(value[()])

    if text("format") in OLD_FORMATS:
        loss = OLD_FORMATS[text("format")]
    elif text("format") == FORMAT:
        if "loss" not in raw:
            raise bad("missing entry 'loss'")
        loss = text("loss")
    else:
        raise bad(f"unknown format {text('format')!r}, expected {FORMAT!r}")
    layer_sizes = tuple(int(n) for n in raw["layer_sizes"])  # checked by _read_known_entries
    dtype_name = text("dtype")
    if dtype_name not in ("float32", "float64"):
        raise bad(f"dtype should be 'float32' or 'float64', got {dtype_name!r}")
    dtype = np.dtype(dtype_name)
    weights = []
    for index, (n_in, n_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
        for key, shape in ((f"W{index}", (n_out, n_in)), (f"b{index}", (n_out,))):
            if key not in raw:
                raise bad(f"missing entry {key!r}")
            if raw[key].shape != shape or raw[key].dtype != dtype:
                raise bad(f"entry {key!r} should have shape {shape} and dtype {dtype}, "
                          f"got {raw[key].shape} and {raw[key].dtype}")
        weights.append((raw[f"W{index}"], raw[f"b{index}"]))
    epoch, rate = raw["epoch"], raw["rate"]
    if epoch.shape != () or epoch.dtype.kind not in "iu" or int(epoch) < 0:
        raise bad(f"epoch should be an int >= 0, got {epoch!r}")
    if rate.shape != () or rate.dtype.kind != "f":
        raise bad(f"rate should be a float, got {rate!r}")
    try:
        rng_state = json.loads(text("rng_state"))
        history = json.loads(text("history"))
    except json.JSONDecodeError as error:
        raise bad(f"rng_state or history is not valid JSON ({error})") from None
    if not isinstance(rng_state, dict) or "bit_generator" not in rng_state:
        raise bad("rng_state should be a bit generator state (a dict with 'bit_generator')")
    if not isinstance(history, dict):
        raise bad("history should be a dict of lists")
    return {"weights": weights, "layer_sizes": layer_sizes, "activation": text("activation"), "loss": loss,
            "dtype": dtype, "epoch": int(epoch), "rate": float(rate), "rng_state": rng_state, "history": history}


def _check_matches(state, network, path):
    """Refuse to load a checkpoint into a network of another activation, loss or dtype (sizes: _OtherNetwork)."""
    name = network.activator.name
    if state["activation"] != name:
        raise ValueError(f"the checkpoint {path} is for a {state['activation']} network, but this network "
                         f"uses {name}: build it with activator={state['activation']!r} to load it")
    loss = loss_name(network)
    if state["loss"] != loss:
        raise ValueError(f"the checkpoint {path} was trained with the {state['loss']} loss, but this network "
                         f"uses {loss}: build it with loss={state['loss']!r} to load it")
    dtype = np.dtype(getattr(network, "dtype", np.float64))
    if state["dtype"] != dtype:
        raise ValueError(f"the checkpoint {path} holds {state['dtype'].name} weights, but this network computes "
                         f"in {dtype.name}: build it with dtype=numpy.{state['dtype'].name} to resume exactly "
                         "(or load the checkpoint without a network and call set_weights)")


def _explain(error):
    message = str(error)
    if "pickle" in message.lower() or "object arrays" in message.lower():
        return ("it is not an archive of plain number and string arrays (NumPy says: "
                f"{message}); pickled Python objects are refused (allow_pickle=False), "
                "because unpickling a file can run code")
    return message


def _jsonable(value):
    """JSON for the few non-JSON values a bit generator state or history can hold."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in a checkpoint")


class Checkpoint:
    """A ``fit`` callback: save the run every ``every`` epochs (the text: 10), after the last and on a stop.

    ``fit(network, ..., callbacks=[Checkpoint("run.npz", every=10)])``. With ``resume=True`` a run
    whose checkpoint exists continues from it, bit for bit as if never interrupted.
    """

    def __init__(self, path, every=10, resume=False):
        if not isinstance(path, (str, Path)):
            raise TypeError(f"expected path to be a file name (str or Path), got {path!r}")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"expected every (epochs between checkpoints) to be an int >= 1, got {every!r}")
        self.path, self.every, self.resume = Path(path), every, bool(resume)

    def on_start(self, run):
        if self.resume and self.path.is_file():
            run.restore(load_checkpoint(self.path, run.network))
            run.last_checkpoint = (self.path, run.start)

    def on_epoch_end(self, run):
        stopping = run.history.stop_reason is not None
        if run.epoch % self.every == 0 or run.epoch == run.epochs or stopping:
            save_checkpoint(self.path, run.network, epoch=run.epoch, rate=run.rate, rng=run.rng, history=run.history)
            run.last_checkpoint = (self.path, run.epoch)

    def __repr__(self):
        return f"Checkpoint({str(self.path)!r}, every={self.every}, resume={self.resume})"
