"""Every course notebook, run in JupyterLab in headless Chromium.

For each ``notebooks/*.ipynb`` (a copy, in a temporary folder) the test opens
the notebook in JupyterLab (one page per test process, ``/lab?reset`` loaded
once: each notebook is opened with JupyterLab's ``docmanager:open`` command and
closed after its checks, with its kernel shut down), waits for the python3
kernel, runs all cells with JupyterLab's own "Run All" command, waits until no
cell shows the busy ``[*]`` prompt and the kernel is idle, and then checks what
the page shows:

- no cell shows an error, and every code cell was executed. JupyterLab 4.6
  renders an error output as ``.jp-OutputArea-output`` with
  ``data-mime-type="application/vnd.jupyter.stderr"`` holding the traceback
  (older versions used ``application/vnd.jupyter.error``): both count, and so
  do an error output in the notebook model and "Error displaying widget";
- every widget the kernel made is rendered: sliders, dropdowns and progress
  bars have their elements in the page (``.widget-slider``,
  ``.widget-dropdown select``, ``.widget-hprogress``), and no widget output
  fell back to text;
- notebook 01: dragging the neuron's w1 slider changes the printed output;
- notebook 06: the live training plot shows an image that changes while the
  training cell runs; and in its draw-a-digit panel, two digits drawn with
  real mouse strokes (a 1, then a 0, with "clear" before each) each change
  the prediction text and the picture with the bar chart (a screenshot of
  the panel after each digit: ``build/screenshots/draw-06_mnist-N.png``).

Screenshots of the whole notebook (several when it is long) go to
``build/screenshots/<notebook>-NN.png`` for a person to look at: of a notebook
whose checks failed, and of every notebook with ``BPCOURSE_SCREENSHOTS=1``
(scrolling through and photographing all eight costs the browser about a
minute of CPU time that a passing run does not need).

Three extra tests run the same harness on small notebooks made on the fly: one
that passes every check, and one that must fail each of them (an exception
inside an Output widget, a SyntaxError that stops the run, a slider whose
output does not follow, a widget that never appears, no live plot), to show
that the checks can fail; and one with two draw-a-digit panels, one that
works and one whose readings never change, which the draw check must report.
"""

import json
import math
import os
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.browser

RUN_TIMEOUT = float(os.environ.get("BPCOURSE_BROWSER_TIMEOUT", "180"))  # seconds per notebook
KERNEL_TIMEOUT = 90  # seconds for the kernel to become idle after opening
POLL = 0.5  # seconds between looks at the page while cells run
SCREENSHOT_VIEWPORT = {"width": 1280, "height": 1600}
MAX_SCREENSHOTS = 40

# Photograph every notebook, not only the ones whose checks failed.
SCREENSHOT_ALL = os.environ.get("BPCOURSE_SCREENSHOTS", "") == "1"

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
SCREENSHOT_DIR = REPO / "build" / "screenshots"

# Extra checks, by notebook number (the file name's prefix before "_").
SLIDER_CHECKS = {
    # number: (slider to move, element whose text must change)
    "01": ("bpcourse-neuron-w1", "bpcourse-neuron-output"),
}
LIVE_PLOT_CHECKS = {"06": "bpcourse-live-plot"}
DRAW_CHECKS = {"06": "bpcourse-draw"}  # the CSS class of bpcourse.visuals.draw's panel
# Widget kinds (keys of WIDGET_KINDS) a notebook must show: its long loops have tqdm progress bars.
REQUIRED_WIDGETS = {"08": {"progress bar"}}
# The least number of pictures (image/png outputs) a notebook must end up showing.
MIN_PICTURES = {"08": 6}
# Notebooks that train more than the others get more time than RUN_TIMEOUT.
RUN_TIMEOUTS = {"08": 2 * RUN_TIMEOUT}

# Widget models in the kernel -> the elements that must then be in the page.
WIDGET_KINDS = {
    "slider": (
        {"FloatSliderModel", "IntSliderModel", "FloatLogSliderModel", "IntRangeSliderModel",
         "FloatRangeSliderModel", "SelectionSliderModel", "SelectionRangeSliderModel"},
        ".widget-slider, .jupyter-widget-slider",
    ),
    "dropdown": (
        {"DropdownModel"},
        ".widget-dropdown select, .jupyter-widget-dropdown select",
    ),
    "progress bar": (
        {"FloatProgressModel", "IntProgressModel"},
        ".widget-hprogress, .widget-vprogress, .jupyter-widget-hprogress, "
        ".jupyter-widget-vprogress, progress",
    ),
}

# ---------------------------------------------------------------- page scripts
# Run inside the page by Playwright. ``window.jupyterapp`` is JupyterLab's
# application object (the server runs with expose_app_in_browser).

