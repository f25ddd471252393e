"""The course on JupyterHub for a class, tried end to end as two students and their instructor.

The test starts the hub of ``hub/jupyterhub_config.py`` (with its proxy, as root, on
free ports, every folder temporary) after ``hub/course.py release`` has handed out
notebook 01. Two students log in from two browser contexts; each lands in notebook 01
(pulled into their home by nbgitpuller), fills exercises, runs the notebook, saves it
and submits it from nbgrader's Assignments tab. The instructor's ``hub/course.py
grade`` collects, grades and returns the feedback; each student fetches theirs, opens
it, and is refused the other's (by the hub, by their own server, and by the operating
system). Then the instructor updates the course, and a student's next visit merges the
update in without overwriting their work. Screenshots of each step: ``build/screenshots/hub-*.png``.
"""

import json
import os
import pwd
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from hub.local_hub import LocalHub, missing_requirements, mnist_folder
from tests.browser.conftest import CHROMIUM_ARGS, _skip_or_fail
from tests.notebook_solutions import notebook_path, solution_cells
from tests.test_grading import require_sandbox

pytestmark = [pytest.mark.browser, pytest.mark.hub]

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO / "build" / "screenshots"
PASSWORD = "backprop-demo"  # the README's demo password
NOTEBOOK = notebook_path("01").name
SPAWN_TIMEOUT = 180_000  # ms: log-in to a ready notebook on a loaded machine
RUN_TIMEOUT = 240  # s: notebook 01 in a fresh kernel


def _answers(tag):
    """``{grade_id: source}``: the instructor's solutions of notebook 01, each marked with ``tag``."""
    ids = ["nb01_sigmoid", "nb01_sigmoid_derivative", "nb01_neuron_output"]
    return {grade_id: f"# {tag}\n{source}" for grade_id, source in zip(ids, solution_cells("01"))}


def _wrong_derivative(tag):
    return f"# {tag}\ndef sigmoid_derivative(y):\n    return y * (1 + y)\n"


@pytest.fixture(scope="module")
def hub(chromium_executable):
    problem = missing_requirements()
    if problem:
        _skip_or_fail(problem)
    require_sandbox()
    mnist = mnist_folder()
    if mnist is None:
        _skip_or_fail("MNIST is not on this machine (`make data`)")
    tag = secrets.token_hex(2)
    student = {"ann": f"bpc{tag}ann", "ben": f"bpc{tag}ben"}
    outsider = f"bpc{tag}eve"  # not on the class list
    with LocalHub(student.values(), [notebook_path("01")], mnist=mnist, memory="2G", password=PASSWORD,
                  server_args="--LabApp.expose_app_in_browser=True", also_remove=[outsider],
                  keep_log=SCREENSHOT_DIR / "hub-jupyterhub.log") as hub:
        hub.student, hub.outsider = student, outsider
        yield hub


# JupyterLab, driven through its application object (the servers expose it for this test).
NOTEBOOK_READY_JS = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!(k && k.status === 'idle' && w.content && w.content.widgets.length > 0);
}"""
SET_ANSWERS_JS = """(answers) => {
  const nb = window.jupyterapp.shell.currentWidget.content;
  let set = 0;
  nb.widgets.forEach((cell) => {
    const meta = cell.model.getMetadata('nbgrader');
    if (meta && answers[meta.grade_id] !== undefined) { cell.model.sharedModel.setSource(answers[meta.grade_id]); set += 1; }
  });
  return set;
}"""
RUN_ALL_JS = """() => {
  window.__runAll = 'running';
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    () => { window.__runAll = 'done'; }, (e) => { window.__runAll = 'error: ' + e; });
}"""
RUN_STATE_JS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const busy = [...w.content.node.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*'));
  const errors = [...w.content.node.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], .jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]')]
    .map(e => e.innerText.slice(0, 300));
  return {runAll: window.__runAll, busy, status: w.sessionContext.session.kernel.status, errors};
}"""


MEMORY_LIMIT = 2 << 30  # the config's default, BPCOURSE_HUB_MEMORY=2G
OVER_THE_LIMIT_JS = """async (code) => {
  // Run code in the open notebook's kernel: 'ok', 'error <name>', or 'kernel <status>' if it died.
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  return await new Promise((resolve) => {
    kernel.statusChanged.connect((_, status) => {
      if (['restarting', 'autorestarting', 'dead'].includes(status)) resolve('kernel ' + status);
    });
    let error = null;
    const future = kernel.requestExecute({code});
    future.onIOPub = (msg) => { if (msg.header.msg_type === 'error') error = msg.content.ename; };
    future.done.then(() => resolve(error ? 'error ' + error : 'ok'), () => {});
  });
}"""


def _shot(page, name):
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"hub-{name}.png"))


def _log_in(context, hub, who):
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", hub.student[who])
    page.fill("#password_input", PASSWORD)
    if who == "ann":
        _shot(page, "1-log-in")
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{hub.student[who]}/lab/tree/bpcourse/{NOTEBOOK}", timeout=SPAWN_TIMEOUT)
    page.wait_for_function(NOTEBOOK_READY_JS, timeout=SPAWN_TIMEOUT)
    return page


