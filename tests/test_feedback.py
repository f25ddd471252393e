"""The feedback page: the learner's code, scores and messages, escaped; nothing of the solutions or hidden tests.

Built from the grading fixture (tests/fixtures/grading/source/98_fixture.ipynb: ``nb98_sigmoid_check``
2 points, ``nb98_double_check`` 3 points with a hidden test) and ExerciseScore rows made by hand.
"""

import json
import re
from html import escape, unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bpcourse.tools.checker import STATUSES, ExerciseScore
from bpcourse.tools.feedback import STATUS_WORDS, feedback_page, write_feedback
from bpcourse.tools.student import make_student_notebook
from bpcourse.tools.submission import read_notebook
from tests.fixtures.grading.make_fixtures import RIGHT_DOUBLE, RIGHT_SIGMOID, WRONG_DOUBLE, WRONG_SIGMOID, notebook

SOURCE = Path(__file__).resolve().parent / "fixtures" / "grading" / "source" / "98_fixture.ipynb"
NAME = SOURCE.name
INJECTION = "</pre></code><script>alert(1)</script><img src=x onerror=alert(2)>"


def row(exercise, score, max_score, status, message="", review=""):
    return ExerciseScore("ann", NAME, exercise, score, max_score, status, message, review)


WRONG_ROWS = [row("nb98_sigmoid_check", 0, 2, "failed", "sigmoid(0) should be 0.5, got 0.0\nhint: tanh is not the sigmoid"),
              row("nb98_double_check", 0, 3, "failed", "double(3) should be 6")]
PROBLEMS = [f"{NAME}: cell 6: the cell ran longer than 15 s and was stopped"]


def submit(tmp_path, sigmoid, double, name=NAME):
    path = tmp_path / name
    path.write_text(json.dumps(notebook(sigmoid, double)), encoding="utf-8")
    return path


def secret_lines():
    """Stripped lines between the instructor's BEGIN/END SOLUTION and HIDDEN TESTS markers, not in the student version."""
    instructor = read_notebook(SOURCE)
    handed_out = {line.strip() for cell in make_student_notebook(instructor, NAME)["cells"]
                  for line in cell["source"].splitlines()}
    secrets, inside = set(), False
    for cell in instructor["cells"]:
        for line in cell["source"].splitlines():
            marker = re.fullmatch(r"\s*#*\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)\s*", line)
            if marker:
                inside = marker[1] == "BEGIN"
            elif inside and line.strip() and line.strip() not in handed_out:
                secrets.add(line.strip())
    return secrets


def leaks(page):
    """The secret lines (and marker words) that ``page`` shows, as markup or as escaped text."""
    text = unescape(page)
    return sorted(s for s in secret_lines() | {"BEGIN SOLUTION", "HIDDEN TESTS"} if s in page or s in text)


class Tags(HTMLParser):
    """Every start tag and attribute name of a page."""

    def __init__(self, page):
        super().__init__()
        self.tags, self.attributes = set(), set()
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def test_the_secrets_are_known_and_the_leak_check_sees_them():
    secrets = secret_lines()
    assert "e = np.exp(-np.abs(x))" in secrets  # a solution line
    assert "assert np.allclose(double(np.array([-1.5, 0.0, 2.0])), [-3.0, 0.0, 4.0])" in secrets  # the hidden test
    assert len(secrets) == 5
    assert len(leaks(escape(SOURCE.read_text(encoding="utf-8")))) == 7  # an instructor's notebook pasted in is caught


@pytest.mark.parametrize("kind", ["wrong answers", "right answers", "missing", "unreadable"])
def test_no_solution_or_hidden_test_reaches_the_page(tmp_path, kind):
    if kind == "missing":
        submitted = None
    elif kind == "unreadable":
        submitted = tmp_path / NAME
        submitted.write_text('{"cells": [{"cell_type": "code", "sour')
    else:
        submitted = submit(tmp_path, *((WRONG_SIGMOID, WRONG_DOUBLE) if kind == "wrong answers" else (RIGHT_SIGMOID, RIGHT_DOUBLE)))
    assert leaks(feedback_page("ann", SOURCE, submitted, WRONG_ROWS, PROBLEMS)) == []


def test_the_page_shows_the_learners_code_scores_messages_and_problems(tmp_path):
    page = feedback_page("ann", SOURCE, submit(tmp_path, WRONG_SIGMOID, RIGHT_DOUBLE), [
        row("nb98_sigmoid_check", 0, 2, "failed", WRONG_ROWS[0].message),
        row("nb98_double_check", 3, 3, "ok", "", "copy? 93% like bob's")], PROBLEMS)
    for line in (WRONG_SIGMOID + RIGHT_DOUBLE).splitlines():
        assert escape(line) in page
    assert "Your answer (nb98_sigmoid)" in page and "Your answer (nb98_double)" in page
    assert "<b>0 / 2 points: no points</b> (failed)" in page
    assert "<b>3 / 3 points: full marks</b> (passed)" in page
    assert "Total: <b>3 / 5</b> points" in page
    assert escape(WRONG_ROWS[0].message) in page  # multi-line, preformatted
    assert "Review: " + escape("copy? 93% like bob's") in page
    assert escape(PROBLEMS[0]) in page
    assert escape('assert double(3) == 6, "double(3) should be 6"') in page  # the visible test
    assert "<p>Write the sigmoid (eq. 1.2).</p>" in page  # Markdown rendered
    assert "twice 2 is" in page  # an ordinary code cell


