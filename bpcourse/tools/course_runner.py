"""Run every course notebook headless, top to bottom, into a build folder.

``python -m bpcourse.tools.course_runner notebooks build/course`` (``make course``) runs each ``NN_*.ipynb`` in a
fresh kernel, writes the executed notebook and an HTML copy into ``build/course/`` (MathJax copied into
``build/course/mathjax/``, so equations render offline) and prints a line per notebook: name, seconds, ok or failed.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
import jupyter_server_mathjax
from nbconvert import HTMLExporter

from bpcourse.core.atomic import atomic_write
from bpcourse.tools.ipc_kernel import IPCKernelManager

CELL_TIMEOUT_SECONDS = 600
MATHJAX_SOURCE = Path(jupyter_server_mathjax.__file__).parent / "static"
MATHJAX_URL = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"  # relative to the HTML copy
# The shipped MathJax has the STIX-Web fonts only (as the classic notebook used them).
MATHJAX_FONTS = ('<script type="text/x-mathjax-config">MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], '
                 'webFont: "STIX-Web", imageFont: null, preferredFont: null}, SVG: {font: "STIX-Web"}});</script>')


def install_mathjax(out_dir):
    target = Path(out_dir) / "mathjax"
    if (target / "MathJax.js").exists():
        return target
    temporary = Path(tempfile.mkdtemp(dir=out_dir, prefix=".mathjax."))
    try:
        shutil.copytree(MATHJAX_SOURCE, temporary, dirs_exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(temporary, target)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return target


def run_notebook(source, out_dir, cell_timeout=CELL_TIMEOUT_SECONDS):
    """Execute ``source`` and write ``<name>.ipynb`` and ``<name>.html`` to ``out_dir`` (also when a cell fails);
    ``(seconds, error)``, ``error`` None or a line on the first failing cell."""
    source = Path(source)
    notebook = nbformat.read(source, as_version=4)
    client = NotebookClient(notebook, timeout=cell_timeout, kernel_name="python3",
                            kernel_manager_class=IPCKernelManager,  # Unix sockets: no port, no TCP warning
                            resources={"metadata": {"path": str(source.parent)}})
    error, start = None, time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue}"
    except (CellTimeoutError, DeadKernelError) as exc:
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    seconds = time.perf_counter() - start

    html, _ = HTMLExporter(mathjax_url=MATHJAX_URL).from_notebook_node(notebook)
    html = html.replace("<!-- Load mathjax -->", "<!-- Load mathjax -->\n" + MATHJAX_FONTS, 1)
    for path, text in ((out_dir / source.name, nbformat.writes(notebook)), (out_dir / f"{source.stem}.html", html)):
        with atomic_write(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    return seconds, error


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="?", default="notebooks", help="folder of NN_*.ipynb notebooks")
    parser.add_argument("out_dir", nargs="?", default="build/course", help="where executed copies go")
    parser.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT_SECONDS, help="seconds per cell")
    args = parser.parse_args(argv)

    notebooks = sorted(Path(args.notebooks).glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        print(f"There are no notebooks in {args.notebooks}/ yet: nothing to run.")
        return 0
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    install_mathjax(out_dir)

    results = []
    for source in notebooks:
        print(f"running {source.name} ...", flush=True)
        seconds, error = run_notebook(source, out_dir, args.cell_timeout)
        if error:
            print(f"  {source.name} failed: {error}", flush=True)
        results.append((source.name, seconds, error))

    print(f"\nExecuted notebooks and HTML copies are in {out_dir}/")
    width = max(len(name) for name, _, _ in results)
    for name, seconds, error in results:
        print(f"{name:<{width}}  {seconds:7.1f} s  {'failed' if error else 'ok'}")
    return 1 if any(error for _, _, error in results) else 0


if __name__ == "__main__":
    sys.exit(main())