SETUP_JS = """
(args) => {
  const [path, kinds] = args;
  window.__bp = {path, seen: {}, runAll: 'not started'};
  if (window.__bpObserver) window.__bpObserver.disconnect();  // the one of the notebook before
  for (const k of Object.keys(kinds)) window.__bp.seen[k] = 0;
  window.__bpPanel = () => {
    for (const w of window.jupyterapp.shell.widgets('main')) {
      if (w.context && w.context.path === window.__bp.path) return w;
    }
    return null;
  };
  // Remember every slider / dropdown / progress bar that ever appears, also
  // short-lived ones (a progress bar that closes when its loop ends).
  const note = (node) => {
    for (const [k, sel] of Object.entries(kinds)) {
      if (node.matches(sel) || node.querySelector(sel)) window.__bp.seen[k] += 1;
    }
  };
  window.__bpObserver = new MutationObserver((mutations) => {
    for (const m of mutations) for (const n of m.addedNodes) if (n.nodeType === 1) note(n);
  });
  window.__bpObserver.observe(document.body, {childList: true, subtree: true});
  return true;
}
"""

# Open a notebook in the page's JupyterLab, and close it (unsaved: the copy on disk stays as it was).
OPEN_JS = """
async (path) => {
  await window.jupyterapp.restored;
  await window.jupyterapp.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  return true;
}
"""

CLOSE_JS = """
() => {
  for (const w of [...window.jupyterapp.shell.widgets('main')]) {
    if (w.context) { w.context.model.dirty = false; w.dispose(); }
  }
  for (const d of [...document.querySelectorAll('.jp-Dialog')]) d.remove();
  return true;
}
"""

KERNEL_STATE_JS = """
() => {
  const p = window.__bpPanel();
  const dialogs = [...document.querySelectorAll('.jp-Dialog')].map(d => d.innerText.slice(0, 300));
  if (!p) return {panel: false, ready: false, status: 'no panel', dialogs};
  const s = p.sessionContext;
  const k = s.session && s.session.kernel;
  return {panel: true, ready: s.isReady, status: k ? k.status : 'no kernel',
          kernel: k ? k.name : null, dialogs};
}
"""

PREPARE_VIEW_JS = """
() => {
  const app = window.jupyterapp;
  app.shell.collapseLeft();
  app.shell.collapseRight();
  app.shell.activateById(window.__bpPanel().id);
  return true;
}
"""

RUN_ALL_JS = """
() => {
  window.jupyterapp.shell.activateById(window.__bpPanel().id);
  window.__bp.runAll = 'running';
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    () => { window.__bp.runAll = 'done'; },
    (e) => { window.__bp.runAll = 'error: ' + e; });
  return true;
}
"""

# One look at the page while the cells run: busy cells, executed cells, and a
# fingerprint of every picture in a busy cell or in a live-plot element.
POLL_JS = """
(liveClass) => {
  const p = window.__bpPanel();
  const nb = p.content;
  const k = p.sessionContext.session && p.sessionContext.session.kernel;
  const fingerprint = (s) => {
    let h = 2166136261;
    for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
    return (h >>> 0).toString(16) + ':' + s.length;
  };
  const pictures = (root) => [...root.querySelectorAll('img, .jp-RenderedSVG svg')]
    .map(e => fingerprint(e.tagName === 'IMG' ? e.src : e.outerHTML));
  const busy = [], executed = [], images = {};
  let codeCells = 0;
  nb.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'code') return;
    if (cell.model.sharedModel.getSource().trim() !== '') codeCells += 1;
    const prompt = cell.node.querySelector('.jp-InputPrompt');
    if (prompt && prompt.textContent.includes('*')) {
      busy.push(i);
      const area = cell.node.querySelector('.jp-Cell-outputArea');
      if (area) images['busy cell ' + i] = pictures(area);
    }
    if (cell.model.executionCount !== null) executed.push(i);
  });
  if (liveClass) {
    nb.node.querySelectorAll('.' + liveClass).forEach((el, j) => {
      const cell = el.closest('.jp-Cell');
      const index = nb.widgets.findIndex(w => w.node === cell);
      images['.' + liveClass + ' in cell ' + index] = pictures(el);
    });
  }
  return {status: k ? k.status : 'no kernel', runAll: window.__bp.runAll, busy, executed, images,
          codeCells};
}
"""

