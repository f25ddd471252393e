"""``grade_folder(..., jobs=N)`` grades submissions at once, each in its own child and sandbox, with the rows of
``jobs=1``; ``job_count`` lowers N to what the machine's memory holds."""

import csv
import time

import pytest

from bpcourse.tools.grading import grade_folder
from bpcourse.tools.grading_jobs import job_count
from bpcourse.tools.kernel import Limits
from tests.fixtures.grading.make_fixtures import RIGHT_DOUBLE, RIGHT_SIGMOID, WRONG_SIGMOID
from tests.test_grading import SOURCE, require_sandbox
from tests.test_grading_robust import write

CLASS = {  # student -> (sigmoid's solution cell, double's solution cell)
    "ada": (RIGHT_SIGMOID, RIGHT_DOUBLE),
    "bob": (WRONG_SIGMOID, RIGHT_DOUBLE),
    "cy": (RIGHT_SIGMOID, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"),
    "dee": ("import time\ntime.sleep(2)\n" + RIGHT_SIGMOID, "def double(x):\n    return x + 2\n"),
}


def grade(folder, out, jobs):
    start = time.monotonic()
    grade_folder(folder, SOURCE, out, cell_timeout=20, echo=lambda *a, **k: None, jobs=jobs)
    return list(csv.DictReader((out / "grades.csv").open(encoding="utf-8"))), time.monotonic() - start


def test_two_jobs_give_every_row_of_one_job_in_the_same_order(tmp_path):
    require_sandbox()
    for student, (sigmoid, double) in CLASS.items():
        write(tmp_path / "submitted" / student, "98_fixture.ipynb", sigmoid, double)
    one, _ = grade(tmp_path / "submitted", tmp_path / "one", jobs=1)
    two, _ = grade(tmp_path / "submitted", tmp_path / "two", jobs=2)
    assert [r["student"] for r in one] == [s for s in sorted(CLASS) for _ in range(2)]
    assert {(r["student"], r["exercise"]): r["status"] for r in one} == {
        ("ada", "nb98_sigmoid_check"): "ok", ("ada", "nb98_double_check"): "ok",
        ("bob", "nb98_sigmoid_check"): "failed", ("bob", "nb98_double_check"): "ok",
        ("cy", "nb98_sigmoid_check"): "ok", ("cy", "nb98_double_check"): "kernel died",
        ("dee", "nb98_sigmoid_check"): "ok", ("dee", "nb98_double_check"): "failed"}
    assert two == one  # every column of every row, in the same order


def test_the_job_count_is_the_cores_by_default_and_fits_in_memory(monkeypatch):
    monkeypatch.setattr("bpcourse.tools.grading_jobs.os.cpu_count", lambda: 6)
    monkeypatch.setattr("bpcourse.tools.grading_jobs.available_memory", lambda: 64 << 30)
    assert job_count(None, Limits()) == (6, None)
    count, note = job_count(None, Limits(memory_mb=16 << 10))  # 16 GB per kernel, plus 3 x 64 MB
    assert count == 3 and "not 6" in note and "--memory-mb" in note
    monkeypatch.setattr("bpcourse.tools.grading_jobs.available_memory", lambda: 1 << 30)
    assert job_count(4, Limits())[0] == 1  # never fewer than one
    with pytest.raises(ValueError, match="--jobs to be a positive int"):
        job_count(0, Limits())
