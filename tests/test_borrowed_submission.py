"""Graded for real (in the sandbox): solution cells that call or import the package's implementation
score 0 on those exercises, with the reason in the grade sheet's review column; the honest ones score.

The grader reads the learner's code compiled from the submitted source (never the kernel's objects),
so the borrowed-answer test cannot be fooled from inside the kernel."""

import csv
import shutil
from pathlib import Path

import nbformat

from bpcourse.tools.grading import grade_folder

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01_neuron_and_sigmoid.ipynb"

BORROWED = {
    # a helper that borrows is followed too
    "nb01_sigmoid": "def helper(z):\n    return activations.sigmoid(z)\n\ndef sigmoid(x):\n    return helper(x)",
    "nb01_sigmoid_derivative": ("def sigmoid_derivative(y):\n"
                                "    from bpcourse.core.activations import sigmoid_derivative as d\n"
                                "    return d(y)"),
}


def submit(folder, student, replace):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in replace:
            cell.source = replace[grade_id]
    (folder / student).mkdir(parents=True)
    nbformat.write(notebook, folder / student / NOTEBOOK.name)


def test_borrowed_solutions_score_zero_with_a_reason_and_the_honest_ones_score(tmp_path):
    submitted, source = tmp_path / "submitted", tmp_path / "source"
    submit(submitted, "borrower", BORROWED)
    submit(submitted, "honest", {})
    source.mkdir()
    shutil.copy(NOTEBOOK, source)

    grade_folder(submitted, source, tmp_path / "grades.csv", cell_timeout=120, echo=lambda *a, **k: None)

    lines = (tmp_path / "grades.csv").read_text(encoding="utf-8").splitlines()
    rows = {(r["student"], r["exercise"]): r for r in csv.DictReader(lines[1:])}
    for exercise, points in [("nb01_sigmoid_check", 2), ("nb01_sigmoid_derivative_check", 1)]:
        borrowed, honest = rows[("borrower", exercise)], rows[("honest", exercise)]
        assert (float(borrowed["score"]), float(borrowed["max_score"])) == (0, points), borrowed
        assert "BORROWED ANSWER" in borrowed["status"], borrowed
        assert f"{exercise}: borrowed answer, 0 points" in borrowed["review"], borrowed
        assert (float(honest["score"]), honest["status"], honest["review"]) == (points, "ok", ""), honest
    assert "imports bpcourse.core.activations" in rows[("borrower", "nb01_sigmoid_derivative_check")]["review"]
    # the honest exercise of the same submission scores (its own sigmoid building block is the package's: allowed)
    untouched = rows[("borrower", "nb01_neuron_output_check")]
    assert (float(untouched["score"]), untouched["status"]) == (2, "ok"), untouched