# Everything the checks need once the run is over: per code cell its model
# (execution count, output types) and what the DOM shows.
REPORT_JS = """
(kinds) => {
  const p = window.__bpPanel();
  const nb = p.content;
  const cells = [];
  nb.widgets.forEach((cell, i) => {
    const m = cell.model;
    if (m.type !== 'code') return;
    const source = m.sharedModel.getSource();
    const outputs = [];
    for (let j = 0; j < m.outputs.length; j++) {
      const o = m.outputs.get(j).toJSON();
      outputs.push({type: o.output_type, mimes: o.data ? Object.keys(o.data) : [],
                    ename: o.ename || null, evalue: o.evalue || null});
    }
    const text = (e) => e.innerText.slice(-2500);
    // the cell's own outputs, one element per model output
    const shown = [...cell.node.querySelectorAll(
      '.jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output')];
    // Error elements: what JupyterLab renders for an error output of the model
    // (4.6 uses the stderr MIME type for it, older versions
    // application/vnd.jupyter.error), and tracebacks anywhere in the cell,
    // also inside Output widgets, whose outputs are not in the notebook model.
    const errorNodes = new Set();
    outputs.forEach((o, j) => { if (o.type === 'error' && shown[j]) errorNodes.add(shown[j]); });
    cell.node.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')
      .forEach(e => errorNodes.add(e));
    cell.node.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
      .forEach(e => { if (e.innerText.includes('Traceback')) errorNodes.add(e); });
    const errors = [...errorNodes].map(text);
    const widgetProblems = [...cell.node.querySelectorAll('.jp-OutputArea-output')]
      .map(e => e.textContent.trim())
      .filter(t => t.startsWith('Error displaying widget') || t === 'Loading widget...')
      .map(t => t.slice(0, 200));
    // widget outputs that fell back to their text form (no widget manager)
    const fallbacks = [];
    outputs.forEach((o, j) => {
      if (o.mimes.includes('application/vnd.jupyter.widget-view+json') && shown[j]
          && shown[j].getAttribute('data-mime-type') === 'text/plain') {
        fallbacks.push(shown[j].innerText.slice(0, 200));
      }
    });
    // with recordTiming on, JupyterLab stores when the cell started and ended
    const timing = m.getMetadata('execution') || {};
    const began = Date.parse(timing['iopub.execute_input']);
    const ended = Date.parse(timing['shell.execute_reply']);
    const seconds = (isNaN(began) || isNaN(ended)) ? null : (ended - began) / 1000;
    cells.push({index: i, head: source.split('\\n')[0].slice(0, 100), empty: source.trim() === '',
                executionCount: m.executionCount, outputs, errors,
                widgetProblems, fallbacks, seconds});
  });
  const present = {};
  for (const [k, sel] of Object.entries(kinds)) present[k] = nb.node.querySelectorAll(sel).length;
  return {cells, seen: window.__bp.seen, present};
}
"""

# Ask the kernel which widget models exist (without leaving names behind).
KERNEL_WIDGETS_CODE = (
    "(lambda sys, json: print('BPCOURSE-WIDGETS' + json.dumps(sorted({w._model_name for w in "
    "list(getattr(sys.modules.get('ipywidgets.widgets.widget'), '_instances', {}).values())}))))"
    "(__import__('sys'), __import__('json'))"
)

KERNEL_EXECUTE_JS = """
async (code) => {
  const p = window.__bpPanel();
  const k = p.sessionContext.session && p.sessionContext.session.kernel;
  if (!k) return {ok: false, out: 'no kernel'};
  let out = '';
  const future = k.requestExecute({code, silent: false, store_history: false});
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream') out += msg.content.text;
    if (msg.header.msg_type === 'error') out += 'ERROR ' + msg.content.ename + ': ' + msg.content.evalue;
  };
  const timeout = new Promise(resolve => setTimeout(() => resolve('timeout'), 20000));
  const done = await Promise.race([future.done.then(() => 'done'), timeout]);
  return {ok: done === 'done', out};
}
"""

SCROLLER_JS = """
(offset) => {
  const nb = window.__bpPanel().content.node;
  const candidates = [nb.querySelector('.jp-WindowedPanel-outer'), nb];
  const el = candidates.find(e => e && e.scrollHeight > e.clientHeight + 2) || nb;
  if (offset !== null) el.scrollTop = offset;
  return {height: el.scrollHeight, view: el.clientHeight, top: el.scrollTop};
}
"""


# -------------------------------------------------------------------- harness
@dataclass
class NotebookRun:
    """What happened when one notebook ran in JupyterLab."""

    name: str
    failures: list = field(default_factory=list)  # messages; empty means every check passed
    notes: list = field(default_factory=list)  # things a person may want to know
    report: dict = field(default_factory=dict)  # REPORT_JS result
    kernel_widgets: list = field(default_factory=list)  # widget model names in the kernel
    live_images: dict = field(default_factory=dict)  # element -> distinct pictures while running
    screenshots: list = field(default_factory=list)
    draw_readings: list = field(default_factory=list)  # the prediction text after each drawn digit
    seconds: float = 0.0
    phases: dict = field(default_factory=dict)  # phase -> seconds


def _wait_for_kernel(page, run):
    """Wait until the notebook's kernel is idle; accept a kernel dialog if one shows."""
    deadline = time.monotonic() + KERNEL_TIMEOUT
    idle_since = None
    state = {}
    while time.monotonic() < deadline:
        state = page.evaluate(KERNEL_STATE_JS)
        if state["dialogs"]:
            run.notes.append(f"JupyterLab showed a dialog, accepted: {state['dialogs'][0]!r}")
            page.locator(".jp-Dialog .jp-mod-accept").first.click()
            idle_since = None
        elif state["ready"] and state["status"] == "idle":
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= 0.5:
                # "Run All" right after the first idle can be ignored: wait a little more
                # (and press it again if it still does not start: _run_all_and_wait)
                time.sleep(0.5)
                return state
        else:
            idle_since = None
        time.sleep(0.25)
    raise AssertionError(f"{run.name}: the kernel was not idle within {KERNEL_TIMEOUT} s "
                         f"after opening the notebook (last state {state})")


def _cell_has_code(report_cell):
    return not report_cell["empty"]


