"""The instructor's grading loop, as an instructor runs it, ending in a browser.

Student versions from ``bpcourse student``; three students fill them in (one
right, one half right, one who copies the first and renames its variables);
``bpcourse grade`` is killed (``kill -9``) after the first submission and
started again; then the class summary, a feedback page (reached by its link
in the summary) and the similarity report are opened from disk in headless
Chromium, checked as a person would read them, and photographed:
``build/screenshots/grading-summary.png``, ``grading-feedback.png``,
``grading-similarity.png``.
"""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from tests.test_grading import SOURCE, require_sandbox

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO / "build" / "screenshots"
NAME = "98_fixture.ipynb"
SLOW = "import time\ntime.sleep(2)\n"  # each submission takes a while, so that the kill lands halfway
ANN_SIGMOID = '''def sigmoid(x):
    values = np.asarray(x, dtype=np.float64)
    positive = values >= 0
    result = np.empty_like(values)
    result[positive] = 1.0 / (1.0 + np.exp(-values[positive]))
    exp_of_x = np.exp(values[~positive])
    result[~positive] = exp_of_x / (1.0 + exp_of_x)
    return result if result.ndim else float(result)
'''
CAT_SIGMOID = '''def sigmoid(x):
    # my own stable sigmoid
    z = np.asarray(x, dtype=np.float64)
    pos = z >= 0
    out = np.empty_like(z)
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out if out.ndim else float(out)
'''
CLASS = {  # student -> (sigmoid, double, points)
    "ann": (ANN_SIGMOID, SLOW + "def double(x):\n    return 2 * np.asarray(x, dtype=np.float64)\n", 5),
    "ben": ("def sigmoid(x):\n    return 1 / (1 + np.exp(x))\n",
            SLOW + "def double(x):\n    return x + x\n", 3),
    "cat": (CAT_SIGMOID, SLOW + "def double(x):\n    return x * 3\n", 2),
}


def fill(student_version, folder, sigmoid, double):
    """The student version with its two solution cells written, saved as ``folder/NAME``."""
    notebook = nbformat.read(student_version, as_version=4)
    answers = {"nb98_sigmoid": sigmoid, "nb98_double": double}
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / NAME)


def bpcourse(*args):
    return [sys.executable, "-m", "bpcourse.tools.cli", *map(str, args)]


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A run's folder, graded as an instructor would: hand out, fill, grade, kill, resume."""
    require_sandbox()
    work = tmp_path_factory.mktemp("class")
    subprocess.run(bpcourse("student", "--source", SOURCE, "--out", work / "build"), check=True)
    student_version = work / "build" / "student" / NAME
    assert "BEGIN SOLUTION" not in student_version.read_text(encoding="utf-8")
    for student, (sigmoid, double, _) in CLASS.items():
        fill(student_version, work / "submitted" / student, sigmoid, double)

    out = work / "grades"
    command = bpcourse("grade", work / "submitted", "--source", SOURCE, "--out", out, "--jobs", "1",
                       "--cell-timeout", "20")
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list((out / "results").glob("*.json")):
        assert run.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "no submission was graded in 120 s"
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert json.loads((out / "status.json").read_text())["state"] == "in progress"
    assert not (out / "summary.html").exists(), "a killed run writes no summary"

    resumed = subprocess.run(command, capture_output=True, text=True, check=True)
    last = resumed.stdout.strip().splitlines()[-1]
    assert "1 kept from an earlier run" in last or "2 kept from an earlier run" in last, last
    return out


def test_the_summary_shows_the_class_and_links_to_feedback(graded_class, chromium_context):
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page = chromium_context.new_page()
    try:
        page.goto((graded_class / "summary.html").as_uri())
        assert page.title() == "Class summary"
        assert page.evaluate("document.querySelector('img').naturalWidth") > 0, "summary.png is shown"
        body = page.inner_text("body")
        assert "3 students" in body
        assert "copy?" in body and "ann" in body and "cat" in body, "the copy is a reason to look"
        page.screenshot(path=str(SCREENSHOT_DIR / "grading-summary.png"), full_page=True)

        page.click("a[href='feedback/cat/98_fixture.html']")
        page.wait_for_load_state()
        assert page.title() == f"{NAME}: cat"
        body = page.inner_text("body")
        assert "Total: 2 / 5 points" in body
        assert "my own stable sigmoid" in body, "the learner's own code is on the page"
        assert "HIDDEN TESTS" not in body and "BEGIN SOLUTION" not in body
        page.screenshot(path=str(SCREENSHOT_DIR / "grading-feedback.png"), full_page=True)
    finally:
        page.close()


def test_the_similarity_report_shows_the_pair_side_by_side(graded_class, chromium_context):
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page = chromium_context.new_page()
    try:
        page.goto((graded_class / "summary.html").as_uri())
        page.click("text=Similar solutions across the class")
        page.wait_for_load_state()
        pair = page.locator(".pair").first
        text = pair.inner_text()
        assert "ann" in text and "cat" in text and "ben" not in text
        assert page.locator(".pair").count() == 1, "only the copy is flagged"
        assert pair.locator("mark").count() >= 2, "the shared code is highlighted on both sides"
        page.screenshot(path=str(SCREENSHOT_DIR / "grading-similarity.png"), full_page=True)
    finally:
        page.close()
