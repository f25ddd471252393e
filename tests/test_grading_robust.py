"""The grader against what a class really hands in, graded for real in the sandbox: no submission ends the run,
every label names its cause, and the sandbox's writable file systems and processes are bounded.

One run of ``grade_folder`` over submissions of the small fixture notebook (sigmoid, 2 points; double,
3 points, tests/fixtures/grading/make_fixtures.py), made here: folder names no sheet can hold as they are,
an empty folder, a folder of non-notebooks, a notebook with a byte-order mark, one answer per label, and
probes of the sandbox's bounds whose ``double`` is right only when the probe got past its bound.
"""

import csv
import json
import os

import pytest

from bpcourse.tools.grading import display_name, grade_folder, read_sheet
from tests.fixtures.grading.make_fixtures import RIGHT_DOUBLE, RIGHT_SIGMOID, WRONG_SIGMOID, notebook
from tests.test_grading import SOURCE, require_sandbox

IF_PASSED = "\ndef double(x):\n    return np.asarray(x, dtype=np.float64) * (2 if PASSED else 3)\n"

PROBES = {
    # /dev/shm holds at most Limits.tmpfs_mb (64 MB): 200 MB must not fit
    "probe_shm": ("PASSED = False\ntry:\n    with open('/dev/shm/big', 'wb') as f:\n        for _ in range(200):\n"
                  "            f.write(b'x' * (1 << 20))\n    PASSED = True\nexcept OSError:\n    pass\n"),
    # the sandbox's root is read-only
    "probe_root": ("PASSED = False\ntry:\n    open('/written-here', 'w').write('x')\n    PASSED = True\n"
                   "except OSError:\n    pass\n"),
    # at most Limits.processes (64) processes at once
    "probe_processes": ("import os, time\nPASSED, children = False, []\ntry:\n    for _ in range(150):\n"
                        "        pid = os.fork()\n        if pid == 0:\n            time.sleep(2)\n            os._exit(0)\n"
                        "        children.append(pid)\n    PASSED = True\nexcept OSError:\n    pass\n"
                        "for pid in children:\n    os.waitpid(pid, 0)\n"),
}

LABELS = {  # student -> (double's solution cell, the status of nb98_double_check)
    "label_syntax": ("def double(x)\n    return 2 * x\n", "syntax error"),
    "label_memory": ("hog = np.ones(10**10)\n" + RIGHT_DOUBLE, "memory"),
    "label_timeout": ("import time\nwhile True:\n    time.sleep(1)\n", "timeout"),
    "label_kernel_died": ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", "kernel died"),
    "label_not_written": ("def double(x):\n    raise NotImplementedError()\n", "not written"),
    "label_wrong": ("def double(x):\n    return x + 2\n", "failed"),
}

ODD_NAMES = [os.fsdecode(b"caf\xe9-windows-zip"), "two\nlines", "line\u2028separator", "plain"]


def write(folder, name, sigmoid, double, bom=False):
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(notebook(sigmoid, double))
    (folder / name).write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    require_sandbox()
    root = tmp_path_factory.mktemp("robust")
    submitted = root / "submitted"
    submitted.mkdir()
    for name in ODD_NAMES:
        write(submitted / name, "98_fixture.ipynb", RIGHT_SIGMOID, RIGHT_DOUBLE)
    write(submitted / "with_bom", "98_fixture.ipynb", RIGHT_SIGMOID, RIGHT_DOUBLE, bom=True)
    (submitted / "empty").mkdir()
    (submitted / "not_notebooks").mkdir()
    (submitted / "not_notebooks" / "readme.txt").write_text("my homework is in the attachment")
    (submitted / "not_notebooks" / "98_fixture.ipynb.zip").write_bytes(b"PK\x03\x04")
    for student, probe in PROBES.items():
        write(submitted / student, "98_fixture.ipynb", WRONG_SIGMOID, probe + IF_PASSED)
    for student, (double, _) in LABELS.items():
        write(submitted / student, "98_fixture.ipynb", WRONG_SIGMOID, double)
    sheet = root / "grades"
    grade_folder(submitted, SOURCE, sheet, cell_timeout=15, echo=lambda *a, **k: None)
    status, rows = read_sheet(sheet)
    return status, {(r["student"], r["exercise"]): r for r in rows}, sheet


def test_the_run_finishes_with_every_student(graded):
    status, rows, _ = graded
    students = {student for student, _ in rows}
    expected = {display_name(n) for n in ODD_NAMES} | {"with_bom", "empty", "not_notebooks"} | set(PROBES) | set(LABELS)
    assert students == expected
    assert (status["state"], status["graded"], status["total"]) == ("finished", len(expected), len(expected))


def test_odd_folder_names_are_graded_and_written_on_one_line(graded):
    _, rows, sheet = graded
    for name in ODD_NAMES:
        shown = display_name(name)
        assert "\n" not in shown and "\u2028" not in shown
        assert float(rows[(shown, "nb98_double_check")]["score"]) == 3, shown
    assert display_name(ODD_NAMES[0]) == "caf\\xe9-windows-zip"
    assert len((sheet / "grades.csv").read_text(encoding="utf-8").splitlines()) == 1 + len(rows), "one line per row"


def test_a_byte_order_mark_an_empty_folder_and_non_notebooks(graded):
    _, rows, _ = graded
    assert float(rows[("with_bom", "nb98_double_check")]["score"]) == 3
    for student in ("empty", "not_notebooks"):
        assert rows[(student, "nb98_double_check")]["status"] == "missing notebook"


@pytest.mark.parametrize("student", sorted(PROBES))
def test_the_sandbox_bounds_hold(graded, student):
    _, rows, _ = graded
    row = rows[(student, "nb98_double_check")]
    assert float(row["score"]) == 0 and row["status"] == "failed", row


@pytest.mark.parametrize("student", sorted(LABELS))
def test_each_label_names_its_cause(graded, student):
    _, rows, _ = graded
    row = rows[(student, "nb98_double_check")]
    assert (float(row["score"]), row["status"]) == (0, LABELS[student][1]), row
    assert rows[(student, "nb98_sigmoid_check")]["status"] == "failed", "the other exercise keeps its own label"


def test_the_notebook_s_time_is_a_budget(tmp_path):
    """A notebook whose cells each stay under the cell time-out but together exceed the budget is stopped."""
    require_sandbox()
    slow = "import time\ntime.sleep(6)\n"
    write(tmp_path / "submitted" / "slow", "98_fixture.ipynb", slow + RIGHT_SIGMOID, slow + RIGHT_DOUBLE)
    out = tmp_path / "grades"
    grade_folder(tmp_path / "submitted", SOURCE, out, cell_timeout=10, notebook_timeout=9,
                 echo=lambda *a, **k: None)
    rows = {r["exercise"]: r for r in csv.DictReader((out / "grades.csv").open(encoding="utf-8"))}
    assert rows["nb98_double_check"]["status"] == "timeout", rows
    assert "time budget of 9 s" in rows["nb98_double_check"]["message"]
