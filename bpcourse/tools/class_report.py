"""The class at a glance, after grading: the wide grade sheet, the summary figure and page.

Every text that comes from a student goes through :func:`bpcourse.tools.submission.display_name`, HTML-escaped.
"""

import html
from collections import Counter
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bpcourse.core.atomic import atomic_write, write_csv
from bpcourse.tools.submission import display_name

LOOK_STATUSES = ("timeout", "kernel died", "memory", "borrowed", "unreadable", "grader error",
                 "manual grading needed")  # a row an instructor should look at (beside reviews, copies, problems)
REASON_CHARACTERS = 200  # longest check message quoted in a "needs a look" reason
COLORS = {"full": "#0072B2", "partial": "#56B4E9", "zero": "#D55E00"}  # Okabe-Ito: readable by colour-blind eyes

_CSS = """body { font-family: sans-serif; margin: 2em; max-width: 80em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; } caption { text-align: left; font-weight: bold; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } tr:nth-child(even) { background: #f6f6f6; }
img { max-width: 100%; border: 1px solid #ddd; }"""


def _printable(text):
    """``text`` on one line (:func:`display_name`), also when it holds lone surrogates that are not file-name bytes."""
    try:
        return display_name(str(text))
    except UnicodeEncodeError:
        return display_name(str(text).encode("utf-8", "backslashreplace").decode("utf-8"))


def _tally(scores):
    """``(students, course, points)``: the students in the order they first appear, ``{notebook: {exercise:
    points}}`` in course order, and ``{(student, notebook): points}`` (rows that exist only)."""
    students, course, points = {}, {}, Counter()
    for s in scores:
        students.setdefault(s.student)
        course.setdefault(s.notebook, {}).setdefault(s.exercise, s.max_score)
        points[s.student, s.notebook] += s.score
    return list(students), course, points


def _totals(students, course, points):
    return np.array([sum(points[st, n] for n in course) for st in students], dtype=float)


def write_wide_sheet(scores, path):
    """Write the wide grade sheet: a row per student, a column per notebook (empty: no row of it), ``total``."""
    students, course, points = _tally(scores)
    rows = [["student", *(Path(n).stem for n in course), "total"]]
    for student, total in zip(students, _totals(students, course, points)):
        cells = [f"{points[student, n]:g}" if (student, n) in points else "" for n in course]
        rows.append([display_name(student), *cells, f"{total:g}"])
    write_csv(path, rows)


def exercise_table(scores):
    """One dict per exercise, in course order: ``notebook``, ``exercise``, ``points``, ``mean``, ``mean_share``
    (mean / points) and the shares of students with ``full``, ``partial`` and ``zero`` marks (no row: zero)."""
    students, course, _ = _tally(scores)
    got = {(s.student, s.notebook, s.exercise): s.score for s in scores}
    table = []
    for notebook, exercises in course.items():
        for exercise, points in exercises.items():
            marks = np.array([got.get((st, notebook, exercise), 0.0) for st in students], dtype=float)
            full = (marks >= points) & (points > 0)
            zero = (marks <= 0) & ~full
            mean = float(marks.mean()) if len(marks) else 0.0
            table.append({"notebook": notebook, "exercise": exercise, "points": points, "mean": mean,
                          "mean_share": mean / points if points > 0 else 0.0, "full": float(full.mean()),
                          "partial": float((~full & ~zero).mean()), "zero": float(zero.mean())})
    return table


def _notebook_of(exercise, course):
    """The notebook of a solution cell's grade_id (``nb01_sigmoid``), from its check's (``nb01_sigmoid_check``)."""
    for notebook, exercises in course.items():
        if exercise in exercises or f"{exercise}_check" in exercises:
            return notebook
    prefix = exercise.split("_", 1)[0] + "_"
    return next((n for n, exercises in course.items() if any(e.startswith(prefix) for e in exercises)), "")


