"""The instructor's side of the course on JupyterHub (hub/jupyterhub_config.py).

    python hub/course.py release   # student versions -> hand-out repository + nbgrader's exchange
    python hub/course.py grade     # collect the latest submissions, grade them, return the feedback

Run as root on the hub's machine (``make hub-release``, ``make hub-grade``). It reads the
same variables as the hub's config (``BPCOURSE_HUB_DIR``, ``BPCOURSE_EXCHANGE``) and uses
the community's tools for every step:

- ``bpcourse student`` writes the student versions; they are committed to a git
  repository (``<hub dir>/handout``) that nbgitpuller pulls into each student's
  ``~/bpcourse`` on log-in, merging updates without overwriting their work;
- ``nbgrader release_assignment`` puts the same notebooks in nbgrader's exchange as the
  assignment ``bpcourse``, which the students then submit from JupyterLab's Assignments tab;
- ``nbgrader collect`` copies each student's latest submission (with its time stamp) to
  ``<hub dir>/course/submitted/<student>/bpcourse/``, the layout ``bpcourse grade`` reads;
- ``bpcourse grade`` grades them into ``<hub dir>/grades/`` (sheets, summary, similarity,
  ``feedback/<student>/``);
- ``nbgrader release_feedback`` returns each student's feedback pages through the
  exchange, under a key only that student's submission holds; they fetch them from the
  Assignments tab into ``~/bpcourse/feedback/<submission time>/``.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bpcourse.core.data import FILE_NAMES, find_mnist_files

REPO = Path(__file__).resolve().parents[1]
HUB_DIR = Path(os.environ.get("BPCOURSE_HUB_DIR", REPO / "build" / "hub")).resolve()
EXCHANGE = Path(os.environ.get("BPCOURSE_EXCHANGE", "/srv/nbgrader/exchange"))
COURSE_ID = ASSIGNMENT = "bpcourse"
COURSE_DIR = HUB_DIR / "course"  # nbgrader's course folder: release/, submitted/, feedback/, gradebook.db
HANDOUT = HUB_DIR / "handout"
DATA_DIR = HUB_DIR / "data"
GRADES = HUB_DIR / "grades"
BIN = Path(sys.executable).parent


def run(*command, cwd=None):
    print("+", " ".join(str(part) for part in command), flush=True)
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")  # nbgrader runs alembic
    subprocess.run([str(part) for part in command], check=True, cwd=cwd, env=env)


def nbgrader(subcommand, *args):
    """Run an nbgrader command on the course folder and the exchange."""
    run(BIN / "nbgrader", subcommand, ASSIGNMENT, *args,
        f"--CourseDirectory.root={COURSE_DIR}", f"--CourseDirectory.course_id={COURSE_ID}",
        f"--Exchange.root={EXCHANGE}", cwd=COURSE_DIR)


def release(source):
    """Hand out the student versions of the notebooks in ``source``."""
    HUB_DIR.mkdir(parents=True, exist_ok=True)
    os.chmod(HUB_DIR, 0o755)  # students read the hand-out and the data here, nothing else
    for private in (COURSE_DIR, GRADES):  # submissions, grades, the gradebook: the instructor's only
        private.mkdir(parents=True, exist_ok=True)
        os.chmod(private, 0o700)
    with tempfile.TemporaryDirectory(prefix="bpcourse-release-") as build:  # mode 0700: it holds the solutions
        run(BIN / "bpcourse", "student", "--source", source, "--out", build)
        notebooks = sorted((Path(build) / "student").glob("*.ipynb"))
        if not notebooks:
            sys.exit(f"no student versions were written from {source}")
        _hand_out(notebooks)
    _copy_data()


def _hand_out(notebooks):
    """Commit ``notebooks`` to the hand-out repository and release them as nbgrader's assignment."""
    # The hand-out repository: its files are exactly the student versions.
    if not (HANDOUT / ".git").is_dir():
        HANDOUT.mkdir(parents=True, exist_ok=True)
        run("git", "init", "-q", "-b", "main", cwd=HANDOUT)
    for old in HANDOUT.glob("*.ipynb"):
        old.unlink()
    for notebook in notebooks:
        shutil.copy2(notebook, HANDOUT / notebook.name)
    run("git", "add", "-A", cwd=HANDOUT)
    changed = subprocess.run(["git", "diff", "--cached", "--quiet"], cwd=HANDOUT).returncode != 0
    if changed or subprocess.run(["git", "rev-parse", "-q", "--verify", "HEAD"], cwd=HANDOUT,
                                 capture_output=True).returncode != 0:
        run("git", "-c", "user.name=bpcourse", "-c", "user.email=bpcourse@localhost",
            "commit", "-q", "-m", "student versions", cwd=HANDOUT)

    # The same notebooks as nbgrader's assignment, so that students can submit it.
    release_dir = COURSE_DIR / "release" / ASSIGNMENT
    shutil.rmtree(release_dir, ignore_errors=True)
    release_dir.mkdir(parents=True)
    for notebook in notebooks:
        shutil.copy2(notebook, release_dir / notebook.name)
    EXCHANGE.mkdir(parents=True, exist_ok=True)
    os.chmod(EXCHANGE, 0o1777)  # nbgrader's exchange: everyone writes, nobody removes another's files
    nbgrader("release_assignment", "--force")
    print(f"handed out {len(notebooks)} notebooks: {HANDOUT} and the exchange at {EXCHANGE}")


def _copy_data():
    """MNIST where every student can read it (the BPCOURSE_DATA of their servers)."""
    DATA_DIR.mkdir(exist_ok=True)
    for path, _ in find_mnist_files(FILE_NAMES).values():
        target = DATA_DIR / path.name
        if not target.exists():
            shutil.copy2(path, target)
            os.chmod(target, 0o644)


def grade(source, extra):
    """Collect the latest submissions, grade them, return each student's feedback."""
    nbgrader("collect", "--update")
    submitted = COURSE_DIR / "submitted"
    if not submitted.is_dir() or not any(submitted.iterdir()):
        sys.exit("no submissions to grade yet")
    run(BIN / "bpcourse", "grade", submitted, "--source", source, "--out", GRADES, *extra)

    # nbgrader's feedback folder: feedback/<student>/bpcourse/<notebook>.html beside the
    # submission's time stamp and secret, which key the page to that student's submission.
    feedback_root = COURSE_DIR / "feedback"
    released = 0
    for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir()):
        submission = student_dir / ASSIGNMENT
        pages = sorted((GRADES / "feedback" / student_dir.name).glob("*.html"))
        if not pages or not (submission / "submission_secret.txt").exists():
            continue
        target = feedback_root / student_dir.name / ASSIGNMENT
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in ("timestamp.txt", "submission_secret.txt"):
            shutil.copy2(submission / name, target / name)
        for page in pages:
            shutil.copy2(page, target / page.name)
        released += 1
    if released:
        nbgrader("release_feedback")
    print(f"graded into {GRADES}; feedback returned to {released} students (Assignments tab, Fetch Feedback)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["release", "grade"])
    parser.add_argument("--source", default=str(REPO / "notebooks"), help="the instructor's notebooks (notebooks/)")
    args, extra = parser.parse_known_args(argv)
    if args.command == "release":
        release(args.source)
    else:
        grade(args.source, extra)


if __name__ == "__main__":
    main()