def _run_all_and_wait(page, run, live_class, timeout):
    """Press "Run All" and wait until it is done; collect pictures that change meanwhile."""
    page.evaluate(RUN_ALL_JS)
    start = time.monotonic()
    started = False
    retried = False
    idle_polls = 0
    state = {}
    while True:
        elapsed = time.monotonic() - start
        state = page.evaluate(POLL_JS, live_class)
        if state["busy"] or state["executed"] or not state["codeCells"]:
            started = True
        elif not started and elapsed > 5 and not retried:
            # the first "Run All" was swallowed (kernel not quite ready): try once more
            run.notes.append("'Run All' did not start within 5 s; pressed it again")
            page.evaluate(RUN_ALL_JS)
            retried = True
        if state["busy"]:
            for key, pictures in state["images"].items():
                run.live_images.setdefault(key, [])
                for picture in pictures:
                    if picture not in run.live_images[key]:
                        run.live_images[key].append(picture)
        finished = (started and not state["busy"] and state["status"] == "idle"
                    and state["runAll"] != "running")
        idle_polls = idle_polls + 1 if finished else 0
        if idle_polls >= 3:
            return
        if elapsed > timeout:
            busy = state["busy"]
            where = f"cell {busy[0]} still shows [*]" if busy else "no cell is busy"
            raise TimeoutError(
                f"{run.name}: running all cells did not finish within {timeout:.0f} s "
                f"({where}; kernel {state['status']!r}; Run All {state['runAll']!r}; "
                f"{len(state['executed'])} code cells executed). Set BPCOURSE_BROWSER_TIMEOUT "
                "to allow more time.")
        time.sleep(POLL)


def _kernel_widget_models(page, run):
    result = page.evaluate(KERNEL_EXECUTE_JS, KERNEL_WIDGETS_CODE)
    match = re.search(r"BPCOURSE-WIDGETS(\[.*\])", result["out"])
    if not (result["ok"] and match):
        run.failures.append(f"could not ask the kernel which widgets it made: {result}")
        return []
    return sorted(set(json.loads(match.group(1))))


def _check_cells(run):
    """No errors in any cell, every code cell executed."""
    for cell in run.report["cells"]:
        where = f"cell {cell['index']} ({cell['head']!r})"
        for text in cell["errors"]:
            run.failures.append(f"{where} shows an error:\n{text}")
        model_errors = [o for o in cell["outputs"] if o["type"] == "error"]
        if model_errors and not cell["errors"]:
            run.failures.append(f"{where} has an error output that the page does not show: "
                                f"{model_errors[0]['ename']}: {model_errors[0]['evalue']}")
        for text in cell["widgetProblems"]:
            run.failures.append(f"{where}: a widget did not render: {text!r}")
        for text in cell["fallbacks"]:
            run.failures.append(f"{where}: a widget is shown as text (no widget manager?): {text!r}")
    not_run = [cell for cell in run.report["cells"]
               if _cell_has_code(cell) and cell["executionCount"] is None]
    if not_run:
        first = not_run[0]
        run.failures.append(
            f"{len(not_run)} code cell(s) were not executed (the run stopped before them), "
            f"from cell {first['index']} ({first['head']!r}): "
            f"cells {[cell['index'] for cell in not_run]}")


def _check_widgets(run):
    """Every slider / dropdown / progress bar the kernel made has its element in the page."""
    models = set(run.kernel_widgets)
    for kind, (model_names, selector) in WIDGET_KINDS.items():
        made = sorted(models & model_names)
        seen = run.report["seen"][kind] + run.report["present"][kind]
        if made and not seen:
            run.failures.append(
                f"the kernel made {', '.join(made)} but no {kind} element ({selector}) "
                "ever appeared in the page")


def _check_expectations(run, required_widgets, min_pictures):
    """The widget kinds a notebook must make (and show), and the least number of pictures it must show."""
    if not run.report.get("cells"):
        return  # the run failed before the page could be read; run.failures says why
    models = set(run.kernel_widgets)
    for kind in sorted(required_widgets):
        model_names, selector = WIDGET_KINDS[kind]
        seen = run.report["seen"][kind] + run.report["present"][kind]
        if not models & model_names or not seen:
            run.failures.append(f"expected a {kind} ({sorted(model_names)} in the kernel, {selector} in the page); "
                                f"the kernel made {sorted(models) or 'no widgets'}, the page showed {seen}")
    pictures = sum("image/png" in output["mimes"] for cell in run.report["cells"] for output in cell["outputs"])
    if pictures < min_pictures:
        run.failures.append(f"expected at least {min_pictures} pictures (image/png outputs), the notebook showed "
                            f"{pictures}")


