"""The class report: the wide sheet's rows, the exercise table's shares, who needs a look, the figure, the page."""

import csv
import os
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from bpcourse.tools.checker import ExerciseScore
from bpcourse.tools.class_report import (REASON_CHARACTERS, exercise_table, needs_a_look, summary_figure,
                                         write_summary, write_wide_sheet)
from bpcourse.tools.submission import display_name

NB1, NB2 = "01_single_neuron.ipynb", "02_forward.ipynb"
HOSTILE = "<script>alert(1)</script>"
DAN = os.fsdecode(b"d\xe4n")  # a Latin-1 folder name: not UTF-8, shown as d\xe4n
COPY_NOTE = "nb01_sigmoid: copy?: 93% like the instructor's solution"
BORROWED = "BORROWED ANSWER: nb02_net called the package's forward"
PROBLEM = "01_single_neuron.ipynb: cell 3 ran past 120 s, printing <img src=x onerror=alert(2)>"


@dataclass
class Copy:
    exercise: str
    student_a: str
    student_b: str
    similarity: float


def row(student, notebook, exercise, score, points, status="ok", message="", review=""):
    return ExerciseScore(student, notebook, exercise, score, points, status, message, review)


def class_scores():
    """4 students x 2 notebooks (2 and 3 exercises): ben's 02 is missing, a timeout, a copy note, a borrowed answer."""
    return [
        row("ana", NB1, "nb01_sigmoid_check", 2, 2), row("ana", NB1, "nb01_step_check", 1, 1),
        row("ana", NB2, "nb02_forward_check", 3, 3), row("ana", NB2, "nb02_net_check", 2, 2),
        row("ana", NB2, "nb02_delta_check", 1, 1),
        row("ben", NB1, "nb01_sigmoid_check", 1, 2, "failed", "half of it"),  # partial marks
        row("ben", NB1, "nb01_step_check", 0, 1, "failed", "expected 1, got 0"),
        *(row("ben", NB2, e, 0, p, "missing notebook")
          for e, p in (("nb02_forward_check", 3), ("nb02_net_check", 2), ("nb02_delta_check", 1))),
        row(HOSTILE, NB1, "nb01_sigmoid_check", 2, 2, review=COPY_NOTE),
        row(HOSTILE, NB1, "nb01_step_check", 0, 1, "timeout", "the cell ran past 120 s"),
        row(HOSTILE, NB2, "nb02_forward_check", 0.25, 3, "failed", "wrong"),  # partial, under 1
        row(HOSTILE, NB2, "nb02_net_check", 0, 2, "borrowed", BORROWED, "nb02_net_check: borrowed answer, 0 points"),
        row(HOSTILE, NB2, "nb02_delta_check", 1, 1),
        row(DAN, NB1, "nb01_sigmoid_check", 0, 2, "failed", "sign"), row(DAN, NB1, "nb01_step_check", 1, 1),
        row(DAN, NB2, "nb02_forward_check", 3, 3), row(DAN, NB2, "nb02_net_check", 2, 2),
        row(DAN, NB2, "nb02_delta_check", 0, 1, "failed", "off by one"),
    ]


COPIES = [Copy("nb02_forward", "ana", DAN, 0.97)]
PROBLEMS = {(HOSTILE, NB1): [PROBLEM]}


def links():
    return {(st, nb): f"feedback/{quote(display_name(st), safe='')}/{nb[:-6]}.html"
            for st in ("ana", "ben", HOSTILE, DAN) for nb in (NB1, NB2)}


class Page(HTMLParser):
    """What a browser would show of a page: its tables (rows of cell texts), links and sources."""

    def __init__(self, text):
        super().__init__()
        self.tables, self.anchors, self.sources, self.tags = [], [], [], set()
        self._href, self._in_cell = None, False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        self.sources += [attrs[k] for k in ("src", "href") if k in attrs]
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.tables[-1][-1].append("")
            self._in_cell = True
        elif tag == "a":
            self._href = attrs["href"]

    def handle_data(self, data):
        if self._href is not None:
            self.anchors.append((self._href, data))
        if self._in_cell:
            self.tables[-1][-1][-1] += data

    def handle_endtag(self, tag):
        if tag == "a":
            self._href = None
        elif tag in ("td", "th"):
            self._in_cell = False


def test_wide_sheet_has_a_row_per_student_and_nothing_else(tmp_path):
    path = tmp_path / "run" / "grades_wide.csv"  # the folder is made
    write_wide_sheet(class_scores(), path)
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["student", "01_single_neuron", "02_forward", "total"],
                    ["ana", "3", "6", "9"], ["ben", "1", "0", "1"], [HOSTILE, "2", "1.25", "3.25"],
                    ["d\\xe4n", "1", "5", "6"]]
    assert os.listdir(path.parent) == ["grades_wide.csv"]  # no temporary file left


