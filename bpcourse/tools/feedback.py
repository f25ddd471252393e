"""One HTML feedback page per student and notebook, like nbgrader's ``generate_feedback``.

The page is built from the STUDENT VERSION of the instructor's notebook, so no line of a solution or a hidden
test can reach it: Markdown rendered (raw HTML escaped, images as their description), the learner's own code in
each solution cell, each graded cell with its visible tests and a verdict box; at the top the total, the exercises
and the run's problems. Everything from the learner is escaped; inline CSS, no script, no external resource.
"""

from html import escape
from pathlib import Path

import mistune

from bpcourse.core.atomic import atomic_write
from bpcourse.tools.student import exercises, is_graded_cell, is_solution_cell, make_student_notebook, nbgrader_metadata
from bpcourse.tools.submission import SubmissionError, read_notebook, read_solutions

STATUS_WORDS = {
    "ok": "passed",
    "failed": "failed",
    "not written": "not written: the handed-out stub raised NotImplementedError",
    "borrowed": "borrowed answer: your function called the package's own version of the exercise",
    "syntax error": "your code is not valid Python",
    "timeout": "ran longer than its time limit and was stopped",
    "kernel died": "the kernel running your code died",
    "memory": "your code used more memory than allowed",
    "missing notebook": "no notebook was handed in",
    "unreadable": "your file could not be read",
    "manual grading needed": "to be graded by hand",
    "grader error": "the grader failed here (not your doing: the instructor will look)",
}  # every status of bpcourse.tools.checker.STATUSES, for the learner
MARKS = {"full": "full marks", "partial": "part of the points", "zero": "no points", "none": "not graded"}

_CSS = """body { font-family: sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; } td.n { text-align: right; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: 0.6em; overflow-x: auto; white-space: pre-wrap; }
.cell { margin: 1em 0; } .label { font-size: 0.85em; color: #555; font-weight: bold; }
.answer > pre { border-left: 4px solid #0072B2; } .note, .notice { background: #fff4e0; padding: 0.4em 0.6em; }
.verdict { border: 2px solid #999; padding: 0.4em 0.8em; margin-top: 0.4em; }
.verdict.full, tr.full td { border-color: #0072B2; background: #e6f1f8; }
.verdict.zero, .verdict.none, tr.zero td, tr.none td { border-color: #D55E00; background: #fbebe1; }
.verdict.partial, tr.partial td { border-color: #E69F00; background: #fdf3dd; }"""  # Okabe-Ito colours


class _OfflineRenderer(mistune.HTMLRenderer):
    """Mistune's HTML renderer with an image shown as its description: the page loads no resource."""

    def image(self, text, url, title=None):
        return f'<span class="image">[image: {text or escape(url)}]</span>'


_MARKDOWN = mistune.create_markdown(escape=True, renderer=_OfflineRenderer(escape=True),
                                    plugins=["math", "table", "strikethrough"])
# Math stays as the notebook writes it ($...$, no script renders it); the plugin keeps its _ and * from Markdown.
_MARKDOWN.renderer.register("inline_math", lambda renderer, text: f'<span class="math">${escape(text)}$</span>')
_MARKDOWN.renderer.register("block_math", lambda renderer, text: f'<div class="math">$${escape(text)}$$</div>\n')


def feedback_page(student, instructor_path, submitted_path, scores, problems) -> str:
    """The HTML feedback page of one student's (printable name) notebook, all of it encodable in UTF-8.
    ``submitted_path`` is None when nothing was handed in; ``problems`` are the run's, beyond single exercises."""
    name = Path(instructor_path).name
    version = make_student_notebook(read_notebook(instructor_path), name)
    solutions, notice = _solutions(submitted_path, name)
    rows = {row.exercise: row for row in scores}
    graded = [(index, grade_id, rows.get(grade_id), points) for index, grade_id, points in exercises(version)]
    score = sum(row.score for _, _, row, _ in graded if row is not None)
    total = sum(row.max_score if row is not None else points for _, _, row, points in graded)
    table = "\n".join(
        f'<tr class="{_mark(row)}"><td><a href="#cell-{index}">{escape(grade_id)}</a></td>'
        f'<td class="n">{_score(row, points)}</td><td>{escape(row.status if row else "not graded")}</td></tr>'
        for index, grade_id, row, points in graded)
    problem_list = "".join(f"<li><pre>{escape(p)}</pre></li>" for p in problems)
    cells = "\n".join(_cell(index, cell, solutions, notice, rows) for index, cell in enumerate(version["cells"]))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(name)}: {escape(student)}</title>
