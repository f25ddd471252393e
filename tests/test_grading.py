"""The grader against hostile and broken submissions, graded for real.

tests/fixtures/grading/ holds one small instructor notebook (sigmoid, 2 points,
checked by the course's ``check_sigmoid``; double, 3 points, with a hidden
test) and one submission per attack (see make_fixtures.py there). They are
graded once, in the sandbox, through ``grade_folder``; the tests then check
every student's score (an honest student, graded after all the attackers,
keeps full marks), that the checkout is unchanged, and that the grade sheet is
complete and current. A second, smaller run without the sandbox shows that
the verdicts and the run survive even then.
"""

import csv
import hashlib
import html
import io
import json
import os
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote

import pytest

import bpcourse
from bpcourse.tools import grading
from bpcourse.tools.cli import main as bpcourse_main
from bpcourse.tools.checker import STATUSES
from bpcourse.tools.grading import grade_folder, read_sheet
from bpcourse.tools.kernel import sandbox_problem

CHECKOUT = Path(__file__).resolve().parents[1]
FIXTURES = CHECKOUT / "tests" / "fixtures" / "grading"
SOURCE, SUBMITTED = FIXTURES / "source", FIXTURES / "submitted"
CELL_TIMEOUT = 20  # seconds per cell: generous on a loaded 2-core machine; one attacker spends it once

# student -> (sigmoid points, double points, what the status of the zero starts with)
EXPECTED = {
    "a_rebind_check": (0, 0),
    "b_patch_package": (0, 0),
    "c_input_transformer": (0, 0),
    "d_edit_checks": (0, 0),
    "e_read_instructor": (0, 0),
    "f_list_students": (0, 0),
    "g_overwrite_other": (0, 0),
    "h_kill_grader": (2, 0),  # its sigmoid is right: killing (trying to) costs it nothing else
    "i_bad_metadata": (0, 3),  # its sigmoid cell's metadata is broken (counts as missing), its double is right
    "j_sigint_loop": (0, 3),  # sigmoid loops ignoring SIGINT: timeout, restart, double graded in its own time
    "k_resources": (0, 0),
    "l_broken_json": (0, 0),
    "y_absent": (0, 0),
    "z_honest": (2, 3),
}



def require_sandbox():
    """Skip (on a developer's machine) or fail (in CI) when bubblewrap cannot run here."""
    problem = sandbox_problem()
    if problem is None:
        return
    message = f"no sandbox here: {problem} (as root: make sandbox-deps)"
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true: " + message)
    pytest.skip(message)


def git_status():
    result = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=CHECKOUT,
                            capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else None


def digests():
    """SHA-256 of every fixture file and of the package's sources (what attackers try to change)."""
    paths = sorted(FIXTURES.rglob("*")) + sorted(Path(bpcourse.__file__).parent.rglob("*.py"))
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    require_sandbox()
    out = tmp_path_factory.mktemp("grading") / "grades"
    out.mkdir()
    (out / "grades.csv").write_text("student,notebook,exercise,score,max_score,status\nold,01.ipynb,x,5,5,ok\n")
    before = (git_status(), digests())
    started = datetime.now(timezone.utc).replace(microsecond=0)
    snapshots, output = {}, io.StringIO()

    def echo(line=""):
        output.write(line + "\n")
        if line.startswith("grading "):  # the sheet as it is before each submission
            snapshots[line.split()[1]] = read_sheet(out)

    scores = grade_folder(SUBMITTED, SOURCE, out, cell_timeout=CELL_TIMEOUT, echo=echo)
    return {"scores": scores, "sheet": read_sheet(out), "sheet_text": (out / "grades.csv").read_text(encoding="utf-8"),
            "out": out,
            "before": before, "after": (git_status(), digests()),
            "started": started, "snapshots": snapshots, "output": output.getvalue()}


def points(rows, student):
    mine = {r["exercise"]: r for r in rows if r["student"] == student}
    return float(mine["nb98_sigmoid_check"]["score"]), float(mine["nb98_double_check"]["score"])


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_submission_gets_exactly_its_points(graded, student):
    assert points(graded["sheet"][1], student) == EXPECTED[student]