def _work_and_submit(page, who, answers):
    assert page.evaluate(SET_ANSWERS_JS, answers) == len(answers), f"{who}: not every exercise cell was found"
    page.evaluate(RUN_ALL_JS)
    deadline = time.monotonic() + RUN_TIMEOUT
    state = {}
    while time.monotonic() < deadline:
        state = page.evaluate(RUN_STATE_JS)
        if state["runAll"] != "running" and not state["busy"] and state["status"] == "idle":
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"{who}: notebook 01 did not finish within {RUN_TIMEOUT} s ({state})")
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty")
    page.evaluate("""() => {  // show the first error, if any, else the end of the notebook
      const nb = window.jupyterapp.shell.currentWidget.content.node;
      const error = nb.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
      (error || nb.querySelector('.jp-Cell:last-child')).scrollIntoView({block: 'center'});
    }""")
    _shot(page, f"2-{who}-notebook")
    page.evaluate("() => window.jupyterapp.commands.execute('nbgrader:open-assignment-list')")
    page.locator("#fetched_assignments_list button:has-text('Submit')").click()
    page.locator("#submitted_assignments_list button:has-text('Fetch Feedback')").wait_for(timeout=60_000)
    _shot(page, f"3-{who}-submitted")
    return state


def test_two_students_work_submit_and_each_gets_only_their_own_feedback(hub, playwright_driver, chromium_executable):
    work = {
        "ann": _answers("ann's answer"),  # every exercise right
        "ben": {"nb01_sigmoid": _answers("ben's answer")["nb01_sigmoid"],  # one right, one wrong
                "nb01_sigmoid_derivative": _wrong_derivative("ben's answer")},
    }
    browser = playwright_driver.chromium.launch(executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS)
    try:
        # The hub makes a student's operating-system user at their first log-in, not before; a name
        # that is not on the class list is refused with the right password and gets no user.
        for name in hub.student.values():
            with pytest.raises(KeyError):
                pwd.getpwnam(name)
        page = browser.new_context().new_page()
        page.goto(f"{hub.url}/hub/login")
        page.fill("#username_input", hub.outsider)
        page.fill("#password_input", PASSWORD)
        page.click("#login_submit")
        page.locator(".login_error").wait_for(timeout=30_000)
        assert "/hub/login" in page.url, page.url
        with pytest.raises(KeyError):
            pwd.getpwnam(hub.outsider)
        page.context.close()

        pages = {who: _log_in(browser.new_context(viewport={"width": 1280, "height": 900}), hub, who)
                 for who in ("ann", "ben")}
        # The hand-out: nbgitpuller put every notebook of the release in each student's home.
        for who, name in hub.student.items():
            assert (Path(pwd.getpwnam(name).pw_dir) / "bpcourse" / NOTEBOOK).is_file(), who
            assert os.stat(pwd.getpwnam(name).pw_dir).st_mode & 0o077 == 0, f"{who}'s home is not private"
        states = {who: _work_and_submit(pages[who], who, work[who]) for who in ("ann", "ben")}
        assert states["ann"]["errors"] == [], f"ann's right answers raised: {states['ann']['errors']}"
        assert any("AssertionError" in e or "Error" in e for e in states["ben"]["errors"]), (
            f"ben's wrong derivative did not fail its check in the notebook: {states['ben']}")

        # The instructor: collect, grade, return feedback.
        graded = hub.course("grade", "--jobs", "2")
        assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
        for who, name in hub.student.items():
            submitted = hub.hub_dir / "course" / "submitted" / name / "bpcourse"
            assert (submitted / NOTEBOOK).is_file() and (submitted / "timestamp.txt").read_text().strip(), who
        sheet = (hub.hub_dir / "grades" / "grades_wide.csv").read_text().splitlines()
        totals = {row.split(",")[0]: row.split(",")[-1] for row in sheet[1:]}
        assert totals == {hub.student["ann"]: "5", hub.student["ben"]: "2"}, sheet

        # Each student fetches and opens their own feedback.
        feedback_urls = {}
        for who, page in pages.items():
            page.locator("#refresh_assignments_list").click()
            page.locator("#submitted_assignments_list button:has-text('Fetch Feedback')").click()
            home = Path(pwd.getpwnam(hub.student[who]).pw_dir)
            deadline = time.monotonic() + 60
            while not list((home / "bpcourse" / "feedback").glob(f"*/{NOTEBOOK[:-6]}.html")):
                assert time.monotonic() < deadline, f"{who}: no feedback arrived in ~/bpcourse/feedback"
                time.sleep(0.5)
            (fetched,) = (home / "bpcourse" / "feedback").glob(f"*/{NOTEBOOK[:-6]}.html")
            relative = fetched.relative_to(home).as_posix()
            feedback_urls[who] = relative
            response = page.goto(f"{hub.url}/user/{hub.student[who]}/files/{relative}")
            assert response.status == 200, f"{who}: {response.status} for their own feedback"
            text = page.locator("body").inner_text()
            total = "5 / 5" if who == "ann" else "2 / 5"
            assert f"Total: {total} points" in text and f"{who}'s answer" in text, f"{who}'s feedback: {text[:500]}"
            other = "ben" if who == "ann" else "ann"
            assert f"{other}'s answer" not in text, f"{who}'s feedback shows {other}'s work"
            assert "HIDDEN TESTS" not in text and "seed=8101" not in text, "a hidden test reached the feedback"
            _shot(page, f"4-{who}-feedback")

        # Ben tries to open Ann's feedback: the hub refuses him her server ...
        ben = pages["ben"]
        response = ben.goto(f"{hub.url}/user/{hub.student['ann']}/files/{feedback_urls['ann']}")
        body = ben.locator("body").inner_text()
        assert response.status in (403, 404) and "ann's answer" not in body, (response.status, body[:300])
        _shot(ben, "5-ben-refused-ann-feedback")
        # ... his own server will not serve a path outside his home ...
        outside = f"..%2F{hub.student['ann']}%2F{feedback_urls['ann'].replace('/', '%2F')}"
        response = ben.goto(f"{hub.url}/user/{hub.student['ben']}/files/{outside}")
        assert response.status in (403, 404) and "ann's answer" not in ben.locator("body").inner_text()
        # ... and the operating system will not let his user read it.
        ann_file = Path(pwd.getpwnam(hub.student["ann"]).pw_dir) / feedback_urls["ann"]
        peek = subprocess.run(["su", "-s", "/bin/sh", hub.student["ben"], "-c", f"cat '{ann_file}'"],
                              capture_output=True, text=True)
        assert peek.returncode != 0 and "Permission denied" in peek.stderr and "ann's answer" not in peek.stdout

        # The instructor updates the course (a new notebook, a reworded introduction); Ann's next
        # log-in merges it in and keeps her work.
        notebook = json.loads((hub.source / NOTEBOOK).read_text(encoding="utf-8"))
        first_markdown = next(c for c in notebook["cells"] if c["cell_type"] == "markdown")
        first_markdown["source"] = ["# 01 · One neuron and the sigmoid (updated)\n"] + first_markdown["source"][1:]
        (hub.source / NOTEBOOK).write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")
        second = notebook_path("02")
        shutil.copy2(second, hub.source / second.name)
        released = hub.course("release")
        assert released.returncode == 0, released.stdout[-2000:] + released.stderr[-2000:]
        ann = pages["ann"]
        ann.goto(f"{hub.url}/hub/user-redirect/git-pull?" + urlencode({
            "repo": f"file://{hub.hub_dir / 'handout'}", "branch": "main", "targetpath": "bpcourse",
            "urlpath": f"lab/tree/bpcourse/{NOTEBOOK}"}))
        ann.wait_for_url(f"**/lab/tree/bpcourse/{NOTEBOOK}", timeout=SPAWN_TIMEOUT)
        folder = Path(pwd.getpwnam(hub.student["ann"]).pw_dir) / "bpcourse"
        assert (folder / second.name).is_file(), "the new notebook did not reach Ann"
        merged = (folder / NOTEBOOK).read_text(encoding="utf-8")
        assert "ann's answer" in merged, "the update overwrote Ann's work"
        assert "(updated)" in merged, "the reworded introduction did not reach Ann"
        ann.wait_for_function(NOTEBOOK_READY_JS, timeout=SPAWN_TIMEOUT)
        _shot(ann, "6-ann-after-update")

        # Ben's kernel asks for more than his server's memory limit: the limit stops that kernel,
        # not his server, Ann's or the machine.
        name = hub.student["ben"]
        ben.goto(f"{hub.url}/user/{name}/lab/tree/bpcourse/{NOTEBOOK}")
        ben.wait_for_function(NOTEBOOK_READY_JS, timeout=SPAWN_TIMEOUT)
        cgroup = Path("/sys/fs/cgroup/memory/bpcourse-hub") / name
        if cgroup.is_dir():  # the memory cgroup: the server and its kernels in it, at the configured limit
            assert int((cgroup / "memory.limit_in_bytes").read_text()) == MEMORY_LIMIT
            members = {int(pid) for pid in (cgroup / "cgroup.procs").read_text().split()}
            own = {int(pid) for pid in subprocess.run(["pgrep", "-u", name], capture_output=True,
                                                      text=True).stdout.split()}
            assert len(own) >= 2 and own <= members, f"ben's processes {own}, in his cgroup {members}"
        outcome = ben.evaluate(OVER_THE_LIMIT_JS, f"hog = b'x' * {MEMORY_LIMIT + (1 << 30)}")
        _shot(ben, "7-ben-over-memory-limit")
        if cgroup.is_dir():
            assert outcome in ("kernel restarting", "kernel autorestarting", "kernel dead"), outcome
            assert int((cgroup / "memory.failcnt").read_text()) > 0, "the cgroup never reached its limit"
        else:  # a limit on each process's address space instead
            assert outcome == "error MemoryError", outcome
        assert hub.api("GET", f"/users/{name}")["servers"][""]["ready"], "ben's server did not survive his kernel"
        assert hub.api("GET", f"/users/{hub.student['ann']}")["servers"][""]["ready"], "ann's server went down"
    finally:
        browser.close()
