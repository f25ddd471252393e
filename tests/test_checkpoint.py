"""Tests of the checkpoints (bpcourse.core.checkpoint) and of resuming training with them (Checkpoint(resume=True))."""

import io
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from bpcourse.core.checkpoint import FORMAT, Checkpoint, load_checkpoint, save_checkpoint
from bpcourse.core.training import History, fit
from bpcourse.core.vectorized import Network

SIZES = [20, 16, 4]


def toy_data(n=101, seed=0):
    """X (n, 20) in [0, 1), labels y (n,) in 0..3, 0.9/0.1 targets T (n, 4)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, SIZES[0]))
    y = (X[:, :4].sum(axis=1) * 2).astype(int) % 4  # a learnable rule
    T = np.full((n, 4), 0.1)
    T[np.arange(n), y] = 0.9
    return X, T, y


def assert_same_weights(a, b):
    assert len(a) == len(b)
    for (W0, b0), (W1, b1) in zip(a, b):
        assert W0.dtype == W1.dtype
        assert_array_equal(W0, W1)
        assert_array_equal(b0, b1)


def small_checkpoint(path, sizes=(3, 4, 2), activator="sigmoid", dtype=np.float64, epoch=3):
    network = Network(list(sizes), activator=activator, dtype=dtype, seed=1)
    rng = np.random.default_rng(7)
    rng.random(5)  # a state that is not the initial one
    history = History()
    history.epoch, history.train_loss, history.seconds = [1, 2, 3], [0.3, 0.2, 0.1], [0.01, 0.01, 0.02]
    history.eval_epoch, history.train_error, history.test_error = [3], [0.25], [None]
    save_checkpoint(path, network, epoch=epoch, rate=0.5, rng=rng, history=history)
    return network, rng, history


# --- what is in a checkpoint ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_save_and_load_round_trip(tmp_path, dtype):
    path = tmp_path / "run.npz"
    network, rng, history = small_checkpoint(path, sizes=(3, 4, 2), activator="tanh", dtype=dtype)
    state = load_checkpoint(path)
    assert state["layer_sizes"] == (3, 4, 2)
    assert state["activation"] == "tanh"
    assert state["dtype"] == np.dtype(dtype)
    assert state["epoch"] == 3 and state["rate"] == 0.5
    assert state["rng_state"] == rng.bit_generator.state
    assert state["history"] == history.to_dict()
    assert_same_weights(state["weights"], network.get_weights())
    # loading into a network sets its weights
    other = Network([3, 4, 2], activator="tanh", dtype=dtype, seed=99)
    load_checkpoint(path, other)
    assert_same_weights(other.get_weights(), network.get_weights())


def test_a_checkpoint_holds_only_plain_arrays(tmp_path):
    path = tmp_path / "run.npz"
    small_checkpoint(path)
    with np.load(path, allow_pickle=False) as npz:
        kinds = {key: npz[key].dtype.kind for key in npz.files}
        assert str(npz["format"]) == FORMAT
        json.loads(str(npz["rng_state"]))  # JSON strings in 0-d unicode arrays
        assert npz["history"].shape == () and npz["history"].dtype.kind == "U"
    assert set(kinds.values()) <= set("iufU"), kinds  # no object ("O") arrays
    assert {"W0", "b0", "W1", "b1", "layer_sizes", "activation", "dtype", "epoch", "rate",
            "rng_state", "history", "loss"} <= set(kinds)


# --- resuming gives the same bits as not stopping ------------------------------------------------

RESUME_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    from bpcourse.core.checkpoint import Checkpoint
    from bpcourse.core.training import fit
    from bpcourse.core.vectorized import Network

    data = np.load(sys.argv[1])
    network = Network({sizes}, dtype=np.{dtype}, seed=123)  # other weights: the checkpoint's must win
    fit(network, data["X"], data["T"], data["y"], epochs=4, rate=0.8, batch_size=8,
        callbacks=[Checkpoint(sys.argv[2], every=2, resume=True)], progress=False, rng=999)
    print("resumed and finished")
""")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_resume_in_a_fresh_process_is_bit_for_bit(tmp_path, dtype):
    X, T, y = toy_data()
    np.savez(tmp_path / "data.npz", X=X, T=T, y=y)
    settings = dict(epochs=4, rate=0.8, batch_size=8, progress=False)  # 101 samples: the last batch has 5

    straight = Network(SIZES, dtype=np.dtype(dtype), seed=0)
    straight_history = fit(straight, X, T, y, rng=np.random.default_rng(42), **settings)

    path = tmp_path / "run.npz"
    first_half = Network(SIZES, dtype=np.dtype(dtype), seed=0)
    fit(first_half, X, T, y, rng=np.random.default_rng(42), callbacks=[Checkpoint(path, every=2)],
        **{**settings, "epochs": 2})
    assert load_checkpoint(path)["epoch"] == 2

    script = RESUME_SCRIPT.format(sizes=SIZES, dtype=dtype)
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "data.npz"), str(path)],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "resumed and finished" in result.stdout

    state = load_checkpoint(path)
    assert state["epoch"] == 4
    assert_same_weights(state["weights"], straight.get_weights())
    resumed = History.from_dict(state["history"])
    assert resumed.epoch == straight_history.epoch == [1, 2, 3, 4]
    assert resumed.train_loss == straight_history.train_loss  # exactly, not approximately
    assert resumed.train_error == straight_history.train_error


