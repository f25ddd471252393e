"""`make course` runs notebooks through bpcourse.tools.course_runner: executed copies,
HTML copies and one summary line per notebook, failures reported, sources untouched."""

import nbformat

from bpcourse.tools import course_runner


def write_notebook(path, *sources):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)


def test_runs_notebooks_writes_copies_and_summarises(tmp_path, capsys):
    source_dir, out_dir = tmp_path / "notebooks", tmp_path / "build"
    source_dir.mkdir()
    write_notebook(source_dir / "01_good.ipynb", "print(6 * 7)")
    write_notebook(source_dir / "02_bad.ipynb", "x = 1", "assert x == 2, 'x should be 2'")
    before = (source_dir / "02_bad.ipynb").read_text()

    status = course_runner.main([str(source_dir), str(out_dir)])

    assert status == 1
    lines = capsys.readouterr().out.splitlines()
    summary = [line.split() for line in lines if line.startswith(("01_", "02_"))]
    assert [(row[0], row[-1]) for row in summary] == [("01_good.ipynb", "ok"), ("02_bad.ipynb", "failed")]
    assert any("AssertionError: x should be 2" in line for line in lines)
    executed = nbformat.read(out_dir / "01_good.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["text"] == "42\n"
    assert "42" in (out_dir / "01_good.html").read_text()
    assert (out_dir / "02_bad.html").exists()
    assert (source_dir / "02_bad.ipynb").read_text() == before
    assert not [p for p in out_dir.iterdir() if p.name.startswith(".")], "temporary files left behind"
    html = (out_dir / "01_good.html").read_text()
    assert 'src="mathjax/MathJax.js?config=' in html, "equations must render offline"
    assert 'webFont: "STIX-Web"' in html, "the shipped MathJax has the STIX-Web fonts only"
    assert (out_dir / "mathjax" / "MathJax.js").is_file()
    assert (out_dir / "mathjax" / "config" / "TeX-AMS-MML_HTMLorMML-full.js").is_file()


def test_no_notebooks_is_not_an_error(tmp_path, capsys):
    assert course_runner.main([str(tmp_path), str(tmp_path / "out")]) == 0
    assert "no notebooks" in capsys.readouterr().out