def needs_a_look(scores, copies, problems):
    """The students to look at: a dict (``student``, ``notebook``, ``exercise``, ``reason``) per reason, in the order of
    ``scores``. A reason is a review note, a status of :data:`LOOK_STATUSES`, a copy (a row for each student of the
    pair) or a problem of grading (``exercise`` "")."""
    found = {}  # (student, notebook, reason) -> exercises
    for s in scores:
        parts = []
        if s.status in LOOK_STATUSES:
            message = _printable(s.message)
            if len(message) > REASON_CHARACTERS:
                message = message[:REASON_CHARACTERS] + "..."
            parts.append(f"{s.status}: {message}" if message else s.status)
        parts += [s.review] if s.review else []
        if parts:
            found.setdefault((s.student, s.notebook, "; ".join(parts)), []).append(s.exercise)
    students, course, _ = _tally(scores)
    for c in copies:
        notebook = _notebook_of(c.exercise, course)
        for student, other in ((c.student_a, c.student_b), (c.student_b, c.student_a)):
            reason = f"copy?: solution {c.exercise} {c.similarity:.0%} like {display_name(other)}'s"
            found.setdefault((student, notebook, reason), []).append(c.exercise)
    for (student, notebook), texts in problems.items():
        for text in texts:
            found.setdefault((student, notebook, str(text)), [])
    students = {name: i for i, name in enumerate(students)}
    notebooks = {name: i for i, name in enumerate(course)}
    keys = sorted(found, key=lambda k: (students.get(k[0], len(students)), notebooks.get(k[1], len(notebooks))))
    return [{"student": st, "notebook": nb, "exercise": ", ".join(dict.fromkeys(found[st, nb, reason])),
             "reason": reason} for st, nb, reason in keys]


def summary_figure(scores):
    """A Figure (no pyplot): per exercise the shares of full, partial and zero marks and the mean (stacked bars),
    and a histogram of the students' total points."""
    table, totals = exercise_table(scores), _totals(*_tally(scores))
    max_total = sum(row["points"] for row in table)
    figure = Figure(figsize=(13, max(4.5, 0.3 * len(table) + 2.0)), layout="constrained")
    bars, histogram = figure.subplots(1, 2, width_ratios=[3, 2])
    y = np.arange(len(table))
    left, handles = np.zeros(len(table)), []
    for kind, label in (("full", "full marks"), ("partial", "partial marks"), ("zero", "zero")):
        width = np.array([100 * row[kind] for row in table])
        handles.append(bars.barh(y, width, left=left, color=COLORS[kind], label=label, height=0.8))
        left += width
    means = [100 * row["mean_share"] for row in table]
    handles.append(bars.scatter(means, y, marker="D", color="black", edgecolor="white", zorder=3,
                                label="mean score (% of points)"))
    for i in range(1, len(table)):  # a line between notebooks
        if table[i]["notebook"] != table[i - 1]["notebook"]:
            bars.axhline(i - 0.5, color="#444", linewidth=0.8)
    bars.set_yticks(y, [f"{row['exercise'].removesuffix('_check')} ({row['points']:g} pt)" for row in table])
    bars.set_ylim(max(len(table), 1) - 0.5, -0.5)  # course order top to bottom
    bars.set(xlim=(0, 100), xlabel="share of students (%)", ylabel="exercise (points)",
             title=f"Marks per exercise ({len(totals)} students)")
    figure.legend(handles=handles, loc="outside lower left", ncol=4)
    step = max(1, int(np.ceil(max_total / 30)))  # whole-point bins, at most about 30
    edges = np.arange(0, max(max_total, 1) + step, step)
    histogram.hist(totals, bins=edges, color="#777", edgecolor="white", label="students")
    histogram.yaxis.set_major_locator(MaxNLocator(integer=True))
    if len(totals):
        histogram.axvline(totals.mean(), color="black", linestyle="--", label=f"mean {totals.mean():.1f}")
    histogram.set(xlim=(0, edges[-1]), xlabel=f"total points (of {max_total:g})", ylabel="students",
                  title="Total points per student")
    histogram.legend(loc="upper left", fontsize="small")
    return figure


def _td(text):
    return f"<td>{html.escape(_printable(text))}</td>"


def _num(number, spec):
    return f'<td class="n">{number:{spec}}</td>'


def _table(caption, header, rows):
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "\n".join(f"<tr>{''.join(row)}</tr>" for row in rows)
    return f"<table><caption>{html.escape(caption)}</caption>\n<tr>{head}</tr>\n{body}\n</table>"


def _student_td(student, notebook, links):
    name, link = html.escape(_printable(student)), links.get((student, notebook))
    return f'<td><a href="{html.escape(link, quote=True)}">{name}</a></td>' if link is not None else f"<td>{name}</td>"


