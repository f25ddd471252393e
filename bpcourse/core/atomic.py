"""Write a file so that nobody ever sees it half-written.

The bytes go to a temporary file in the target's own folder (so the rename
stays on one file system), are flushed to disk, and the temporary file is then
renamed over the target with ``os.replace``, which is atomic: a reader sees
the old file or the new one, never a mix. If anything fails on the way, the
temporary file is removed and the old target is left as it was.

Every writer in the package (checkpoints, downloads, notebooks, grade sheets,
HTML copies) goes through :func:`atomic_write` (the grade sheets through :func:`write_csv`).
"""

import contextlib
import csv
import glob
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "remove_stale_temporaries", "write_csv"]


@contextlib.contextmanager
def atomic_write(path, mode="wb", encoding=None, newline=None, suffix=".tmp", check=None):
    """Open a temporary file beside ``path`` (whose folder must exist); on a clean exit, rename it to ``path``.

    ``with atomic_write(path, "w", encoding="utf-8") as file: file.write(text)``; ``mode`` "wb" or
    "w", ``encoding`` and ``newline`` as for ``open``. ``check(temporary_path)``, if given, runs once
    the bytes are on disk: if it raises, nothing is renamed (a download is verified so). If the
    ``with`` block raises, the temporary file is deleted and ``path`` is untouched.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"expected mode 'wb' or 'w', got {mode!r}")
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"cannot write {path}: the folder {folder} does not exist")
    # the writer's process id in the name: remove_stale_temporaries knows a dead writer's leftovers
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.{os.getpid()}.", suffix=suffix)
    try:
        os.fchmod(descriptor, 0o666 & ~_umask())  # mkstemp's 0600 -> what open() would have made
        with os.fdopen(descriptor, mode, encoding=encoding, newline=newline) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        if check is not None:
            check(Path(temporary))
        os.replace(temporary, path)  # atomic: the old file or the new one, never half
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_csv(path, rows):
    """Write ``rows`` (lists of cells) as the CSV file ``path``, atomically, making its folder if missing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _umask():
    """The process's umask (read by setting it, then putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def remove_stale_temporaries(path, suffix=".tmp"):
    """Delete the temporary files that killed writers of ``path`` left (``kill -9``, power loss); the paths deleted.

    A temporary file of :func:`atomic_write` is named ``.<name>.<pid>.<random><suffix>``: one whose
    process no longer runs is deleted, one of a live writer is left alone.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    removed = []
    for candidate in folder.glob(f".{glob.escape(path.name)}.*{suffix}"):
        pid = candidate.name[len(path.name) + 2:].split(".", 1)[0]
        if not pid.isdigit() or process_running(int(pid)):
            continue
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()
            removed.append(candidate)
    return removed


def process_running(pid):
    """Whether the process ``pid`` runs on this machine (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