def test_the_table_links_every_exercise_to_its_cell(tmp_path):
    page = feedback_page("ann", SOURCE, submit(tmp_path, WRONG_SIGMOID, WRONG_DOUBLE), WRONG_ROWS, [])
    links = re.findall(r'<a href="#(cell-\d+)">(\w+)</a>', page)
    assert links == [("cell-3", "nb98_sigmoid_check"), ("cell-5", "nb98_double_check")]
    for anchor, grade_id in links:
        assert re.search(f'id="{anchor}"><div class="label">Check {grade_id} ', page)
    assert "Problems while grading" not in page  # none


def test_what_comes_from_the_learner_is_text_never_markup(tmp_path):
    submitted = submit(tmp_path, WRONG_SIGMOID + "# " + INJECTION + "\n", WRONG_DOUBLE)
    rows = [row("nb98_sigmoid_check", 0, 2, "failed", "got " + INJECTION), row("nb98_double_check", 0, 3, "borrowed",
                                                                          "BORROWED ANSWER", INJECTION)]
    page = feedback_page("<b>ann</b>" + INJECTION, SOURCE, submitted, rows, [INJECTION])
    tags = Tags(page)
    assert "script" not in tags.tags and "img" not in tags.tags and "onerror" not in tags.attributes
    assert page.count(escape(INJECTION)) == 6  # code, name (title and heading), message, review, problem
    assert "<b>ann</b>" not in page and escape("<b>ann</b>") in page


def test_the_page_is_self_contained(tmp_path):
    instructor = read_notebook(SOURCE)
    instructor["cells"][1]["source"] += "\n\n![a diagram](https://example.com/d.png) <img src=x> $w_{ji}$ and $\\eta_i$"
    source = tmp_path / "source" / NAME
    source.parent.mkdir()
    source.write_text(json.dumps(instructor), encoding="utf-8")
    page = feedback_page("ann", source, submit(tmp_path, WRONG_SIGMOID, WRONG_DOUBLE), WRONG_ROWS, [])
    tags = Tags(page)
    assert tags.tags <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "b", "table", "tr", "th",
                         "td", "a", "ul", "li", "section", "div", "pre", "code", "span", "em", "strong"}
    assert "src" not in tags.attributes and "url(" not in page and "@import" not in page
    assert "[image: a diagram]" in page and escape("<img src=x>") in page
    assert '<span class="math">$w_{ji}$</span> and <span class="math">$\\eta_i$</span>' in page  # _ is not emphasis


def test_a_missing_notebook_says_so_and_shows_the_handed_out_cells():
    rows = [row("nb98_sigmoid_check", 0, 2, "missing notebook"), row("nb98_double_check", 0, 3, "missing notebook")]
    page = feedback_page("ann", SOURCE, None, rows, [])
    assert f"You handed in no notebook {NAME}" in page
    assert page.count("Nothing of yours to show") == 2
    assert page.count("raise NotImplementedError()") == 2
    assert "(no notebook was handed in)" in page and "Total: <b>0 / 5</b>" in page


def test_an_unreadable_file_says_so_with_the_error(tmp_path):
    submitted = tmp_path / NAME
    submitted.write_bytes(b"\xff\xfe not json")
    rows = [row("nb98_sigmoid_check", 0, 2, "unreadable", "not a notebook"), row("nb98_double_check", 0, 3, "unreadable")]
    page = feedback_page("ann", SOURCE, submitted, rows, [f"{NAME}: not a notebook"])
    assert f"Your file {NAME} could not be read (not a notebook: UnicodeDecodeError" in page
    assert "(your file could not be read)" in page
    assert page.count("Nothing of yours to show") == 2


def test_a_submission_without_a_solution_cell_is_graded_with_the_handed_out_cell(tmp_path):
    submitted = tmp_path / NAME
    handed_in = notebook(WRONG_SIGMOID, RIGHT_DOUBLE)
    del handed_in["cells"][2]  # the sigmoid's cell
    submitted.write_text(json.dumps(handed_in), encoding="utf-8")
    page = feedback_page("ann", SOURCE, submitted, WRONG_ROWS, [])
    assert "Your notebook has no cell with grade id nb98_sigmoid: the handed-out cell was graded instead." in page
    assert page.count("raise NotImplementedError()") == 1
    assert escape(RIGHT_DOUBLE.splitlines()[1]) in page


def test_a_cell_without_a_row_is_not_graded_and_a_partial_score_is_said(tmp_path):
    page = feedback_page("ann", SOURCE, submit(tmp_path, RIGHT_SIGMOID, WRONG_DOUBLE),
                         [row("nb98_sigmoid_check", 1.5, 2, "failed", "half")], [])
    assert "<b>0 / 3 points: not graded</b>" in page and '<td class="n">0 / 3</td><td>not graded</td>' in page
    assert '<div class="verdict partial"><b>1.5 / 2 points: part of the points</b> (failed)' in page
    assert "Total: <b>1.5 / 5</b> points" in page


def test_every_status_has_words():
    assert set(STATUSES) - set(STATUS_WORDS) == set()


def test_write_feedback_writes_the_page_and_leaves_no_temporary_file(tmp_path):
    lone_surrogate = "def sigmoid(x):\n    return '\ud800'\n"  # valid JSON (\\ud800), not encodable in UTF-8
    page = feedback_page("ann", SOURCE, submit(tmp_path, lone_surrogate, WRONG_DOUBLE), WRONG_ROWS, [])
    target = tmp_path / "feedback" / "ann" / "98_fixture.html"
    write_feedback(target, page)
    assert target.read_text(encoding="utf-8") == page
    assert "return &#x27;\\ud800&#x27;" in page
    assert [p.name for p in target.parent.iterdir()] == ["98_fixture.html"]
    write_feedback(target, "second")
    assert target.read_text(encoding="utf-8") == "second"
    assert [p.name for p in target.parent.iterdir()] == ["98_fixture.html"]
