"""MNIST: the IDX file reader, ``load_mnist`` and the course's ``one_hot`` targets.

The IDX format
--------------
MNIST comes as four IDX files, usually gzipped::

    train-images-idx3-ubyte   60000 images, 28 x 28 pixels
    train-labels-idx1-ubyte   60000 labels
    t10k-images-idx3-ubyte    10000 test images
    t10k-labels-idx1-ubyte    10000 test labels

An IDX file is a short header followed by the raw numbers::

    offset      size               meaning
    0           4 bytes            magic number: 0x00 0x00, a type code, the number of dimensions d
    4           4 bytes (uint32)   size of dimension 1 (the number of items)
    8           4 bytes (uint32)   size of dimension 2
    ...
    4 + 4 d     the payload        the numbers themselves, row-major (the last dimension runs fastest)

All header integers are *big-endian* unsigned 32-bit numbers (most significant byte
first). MNIST's type code is 0x08, *unsigned byte* (uint8): every pixel is one
byte from 0 (background) to 255 (ink), every label one byte from 0 to 9. So the
magic number of an images file is 0x00000803 = 2051 (uint8, 3 dimensions: count,
rows, columns) and that of a labels file 0x00000801 = 2049 (uint8, 1 dimension:
count). The header fixes exactly how many bytes must follow, e.g.
60000 x 28 x 28 = 47,040,000 for the training images; this reader checks that
before it allocates anything.

The source text turns each 28 x 28 image row by row into a 784-vector, and each
label n into a 10-vector with 0.9 at index n and 0.1 elsewhere (``one_hot``).

Where the files are looked for
------------------------------
In this order: the ``data_dir`` argument; the folder named by ``BPCOURSE_DATA``;
``data/mnist/`` in a source checkout; the per-user cache
``$XDG_CACHE_HOME/bpcourse/mnist`` (default ``~/.cache/bpcourse/mnist``). Each
file, gzipped (``name.gz``) or not, comes from the first folder that has it, or
else is downloaded into the cache from ``MIRRORS``. Every file is verified
against the SHA-256 of its decompressed content (``SHA256``); a file that fails
any check is an error, never used. ``python -m bpcourse.core.data [--data-dir DIR]``
finds (or downloads) and verifies all four files and prints where each one is.
"""

import argparse
import gzip
import hashlib
import http.client
import math
import os
import shutil
import struct
import sys
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from bpcourse.core.atomic import atomic_write

IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
IMAGE_SHAPE = (28, 28)
N_CLASSES = 10

SPLITS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
FILE_NAMES = SPLITS["train"] + SPLITS["test"]

DIMS = {  # what each file's header must give, checked before any payload is read
    "train-images-idx3-ubyte": (60000,) + IMAGE_SHAPE,
    "train-labels-idx1-ubyte": (60000,),
    "t10k-images-idx3-ubyte": (10000,) + IMAGE_SHAPE,
    "t10k-labels-idx1-ubyte": (10000,),
}
# A download may not be larger than the file's decompressed size plus a margin
# (gzip never grows 8-bit data by more than a few bytes per 32 kB block).
_DOWNLOAD_MARGIN = 1 << 20

# SHA-256 of each file's decompressed content.
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

# Tried in turn; each serves NAME.gz. (yann.lecun.com, the original site, answers 403.)
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
DOWNLOAD_TIMEOUT = 30  # seconds, per connection attempt and per blocking read

# IDX type code -> NumPy dtype of one number (big-endian where it matters).
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20  # read and download in 1 MiB pieces

# In-process caches: decoded arrays and files whose hash was already checked.
_ARRAYS = {}  # (file keys..., dtype) -> (X, y), both read-only
_VERIFIED = set()  # file keys (resolved path, mtime_ns, size) whose SHA-256 matched


class MnistNotFoundError(FileNotFoundError):
    """The MNIST files are in none of the searched folders and could not be downloaded."""


class DownloadError(OSError):
    """No mirror delivered a complete, verified copy of a file."""


# ---------------------------------------------------------------- the IDX reader

def _describe_magic(magic):
    return {IMAGES_MAGIC: "an IDX3 images file", LABELS_MAGIC: "an IDX1 labels file"}.get(magic, "not an MNIST file")


def _file_key(path):
    st = os.stat(path)
    return (str(Path(path).resolve()), st.st_mtime_ns, st.st_size)