def test_wide_sheet_leaves_a_notebook_without_rows_empty(tmp_path):
    scores = [row("ana", NB1, "nb01_step_check", 1, 1), row("ana", NB2, "nb02_net_check", 2, 2),
              row("ben", NB1, "nb01_step_check", 0, 1, "failed")]
    write_wide_sheet(scores, tmp_path / "wide.csv")
    rows = list(csv.reader((tmp_path / "wide.csv").read_text(encoding="utf-8").splitlines()))
    assert rows == [["student", "01_single_neuron", "02_forward", "total"], ["ana", "1", "2", "3"],
                    ["ben", "0", "", "0"]]


def test_exercise_table_shares_by_hand():
    table = exercise_table(class_scores())
    assert [(r["notebook"], r["exercise"], r["points"]) for r in table] == [
        (NB1, "nb01_sigmoid_check", 2), (NB1, "nb01_step_check", 1), (NB2, "nb02_forward_check", 3),
        (NB2, "nb02_net_check", 2), (NB2, "nb02_delta_check", 1)]
    # sigmoid: 2, 1, 2, 0 of 2; step: 1, 0, 0, 1; forward: 3, 0, 0.25, 3; net: 2, 0, 0, 2; delta: 1, 0, 1, 0
    np.testing.assert_allclose([r["mean"] for r in table], [1.25, 0.5, 1.5625, 1.0, 0.5], rtol=1e-12, atol=0)
    np.testing.assert_allclose([r["mean_share"] for r in table], [0.625, 0.5, 1.5625 / 3, 0.5, 0.5], rtol=1e-12, atol=0)
    assert [(r["full"], r["partial"], r["zero"]) for r in table] == [
        (2 / 4, 1 / 4, 1 / 4), (2 / 4, 0, 2 / 4), (2 / 4, 1 / 4, 1 / 4), (2 / 4, 0, 2 / 4), (2 / 4, 0, 2 / 4)]


def test_exercise_table_counts_a_student_without_rows_as_zero():
    scores = [row("ana", NB1, "nb01_step_check", 1, 1), row("ana", NB2, "nb02_net_check", 2, 2),
              row("ben", NB1, "nb01_step_check", 1, 1)]
    net = exercise_table(scores)[1]
    assert (net["exercise"], net["mean"], net["full"], net["partial"], net["zero"]) == ("nb02_net_check", 1, .5, 0, .5)


def test_needs_a_look_lists_exactly_who_and_why():
    look = needs_a_look(class_scores(), COPIES, PROBLEMS)
    assert look == [
        {"student": "ana", "notebook": NB2, "exercise": "nb02_forward",
         "reason": "copy?: solution nb02_forward 97% like d\\xe4n's"},
        {"student": HOSTILE, "notebook": NB1, "exercise": "nb01_sigmoid_check", "reason": COPY_NOTE},
        {"student": HOSTILE, "notebook": NB1, "exercise": "nb01_step_check",
         "reason": "timeout: the cell ran past 120 s"},
        {"student": HOSTILE, "notebook": NB1, "exercise": "", "reason": PROBLEM},
        {"student": HOSTILE, "notebook": NB2, "exercise": "nb02_net_check",
         "reason": f"borrowed: {BORROWED}; nb02_net_check: borrowed answer, 0 points"},
        {"student": DAN, "notebook": NB2, "exercise": "nb02_forward",
         "reason": "copy?: solution nb02_forward 97% like ana's"},
    ]  # ben (failed checks, a missing notebook) is not there: his sheet says it all


def test_needs_a_look_gathers_the_exercises_of_one_reason_and_shortens_long_messages():
    scores = [row("ana", NB2, e, 0, 1, "kernel died", "the kernel died") for e in ("nb02_a_check", "nb02_b_check")]
    scores.append(row("ana", NB2, "nb02_c_check", 0, 1, "grader error", "x" * 5000))
    look = needs_a_look(scores, [], {})
    assert [(r["exercise"], r["reason"][:20]) for r in look] == [
        ("nb02_a_check, nb02_b_check", "kernel died: the ker"), ("nb02_c_check", "grader error: xxxxxx")]
    assert len(look[1]["reason"]) == len("grader error: ") + REASON_CHARACTERS + len("...")