def _move_slider_check(page, run, slider_class, output_class, wait):
    """Drag a slider to the right (or left) and check that the output text changes."""
    notebook = page.locator(".jp-NotebookPanel:visible .jp-Notebook")
    slider = notebook.locator(f".{slider_class}")
    if slider.count() == 0:
        slider = notebook.locator(".widget-slider, .jupyter-widget-slider")
        if slider.count() == 0:
            run.failures.append(f"slider check: no element .{slider_class} and no slider at all "
                                "in the notebook")
            return
        run.notes.append(f"slider check: no .{slider_class}; used the first slider instead")
    slider = slider.first
    output = notebook.locator(f".{output_class}")
    if output.count() == 0:
        run.notes.append(f"slider check: no .{output_class}; used the slider cell's printed output")
        cell = "xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' jp-Cell ')][1]"
        output = slider.locator(cell).locator(
            '[data-mime-type="application/vnd.jupyter.stdout"], [data-mime-type="text/plain"]')
    if output.count() == 0:
        run.failures.append(f"slider check: no output element .{output_class} and no printed "
                            "output next to the slider")
        return
    output = output.first
    handle = slider.locator(".noUi-handle").first
    handle.scroll_into_view_if_needed()
    before_text = output.inner_text()
    before_value = handle.get_attribute("aria-valuenow")
    low = float(handle.get_attribute("aria-valuemin"))
    high = float(handle.get_attribute("aria-valuemax"))
    direction = 1 if float(before_value) < (low + high) / 2 else -1
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + direction * 60, y, steps=10)
    page.mouse.up()
    after_value = handle.get_attribute("aria-valuenow")
    if after_value == before_value:
        run.notes.append("slider check: dragging did not move the slider; used the arrow keys")
        handle.focus()
        for _ in range(5):
            page.keyboard.press("ArrowRight" if direction > 0 else "ArrowLeft")
        after_value = handle.get_attribute("aria-valuenow")
    if after_value == before_value:
        run.failures.append(f"slider check: could not move the slider .{slider_class} "
                            f"(value stayed {before_value})")
        return
    deadline = time.monotonic() + wait
    after_text = output.inner_text()
    while after_text == before_text and time.monotonic() < deadline:
        time.sleep(0.25)
        after_text = output.inner_text()
    if after_text == before_text:
        run.failures.append(
            f"slider check: moved the slider from {before_value} to {after_value} but the "
            f"output did not change within {wait:.0f} s (still {before_text!r})")
    else:
        run.notes.append(f"slider {before_value} -> {after_value}: output "
                         f"{before_text!r} -> {after_text!r}")
    # let the kernel finish any redraw before the final checks
    time.sleep(1.0)


# Mouse strokes for the draw check, in canvas pixels (the panel's canvas is 280 x 280):
# a vertical bar, and an ellipse drawn as one closed stroke.
DRAW_STROKES = {
    "1": [[(140, 40), (140, 240)]],
    "0": [[(140 + 65 * math.sin(2 * math.pi * k / 32), 140 - 95 * math.cos(2 * math.pi * k / 32))
           for k in range(33)]],
}


def _draw_strokes_with_the_mouse(page, box, strokes):
    """Press, drag through every point (with intermediate moves) and release, stroke by stroke."""
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=4)
        page.mouse.up()


def _draw_digit_check(page, run, panel_class, wait, screenshot_stem=None):
    """In the first panel of ``panel_class``: clear, draw a 1, clear, draw a 0, with the mouse.

    After each digit the prediction text must say what the network reads and
    differ from before, and the picture (input, bar chart, hidden layer) must
    be a new one. ``run.draw_readings`` gets the text after each digit.
    """
    notebook = page.locator(".jp-NotebookPanel:visible .jp-Notebook")
    panel = notebook.locator(f".{panel_class}")
    if panel.count() == 0:
        run.failures.append(f"draw check: no draw-a-digit panel .{panel_class} in the notebook")
        return
    panel = panel.first
    canvas = panel.locator(".bpcourse-draw-canvas")
    if canvas.locator("canvas").count():
        canvas = canvas.locator("canvas")
    canvas = canvas.last
    text = panel.locator(".bpcourse-draw-prediction").first
    picture = panel.locator("img.bpcourse-draw-plot, .bpcourse-draw-plot img").first
    clear = panel.locator(".bpcourse-draw-clear").first
    if screenshot_stem is not None:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOT_DIR.glob(f"draw-{screenshot_stem}-*.png"):
            old.unlink()

    def wait_for(condition):
        deadline = time.monotonic() + wait
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.25)
        return condition()

    panel.scroll_into_view_if_needed()
    for number, (digit, strokes) in enumerate(DRAW_STROKES.items(), 1):
        if "nothing drawn" not in text.inner_text():  # a fresh panel is clear: a click now would be a race
            clear.click()
        if not wait_for(lambda: "nothing drawn" in text.inner_text()):
            run.failures.append(f"draw check: after 'clear' the panel did not say that nothing is "
                                f"drawn within {wait:.0f} s (it says {text.inner_text()!r})")
            return
        # the panel sends its picture before its text: "nothing drawn" means the cleared picture is in
        before_text, before_picture = text.inner_text(), picture.get_attribute("src")
        _draw_strokes_with_the_mouse(page, canvas.bounding_box(), strokes)
        changed = wait_for(lambda: "reads" in text.inner_text()
                           and picture.get_attribute("src") != before_picture)
        after_text = text.inner_text()
        run.draw_readings.append(after_text)
        if screenshot_stem is not None:
            time.sleep(0.5)  # let the new picture be painted
            path = SCREENSHOT_DIR / f"draw-{screenshot_stem}-{number}.png"
            panel.screenshot(path=str(path))
            run.screenshots.append(path)
        if not changed:
            what = ("the prediction text" if "reads" not in after_text or after_text == before_text
                    else "the picture with the bar chart")
            run.failures.append(f"draw check: drew a {digit} with the mouse but {what} did not change "
                                f"within {wait:.0f} s (text before {before_text!r}, after {after_text!r})")
            return
        run.notes.append(f"drew a {digit} with the mouse: {after_text!r}")