def test_statuses_name_what_happened(graded):
    rows = {(r["student"], r["exercise"]): r for r in graded["sheet"][1]}
    assert rows[("j_sigint_loop", "nb98_sigmoid_check")]["status"] == "timeout"
    broken = rows[("l_broken_json", "nb98_double_check")]
    assert broken["status"] == "unreadable" and broken["message"].startswith("not a notebook")
    assert rows[("y_absent", "nb98_double_check")]["status"] == "missing notebook"
    assert "File too large" in rows[("k_resources", "nb98_double_check")]["message"], "output must be capped"
    assert rows[("i_bad_metadata", "nb98_sigmoid_check")]["status"] == "not written"
    assert rows[("z_honest", "nb98_sigmoid_check")]["status"] == "ok"
    assert {r["status"] for r in rows.values()} <= set(STATUSES)


def test_the_checkout_and_the_package_are_unchanged(graded):
    assert graded["before"][1] == graded["after"][1], "a fixture or a package file changed"
    if graded["before"][0] is None:
        pytest.skip("not a git checkout: git status cannot be compared (the file digests above were)")
    assert graded["after"][0] == graded["before"][0]


def test_the_grade_sheet_is_complete_and_dated(graded):
    status, rows = graded["sheet"]
    assert len(rows) == 2 * len(EXPECTED)
    assert {r["student"] for r in rows} == set(EXPECTED), "the old sheet's rows must be gone"
    assert (status["state"], status["graded"], status["total"]) == ("finished", len(EXPECTED), len(EXPECTED))
    assert datetime.fromisoformat(status["started"]) >= graded["started"], "the status must name this run's start"
    assert datetime.fromisoformat(status["finished"]) >= datetime.fromisoformat(status["started"])
    assert list(rows[0]) == grading.SHEET_COLUMNS


def test_the_grade_sheet_is_a_plain_csv(graded):
    """Header row first, no comment line: what pandas.read_csv, a spreadsheet and an LMS import expect."""
    text = graded["sheet_text"]
    assert text.splitlines()[0] == ",".join(grading.SHEET_COLUMNS)
    rows = list(csv.reader(io.StringIO(text)))
    assert all(len(r) == len(grading.SHEET_COLUMNS) for r in rows) and len(rows) == 1 + 2 * len(EXPECTED)


def test_the_sheet_is_rewritten_after_every_submission(graded):
    snapshots = graded["snapshots"]
    status, rows = snapshots["a_rebind_check"]
    assert (status["graded"], status["state"], rows) == (0, "in progress", []), "the old sheet is replaced at once"
    status, rows = snapshots["z_honest"]
    assert {r["student"] for r in rows} == set(EXPECTED) - {"z_honest"}
    assert (status["graded"], status["total"]) == (len(EXPECTED) - 1, len(EXPECTED))


def test_solutions_loading_code_are_marked_for_review_and_patching_is_just_wrong(graded):
    review = {(r["student"], r["exercise"]): r["review"] for r in graded["sheet"][1]}
    status = {(r["student"], r["exercise"]): r["status"] for r in graded["sheet"][1]}
    assert status[("b_patch_package", "nb98_sigmoid_check")] == "failed"  # patching its own kernel changed nothing
    assert "get_ipython" in review[("c_input_transformer", "nb98_sigmoid_check")]
    assert review[("z_honest", "nb98_sigmoid_check")] == review[("z_honest", "nb98_double_check")] == ""


def test_the_run_ends_with_a_one_line_summary(graded):
    last = graded["output"].strip().splitlines()[-1]
    assert last.startswith(f"{len(EXPECTED)} notebook-submissions of {len(EXPECTED)} students: {len(EXPECTED)} graded")
    assert "0 kept from an earlier run" in last and "summary.html" in last
    failed = int(last.split("; ")[1].split()[0])
    problems = {"timeout", "kernel died", "memory", "unreadable", "grader error"}
    with_problems = {r["student"] for r in graded["sheet"][1] if r["status"] in problems}
    assert {"j_sigint_loop", "l_broken_json"} <= with_problems, "a time-out and an unreadable file are problems"
    assert failed == len(with_problems), "the summary counts the submissions whose sheet rows name a problem"


