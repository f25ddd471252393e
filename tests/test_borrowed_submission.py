"""Borrowed answers and honest ones, graded for real: ``bpcourse grade`` in the sandbox, on notebooks 01 and 05.

Every disguise of the package's answer (tests/borrowing_cases.py) scores 0 with the status ``borrowed`` and
a review note saying so; every honest form scores full marks with status ``ok`` and an empty review column;
a verbatim copy of the instructor's solution keeps its points and is flagged ``copy?``; a notebook saved with a
UTF-8 byte-order mark is graded as any other. The grader decides in a clean room whose package has no
implementation of the exercise, so none of this depends on the learner's kernel.

The sigmoid's disguises and honest forms are handed in on notebook 01 cut after the sigmoid's check cell
(``01_sigmoid_only.ipynb``, in the source folder beside the whole notebook): the cells after it cannot change
that exercise's verdict, and each such grading then starts one clean room instead of three. The copy of the
solution, the byte-order mark and the alias (whose neuron_output must keep its points) hand in the whole
notebook 01.
"""

import shutil
from pathlib import Path

import nbformat
import pytest

from bpcourse.tools.cli import main as bpcourse_main
from bpcourse.tools.grading import read_sheet
from tests.borrowing_cases import GRADIENT_DISGUISES, GRADIENT_HONEST, SIGMOID_DISGUISES, SIGMOID_HONEST
from tests.test_grading import require_sandbox
from tests.test_grading_solutions import assert_full_marks_and_only_copy_notes

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NB01, NB05 = NOTEBOOKS / "01_neuron_and_sigmoid.ipynb", NOTEBOOKS / "05_gradient_check.ipynb"
SIGMOID, GRADIENT = ("nb01_sigmoid", "nb01_sigmoid_check", 2), ("nb05_gradient_check_errors",
                                                                 "nb05_gradient_check_errors_check", 4)


SIGMOID_ONLY = "01_sigmoid_only.ipynb"
WHOLE_NB01 = {"alias"}  # disguises handed in on the whole notebook 01


def sigmoid_only(folder):
    """Notebook 01 up to and with the sigmoid's check cell, as ``folder/01_sigmoid_only.ipynb``."""
    notebook = nbformat.read(NB01, as_version=4)
    ids = [cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") for cell in notebook.cells]
    notebook.cells = notebook.cells[:ids.index(SIGMOID[1]) + 1]
    cut = [i for i in ids[len(notebook.cells):] if i]
    assert cut, "notebook 01 has no graded cell after the sigmoid's check: nothing is cut"
    assert not {SIGMOID[0], SIGMOID[1]} & set(cut), f"the sigmoid's cells are cut: {cut}"
    nbformat.write(notebook, folder / SIGMOID_ONLY)
    return folder / SIGMOID_ONLY


def submit(folder, student, notebook_path, replace, bom=False):
    notebook = nbformat.read(notebook_path, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in replace:
            cell.source = replace[grade_id]
    (folder / student).mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(notebook)
    (folder / student / notebook_path.name).write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))


def slug(text):
    return text.replace(" ", "_").replace(",", "")