def _live_plot_check(run, live_class):
    """The live plot showed at least two different pictures while the training cell ran."""
    preferred = {k: v for k, v in run.live_images.items() if k.startswith("." + live_class)}
    changing = {k: v for k, v in preferred.items() if len(v) >= 2}
    if changing:
        run.notes.append("live plot: " + "; ".join(
            f"{k}: {len(v)} different pictures" for k, v in changing.items()))
        return
    fallback = {k: v for k, v in run.live_images.items() if len(v) >= 2 and k not in preferred}
    if not preferred and fallback:
        run.notes.append(f"live plot: no .{live_class} element; a picture in a running cell "
                         f"changed instead: {sorted(fallback)}")
        return
    seen = {k: len(v) for k, v in run.live_images.items() if v}
    if preferred:
        run.failures.append(f"live plot check: .{live_class} never showed two different pictures "
                            f"while cells ran (pictures seen per element: {seen})")
    else:
        run.failures.append(f"live plot check: no element .{live_class} appeared and no picture "
                            f"in a running cell changed (pictures seen per element: {seen})")


def _screenshots(page, run, stem):
    """Save the notebook area, scrolled from top to bottom, as stem-01.png, stem-02.png ..."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOT_DIR.glob(f"{stem}-*.png"):  # pictures of an earlier run
        old.unlink()
    page.set_viewport_size(SCREENSHOT_VIEWPORT)
    time.sleep(0.5)
    panel = page.locator(".jp-NotebookPanel:visible").first
    box = panel.bounding_box()
    geometry = page.evaluate(SCROLLER_JS, 0)
    step = max(200, geometry["view"] - 60)  # a little overlap between pictures
    offset = 0
    for number in range(1, MAX_SCREENSHOTS + 1):
        geometry = page.evaluate(SCROLLER_JS, offset)
        time.sleep(0.15)
        path = SCREENSHOT_DIR / f"{stem}-{number:02d}.png"
        page.screenshot(path=str(path), clip=box)
        run.screenshots.append(path)
        if geometry["top"] + geometry["view"] >= geometry["height"] - 2:
            break
        offset += step
    else:
        run.notes.append(f"screenshots stopped after {MAX_SCREENSHOTS} pictures")


# One JupyterLab page per browser context: loading JupyterLab costs the browser seconds of CPU time.
_LAB_PAGES = {}


def _lab_page(context, server):
    """The context's open JupyterLab page on ``server``, loaded (``/lab?reset``) at the first call."""
    page = _LAB_PAGES.get((id(context), server.url))
    if page is not None and not page.is_closed():
        return page
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server.url}/lab?reset&token={server.token}")
    page.wait_for_function("window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
    _LAB_PAGES[(id(context), server.url)] = page
    return page


def run_notebook(context, server, relative_path, *, live_class=None, slider=None,
                 slider_wait=20.0, draw=None, draw_wait=30.0, screenshot_stem=None,
                 timeout=RUN_TIMEOUT):
    """Open ``relative_path`` (inside the server's folder), run all cells, check the page.

    The notebook opens in the context's JupyterLab page (:func:`_lab_page`) and is closed at the end; a run
    that broke closes the page too, so that the next notebook starts in a freshly loaded JupyterLab.
    Returns a :class:`NotebookRun`; ``run.failures`` lists what went wrong.
    """
    run = NotebookRun(name=relative_path)
    start = clock = time.monotonic()

    def phase(name):
        nonlocal clock
        now = time.monotonic()
        run.phases[name] = round(now - clock, 1)
        clock = now

    page = _lab_page(context, server)
    broke = True
    try:
        page.set_viewport_size({"width": 1280, "height": 900})
        kinds = {kind: selector for kind, (_, selector) in WIDGET_KINDS.items()}
        page.evaluate(SETUP_JS, [relative_path, kinds])
        page.evaluate(OPEN_JS, relative_path)
        page.wait_for_function("window.__bpPanel() !== null && window.__bpPanel().node.querySelector('.jp-Cell')",
                               timeout=60_000)
        phase("open")
        _wait_for_kernel(page, run)
        page.evaluate(PREPARE_VIEW_JS)
        phase("kernel")
        try:
            _run_all_and_wait(page, run, live_class, timeout)
        except TimeoutError as error:
            run.failures.append(str(error))
            phase("run")
        else:
            phase("run")
            run.kernel_widgets = _kernel_widget_models(page, run)
            if slider is not None:
                _move_slider_check(page, run, *slider, wait=slider_wait)
            if draw is not None:
                _draw_digit_check(page, run, draw, wait=draw_wait,
                                  screenshot_stem=screenshot_stem)
            if live_class is not None:
                _live_plot_check(run, live_class)
        time.sleep(0.5)  # let the last outputs render
        run.report = page.evaluate(REPORT_JS, kinds)
        _check_cells(run)
        if not any("did not finish" in f for f in run.failures):
            _check_widgets(run)
        phase("checks")
        if screenshot_stem is not None and (SCREENSHOT_ALL or run.failures):
            _screenshots(page, run, screenshot_stem)
            phase("screenshots")
        broke = False
    except Exception:
        if screenshot_stem is not None:  # what the page showed when the harness broke
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=str(SCREENSHOT_DIR / f"{screenshot_stem}-error.png"))
            except Exception:  # the page itself may be gone; the original error matters
                pass
        raise
    finally:
        if broke:
            page.close()
        else:
            page.evaluate(CLOSE_JS)
        server.shutdown_kernels()
        phase("close")
        run.seconds = time.monotonic() - start
    return run


