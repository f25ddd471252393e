"""Tests for bpcourse.core.data: the IDX reader, load_mnist, one_hot, the search order,
downloads (with a fake URL opener: there is no network here) and the command line.

Tests marked "real MNIST" read the four files from BPCOURSE_DATA (the Makefile sets
it), else from ../shared/data/mnist beside the checkout, else through the normal
search. All other tests build tiny fake IDX files in tmp_path.
"""

import gzip
import hashlib
import io
import os
import struct
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import bpcourse.core.data as data

_SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
REAL_DIR = os.environ.get("BPCOURSE_DATA") or (str(_SHARED) if _SHARED.is_dir() else None)

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


# ---------------------------------------------------------------- helpers


def idx_bytes(array, magic=None, dims=None):
    """The IDX encoding of a uint8 array; magic and dims can be forced to wrong values."""
    array = np.asarray(array, dtype=np.uint8)
    dims = array.shape if dims is None else dims
    magic = 0x0800 + len(dims) if magic is None else magic
    return struct.pack(">I", magic) + struct.pack(f">{len(dims)}I", *dims) + array.tobytes()


def write(folder, name, content, gz=True):
    """Write content as folder/name(.gz); returns the path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name + ".gz" if gz else name)
    path.write_bytes(gzip.compress(content) if gz else content)
    return path


def sha(content):
    return hashlib.sha256(content).hexdigest()


def fake_split(rng, n=4):
    """Content of a small fake (images, labels) pair: n images of 28 x 28 and n labels."""
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    return images, labels, idx_bytes(images), idx_bytes(labels)


def trust(monkeypatch, name, content):
    """Make the hash and dimension tables accept this fake content for this file name."""
    monkeypatch.setitem(data.SHA256, name, sha(content))
    expect_dims(monkeypatch, name, content)


def expect_dims(monkeypatch, name, content):
    """Make the dimension table expect the dimensions in this fake content's header."""
    ndim = content[3]
    monkeypatch.setitem(data.DIMS, name, struct.unpack(f">{ndim}I", content[4 : 4 + 4 * ndim]))


class FakeResponse:
    """A readable response that delivers `content`, optionally raising after `fail_after` bytes."""

    def __init__(self, content, fail_after=None, error=ConnectionResetError("connection reset (fake)")):
        self.stream = io.BytesIO(content)
        self.fail_after = fail_after
        self.error = error

    def read(self, n=-1):
        if self.fail_after is not None and self.stream.tell() >= self.fail_after:
            raise self.error
        if self.fail_after is not None:
            n = min(n if n >= 0 else self.fail_after, self.fail_after - self.stream.tell())
        return self.stream.read(n)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stream.close()


class FakeOpener:
    """opener(url, timeout) serving `responses`: a function url -> FakeResponse, or an exception to raise."""

    def __init__(self, respond):
        self.respond = respond
        self.calls = []

    def __call__(self, url, timeout):
        self.calls.append((url, timeout))
        return self.respond(url)