def grade(root, source_notebooks, submissions):
    """``bpcourse grade`` of ``submissions`` (``[(student, notebook, {grade_id: code}, bom)]``) against the
    ``source_notebooks``, in ``root``: the rows of the notebooks handed in, and the run's status."""
    submitted, source = root / "submitted", root / "source"
    source.mkdir(parents=True)
    for path in source_notebooks:
        shutil.copy(path, source)
    for student, notebook, replace, bom in submissions:
        submit(submitted, student, notebook, replace, bom)
    out = root / "grades"
    code = bpcourse_main(["grade", str(submitted), "--source", str(source), "--out", str(out),
                          "--cell-timeout", "60"])
    assert code == 0
    status, rows = read_sheet(out)
    return [r for r in rows if r["status"] != "missing notebook"], status


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    """Two runs: the short notebook 01 with notebook 05 (the bulk), and the whole notebook 01 (a grade_id
    belongs to one notebook of a course, so the two versions of notebook 01 cannot be graded in one run)."""
    require_sandbox()
    root = tmp_path_factory.mktemp("borrowing")
    short = sigmoid_only(root)
    bulk = [(f"nb01-borrowed-{slug(name)}", short, {SIGMOID[0]: code}, False)
            for name, code in SIGMOID_DISGUISES.items() if name not in WHOLE_NB01]
    bulk += [(f"nb01-honest-{slug(name)}", short, {SIGMOID[0]: code}, False) for name, code in SIGMOID_HONEST.items()]
    bulk += [(f"nb05-borrowed-{slug(name)}", NB05, {GRADIENT[0]: code}, False)
             for name, code in GRADIENT_DISGUISES.items()]
    bulk += [(f"nb05-honest-{slug(name)}", NB05, {GRADIENT[0]: code}, False) for name, code in GRADIENT_HONEST.items()]
    whole = [(f"nb01-borrowed-{slug(name)}", NB01, {SIGMOID[0]: SIGMOID_DISGUISES[name]}, False)
             for name in sorted(WHOLE_NB01)]
    whole += [("nb01-copy-of-the-solution", NB01, {}, False),
              ("nb01-honest-with-a-bom", NB01, {SIGMOID[0]: SIGMOID_HONEST["def"]}, True)]
    rows, statuses = [], []
    for name, notebooks, submissions in (("bulk", (short, NB05), bulk), ("whole", (NB01,), whole)):
        run_rows, status = grade(root / name, notebooks, submissions)
        rows += run_rows
        statuses.append(status)
    by_key = {(r["student"], r["exercise"]): r for r in rows}
    assert len(by_key) == len(rows), "a student handed in two notebooks with the same exercise"
    assert {student for student, *_ in bulk + whole} == {r["student"] for r in rows}, "a submission has no rows"
    return by_key, statuses


def row(sheet, student, exercise):
    rows, _ = sheet
    return rows[(student, exercise)]


@pytest.mark.parametrize("prefix, names, exercise", [("nb01", sorted(SIGMOID_DISGUISES), SIGMOID),
                                                    ("nb05", sorted(GRADIENT_DISGUISES), GRADIENT)],
                         ids=["sigmoid", "gradient check"])
def test_every_disguise_scores_zero_as_borrowed(sheet, prefix, names, exercise):
    for name in names:
        r = row(sheet, f"{prefix}-borrowed-{slug(name)}", exercise[1])
        assert (float(r["score"]), r["status"]) == (0, "borrowed"), (name, r)
        assert r["message"].startswith("BORROWED ANSWER"), (name, r)
        assert f"{exercise[1]}: borrowed answer, 0 points" in r["review"], (name, r)


@pytest.mark.parametrize("prefix, names, exercise", [("nb01", sorted(SIGMOID_HONEST), SIGMOID),
                                                    ("nb05", sorted(GRADIENT_HONEST), GRADIENT)],
                         ids=["sigmoid", "gradient check"])
def test_every_honest_form_scores_full_marks_unflagged(sheet, prefix, names, exercise):
    for name in names:
        r = row(sheet, f"{prefix}-honest-{slug(name)}", exercise[1])
        assert (float(r["score"]), r["status"], r["review"]) == (exercise[2], "ok", ""), (name, r)


def test_a_copy_of_the_solution_keeps_its_points_and_is_flagged(sheet):
    r = row(sheet, "nb01-copy-of-the-solution", SIGMOID[1])
    assert (float(r["score"]), r["status"]) == (2, "ok"), r
    assert "copy?" in r["review"] and "like the instructor's solution" in r["review"], r


def test_the_instructors_notebook_01_earns_full_marks(sheet):
    """The copy of the solution is notebook 01 as the instructor wrote it: every exercise earns all its points,
    and the only review notes are that each is a copy (tests/test_grading_solutions.py grades the others)."""
    rows, _ = sheet
    graded = {exercise: r for (student, exercise), r in rows.items() if student == "nb01-copy-of-the-solution"}
    assert_full_marks_and_only_copy_notes(graded, "01")


def test_a_notebook_with_a_byte_order_mark_is_graded(sheet):
    r = row(sheet, "nb01-honest-with-a-bom", SIGMOID[1])
    assert (float(r["score"]), r["status"]) == (2, "ok"), r


def test_a_building_block_of_the_package_stays_allowed(sheet):
    """The notebook's own neuron_output solution uses the package's sigmoid: it scores in every submission."""
    r = row(sheet, "nb01-borrowed-alias", "nb01_neuron_output_check")
    assert (float(r["score"]), r["status"]) == (2, "ok"), r


def test_the_runs_are_finished(sheet):
    _, statuses = sheet
    assert len(statuses) == 2
    for status in statuses:
        assert status["state"] == "finished" and status["graded"] == status["total"], status