<style>{_CSS}</style></head><body>
<h1>Feedback on {escape(name)}</h1>
<p>Student: <b>{escape(student)}</b></p>
<p class="total">Total: <b>{score:g} / {total:g}</b> points</p>
{f'<p class="notice">{escape(notice)}</p>' if notice else ""}
<table><tr><th>Exercise</th><th>Score</th><th>Status</th></tr>
{table}
</table>
{f"<h2>Problems while grading</h2><ul>{problem_list}</ul>" if problems else ""}
<h2>Your notebook as it was graded</h2>
{cells}
</body></html>
"""
    return page.encode("utf-8", "backslashreplace").decode("utf-8")


def write_feedback(path, html):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "w", encoding="utf-8") as file:
        file.write(html)


def _solutions(submitted_path, name):
    """``({grade_id: learner's source}, notice)``; the notice says why there is nothing ("" when there is)."""
    if submitted_path is None:
        return {}, f"You handed in no notebook {name}: no exercise could earn points."
    try:
        return read_solutions(submitted_path), ""
    except SubmissionError as error:
        return {}, f"Your file {name} could not be read ({error}): no exercise could earn points."


def _cell(index, cell, solutions, notice, rows):
    """One cell of the student version as HTML, with the learner's answer or the verdict."""
    metadata, source = nbgrader_metadata(cell), cell.get("source", "")
    grade_id, points = metadata.get("grade_id", ""), metadata.get("points", 0)
    if is_solution_cell(cell):
        label, kind = f"Your answer ({grade_id})", "answer"
        if grade_id in solutions:
            body = _pre(solutions[grade_id])
        elif notice:
            body = '<p class="note">Nothing of yours to show (see the top of the page); the handed-out cell:</p>' + _pre(source)
        else:
            body = (f'<p class="note">Your notebook has no cell with grade id {escape(grade_id)}: '
                    "the handed-out cell was graded instead.</p>" + _pre(source))
    elif cell.get("cell_type") == "markdown":
        label, body, kind = "", _MARKDOWN(source), "markdown"
    elif is_graded_cell(cell):
        label, body, kind = f"Check {grade_id} ({points:g} points)", _pre(source), "check"
    else:
        label, body, kind = "Code", _pre(source), "code"
    if is_graded_cell(cell):
        body += _verdict(rows.get(grade_id), points)
    head = f'<div class="label">{escape(label)}</div>' if label else ""
    return f'<section class="cell {kind}" id="cell-{index}">{head}{body}</section>'


def _verdict(row, points):
    if row is None:
        return f'<div class="verdict none"><b>{_score(row, points)} points: not graded</b> (no grade for this cell)</div>'
    words = STATUS_WORDS.get(row.status, row.status)
    box = f'<div class="verdict {_mark(row)}"><b>{_score(row, points)} points: {MARKS[_mark(row)]}</b> ({escape(words)})'
    box += _pre(row.message) if row.message else ""
    box += f"<p>Review: {escape(row.review)}</p>" if row.review else ""
    return box + "</div>"


def _mark(row):
    """``"full"``, ``"partial"``, ``"zero"`` or ``"none"`` (no row): a verdict's CSS class, a key of MARKS."""
    if row is None:
        return "none"
    return "full" if row.score >= row.max_score else "zero" if row.score <= 0 else "partial"


def _score(row, points):
    return f"{row.score:g} / {row.max_score:g}" if row is not None else f"0 / {points:g}"


def _pre(text):
    return f"<pre><code>{escape(text)}</code></pre>"
