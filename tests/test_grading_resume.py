"""A grading run killed halfway (``kill -9``) and started again grades only what is missing; a submission changed
since is graded again, ``--force`` grades everything again, and the killed run leaves no process behind."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bpcourse.tools.cli import main as bpcourse_main
from tests.fixtures.grading.make_fixtures import RIGHT_DOUBLE, RIGHT_SIGMOID, WRONG_DOUBLE, WRONG_SIGMOID
from tests.test_grading import SOURCE, require_sandbox
from tests.test_grading_robust import write

SLOW = "import time\ntime.sleep(1.5)\n"  # each submission takes a while, so that the kill lands halfway
CLASS = {  # student -> (sigmoid, double, its points)
    "ann": (RIGHT_SIGMOID, SLOW + RIGHT_DOUBLE, 5),
    "ben": (WRONG_SIGMOID, SLOW + RIGHT_DOUBLE, 3),
    "cat": (RIGHT_SIGMOID, SLOW + WRONG_DOUBLE, 2),
    "dan": (WRONG_SIGMOID, SLOW + WRONG_DOUBLE, 0),
    "eve": (RIGHT_SIGMOID, SLOW + RIGHT_DOUBLE, 5),
}


def totals(out):
    points = {}
    for row in csv.DictReader((out / "grades.csv").open(encoding="utf-8")):
        points[row["student"]] = points.get(row["student"], 0) + float(row["score"])
    return points


def kept_results(out):
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in (out / "results").glob("*.json")}


def descendants(pid):
    """Every process below ``pid`` (from /proc), children first."""
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            queue += children
    return found


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def grade(submitted, out, *flags, capsys):
    code = bpcourse_main(["grade", str(submitted), "--source", str(SOURCE), "--out", str(out), "--jobs", "1",
                          "--cell-timeout", "20", *flags])
    assert code == 0
    return capsys.readouterr().out


def test_a_killed_run_resumes_without_losing_or_regrading_anything(tmp_path, capsys):
    require_sandbox()
    submitted, out = tmp_path / "submitted", tmp_path / "grades"
    for student, (sigmoid, double, _) in CLASS.items():
        write(submitted / student, "98_fixture.ipynb", sigmoid, double)

    run = subprocess.Popen([sys.executable, "-m", "bpcourse.tools.cli", "grade", str(submitted), "--source",
                            str(SOURCE), "--out", str(out), "--jobs", "1", "--cell-timeout", "20"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    # kill it halfway: two submissions graded and the next one being graded (the grader has a child; between
    # two submissions, while it writes the sheet, it has none)
    while True:
        assert run.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "no submission was graded in 120 s"
        graded, below = len(list((out / "results").glob("*.json"))), descendants(run.pid)
        if graded >= 2 and below:
            break
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait()
    status = json.loads((out / "status.json").read_text())
    assert status["state"] == "in progress" and 2 <= status["graded"] < len(CLASS), status
    before = kept_results(out)
    assert 2 <= len(before) < len(CLASS)
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in below) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in below if alive(pid)], "the killed grader's children and kernels must die with it"

    summary = grade(submitted, out, capsys=capsys)
    assert f"{len(CLASS) - len(before)} graded" in summary and f"{len(before)} kept from an earlier run" in summary
    after = kept_results(out)
    assert {name: after[name] for name in before} == before, "what was graded before the kill is kept as it was"
    assert len(after) == len(CLASS)
    assert totals(out) == {student: points for student, (_, _, points) in CLASS.items()}
    status = json.loads((out / "status.json").read_text())
    assert (status["state"], status["graded"], status["total"]) == ("finished", len(CLASS), len(CLASS))
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob(f"bpcourse-job-{run.pid}-*")), \
        "the killed run's throwaway folders are swept"

    # A changed submission is graded again, and only it.
    write(submitted / "dan", "98_fixture.ipynb", RIGHT_SIGMOID, RIGHT_DOUBLE)
    summary = grade(submitted, out, capsys=capsys)
    assert "1 graded" in summary and f"{len(CLASS) - 1} kept from an earlier run" in summary
    assert totals(out)["dan"] == 5

    # --force grades everything again.
    summary = grade(submitted, out, "--force", capsys=capsys)
    assert f"{len(CLASS)} graded" in summary and "0 kept from an earlier run" in summary
    assert totals(out)["dan"] == 5 and totals(out)["ann"] == 5