def _timing_detail(run):
    """Seconds per phase and the slowest cells (cell index: seconds)."""
    timed = [c for c in run.report.get("cells", []) if c.get("seconds") is not None]
    slowest = sorted(timed, key=lambda c: -c["seconds"])[:3]
    phases = " ".join(f"{name} {seconds:.1f}" for name, seconds in run.phases.items())
    cells = ", ".join(f"cell {c['index']}: {c['seconds']:.1f}" for c in slowest)
    return f"({phases}; slowest {cells})"


def _summary(run):
    """One paragraph for the captured output: times, widgets, notes."""
    widgets_seen = {k: run.report.get("seen", {}).get(k, 0) for k in WIDGET_KINDS}
    return (f"{run.name}: {run.seconds:.1f} s {_timing_detail(run)}; kernel widgets "
            f"{run.kernel_widgets}; widget elements seen {widgets_seen}; "
            f"{len(run.screenshots)} screenshots; notes: {run.notes}")


# ---------------------------------------------------------------------- tests
# The harness itself, on small notebooks written here: one that passes every
# check and one that must be reported as failing.
def _write_notebook(path, sources):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


SAMPLE_CELLS = [
    "import time\nimport ipywidgets as widgets\nimport matplotlib.pyplot as plt\n"
    "from IPython.display import HTML, display\nfrom tqdm.auto import tqdm",
    # a slider whose printed output follows it
    "w1 = widgets.FloatSlider(value=0.5, min=-3, max=3, step=0.1, description='w1')\n"
    "w1.add_class('bpcourse-neuron-w1')\n"
    "out = widgets.HTML()\nout.add_class('bpcourse-neuron-output')\n"
    "def show(change=None):\n    out.value = f'y = {2 * w1.value:.2f}'\n"
    "w1.observe(show, 'value')\nshow()\ndisplay(widgets.VBox([w1, out]))",
    "display(widgets.Dropdown(options=['sigmoid', 'tanh'], description='activation'))",
    "for _ in tqdm(range(10)):\n    time.sleep(0.02)",
    # a picture replaced three times while the cell runs (like bpcourse.visuals.live_plot)
    "import base64, io\nhandle = display(HTML(''), display_id=True)\n"
    "for epoch in range(3):\n    fig, ax = plt.subplots(figsize=(3, 2))\n"
    "    ax.plot(range(epoch + 2))\n    ax.set_title(f'epoch {epoch}')\n"
    "    buffer = io.BytesIO()\n    fig.savefig(buffer, format='png')\n    plt.close(fig)\n"
    "    png = base64.b64encode(buffer.getvalue()).decode()\n"
    "    handle.update(HTML(f'<div class=\"bpcourse-live-plot\"><img src=\"data:image/png;base64,"
    "{png}\"></div>'))\n    time.sleep(1.0)",
]


def test_harness_passes_a_good_notebook(lab_server, chromium_context):
    _write_notebook(lab_server.root / "_harness" / "good.ipynb", SAMPLE_CELLS)
    run = run_notebook(chromium_context, lab_server, "_harness/good.ipynb",
                       live_class="bpcourse-live-plot",
                       slider=("bpcourse-neuron-w1", "bpcourse-neuron-output"), timeout=60)
    print(_summary(run))
    assert not run.failures, "\n".join(run.failures)
    assert {"FloatSliderModel", "DropdownModel", "FloatProgressModel"} <= set(run.kernel_widgets)
    assert all(run.report["seen"][kind] > 0 for kind in WIDGET_KINDS), run.report["seen"]
    assert any(note.startswith("slider 0.5 -> ") for note in run.notes), run.notes
    live = [v for k, v in run.live_images.items() if k.startswith(".bpcourse-live-plot")]
    assert live and max(len(v) for v in live) >= 2, run.live_images


def test_harness_reports_errors(lab_server, chromium_context):
    _write_notebook(lab_server.root / "_harness" / "broken.ipynb", [
        "print('fine')",
        # a slider whose output does not follow it
        "import ipywidgets as widgets\nfrom IPython.display import display\n"
        "w1 = widgets.FloatSlider(value=0.5, min=-3, max=3, step=0.1)\n"
        "w1.add_class('bpcourse-neuron-w1')\n"
        "out = widgets.HTML('y = 1.00')\nout.add_class('bpcourse-neuron-output')\n"
        "display(widgets.VBox([w1, out]))",
        "dropdown = widgets.Dropdown(options=['sigmoid'])  # made, never shown",
        # an exception shown inside an Output widget (not in the notebook model)
        "out2 = widgets.Output()\ndisplay(out2)\nwith out2:\n"
        "    raise ValueError('inside an Output widget')",
        "1 +",  # a SyntaxError: its output has no 'Traceback' line; the run stops here
        "print('never runs')",
    ])
    run = run_notebook(chromium_context, lab_server, "_harness/broken.ipynb",
                       live_class="bpcourse-live-plot",
                       slider=("bpcourse-neuron-w1", "bpcourse-neuron-output"),
                       slider_wait=3.0, timeout=60)
    print(_summary(run))
    text = "\n".join(run.failures)
    assert "cell 3 ('out2 = widgets.Output()') shows an error" in text, text
    assert "ValueError: inside an Output widget" in text, text
    assert "cell 4 ('1 +') shows an error" in text and "SyntaxError" in text, text
    assert "1 code cell(s) were not executed" in text and "from cell 5" in text, text
    assert "slider check: moved the slider from 0.5 to" in text, text
    assert "output did not change" in text, text
    assert "DropdownModel but no dropdown element" in text, text
    assert "no element .bpcourse-live-plot appeared" in text, text
    assert not re.search(r"cell [012] \(", text), text
    assert len(run.failures) == 6, text