def _kind(row):
    if row["reason"].startswith("copy?"):
        return "copy?"
    if row["reason"].startswith("timeout"):
        return "time-out"
    return "grading problem" if row["exercise"] == "" else "flag"


LOOK_KINDS = ("copy?", "time-out", "flag", "grading problem")


def _look_tables(look, links):
    """A row per student (counts per kind of reason), then every reason in a folded section."""
    by_student = {}
    for row in look:
        by_student.setdefault(row["student"], []).append(row)
    rows = []
    for student, reasons in by_student.items():
        kinds = Counter(_kind(r) for r in reasons)
        notebooks = list(dict.fromkeys(Path(r["notebook"]).stem for r in reasons if r["notebook"]))
        rows.append([_student_td(student, reasons[0]["notebook"], links),
                     *(_num(kinds[k], "d") for k in LOOK_KINDS), _td(", ".join(notebooks))])
    caption = f"Students who need a look: {_count(len(by_student), 'student')}, {_count(len(look), 'reason')}"
    overview = _table(caption, ["student", *LOOK_KINDS, "notebooks"], rows)
    detail_rows = [[_student_td(r["student"], r["notebook"], links), _td(Path(r["notebook"]).stem),
                    _td(r["exercise"]), _td(r["reason"])] for r in look]
    details = _table("Every reason, by student and notebook", ["student", "notebook", "exercise", "reason"],
                     detail_rows)
    return f"{overview}\n<details><summary>Every reason ({len(look)})</summary>\n{details}\n</details>"


def _count(number, noun):
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _page(scores, copies, problems, links, similarity_page):
    (students, course, points), table = _tally(scores), exercise_table(scores)
    totals, statuses = _totals(students, course, points), Counter(s.status for s in scores)
    exercise_rows = [[_td(Path(r["notebook"]).stem), _td(r["exercise"]), _num(r["points"], "g"), _num(r["mean"], ".2f"),
                      *(_num(100 * r[k], ".0f") for k in ("mean_share", "full", "partial", "zero"))] for r in table]
    notebook_rows = []
    for notebook, exercises in course.items():
        got = np.array([points[st, notebook] for st in students], dtype=float)
        notebook_rows.append([_td(Path(notebook).stem), _num(sum(exercises.values()), "g"), _num(got.mean(), ".2f"),
                              _num(got.min(), "g"), _num(got.max(), "g")])
    similarity = (f'<p><a href="{html.escape(similarity_page, quote=True)}">Similar solutions across the class</a>'
                  "</p>" if similarity_page else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Class summary</title><style>{_CSS}</style></head>
<body><h1>Class summary</h1>
<p>{_count(len(students), "student")}, {_count(len(course), "notebook")},
{_count(len(table), "exercise")}.
Mean total <b>{f"{totals.mean():.1f}" if len(totals) else "-"}</b> of
<b>{sum(r["points"] for r in table):g}</b> points.</p>
<p>Rows of the grade sheet by status: {html.escape(", ".join(f"{k} {v}" for k, v in statuses.items()))}.</p>
{similarity}
<p><img src="summary.png" alt="Shares of full, partial and zero marks per exercise; histogram of total points"></p>
{_table("Exercises", ["notebook", "exercise", "points", "mean", "mean (% of points)", "full marks (%)",
                      "partial (%)", "zero (%)"], exercise_rows)}
{_table("Totals per notebook", ["notebook", "points", "mean", "min", "max"], notebook_rows)}
{_look_tables(needs_a_look(scores, copies, problems), links)}
</body></html>
"""


def write_summary(out_dir, scores, copies, problems, links, similarity_page=None):
    """Write ``summary.png`` and ``summary.html`` into ``out_dir``; returns ``{"png", "html"}`` paths.
    ``links``: ``(student, notebook)`` -> the quoted relative URL of the feedback page."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    png, page = out_dir / "summary.png", out_dir / "summary.html"
    with atomic_write(png, "wb") as handle:
        summary_figure(scores).savefig(handle, format="png", dpi=100)
    with atomic_write(page, "w", encoding="utf-8") as handle:
        handle.write(_page(scores, copies, problems, links, similarity_page))
    return {"png": png, "html": page}