def test_grading_refuses_without_a_sandbox_unless_told(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(grading, "sandbox_problem", lambda: "bubblewrap (`bwrap`) is not installed")
    code = bpcourse_main(["grade", str(SUBMITTED), "--source", str(SOURCE), "--out", str(tmp_path / "g")])
    assert code == 2
    err = capsys.readouterr().err
    assert "bwrap" in err and "--no-sandbox" in err and "read and change your files" in err
    assert not (tmp_path / "g").exists()


def test_without_the_sandbox_verdicts_and_the_run_still_hold(tmp_path, capsys):
    """--no-sandbox: a rebinding attacker still gets nothing, and a killed child costs only its submission."""
    submitted = tmp_path / "submitted"
    for student in ("a_rebind_check", "h_kill_grader", "z_honest"):
        shutil.copytree(SUBMITTED / student, submitted / student)
    out = tmp_path / "grades"
    code = bpcourse_main(["grade", str(submitted), "--source", str(SOURCE), "--out", str(out),
                          "--cell-timeout", str(CELL_TIMEOUT), "--no-sandbox"])
    assert code == 0
    assert "WITHOUT a sandbox" in capsys.readouterr().out
    status, rows = read_sheet(out)
    assert points(rows, "a_rebind_check") == (0, 0)
    assert points(rows, "z_honest") == (2, 3)
    killed = [r for r in rows if r["student"] == "h_kill_grader"]
    assert len(killed) == 2 and all(float(r["score"]) == 0 for r in killed)  # its kernel killed its own grader
    assert any(r["status"] == "grader error" for r in killed)
    assert (status["state"], status["graded"], status["total"], status["sandboxed"]) == ("finished", 3, 3, False)


def test_command_line_refuses_an_empty_folder(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert bpcourse_main(["grade", str(tmp_path / "empty"), "--source", str(tmp_path), "--no-sandbox"]) == 2
    assert "no student folders" in capsys.readouterr().err


def test_command_line_refuses_a_bad_timeout(tmp_path, capsys):
    assert bpcourse_main(["grade", str(tmp_path), "--cell-timeout", "0", "--no-sandbox"]) == 2
    assert "--cell-timeout must be a positive number" in capsys.readouterr().err


def test_the_run_folder_holds_every_report(graded):
    """The wide sheet, a feedback page per student and notebook, the summary and the similarity report."""
    out = graded["out"]
    with open(out / grading.WIDE_SHEET_FILE, newline="", encoding="utf-8") as handle:
        wide = list(csv.DictReader(handle))
    assert [r["student"] for r in wide] == sorted(EXPECTED)
    for row in wide:
        assert float(row["total"]) == sum(EXPECTED[row["student"]])
    pages = sorted(p.relative_to(out / "feedback").as_posix() for p in (out / "feedback").rglob("*.html"))
    assert pages == [f"{student}/98_fixture.html" for student in sorted(EXPECTED)]
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert (out / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for link in re.findall(r'href="([^"#]+)"', summary):
        assert (out / unquote(html.unescape(link))).is_file(), f"summary.html links to a missing {link}"
    assert 'href="feedback/j_sigint_loop/98_fixture.html"' in summary, "a time-out needs a look"
    similar = (out / "similarity.html").read_text(encoding="utf-8")
    assert 'id="ex-nb98_sigmoid"' in similar and 'id="ex-nb98_double"' in similar, "a section per solution cell"


def test_no_hidden_test_reaches_a_feedback_page(graded):
    hidden = []
    for cell in json.loads((SOURCE / "98_fixture.ipynb").read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if "BEGIN HIDDEN TESTS" in source:
            block = source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
            hidden += [line.strip() for line in block.splitlines() if line.strip()]
    assert hidden, "the fixture has hidden tests"
    for page in (graded["out"] / "feedback").rglob("*.html"):
        text = html.unescape(page.read_text(encoding="utf-8"))
        assert "HIDDEN TESTS" not in text and not [line for line in hidden if line in text], page