DRAW_CELLS = [
    "import numpy as np\nfrom IPython.display import display\nfrom bpcourse.visuals.draw import draw_digit\n\n"
    "class InkRows:  # stands in for a trained network: output k is the ink in one band of rows\n"
    "    def predict(self, x):\n"
    "        rows = np.asarray(x).reshape(28, 28).sum(axis=1)\n"
    "        return np.array([rows[round(2.8 * k):round(2.8 * (k + 1))].sum() for k in range(10)]) / 100",
    "working = draw_digit(InkRows())\nworking.add_class('bpcourse-draw-works')\ndisplay(working)",
    # a panel whose readings never change: the draw check must say so
    "stuck = draw_digit(InkRows())\nstuck.update = lambda: None\nstuck.add_class('bpcourse-draw-stuck')\n"
    "display(stuck)",
]


def test_draw_check_reads_two_digits_and_reports_a_panel_that_does_not_follow(
        lab_server, chromium_context):
    _write_notebook(lab_server.root / "_harness" / "draw.ipynb", DRAW_CELLS)
    run = run_notebook(chromium_context, lab_server, "_harness/draw.ipynb",
                       draw="bpcourse-draw-works", timeout=60)
    print(_summary(run))
    assert not run.failures, "\n".join(run.failures)
    assert len(run.draw_readings) == 2, run.notes
    assert all(r.startswith("the network reads a ") for r in run.draw_readings), run.draw_readings
    assert "CanvasModel" in run.kernel_widgets, run.kernel_widgets
    stuck = run_notebook(chromium_context, lab_server, "_harness/draw.ipynb",
                         draw="bpcourse-draw-stuck", draw_wait=3.0, timeout=60)
    print(_summary(stuck))
    text = "\n".join(stuck.failures)
    assert "draw check: drew a 1 with the mouse but the prediction text did not change" in text, text
    assert len(stuck.failures) == 1, text


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_in_jupyterlab(notebook, lab_server, chromium_context, browser_timings):
    number = notebook.stem.split("_")[0]
    run = run_notebook(
        chromium_context, lab_server, notebook.name,
        live_class=LIVE_PLOT_CHECKS.get(number),
        slider=SLIDER_CHECKS.get(number),
        draw=DRAW_CHECKS.get(number),
        screenshot_stem=notebook.stem,
        timeout=RUN_TIMEOUTS.get(number, RUN_TIMEOUT),
    )
    _check_expectations(run, REQUIRED_WIDGETS.get(number, ()), MIN_PICTURES.get(number, 0))
    browser_timings.append((notebook.name, run.seconds, _timing_detail(run)))
    print(_summary(run))
    for note in run.notes:  # what a person should know even when the test passes
        if note.startswith(("JupyterLab showed a dialog", "'Run All' did not start",
                            "slider check: no", "live plot: no", "screenshots stopped")):
            warnings.warn(f"{notebook.name}: {note}")
    if run.failures:
        pytest.fail(
            f"{notebook.name} in JupyterLab ({run.seconds:.0f} s; screenshots in "
            f"{SCREENSHOT_DIR}):\n- " + "\n- ".join(run.failures), pytrace=False)
    assert run.report["cells"], f"{notebook.name}: no code cells found in the page"


def test_expectations_report_a_missing_progress_bar_and_missing_pictures():
    """_check_expectations fails a run without the required widget and pictures, and passes one with them."""
    kinds = {kind: 0 for kind in WIDGET_KINDS}
    bare = NotebookRun(name="bare.ipynb", report={
        "cells": [{"outputs": [{"mimes": ["text/plain"]}]}], "seen": dict(kinds), "present": dict(kinds)})
    _check_expectations(bare, {"progress bar"}, 2)
    assert len(bare.failures) == 2 and "progress bar" in bare.failures[0] and "pictures" in bare.failures[1]

    shown = dict(kinds, **{"progress bar": 1})
    good = NotebookRun(name="good.ipynb", kernel_widgets=["FloatProgressModel"], report={
        "cells": [{"outputs": [{"mimes": ["image/png", "text/plain"]}, {"mimes": ["image/png"]}]}],
        "seen": shown, "present": dict(kinds)})
    _check_expectations(good, {"progress bar"}, 2)
    assert good.failures == []