def failing_opener(url, timeout):
    raise OSError(f"network unreachable (fake) for {url}")


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No BPCOURSE_DATA, repo folder and cache inside tmp_path, and no real network."""
    monkeypatch.delenv("BPCOURSE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setattr(data, "repo_data_dir", lambda: tmp_path / "repo" / "data" / "mnist")
    monkeypatch.setattr(data, "_default_opener", failing_opener)
    return tmp_path


# ---------------------------------------------------------------- real MNIST


def test_real_train_shapes_range_dtype_and_label_counts():
    X, y = data.load_mnist("train", data_dir=REAL_DIR)
    assert X.shape == (60000, 784) and X.dtype == np.float64
    assert y.shape == (60000,) and np.issubdtype(y.dtype, np.integer)
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.bincount(y, minlength=10).tolist() == TRAIN_COUNTS


def test_real_test_split_float32_and_label_counts():
    X, y = data.load_mnist("test", data_dir=REAL_DIR, dtype=np.float32)
    assert X.shape == (10000, 784) and X.dtype == np.float32
    assert y.shape == (10000,)
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.bincount(y, minlength=10).tolist() == TEST_COUNTS


def test_real_rows_are_images_row_by_row_scaled_by_255():
    X, y = data.load_mnist("test", data_dir=REAL_DIR)
    path, _ = data.find_mnist_files(["t10k-images-idx3-ubyte"], REAL_DIR)["t10k-images-idx3-ubyte"]
    images = data.read_idx(path)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert_allclose(X[:5].reshape(5, 28, 28), images[:5] / 255, rtol=0, atol=1e-15)
    assert y[:3].tolist() == [7, 2, 1]  # the first test digits


def test_real_cached_arrays_cannot_be_corrupted():
    X, y = data.load_mnist("test", data_dir=REAL_DIR)
    with pytest.raises(ValueError, match="read-only"):
        X[0, 0] = 5.0
    with pytest.raises(ValueError, match="read-only"):
        y[0] = 3
    with pytest.raises(ValueError):
        X.flags.writeable = True
    mine = X.copy()
    mine[0, :] = 7.0
    X2, y2 = data.load_mnist("test", data_dir=REAL_DIR)
    assert X2[0].max() <= 1.0
    assert_array_equal(X2, X)
    assert_array_equal(y2, y)


def test_real_command_line_reports_every_file(capsys):
    argv = ["--data-dir", REAL_DIR] if REAL_DIR else []
    assert data.main(argv) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4
    for name, line in zip(data.FILE_NAMES, lines):
        assert line.startswith(name + ": ") and "sha256 ok" in line
        assert Path(line.split(": ", 1)[1].split("  ")[0]).is_file()


def test_real_command_line_as_module():
    env = dict(os.environ)
    if REAL_DIR:
        env["BPCOURSE_DATA"] = REAL_DIR
    result = subprocess.run(
        [sys.executable, "-m", "bpcourse.core.data"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 4


# ---------------------------------------------------------------- one_hot


def test_one_hot_matches_the_text():
    T = data.one_hot([2, 0, 9])
    assert T.shape == (3, 10) and T.dtype == np.float64
    expected = np.full((3, 10), 0.1)
    expected[0, 2] = expected[1, 0] = expected[2, 9] = 0.9
    assert_allclose(T, expected, rtol=0, atol=0)


def test_one_hot_single_label_custom_values_and_dtype():
    t = data.one_hot(np.uint8(3), on=1.0, off=0.0, dtype=np.float32)
    assert t.shape == (10,) and t.dtype == np.float32
    assert t.tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    assert data.one_hot(np.array([4.0])).argmax() == 4  # whole-number floats are labels


@pytest.mark.parametrize(
    "labels, shown",
    [([1, 10], "10 at index 1"), ([-1], "-1 at index 0"), ([3, 2.5], "2.5 at index 1"),
     ([True], "True at index 0"), (["7"], "'7' at index 0"), ([np.nan], "nan at index 0")],
)
def test_one_hot_names_the_bad_label(labels, shown):
    with pytest.raises(ValueError, match="expected integer labels 0-9") as info:
        data.one_hot(labels)
    assert shown in str(info.value)


def test_one_hot_rejects_2d():
    with pytest.raises(ValueError, match=r"shape \(2, 1\)"):
        data.one_hot([[1], [2]])


# ---------------------------------------------------------------- the IDX reader and file checks


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_reads_uint8_and_big_endian_types(tmp_path, gz):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = write(tmp_path, "some-images", idx_bytes(images), gz)
    assert_array_equal(data.read_idx(path, expected_magic=data.IMAGES_MAGIC), images)
    values = np.array([-2, 300, 7], dtype=">i2")  # type code 0x0B: big-endian int16
    content = struct.pack(">II", 0x0B01, 3) + values.tobytes()
    got = data.read_idx(write(tmp_path, "shorts", content, gz))
    assert got.tolist() == [-2, 300, 7] and got.dtype == np.int16


@pytest.mark.parametrize("gz", [False, True])
def test_wrong_magic_images_where_labels_expected(tmp_path, gz):
    path = write(tmp_path, "train-labels-idx1-ubyte", idx_bytes(np.zeros((2, 28, 28))), gz)
    with pytest.raises(ValueError, match="expected magic number 2049") as info:
        data.verify_file(path)
    assert str(path) in str(info.value) and "swapped" in str(info.value)


@pytest.mark.parametrize("gz", [False, True])
def test_not_an_idx_file(tmp_path, gz):
    path = write(tmp_path, "t10k-images-idx3-ubyte", b"<html>403 Forbidden</html>", gz)
    with pytest.raises(ValueError, match="expected magic number 2051") as info:
        data.verify_file(path)
    assert str(path) in str(info.value)
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(path)


@pytest.mark.parametrize("gz", [False, True])
def test_too_short_for_a_header(tmp_path, gz):
    with pytest.raises(ValueError, match="got a file of 2 bytes"):
        data.read_idx(write(tmp_path, "x", b"\x00\x00", gz))
    header_cut = struct.pack(">II", data.IMAGES_MAGIC, 5)  # 3 dims promised, 1 given
    with pytest.raises(ValueError, match="truncated header"):
        data.read_idx(write(tmp_path, "y", header_cut, gz))


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_payload(tmp_path, gz, monkeypatch):
    content = idx_bytes(np.arange(5), dims=(5,))[:-2]
    path = write(tmp_path, "train-labels-idx1-ubyte", content, gz)
    expect_dims(monkeypatch, "train-labels-idx1-ubyte", content)
    with pytest.raises(ValueError, match="is truncated: the header promises 5 numbers = 5 bytes") as info:
        data.verify_file(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("gz", [False, True])
def test_extra_bytes(tmp_path, gz, monkeypatch):
    content = idx_bytes(np.arange(5)) + b"\x00\x01"
    path = write(tmp_path, "train-labels-idx1-ubyte", content, gz)
    expect_dims(monkeypatch, "train-labels-idx1-ubyte", content)
    with pytest.raises(ValueError, match="has extra bytes after the data") as info:
        data.verify_file(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("gz", [False, True])
def test_header_claiming_4_billion_images_in_100_bytes_allocates_nothing(tmp_path, gz):
    header = struct.pack(">IIII", data.IMAGES_MAGIC, 4_000_000_000, 28, 28)
    content = header + bytes(100 - len(header))
    assert len(content) == 100
    path = write(tmp_path, "train-images-idx3-ubyte", content, gz)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="is truncated: the header promises 4000000000 x 28 x 28"):
            data.read_idx(path)  # the generic reader: no known dimensions, refused by length
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4_000_000  # bytes (reading uses 1 MiB chunks): nothing near the 3 TB claimed


@pytest.mark.parametrize("gz", [False, True])
def test_a_known_file_claiming_a_billion_images_is_refused_before_decompressing(tmp_path, gz, monkeypatch):
    header = struct.pack(">IIII", data.IMAGES_MAGIC, 10**9, 28, 28)
    path = write(tmp_path, "train-images-idx3-ubyte", header + bytes(2 * 1024 * 1024), gz)
    read_sizes = []
    real_open = gzip.open

    def recording_gzip_open(*args, **kwargs):
        stream = real_open(*args, **kwargs)
        real_read = stream.read
        stream.read = lambda n=-1: read_sizes.append(n) or real_read(n)
        return stream

    monkeypatch.setattr(data.gzip, "open", recording_gzip_open)
    with pytest.raises(ValueError, match=r"expected header dimensions 60000 x 28 x 28, got 1000000000 x 28 x 28"):
        data.verify_file(path)
    if gz:
        assert sum(read_sizes) <= 16  # the magic number and the dimensions, nothing of the payload


@pytest.mark.parametrize("gz", [False, True])
def test_bad_image_dimensions(tmp_path, gz, monkeypatch):
    path = write(tmp_path, "t10k-images-idx3-ubyte", idx_bytes(np.zeros((2, 28, 27))), gz)
    expect_dims(monkeypatch, "t10k-images-idx3-ubyte", idx_bytes(np.zeros((2, 28, 27))))
    with pytest.raises(ValueError, match="expected images of 28 x 28 pixels, got 28 x 27") as info:
        data.verify_file(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("gz", [False, True])
def test_label_above_9(tmp_path, gz, monkeypatch):
    path = write(tmp_path, "t10k-labels-idx1-ubyte", idx_bytes([1, 2, 3, 12, 4]), gz)
    expect_dims(monkeypatch, "t10k-labels-idx1-ubyte", idx_bytes([1, 2, 3, 12, 4]))
    with pytest.raises(ValueError, match="expected labels 0-9, got 12 at index 3") as info:
        data.verify_file(path)
    assert str(path) in str(info.value)


def test_corrupt_gzip_stream(tmp_path, monkeypatch):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    expect_dims(monkeypatch, "train-labels-idx1-ubyte", idx_bytes(np.arange(200) % 10))
    path.write_bytes(gzip.compress(idx_bytes(np.arange(200) % 10))[:-12])
    with pytest.raises(ValueError, match="gzip data is truncated or corrupt") as info:
        data.verify_file(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("gz", [False, True])
def test_hash_mismatch_names_the_file(tmp_path, gz, monkeypatch):
    path = write(tmp_path, "train-labels-idx1-ubyte", idx_bytes([1, 2, 3]), gz)
    expect_dims(monkeypatch, "train-labels-idx1-ubyte", idx_bytes([1, 2, 3]))
    with pytest.raises(ValueError, match="SHA-256 mismatch for train-labels-idx1-ubyte") as info:
        data.verify_file(path)
    assert str(path) in str(info.value) and data.SHA256["train-labels-idx1-ubyte"] in str(info.value)


def test_load_mnist_rejects_images_given_as_labels(isolated, monkeypatch):
    rng = np.random.default_rng(0)
    _, _, images, _ = fake_split(rng)
    write(isolated / "d", "train-images-idx3-ubyte", images)
    labels_path = write(isolated / "d", "train-labels-idx1-ubyte", images)
    trust(monkeypatch, "train-images-idx3-ubyte", images)
    with pytest.raises(ValueError, match="expected magic number 2049") as info:
        data.load_mnist("train", data_dir=isolated / "d")
    assert str(labels_path) in str(info.value)


def test_load_mnist_rejects_count_mismatch(isolated, monkeypatch):
    rng = np.random.default_rng(1)
    _, _, images, _ = fake_split(rng, n=3)
    labels = idx_bytes([1, 2, 3, 4])
    write(isolated / "d", "t10k-images-idx3-ubyte", images, gz=False)
    write(isolated / "d", "t10k-labels-idx1-ubyte", labels)
    trust(monkeypatch, "t10k-images-idx3-ubyte", images)
    trust(monkeypatch, "t10k-labels-idx1-ubyte", labels)
    with pytest.raises(ValueError, match="holds 3 images but .* holds 4 labels"):
        data.load_mnist("test", data_dir=isolated / "d")


def test_load_mnist_decodes_fake_files_and_validates_arguments(isolated, monkeypatch):
    rng = np.random.default_rng(2)
    images, labels, images_c, labels_c = fake_split(rng, n=5)
    write(isolated / "d", "train-images-idx3-ubyte", images_c, gz=False)
    write(isolated / "d", "train-labels-idx1-ubyte", labels_c)
    trust(monkeypatch, "train-images-idx3-ubyte", images_c)
    trust(monkeypatch, "train-labels-idx1-ubyte", labels_c)
    X, y = data.load_mnist("train", data_dir=isolated / "d", dtype="float32")
    assert X.dtype == np.float32 and X.shape == (5, 784)
    assert_allclose(X, images.reshape(5, 784) / 255, rtol=1e-7, atol=0)
    assert_array_equal(y, labels)
    with pytest.raises(ValueError, match='expected split "train" or "test", got \'validation\''):
        data.load_mnist("validation")
    with pytest.raises(ValueError, match="expected a floating dtype"):
        data.load_mnist("train", data_dir=isolated / "d", dtype=np.uint8)


# ---------------------------------------------------------------- where the files are


def test_default_locations(monkeypatch, tmp_path):
    repo = Path(data.__file__).resolve().parents[2]
    assert data.repo_data_dir() == repo / "data" / "mnist"  # this is a source checkout
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert data.cache_dir() == tmp_path / "bpcourse" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data.cache_dir() == tmp_path / "home" / ".cache" / "bpcourse" / "mnist"


@pytest.mark.parametrize("winner", ["data_dir", "env", "repo", "cache"])
def test_search_order(isolated, monkeypatch, winner):
    places = ["data_dir", "env", "repo", "cache"]
    folders = {
        "data_dir": isolated / "given",
        "env": isolated / "env",
        "repo": isolated / "repo" / "data" / "mnist",
        "cache": isolated / "xdg-cache" / "bpcourse" / "mnist",
    }
    for place in places[places.index(winner):]:  # the winner and every later place have the file
        write(folders[place], "t10k-labels-idx1-ubyte", idx_bytes([0]))
    monkeypatch.setenv("BPCOURSE_DATA", str(folders["env"]))
    found = data.find_mnist_files(["t10k-labels-idx1-ubyte"], data_dir=folders["data_dir"])
    path, description = found["t10k-labels-idx1-ubyte"]
    assert path == folders[winner] / "t10k-labels-idx1-ubyte.gz"
    assert {"data_dir": "data_dir", "env": "BPCOURSE_DATA", "repo": "repository", "cache": "cache"}[
        winner
    ] in description


def test_each_file_from_the_first_folder_that_has_it_plain_or_gz(isolated, monkeypatch):
    given = isolated / "given"
    write(given, "t10k-labels-idx1-ubyte", idx_bytes([0]), gz=False)
    write(isolated / "env", "t10k-images-idx3-ubyte", idx_bytes(np.zeros((1, 28, 28))))
    monkeypatch.setenv("BPCOURSE_DATA", str(isolated / "env"))
    found = data.find_mnist_files(data.SPLITS["test"], data_dir=given)
    assert found["t10k-labels-idx1-ubyte"][0] == given / "t10k-labels-idx1-ubyte"
    assert found["t10k-images-idx3-ubyte"][0] == isolated / "env" / "t10k-images-idx3-ubyte.gz"


def test_load_mnist_uses_data_dir_before_bpcourse_data(isolated, monkeypatch):
    rng = np.random.default_rng(3)
    _, labels_a, images_c, labels_a_c = fake_split(rng)
    for folder in ("given", "env"):
        write(isolated / folder, "train-images-idx3-ubyte", images_c)
    write(isolated / "given", "train-labels-idx1-ubyte", labels_a_c)
    write(isolated / "env", "train-labels-idx1-ubyte", idx_bytes((labels_a + 1) % 10))
    trust(monkeypatch, "train-images-idx3-ubyte", images_c)
    trust(monkeypatch, "train-labels-idx1-ubyte", labels_a_c)
    monkeypatch.setenv("BPCOURSE_DATA", str(isolated / "env"))
    _, y = data.load_mnist("train", data_dir=isolated / "given")
    assert_array_equal(y, labels_a)
    with pytest.raises(ValueError, match="SHA-256 mismatch"):  # env's labels are not the trusted ones
        data.load_mnist("train")


def test_missing_everywhere_and_no_network_lists_every_folder(isolated, monkeypatch):
    monkeypatch.setenv("BPCOURSE_DATA", str(isolated / "env"))
    with pytest.raises(data.MnistNotFoundError) as info:
        data.load_mnist("train", data_dir=isolated / "given", opener=failing_opener)
    message = str(info.value)
    for folder in ["given", "env", "repo/data/mnist", "xdg-cache/bpcourse/mnist"]:
        assert str(isolated / folder) in message
    for name in data.FILE_NAMES:
        assert name + ".gz" in message
    assert "BPCOURSE_DATA" in message and "data_dir" in message
    assert "network unreachable (fake)" in message
    assert not any((isolated / "xdg-cache" / "bpcourse" / "mnist").iterdir())


def test_command_line_without_files_fails_with_the_message(isolated, capsys):
    assert data.main(["--data-dir", str(isolated / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert "MNIST files not found" in err and str(isolated / "nowhere") in err
    assert "the BPCOURSE_DATA environment variable: not set" in err


# ---------------------------------------------------------------- downloads (fake opener)


def serve(files, fail=None):
    """A FakeOpener serving gzipped `files` {name: content}; `fail(url)` may return a FakeResponse instead."""

    def respond(url):
        if fail is not None and (response := fail(url)) is not None:
            return response
        name = url.rsplit("/", 1)[1][: -len(".gz")]
        return FakeResponse(gzip.compress(files[name]))

    return FakeOpener(respond)


def test_download_stores_verified_file_atomically(isolated, monkeypatch):
    content = idx_bytes(np.arange(300) % 10)
    trust(monkeypatch, "train-labels-idx1-ubyte", content)
    opener = serve({"train-labels-idx1-ubyte": content})
    target = isolated / "dl"
    path = data.download("train-labels-idx1-ubyte", target, opener=opener, timeout=7)
    assert path == target / "train-labels-idx1-ubyte.gz"
    assert sorted(p.name for p in target.iterdir()) == ["train-labels-idx1-ubyte.gz"]
    assert opener.calls == [(data.MIRRORS[0] + "train-labels-idx1-ubyte.gz", 7)]
    assert_array_equal(data.read_idx(path), np.arange(300) % 10)


def test_interrupted_download_falls_back_to_the_next_mirror(isolated, monkeypatch):
    content = idx_bytes(np.arange(3000) % 10)
    trust(monkeypatch, "train-labels-idx1-ubyte", content)
    gz = gzip.compress(content)
    opener = serve(
        {"train-labels-idx1-ubyte": content},
        fail=lambda url: FakeResponse(gz, fail_after=len(gz) // 2) if url.startswith(data.MIRRORS[0]) else None,
    )
    path = data.download("train-labels-idx1-ubyte", isolated / "dl", opener=opener)
    assert [url for url, _ in opener.calls] == [m + "train-labels-idx1-ubyte.gz" for m in data.MIRRORS]
    assert sorted(p.name for p in (isolated / "dl").iterdir()) == [path.name]


def test_interrupted_downloads_leave_nothing_where_the_loader_looks(isolated, monkeypatch):
    rng = np.random.default_rng(4)
    _, _, images_c, labels_c = fake_split(rng)
    trust(monkeypatch, "train-images-idx3-ubyte", images_c)
    trust(monkeypatch, "train-labels-idx1-ubyte", labels_c)
    files = {"train-images-idx3-ubyte": images_c, "train-labels-idx1-ubyte": labels_c}

    def cut(url):
        gz = gzip.compress(files[url.rsplit("/", 1)[1][:-3]])
        return FakeResponse(gz, fail_after=len(gz) // 3)

    opener = serve(files, fail=cut)
    with pytest.raises(data.MnistNotFoundError, match="connection reset \\(fake\\)"):
        data.load_mnist("train", opener=opener)
    assert len(opener.calls) == 4  # two files x two mirrors
    cache = isolated / "xdg-cache" / "bpcourse" / "mnist"
    assert list(cache.iterdir()) == []
    # An unexpected exception mid-stream propagates, and still leaves nothing behind.
    opener = serve(files, fail=lambda url: FakeResponse(b"\x1f\x8b" * 10, 5, RuntimeError("boom")))
    with pytest.raises(RuntimeError, match="boom"):
        data.load_mnist("train", opener=opener)
    assert list(cache.iterdir()) == []


def test_complete_download_with_wrong_content_is_rejected(isolated, monkeypatch):
    wrong = idx_bytes([1, 2, 3])  # a valid IDX file, but not the one the hash table expects
    expect_dims(monkeypatch, "t10k-labels-idx1-ubyte", wrong)
    opener = serve({"t10k-labels-idx1-ubyte": wrong})
    with pytest.raises(data.DownloadError, match="SHA-256 mismatch") as info:
        data.download("t10k-labels-idx1-ubyte", isolated / "dl", opener=opener)
    assert str(info.value).count("SHA-256 mismatch") == len(data.MIRRORS)
    assert list((isolated / "dl").iterdir()) == []


def test_a_download_larger_than_the_file_can_be_is_abandoned(isolated, monkeypatch):
    huge = np.random.default_rng(0).bytes(3 * 1024 * 1024)  # t10k labels are 10 kB
    opener = FakeOpener(lambda url: FakeResponse(huge))
    with pytest.raises(data.DownloadError, match=r"more than \d+ bytes") as info:
        data.download("t10k-labels-idx1-ubyte", isolated / "dl", opener=opener)
    assert str(info.value).count("abandoned") == len(data.MIRRORS)
    assert list((isolated / "dl").iterdir()) == []


def test_mirrors_changed_at_run_time_are_used(isolated, monkeypatch):
    tried = []

    def opener(url, timeout):
        tried.append(url)
        raise ConnectionRefusedError("no network here (fake)")

    monkeypatch.setattr(data, "MIRRORS", ("https://mirror.invalid/a/",))
    with pytest.raises(data.DownloadError):
        data.download("t10k-labels-idx1-ubyte", isolated / "dl", opener=opener)
    assert tried == ["https://mirror.invalid/a/t10k-labels-idx1-ubyte.gz"]
    with pytest.raises(TypeError, match="sequence of URL prefixes"):
        data.download("t10k-labels-idx1-ubyte", isolated / "dl", opener=opener, mirrors="https://x/")


def test_load_mnist_downloads_into_the_cache_once(isolated, monkeypatch):
    rng = np.random.default_rng(5)
    images, labels, images_c, labels_c = fake_split(rng, n=6)
    trust(monkeypatch, "t10k-images-idx3-ubyte", images_c)
    trust(monkeypatch, "t10k-labels-idx1-ubyte", labels_c)
    opener = serve({"t10k-images-idx3-ubyte": images_c, "t10k-labels-idx1-ubyte": labels_c})
    X, y = data.load_mnist("test", opener=opener)
    assert_allclose(X.reshape(6, 28, 28), images / 255, rtol=0, atol=1e-15)
    assert_array_equal(y, labels)
    cache = isolated / "xdg-cache" / "bpcourse" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    assert len(opener.calls) == 2
    data.load_mnist("test", opener=opener)  # found in the cache now
    assert len(opener.calls) == 2


def test_unwritable_cache_gives_the_not_found_message(isolated, monkeypatch):
    blocker = isolated / "not-a-folder"
    blocker.write_text("a file where the cache folder should go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    opener = serve({})
    with pytest.raises(data.MnistNotFoundError, match="cannot write into") as info:
        data.load_mnist("test", opener=opener)
    assert "BPCOURSE_DATA" in str(info.value) and opener.calls == []


@pytest.mark.skipif(REAL_DIR is None, reason="needs the real MNIST files (BPCOURSE_DATA)")
def test_store_in_cache_copies_verified_files_so_they_are_found_without_the_variable(isolated, capsys):
    assert data.main(["--data-dir", REAL_DIR, "--store-in-cache"]) == 0
    cached = sorted(p.name for p in data.cache_dir().iterdir())
    assert cached == sorted(n + ".gz" for n in data.FILE_NAMES), "only the four files, no temporary ones"
    assert "and in the cache" in capsys.readouterr().out
    stamps = {p.name: p.stat().st_mtime_ns for p in data.cache_dir().iterdir()}
    assert data.main(["--data-dir", REAL_DIR, "--store-in-cache"]) == 0
    assert stamps == {p.name: p.stat().st_mtime_ns for p in data.cache_dir().iterdir()}, "intact copies are kept"
    damaged = data.cache_dir() / "t10k-labels-idx1-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"\0")
    assert data.main(["--data-dir", REAL_DIR, "--store-in-cache"]) == 0
    data.clear_cache()
    X, y = data.load_mnist("test")  # no data_dir, no BPCOURSE_DATA: the cache
    assert X.shape == (10000, 784) and np.bincount(y).tolist() == TEST_COUNTS