def test_summary_figure_draws_the_shares_and_the_totals():
    scores = class_scores()
    table, figure = exercise_table(scores), summary_figure(scores)
    assert len(figure.axes) == 2
    for ax in figure.axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    bars, histogram = figure.axes
    assert bars.get_xlabel() == "share of students (%)" and histogram.get_ylabel() == "students"
    assert histogram.get_xlabel().startswith("total points")
    left = np.zeros(len(table))
    for container, kind in zip(bars.containers, ("full", "partial", "zero")):
        widths = [patch.get_width() for patch in container]
        np.testing.assert_allclose(widths, [100 * r[kind] for r in table], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose([patch.get_x() for patch in container], left, rtol=1e-12, atol=1e-12)
        left += widths
    np.testing.assert_allclose(left, 100, rtol=1e-12)  # each bar is the whole class
    np.testing.assert_allclose(bars.collections[0].get_offsets()[:, 0], [62.5, 50, 156.25 / 3, 50, 50], rtol=1e-12)
    assert bars.get_ylim()[0] > bars.get_ylim()[1]  # the first exercise on top
    assert [t.get_text() for t in bars.get_yticklabels()][0] == "nb01_sigmoid (2 pt)"
    assert sum(patch.get_height() for patch in histogram.patches) == 4  # every student counted once
    labels = [t.get_text() for legend in figure.legends for t in legend.get_texts()]
    assert labels == ["full marks", "partial marks", "zero", "mean score (% of points)"]


def test_summary_figure_stays_readable_with_26_exercises_and_200_students():
    rng = np.random.default_rng(0)
    scores = [row(f"s{i:03d}", f"{n:02d}_nb.ipynb", f"nb{n:02d}_exercise_{e}_check", float(rng.integers(0, 3)), 2)
              for i in range(200) for n in range(1, 9) for e in range(4 if n in (3, 6) else 3)]
    figure = summary_figure(scores)
    FigureCanvasAgg(figure).draw()
    renderer = figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in figure.axes[0].get_yticklabels()]
    assert len(boxes) == 26
    assert all(lower.y1 <= upper.y0 for upper, lower in zip(boxes, boxes[1:]))  # no label overlaps the next


def test_write_summary_writes_the_png_and_a_page_with_the_tables_and_links(tmp_path):
    out = tmp_path / "grades" / "run"  # made if needed
    paths = write_summary(out, class_scores(), COPIES, PROBLEMS, links(), similarity_page="similarity.html")
    assert paths == {"png": out / "summary.png", "html": out / "summary.html"}
    assert paths["png"].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert sorted(os.listdir(out)) == ["summary.html", "summary.png"]  # no temporary file left
    text = paths["html"].read_text(encoding="utf-8")
    page = Page(text)
    assert "4 students, 2 notebooks,\n5 exercises" in text
    assert "Mean total <b>4.8</b> of\n<b>9</b> points" in text  # (9 + 1 + 3.25 + 6) / 4
    exercises, notebooks, overview, look = page.tables  # the class first, then who needs a look
    assert look[0] == ["student", "notebook", "exercise", "reason"] and len(look) == 1 + 6
    assert look[3] == [HOSTILE, "01_single_neuron", "nb01_step_check", "timeout: the cell ran past 120 s"]
    assert overview[0] == ["student", "copy?", "time-out", "flag", "grading problem", "notebooks"]
    counts = {cells[0]: cells[1:5] for cells in overview[1:]}  # one row per student, the kinds of their reasons
    assert sum(sum(map(int, c)) for c in counts.values()) == len(look) - 1
    assert counts[HOSTILE][1] == "1" and len(counts) == len({cells[0] for cells in look[1:]})
    assert "<details><summary>Every reason (6)</summary>" in text
    assert exercises[2] == ["01_single_neuron", "nb01_step_check", "1", "0.50", "50", "50", "0", "50"]
    assert notebooks[1:] == [["01_single_neuron", "3", "1.75", "1", "3"], ["02_forward", "6", "3.06", "0", "6"]]
    assert ("feedback/ana/02_forward.html", "ana") in page.anchors
    assert (links()[HOSTILE, NB1], HOSTILE) in page.anchors
    assert ("feedback/d%5Cxe4n/02_forward.html", "d\\xe4n") in page.anchors
    assert ("similarity.html", "Similar solutions across the class") in page.anchors
    assert set(page.sources) == {"summary.png", "similarity.html", *(links()[key] for key in
                                 (("ana", NB2), (HOSTILE, NB1), (HOSTILE, NB2), (DAN, NB2)))}


def test_summary_page_shows_a_hostile_name_as_text_and_runs_nothing(tmp_path):
    write_summary(tmp_path, class_scores(), COPIES, PROBLEMS, links())
    text = (tmp_path / "summary.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "&lt;img src=x onerror=alert(2)&gt;" in text
    page = Page(text)
    assert [cells[3] for cells in page.tables[3] if cells[2] == ""] == [PROBLEM]  # shown as the text it is
    assert "script" not in page.tags and not {"link", "iframe", "object"} & page.tags
    assert not any("://" in source or source.startswith("/") for source in page.sources)
    assert [source for source in page.sources if not source.startswith("feedback/")] == ["summary.png"]
    assert not any("similarity" in href for href, _ in page.anchors)  # no similarity page given


@pytest.mark.parametrize("scores", [[], [row("ana", NB1, "nb01_step_check", 0, 0)]])
def test_write_summary_of_an_empty_class(tmp_path, scores):
    paths = write_summary(tmp_path, scores, [], {}, {})
    assert paths["png"].read_bytes().startswith(b"\x89PNG") and "<h1>Class summary</h1>" in paths["html"].read_text()
