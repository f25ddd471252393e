"""A submission whose solution cells only call or import the package's implementation scores 0 on those
exercises when graded (the check cell fails with BORROWED ANSWER), and full points on the honest one."""

from pathlib import Path

import nbformat

from bpcourse.tools.grading import grade_notebook

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01_neuron_and_sigmoid.ipynb"

BORROWED = {
    "nb01_sigmoid": "def sigmoid(x):\n    return activations.sigmoid(x)",
    "nb01_sigmoid_derivative": ("def sigmoid_derivative(y):\n"
                                "    from bpcourse.core.activations import sigmoid_derivative as d\n"
                                "    return d(y)"),
}


def test_borrowed_solutions_score_zero_and_the_honest_one_scores(tmp_path):
    submitted = nbformat.read(NOTEBOOK, as_version=4)
    for cell in submitted.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in BORROWED:
            cell.source = BORROWED[grade_id]
    path = tmp_path / "learner" / NOTEBOOK.name
    path.parent.mkdir()
    nbformat.write(submitted, path)

    scores = {s.exercise: (s.score, s.max_score, s.status)
              for s in grade_notebook("learner", NOTEBOOK, path, cell_timeout=120)}

    assert scores["nb01_sigmoid_check"] == (0, 2, "failed")
    assert scores["nb01_sigmoid_derivative_check"] == (0, 1, "failed")
    assert scores["nb01_neuron_output_check"] == (2, 2, "ok")