def test_resume_without_a_checkpoint_file_starts_afresh(tmp_path):
    X, T, y = toy_data()
    a, b = Network(SIZES, seed=0), Network(SIZES, seed=0)
    fit(a, X, T, y, epochs=2, rate=0.8, batch_size=8, progress=False, rng=5)
    fit(b, X, T, y, epochs=2, rate=0.8, batch_size=8, progress=False, rng=5,
        callbacks=[Checkpoint(tmp_path / "new.npz", resume=True)])
    assert_same_weights(a.get_weights(), b.get_weights())
    assert load_checkpoint(tmp_path / "new.npz")["epoch"] == 2  # saved after the last epoch


def test_resuming_a_finished_run_trains_no_more(tmp_path):
    X, T, y = toy_data()
    path = tmp_path / "run.npz"
    network = Network(SIZES, seed=0)
    fit(network, X, T, y, epochs=3, rate=0.8, batch_size=8, progress=False, callbacks=[Checkpoint(path)])
    other = Network(SIZES, seed=1)
    history = fit(other, X, T, y, epochs=3, rate=0.8, batch_size=8, progress=False, callbacks=[Checkpoint(path, resume=True)])
    assert history.epoch == [1, 2, 3]
    assert_same_weights(other.get_weights(), network.get_weights())


# --- nothing half-written -------------------------------------------------------------------------


@pytest.mark.parametrize("crash", [OSError("disk full (simulated)"), KeyboardInterrupt()])
def test_a_crash_while_writing_leaves_the_old_checkpoint(tmp_path, monkeypatch, crash):
    path = tmp_path / "run.npz"
    network, rng, history = small_checkpoint(path, epoch=3)
    old_bytes = path.read_bytes()
    real_savez = np.savez

    def savez_that_crashes_halfway(file, **arrays):
        buffer = io.BytesIO()
        real_savez(buffer, **arrays)
        file.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])  # part of the new file is written
        raise crash

    monkeypatch.setattr(np, "savez", savez_that_crashes_halfway)
    network.set_weights([(W + 1, b + 1) for W, b in network.get_weights()])
    with pytest.raises(type(crash)):
        save_checkpoint(path, network, epoch=4, rate=0.5, rng=rng, history=history)
    assert path.read_bytes() == old_bytes
    assert sorted(os.listdir(tmp_path)) == ["run.npz"]  # no temporary file left behind
    monkeypatch.setattr(np, "savez", real_savez)
    assert load_checkpoint(path)["epoch"] == 3


def test_the_file_is_replaced_not_rewritten_in_place(tmp_path):
    path = tmp_path / "run.npz"
    small_checkpoint(path, epoch=1)
    inode = os.stat(path).st_ino
    small_checkpoint(path, epoch=2)
    assert os.stat(path).st_ino != inode  # a new file renamed over the old one (os.replace)
    assert load_checkpoint(path)["epoch"] == 2
    assert sorted(os.listdir(tmp_path)) == ["run.npz"]


# --- refusing what does not fit ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "sizes, activator, dtype, message",
    [
        ([3, 5, 2], "sigmoid", np.float64, r"layer sizes \[3, 4, 2\].*this network has \[3, 5, 2\]"),
        ([3, 4, 4, 2], "sigmoid", np.float64, r"layer sizes \[3, 4, 2\]"),
        ([3, 4, 2], "tanh", np.float64, r"for a sigmoid network, but this network uses tanh"),
        ([3, 4, 2], "sigmoid", np.float32, r"float64 weights, but this network computes in float32"),
    ],
)
def test_a_checkpoint_for_another_network_is_refused(tmp_path, sizes, activator, dtype, message):
    path = tmp_path / "run.npz"
    small_checkpoint(path, sizes=(3, 4, 2), activator="sigmoid", dtype=np.float64)
    network = Network(sizes, activator=activator, dtype=dtype, seed=5)
    before = network.get_weights()
    with pytest.raises(ValueError, match=message):
        load_checkpoint(path, network)
    assert_same_weights(network.get_weights(), before)  # unchanged
    X, T, y = np.zeros((4, sizes[0])), np.full((4, 2), 0.5), np.zeros(4, dtype=int)
    with pytest.raises(ValueError, match=message):
        fit(network, X, T, y, epochs=5, rate=0.1, callbacks=[Checkpoint(path, resume=True)], progress=False)