def _read_idx(path, expected_magic=None, expected_dims=None):
    """Read and check one IDX file (gzipped or not): ``(content, array)``.

    ``content`` is the whole decompressed file (header and payload) as a bytearray, ``array`` a read-only
    view of its payload in the header's shape. A bad magic number, dimensions other than
    ``expected_dims`` or a payload of the wrong length is a ValueError naming the file, raised *before*
    anything of the promised size is allocated or decompressed.
    """
    path = Path(path)
    with open(path, "rb") as raw:
        is_gzip = raw.read(2) == _GZIP_MAGIC
    try:
        with gzip.open(path, "rb") if is_gzip else open(path, "rb") as f:
            content = bytearray(f.read(4))
            if len(content) < 4:
                raise ValueError(f"{path}: expected an IDX file starting with a 4-byte magic number, "
                                 f"got a file of {len(content)} bytes (empty or truncated)")
            zero0, zero1, type_code, ndim = content
            magic = int.from_bytes(content, "big")
            if expected_magic is not None and magic != expected_magic:
                swapped = {magic, expected_magic} == {IMAGES_MAGIC, LABELS_MAGIC}
                raise ValueError(f"{path}: expected magic number {expected_magic} ({_describe_magic(expected_magic)}), "
                                 f"got {magic} ({_describe_magic(magic)})"
                                 + (": are the images and labels files swapped?" if swapped else ""))
            if zero0 != 0 or zero1 != 0 or type_code not in _IDX_TYPES or ndim == 0:
                raise ValueError(f"{path}: not an IDX file: the magic number {magic} (bytes {bytes(content).hex(' ')}) "
                                 "should be 00 00, a type code (08 = unsigned byte) and a number of dimensions >= 1")
            content += f.read(4 * ndim)
            header_size = 4 + 4 * ndim
            if len(content) < header_size:
                raise ValueError(f"{path}: truncated header: {ndim} dimensions need {header_size} header bytes, "
                                 f"the file ends after {len(content)}")
            dims = struct.unpack(f">{ndim}I", bytes(content[4:header_size]))  # big-endian uint32
            if expected_dims is not None and tuple(dims) != tuple(expected_dims):
                raise ValueError(f"{path}: expected header dimensions {' x '.join(map(str, expected_dims))}, "
                                 f"got {' x '.join(map(str, dims))}: the file is corrupt or not this MNIST file")
            dtype = np.dtype(_IDX_TYPES[type_code])
            # Python integers: no overflow, however large the header's claim.
            payload_size = int(np.prod(dims, dtype=object)) * dtype.itemsize

            def wrong_size(got, extra=False):
                what = "has extra bytes after the data" if extra else "is truncated"
                return ValueError(f"{path}: {what}: the header promises {' x '.join(map(str, dims))} numbers = "
                                  f"{payload_size} bytes after the {header_size}-byte header, the file holds {got}")

            if not is_gzip:  # the file size is known: compare before reading anything
                got = os.stat(path).st_size - header_size
                if got != payload_size:
                    raise wrong_size(f"{got} bytes", extra=got > payload_size)
            # In chunks, so that memory grows with what the file really holds, never with the claim
            # (a gzipped file's decompressed size is only known by decompressing it).
            while len(content) < header_size + payload_size:
                chunk = f.read(min(_CHUNK, header_size + payload_size - len(content)))
                if not chunk:
                    raise wrong_size(f"only {len(content) - header_size} bytes")
                content += chunk
            if f.read(1):
                raise wrong_size("more", extra=True)
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise ValueError(f"{path}: the gzip data is truncated or corrupt ({err}); "
                         "delete the file and get it again") from err
    return content, np.frombuffer(content, dtype=dtype, offset=header_size).reshape(dims)


def read_idx(path, expected_magic=None):
    """An IDX file, plain or gzipped (told by its content), as a new array of the header's shape.

    e.g. (60000, 28, 28) uint8 for the training images, (60000,) uint8 for their labels.
    ``expected_magic`` (``IMAGES_MAGIC``, ``LABELS_MAGIC``) refuses any other magic number.
    ValueError naming the file if it is malformed; the SHA-256 is not checked (``verify_file`` does).
    """
    array = _read_idx(path, expected_magic)[1]
    return array.astype(array.dtype.newbyteorder("="), copy=False)


