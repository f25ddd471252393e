"""What a grading run has decided, kept per submission so that a stopped run can be resumed.

Each graded submission is written atomically to ``results/<name>.json`` under its content key: a SHA-256 of
the submitted file, the instructor's notebook, the grading options and the grader's own source. A result
whose key matches is reused; one with status ``grader error`` never is.
"""

import hashlib
import json
import os
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

import bpcourse
from bpcourse.core.atomic import atomic_write
from bpcourse.tools.checker import ExerciseScore

RESULTS_FOLDER = "results"
GRADER_ERROR = "grader error"


@lru_cache(maxsize=1)
def grader_fingerprint():
    """SHA-256 of every ``.py`` file of the installed ``bpcourse`` (the checks, the grader): a new grader regrades."""
    digest = hashlib.sha256(bpcourse.__version__.encode())
    root = Path(bpcourse.__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def content_key(instructor_path, submitted_path, options):
    """Hex SHA-256 of what decides a submission's grade (``options``: a JSON-able dict); a missing or
    unreadable submission has a key too."""
    digest = hashlib.sha256(grader_fingerprint().encode())
    digest.update(json.dumps(options, sort_keys=True).encode())
    digest.update(Path(instructor_path).read_bytes())
    if submitted_path is None:
        digest.update(b"\0missing")
        return digest.hexdigest()
    try:
        with open(submitted_path, "rb") as handle:
            digest.update(b"\0submitted\0")
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as error:
        digest.update(f"\0unreadable: {type(error).__name__}".encode())
    return digest.hexdigest()


def result_path(out_dir, student, notebook):
    """Where the result of ``student``'s ``notebook`` is kept (a file name that any student name can have)."""
    name = hashlib.sha256(os.fsencode(student) + b"\0" + notebook.encode()).hexdigest()[:32]
    return Path(out_dir) / RESULTS_FOLDER / f"{name}.json"


def save_result(out_dir, student, notebook, key, scores, problems):
    path = result_path(out_dir, student, notebook)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"student": student, "notebook": notebook, "key": key,
              "scores": [asdict(s) for s in scores], "problems": list(problems)}
    with atomic_write(path, "w", encoding="utf-8") as handle:
        json.dump(record, handle)


def load_result(out_dir, student, notebook, key):
    """``(scores, problems)`` kept for this submission under ``key``, or None (none kept, another key, unusable)."""
    try:
        record = json.loads(result_path(out_dir, student, notebook).read_text(encoding="utf-8"))
        if (record["key"], record["student"], record["notebook"]) != (key, student, notebook):
            return None
        scores = [ExerciseScore(**row) for row in record["scores"]]
        problems = [str(p) for p in record["problems"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if any(s.status == GRADER_ERROR for s in scores):
        return None
    return scores, problems