def test_a_pickled_object_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "the payload ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))  # unpickling this would create the marker file

    good = tmp_path / "good.npz"
    small_checkpoint(good)
    with np.load(good) as npz:
        arrays = {key: npz[key] for key in npz.files}
    arrays["history"] = np.array([Payload()], dtype=object)
    evil = tmp_path / "evil.npz"
    np.savez(evil, **arrays)

    with pytest.raises(ValueError, match=r"pickled Python objects are refused \(allow_pickle=False\)"):
        load_checkpoint(evil)
    assert not marker.exists()
    # the payload is real: a careless loader would have run it
    with np.load(evil, allow_pickle=True) as npz:
        npz["history"]
    assert marker.exists()


def _truncated(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flipped_byte(path):
    data = bytearray(path.read_bytes())
    with np.load(path) as npz:
        W0 = npz["W0"]
    middle = bytes(data).index(W0.tobytes()) + W0.nbytes // 2  # inside the stored weights
    data[middle] ^= 0xFF
    path.write_bytes(bytes(data))


def _garbage(path):
    path.write_bytes(np.random.default_rng(0).bytes(3000))


def _empty(path):
    path.write_bytes(b"")


def _foreign_npz(path):
    with open(path, "wb") as file:
        np.savez(file, weights=np.arange(6.0))


def _single_npy(path):
    with open(path, "wb") as file:
        np.save(file, np.arange(6.0))


def _rewritten(drop=(), compressed=False, **changes):
    """A corrupter that saves the checkpoint again with some arrays replaced (and the keys in `drop` left out)."""

    def corrupt(path):
        with np.load(path) as npz:
            arrays = {key: npz[key] for key in npz.files if key not in drop}
        arrays.update(changes)
        with open(path, "wb") as file:
            (np.savez_compressed if compressed else np.savez)(file, **arrays)

    return corrupt


_other_format = _rewritten(format=np.array("someone-elses-format-7"))
_bad_json = _rewritten(history=np.array("{not json"))
_wrong_weight_shape = _rewritten(W1=np.zeros((4, 2)))


@pytest.mark.parametrize(
    "damage, message",
    [
        (_truncated, "corrupt or truncated"),
        (_flipped_byte, "Bad CRC-32"),
        (_garbage, "not a valid bpcourse checkpoint"),
        (_empty, "not a valid bpcourse checkpoint"),
        (_foreign_npz, r"missing entries \['format'"),
        (_single_npy, "a single array, not an .npz archive"),
        (_other_format, "unknown format 'someone-elses-format-7'"),
        (_bad_json, "not valid JSON"),
        (_wrong_weight_shape, r"'W1' should have shape \(2, 4\)"),
    ],
)
def test_a_corrupt_or_foreign_file_gives_a_clear_value_error(tmp_path, damage, message):
    path = tmp_path / "run.npz"
    small_checkpoint(path)
    damage(path)
    with pytest.raises(ValueError, match=message) as info:
        load_checkpoint(path)
    assert str(path) in str(info.value)


def test_a_missing_file_and_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "nothing.npz")
    network = Network([3, 2])
    with pytest.raises(ValueError, match="does not exist"):
        save_checkpoint(tmp_path / "no" / "such" / "run.npz", network, epoch=1, rate=0.1,
                        rng=np.random.default_rng(0), history=None)
    with pytest.raises(ValueError, match="numpy.random.Generator"):
        save_checkpoint(tmp_path / "run.npz", network, epoch=1, rate=0.1, rng=0, history=None)


# --- reading only what a checkpoint holds -------------------------------------------------------