def _mnist_name(path):
    name = Path(path).name
    name = name[: -len(".gz")] if name.endswith(".gz") else name
    if name not in SHA256:
        raise ValueError(f"{path}: expected one of the MNIST files {', '.join(FILE_NAMES)} "
                         "(optionally .gz), got an unknown name; pass name= to say which it is")
    return name


def verify_file(path, name=None):
    """Check one MNIST file (gzipped or not) completely; its content, uint8 images (n, 28, 28) or labels (n,).

    In this order: the IDX structure (magic number, the file's known dimensions, length); 28 x 28 pixels
    or labels 0-9; the SHA-256 of the decompressed content against ``SHA256[name]`` (remembered per path,
    modification time and size). ``name`` defaults to the file's. ValueError naming the file and the fault.
    """
    path = Path(path)
    name = _mnist_name(path) if name is None else name
    key = _file_key(path)
    content, array = _read_idx(path, IMAGES_MAGIC if "idx3" in name else LABELS_MAGIC, DIMS[name])
    if array.ndim == 3 and array.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"{path}: expected images of 28 x 28 pixels, got {array.shape[1]} x {array.shape[2]} "
                         f"(header dimensions {' x '.join(map(str, array.shape))})")
    if array.ndim == 1 and array.size and array.max() >= N_CLASSES:
        index = int(np.argmax(array >= N_CLASSES))
        raise ValueError(f"{path}: expected labels 0-9, got {int(array[index])} at index {index}: "
                         "the file is corrupt or not an MNIST labels file")
    if key not in _VERIFIED:
        digest = hashlib.sha256(content).hexdigest()
        if digest != SHA256[name]:
            raise ValueError(f"{path}: SHA-256 mismatch for {name}: expected {SHA256[name]}, got {digest}. "
                             "The file is corrupt or not the original MNIST; delete it and run "
                             "`python -m bpcourse.core.data` to download it again")
        _VERIFIED.add(key)
    return array


# ---------------------------------------------------------------- where the files are

def repo_data_dir():
    """``data/mnist`` in a source checkout (``pyproject.toml`` above the package), else None."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file():
        return root / "data" / "mnist"
    return None


def cache_dir():
    """The per-user cache folder: ``$XDG_CACHE_HOME/bpcourse/mnist`` or ``~/.cache/bpcourse/mnist``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return base / "bpcourse" / "mnist"


def search_dirs(data_dir=None):
    """The folders searched, in order: ``(folder, description)``, folder None where unset (messages say so)."""
    env = os.environ.get("BPCOURSE_DATA", "")
    repo = repo_data_dir()
    return [
        (Path(data_dir).expanduser() if data_dir is not None else None, "the data_dir argument"),
        (Path(env).expanduser() if env else None, "the BPCOURSE_DATA environment variable"),
        (repo, "data/mnist in the repository"),
        (cache_dir(), "the per-user cache"),
    ]


def _default_opener(url, timeout):
    return urllib.request.urlopen(url, timeout=timeout)


def download(name, target_dir=None, *, opener=None, mirrors=None, timeout=DOWNLOAD_TIMEOUT, max_bytes=None):
    """Download ``name + ".gz"`` (one of ``FILE_NAMES``) into ``target_dir`` (default: the cache), verified; its Path.

    Each of ``mirrors`` (default: ``MIRRORS``) is tried in turn; the file is renamed into place only when
    complete and verified (``atomic_write``), so no partial file is left where the loader looks. ``opener(url,
    timeout=seconds)`` defaults to ``urllib.request.urlopen``; a mirror sending more than ``max_bytes``
    (default: the decompressed size plus 1 MiB) is abandoned. ``DownloadError`` lists each mirror's failure.
    """
    if name not in SHA256:
        raise ValueError(f"expected one of {', '.join(FILE_NAMES)}, got {name!r}")
    opener = _default_opener if opener is None else opener
    mirrors = MIRRORS if mirrors is None else mirrors
    if isinstance(mirrors, str):
        raise TypeError(f"expected mirrors to be a sequence of URL prefixes, got the string {mirrors!r}")
    if max_bytes is None:  # header plus one byte per number, plus the margin
        max_bytes = 4 + 4 * len(DIMS[name]) + math.prod(DIMS[name]) + _DOWNLOAD_MARGIN
    target_dir = Path(cache_dir() if target_dir is None else target_dir)
    final = target_dir / (name + ".gz")
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DownloadError(f"cannot write into {target_dir} to download {name}.gz: {err}") from err
    failures = []
    for mirror in mirrors:
        url = mirror + name + ".gz"
        try:
            with atomic_write(final, suffix=".part", check=lambda tmp: verify_file(tmp, name)) as out, \
                    opener(url, timeout=timeout) as response:
                received = 0
                while chunk := response.read(_CHUNK):
                    received += len(chunk)
                    if received > max_bytes:
                        raise ValueError(f"the server sent more than {max_bytes} bytes, "
                                         f"more than {name}.gz can hold; abandoned")
                    out.write(chunk)
            return final
        except (OSError, ValueError, EOFError, http.client.HTTPException) as err:
            failures.append(f"{url}: {type(err).__name__}: {err}")
    raise DownloadError(f"could not download {name}.gz into {target_dir}:\n  " + "\n  ".join(failures))