def test_a_text_file_renamed_npz_is_called_what_it_is(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("epoch 3: error 2.1%\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"not an \.npz archive") as info:
        load_checkpoint(path)
    assert "pickle" not in str(info.value)


def test_unknown_entries_are_never_decompressed(tmp_path, monkeypatch):
    path = tmp_path / "run.npz"
    network, _, _ = small_checkpoint(path)
    import zipfile

    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.npy", b"\0" * (20 * 1024 * 1024))  # 20 MB that compress to ~20 kB
    opened = []
    real_open = zipfile.ZipFile.open

    def recording_open(self, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", recording_open)
    state = load_checkpoint(path)
    assert "bomb.npy" not in opened
    assert "W0.npy" in opened and "history.npy" in opened
    assert_same_weights(state["weights"], network.get_weights())


def test_an_entry_larger_than_its_shape_allows_is_refused_before_reading(tmp_path):
    path = tmp_path / "run.npz"
    small_checkpoint(path, sizes=(3, 4, 2))
    _rewritten(compressed=True, W0=np.zeros((4000, 3)))(path)  # 96 kB where (4, 3) float64 needs 96 bytes
    with pytest.raises(ValueError, match=r"entry 'W0' claims \d+ bytes, more than the \d+ its shape allows"):
        load_checkpoint(path)


def test_layer_sizes_that_could_not_fit_are_refused(tmp_path):
    path = tmp_path / "run.npz"
    small_checkpoint(path)
    _rewritten(layer_sizes=np.array([10**6, 10**6, 10], dtype=np.int64))(path)
    with pytest.raises(ValueError, match=r"would need \d+ bytes of weights"):
        load_checkpoint(path)


def test_the_loss_is_recorded_and_a_mismatch_refused(tmp_path):
    path = tmp_path / "run.npz"
    small_checkpoint(path)
    assert load_checkpoint(path)["loss"] == "squared_error"
    softmax_path = tmp_path / "softmax.npz"
    softmax = Network([3, 4, 2], seed=2, loss="softmax_cross_entropy")
    save_checkpoint(softmax_path, softmax, epoch=1, rate=0.1, rng=np.random.default_rng(0), history=None)
    assert load_checkpoint(softmax_path, Network([3, 4, 2], seed=4, loss="softmax_cross_entropy"))["loss"] == \
        "softmax_cross_entropy"
    other = Network([3, 4, 2], seed=3, loss="softmax_cross_entropy")
    before = other.get_weights()
    with pytest.raises(ValueError, match=r"trained with the squared_error loss, but this network uses softmax_cross_entropy"):
        load_checkpoint(path, other)
    assert_same_weights(other.get_weights(), before)


def test_a_first_format_checkpoint_loads_as_squared_error(tmp_path):
    path = tmp_path / "run.npz"
    network, _, _ = small_checkpoint(path)
    _rewritten(drop=("loss",), format=np.array("bpcourse-checkpoint-1"))(path)
    state = load_checkpoint(path)
    assert state["loss"] == "squared_error"
    assert_same_weights(state["weights"], network.get_weights())


def test_a_checkpoint_claiming_another_network_is_refused_before_its_weights_are_read(tmp_path):
    """A small compressed file cannot expand to more than the network it is loaded into."""
    import zipfile

    big = Network([300, 3000, 10], seed=0)
    path = save_checkpoint(tmp_path / "big.npz", big, epoch=0, rate=0.1, rng=np.random.default_rng(0), history=None)
    small = Network([2, 3, 1], seed=0)
    before = small.get_weights()
    opened = []
    original = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return original(self, name, *args, **kwargs)

    zipfile.ZipFile.open = spy
    try:
        with pytest.raises(ValueError, match=r"layer sizes \[300, 3000, 10\], but this network has \[2, 3, 1\]"):
            load_checkpoint(path, small)
    finally:
        zipfile.ZipFile.open = original
    assert not any(name.startswith(("W", "b")) for name in opened), opened
    for (W, b), (W0, b0) in zip(small.get_weights(), before, strict=True):
        assert np.array_equal(W, W0) and np.array_equal(b, b0)


def test_temporary_files_of_a_killed_save_are_removed_by_the_next_save_or_load(tmp_path):
    import os
    import subprocess
    import sys

    path = tmp_path / "run.npz"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = tmp_path / f".run.npz.{int(dead.stdout)}.abc123.tmp"  # what kill -9 during a save leaves
    leftover.write_bytes(b"half a checkpoint")
    mine = tmp_path / f".run.npz.{os.getpid()}.live.tmp"  # a live writer's file stays
    mine.write_bytes(b"being written")
    network = Network([2, 3, 1], seed=0)
    save_checkpoint(path, network, epoch=1, rate=0.1, rng=np.random.default_rng(0), history=None)
    assert not leftover.exists() and mine.exists()
    leftover.write_bytes(b"again")
    load_checkpoint(path, network)
    assert not leftover.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["run.npz", mine.name])