def _not_found_message(missing, dirs, failures):
    lines = [f"MNIST files not found: {', '.join(missing)} (gzipped or not). Looked in:"]
    for i, (folder, description) in enumerate(dirs, 1):
        if folder is None:
            lines.append(f"  {i}. {description}: not set")
        else:
            note = "" if folder.is_dir() else " (folder does not exist)"
            lines.append(f"  {i}. {folder}  ({description}){note}")
    if failures:
        lines.append("Downloading them failed too:")
        lines.extend("  " + line for f in failures for line in str(f).splitlines())
    lines += [
        "To provide the files: put the four MNIST files",
        "  " + ", ".join(n + ".gz" for n in FILE_NAMES),
        "(gzipped or not) in one folder, then either set the environment variable",
        "BPCOURSE_DATA=/path/to/that/folder, or pass data_dir='/path/to/that/folder'",
        "to load_mnist (--data-dir for `python -m bpcourse.core.data`).",
    ]
    return "\n".join(lines)


def find_mnist_files(names=FILE_NAMES, data_dir=None, *, download_missing=True, opener=None):
    """Locate MNIST files (not yet verified), downloading missing ones into the cache.

    Returns ``{name: (path, where it was found)}``, e.g. ``{"train-images-idx3-ubyte":
    (Path(".../train-images-idx3-ubyte.gz"), "the BPCOURSE_DATA environment variable")}``;
    ``MnistNotFoundError`` lists every folder searched and how to provide the files.
    """
    dirs = search_dirs(data_dir)
    found, missing = {}, []
    for name in names:  # gzipped first, in the first folder that has the file
        hits = ((folder / (name + ext), description) for folder, description in dirs if folder is not None
                for ext in (".gz", "") if (folder / (name + ext)).is_file())
        hit = next(hits, None)
        if hit is None:
            missing.append(name)
        else:
            found[name] = hit
    if not missing:
        return found
    failures = []
    if download_missing:
        target = cache_dir()
        for name in missing:
            try:
                found[name] = (download(name, target, opener=opener), "downloaded into the cache")
            except DownloadError as err:
                failures.append(err)
    still = [name for name in missing if name not in found]
    if still:
        raise MnistNotFoundError(_not_found_message(still, dirs, failures))
    return found


# ---------------------------------------------------------------- the loader

def load_mnist(split="train", data_dir=None, dtype=np.float64, *, opener=None):
    """An MNIST split as the course uses it: ``split`` "train" (60000 samples) or "test" (10000).

    Returns X (n, 784) of ``dtype`` (float64 or float32), one image per row, its 28 x 28 pixels row by
    row, scaled to [0, 1] (pixel value / 255), and y (n,) int64, the labels 0-9. ``data_dir`` is searched
    first (the module docstring gives the order); ``opener`` is for ``download``. The arrays are cached
    in the process and **read-only**, so no caller changes what the next one gets: ``X.copy()`` gives one
    you may modify. ValueError for a bad argument or file, ``MnistNotFoundError`` if the files cannot be had.
    """
    if split not in SPLITS:
        raise ValueError(f'expected split "train" or "test", got {split!r}')
    try:
        dtype = np.dtype(dtype)
    except TypeError as err:
        raise ValueError(f"expected a floating dtype such as numpy.float64, got {dtype!r}") from err
    if dtype.kind != "f":
        raise ValueError(f"expected a floating dtype such as numpy.float64, got {dtype}")
    images_name, labels_name = SPLITS[split]
    found = find_mnist_files((images_name, labels_name), data_dir, opener=opener)
    images_path, labels_path = found[images_name][0], found[labels_name][0]
    key = (_file_key(images_path), _file_key(labels_path), dtype.str)
    if key not in _ARRAYS:
        images = verify_file(images_path, images_name)  # (n, 28, 28) uint8
        labels = verify_file(labels_path, labels_name)  # (n,) uint8
        if len(images) != len(labels):
            raise ValueError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                             f"{len(labels)} labels: the files do not belong together")
        # Row-major: pixel (row r, column c) goes to column 28 r + c. One pass, uint8 -> dtype.
        X = np.divide(images.reshape(len(images), -1), 255, dtype=dtype)
        y = labels.astype(np.int64)
        X.flags.writeable = y.flags.writeable = False
        _ARRAYS[key] = (X, y)
    X, y = _ARRAYS[key]
    return X.view(), y.view()  # views of read-only bases: NumPy refuses to make them writeable again


def clear_cache():
    """Forget the arrays and hash checks cached in this process."""
    _ARRAYS.clear()
    _VERIFIED.clear()


def _is_label(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    return math.isfinite(v) and v == int(v) and 0 <= v < N_CLASSES


def one_hot(y, on=0.9, off=0.1, *, dtype=np.float64):
    """The course's targets: labels y (n,) 0-9 -> (n, 10), ``on`` at index y_n, ``off`` elsewhere; (10,) for one label.

    The source text uses 0.9 and 0.1 (a sigmoid output never reaches 0 or 1): right for its sigmoid
    outputs with the squared error. The ``softmax_cross_entropy`` loss (:mod:`bpcourse.core.losses`)
    needs a probability vector: ``one_hot(y, on=1.0, off=0.0)``. ValueError names the first bad label.
    """
    labels = np.asarray(y)
    if labels.ndim > 1:
        raise ValueError(f"expected labels of shape (n,) or a single label, got shape {labels.shape}")
    flat = labels.reshape(-1)
    if labels.dtype.kind in "iuf":
        valid = np.isfinite(flat) & (flat == np.round(flat)) & (flat >= 0) & (flat < N_CLASSES)
    else:  # bool, strings, objects: report the first entry that is not a whole number 0-9
        valid = np.array([_is_label(v) for v in flat.tolist()], dtype=bool)
    if not valid.all():
        index = int(np.argmin(valid))
        raise ValueError(f"expected integer labels 0-9, got {flat[index : index + 1].tolist()[0]!r} at index {index} "
                         f"(labels dtype {labels.dtype})")
    T = np.full((flat.size, N_CLASSES), off, dtype=dtype)
    T[np.arange(flat.size), flat.astype(np.intp)] = on
    return T[0] if labels.ndim == 0 else T


# ---------------------------------------------------------------- command line

def store_in_cache(path):
    """Copy a verified MNIST file into :func:`cache_dir` (atomically, for ``make data``); the cached path."""
    path, name = Path(path), _mnist_name(path)
    target = cache_dir() / path.name
    if target.exists() and target.resolve() == path.resolve():
        return target
    if target.exists() and target.stat().st_size == path.stat().st_size:
        try:
            verify_file(target, name)
            return target  # already there and intact: nothing to copy
        except ValueError:
            pass  # a damaged copy: replace it below
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(target, suffix=".part", check=lambda tmp: verify_file(tmp, name)) as out, \
            open(path, "rb") as source:
        shutil.copyfileobj(source, out, _CHUNK)
    return target


def main(argv=None):
    """``python -m bpcourse.core.data [--data-dir DIR] [--store-in-cache]``: 0 if all four files are valid, else 1."""
    parser = argparse.ArgumentParser(prog="python -m bpcourse.core.data",
                                     description="Find (or download) and verify the four MNIST files.")
    parser.add_argument("--data-dir", help="folder to look in first")
    parser.add_argument("--store-in-cache", action="store_true",
                        help=f"also copy the files into the per-user cache ({cache_dir()})")
    args = parser.parse_args(argv)
    try:
        found = find_mnist_files(FILE_NAMES, args.data_dir)
        for name in FILE_NAMES:
            path, description = found[name]
            array = verify_file(path, name)
            shape = " x ".join(str(d) for d in array.shape)
            print(f"{name}: {path}  ({description}; {shape}; sha256 ok)")
            if args.store_in_cache and Path(path).parent.resolve() != cache_dir().resolve():
                print(f"    and in the cache: {store_in_cache(path)}")
    except (OSError, ValueError) as err:  # MnistNotFoundError is an OSError
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
