"""Grade a synthetic class of the course's notebooks at 1 and 2 jobs: throughput, speed-up, overhead.

The class is made from the instructor notebooks, a deterministic mix (seeded
``numpy.random.Generator``) of four kinds of student:

- **correct**: the instructor's notebook as submitted (solutions in place);
- **partly wrong**: some of the solution cells (at least one, not all) replaced by the
  student version's stub (``raise NotImplementedError()``) or by a body that returns None;
- **broken**: in one solution cell a syntax error, or the file cut off half way (not JSON),
  the two taking turns over the class's broken submissions;
- **hostile**: two solution cells of each submission attack the grader, taking turns over
  the four attacks: rebinding every ``check_*`` name (in the kernel's globals and in the
  loaded ``bpcourse`` modules) with a body that returns None, reading the instructor's
  notebook from the grader's disk and running its solution (``exec``), spinning in
  ``while True`` (a cell time-out: hence the short ``--cell-timeout``, 20 s by default,
  where ``bpcourse grade`` uses 120 s), and forking children until ``fork`` fails (the
  children sleep, so that they cost the machine no CPU); the other cells are correct.

Usage: ``.venv/bin/python benchmarks/grade_class.py [--students 40] [--notebooks 01,02,...]
[--jobs-list 1,2] [--cell-timeout 20] [--seed 0] [--keep DIR] [--json PATH] [--quick]``.

What it measures, in this order:

1. ``grade_folder`` (sandboxed) on the whole class, once per job count, each into a fresh
   folder: wall time, notebook-submissions per minute and CPU seconds (this process and
   the children it waited for). The checks are imported once before the first run
   (``warm_up``), so no run pays for that alone. At one job, the start of each submission
   (the grader's ``grading STUDENT / NN ...`` lines) gives its time, per notebook and kind.
2. The notebooks' own run time: each instructor notebook once, top to bottom, in a Jupyter
   kernel with ``execute_cells`` (what ``make course`` does), unsandboxed. The class's own
   time is the sum over students and notebooks of that notebook's time (a broken or
   hostile submission runs shorter or longer than the instructor's notebook: it is an
   estimate of what the class's notebooks cost without a grader).
3. Speed-up = time(1 job) / time(2 jobs); overhead = time(1 job) / the class's own time.
   Targets on 2 cores: speed-up >= 1.8, overhead <= 1.5.
4. Whether the sheets of all job counts have the same rows (exit code 1 if not), and the
   score share (points / possible points) of each kind of student.

It is a benchmark, not a test: nothing in ``tests/`` runs it. The machine's other work
shows in the wall times; the first line of the output records its load.
"""

import argparse
import contextlib
import io
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from machine import print_machine

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from bpcourse.tools.grading import execute_cells, grade_folder, read_sheet, warm_up  # noqa: E402
from bpcourse.tools.student import MARKER_LINE, is_solution_cell, make_student_notebook, nbgrader_metadata  # noqa: E402
from bpcourse.tools.submission import defined_names, read_notebook  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = ("correct", "partly wrong", "broken", "hostile")
MIX = (0.4, 0.3, 0.15, 0.15)
"""The share of each kind of student beyond the first four (which are one of each)."""
ATTACKS = ("rebind checks", "read instructor notebook", "spin", "fork")
SPEED_UP_TARGET, OVERHEAD_TARGET = 1.8, 1.5
QUICK = {"students": 4, "notebooks": "01,02"}


# --- the class ---------------------------------------------------------------------------------------------

def with_body(source, body):
    """``source`` with its SOLUTION region (the whole cell if it has no markers) replaced by ``body`` lines."""
    lines = source.splitlines()
    edges = [(n, m) for n, m in ((n, MARKER_LINE.match(line)) for n, line in enumerate(lines))
             if m and m["kind"] == "SOLUTION"]
    if not edges:
        return "\n".join(body)
    (begin, match), (end, _) = edges[0], edges[1]
    indent = match["indent"]
    return "\n".join(lines[:begin] + [indent + line for line in body] + lines[end + 1:])


def returns_none(source):
    """The cell with a solution that gives None (a function's body ``return None``, a top-level name None)."""
    top_level = not any(m and m["indent"] for m in map(MARKER_LINE.match, source.splitlines()))
    if top_level:
        return with_body(source, [f"{name} = None" for name in sorted(defined_names(source))] or ["pass"])
    return with_body(source, ["return None"])


def attack(kind, source, grade_id, instructor_path):
    """The solution cell ``source`` turned into the attack ``kind`` (one of :data:`ATTACKS`)."""
    if kind == "rebind checks":
        return returns_none(source) + "\n\n" + "\n".join([
            "import sys as _sys",
            "def _passes(*args, **kwargs):",
            "    return None",
            "for _name in [n for n in globals() if n.startswith('check_')]:",
            "    globals()[_name] = _passes",
            "for _module in list(_sys.modules.values()):",
            "    if getattr(_module, '__name__', '').startswith('bpcourse'):",
            "        for _name in [n for n in vars(_module) if n.startswith('check_')]:",
            "            setattr(_module, _name, _passes)",
        ])
    if kind == "read instructor notebook":
        return "\n".join([
            "import json as _json",
            f"_cells = _json.load(open({str(instructor_path)!r}, encoding='utf-8'))['cells']",
            "_source = next(c['source'] for c in _cells",
            f"               if c.get('metadata', {{}}).get('nbgrader', {{}}).get('grade_id') == {grade_id!r})",
            "exec(''.join(_source), globals())",
        ])
    if kind == "spin":
        return "while True:\n    pass\n\n" + source
    if kind == "fork":
        return "\n".join([
            "import os as _os, time as _time",
            "for _ in range(1000):",
            "    try:",
            "        if _os.fork() == 0:",
            "            _time.sleep(600)",
            "            _os._exit(0)",
            "    except OSError:",
            "        break",
            "",
        ]) + source
    raise ValueError(f"expected one of {ATTACKS}, got {kind!r}")


def make_class(folder, count, instructor_paths, rng):
    """Write ``folder/studentNN/NN_name.ipynb`` for ``count`` students; return ``{student: (kind, notes)}``.

    ``notes`` maps each notebook to what was done to it (for the record in ``class.json``).
    """
    kinds = list(CATEGORIES[:count]) + list(rng.choice(CATEGORIES, size=max(0, count - 4), p=MIX))
    kinds = [str(k) for k in rng.permutation(kinds)]
    notebooks = {path: read_notebook(path) for path in instructor_paths}
    students = {path: make_student_notebook(nb, path.name) for path, nb in notebooks.items()}
    turns = Counter()
    manifest = {}
    for number, kind in enumerate(kinds, start=1):
        student = f"student{number:02d}"
        (folder / student).mkdir(parents=True)
        notes = {}
        for path, instructor in notebooks.items():
            notebook = json.loads(json.dumps(instructor))
            cells = [i for i, cell in enumerate(notebook["cells"]) if is_solution_cell(cell)]
            done, text = [], None
            if kind == "partly wrong":
                chosen = rng.choice(cells, size=int(rng.integers(1, len(cells))), replace=False)
                for index in sorted(int(i) for i in chosen):
                    cell = notebook["cells"][index]
                    if rng.random() < 0.5:
                        cell["source"], how = students[path]["cells"][index]["source"], "stub"
                    else:
                        cell["source"], how = returns_none(cell["source"]), "returns None"
                    done.append(f"{nbgrader_metadata(cell)['grade_id']}: {how}")
            elif kind == "broken":
                if turns[kind] % 2 == 0:
                    cell = notebook["cells"][int(rng.choice(cells))]
                    cell["source"] = with_body(cell["source"], ["return (  # never closed"])
                    done.append(f"{nbgrader_metadata(cell)['grade_id']}: syntax error")
                else:
                    full = json.dumps(notebook, indent=1)
                    text = full[:len(full) // 2]
                    done.append("cut off half way: not JSON")
            elif kind == "hostile":
                chosen = rng.choice(cells, size=min(2, len(cells)), replace=False)
                for offset, index in enumerate(sorted(int(i) for i in chosen)):
                    cell = notebook["cells"][index]
                    how = ATTACKS[(2 * turns[kind] + offset) % len(ATTACKS)]
                    grade_id = nbgrader_metadata(cell)["grade_id"]
                    cell["source"] = attack(how, cell["source"], grade_id, path.resolve())
                    done.append(f"{grade_id}: {how}")
            turns[kind] += 1
            if text is None:
                text = json.dumps(notebook, indent=1)
            (folder / student / path.name).write_text(text, encoding="utf-8")
            notes[path.name] = done
        manifest[student] = (kind, notes)
    return manifest


# --- the measurements --------------------------------------------------------------------------------------

def busy_cpu_seconds():
    """CPU seconds the whole machine has been busy since it started (all cores, every process), or None.

    From ``/proc/stat``: everything but idle and waiting for I/O. The grader's kernels are killed with
    SIGKILL and reaped by no one that reports to this process, so ``getrusage`` would miss them; this
    counts them, and the machine's other work as well.
    """
    try:
        with open("/proc/stat") as file:
            fields = [int(v) for v in file.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


START_LINE = re.compile(r"^grading (?P<student>\S+) / (?P<notebook>\S+) \.\.\.$")


def timed_grading(class_dir, source_dir, out_dir, jobs, cell_timeout):
    """Grade the class into ``out_dir``; a dict of the wall and CPU seconds, the rows and the grader's lines.

    ``starts`` lists ``(seconds since the start, student, notebook)`` of every submission's start, as the
    grader announced it; ``end`` is when it printed its summary.
    """
    lines, starts = [], []
    clock = time.perf_counter()

    def echo(line):
        line = str(line)
        match = START_LINE.match(line)
        if match:
            starts.append((time.perf_counter() - clock, match["student"], match["notebook"]))
        else:
            lines.append(line)
            print(f"  grader: {line}", flush=True)

    load, cpu = os.getloadavg()[0], busy_cpu_seconds()
    grade_folder(class_dir, source_dir, out_dir, cell_timeout=cell_timeout, echo=echo, sandbox=True, jobs=jobs)
    wall, after = time.perf_counter() - clock, busy_cpu_seconds()
    cpu = None if cpu is None or after is None else after - cpu
    status, rows = read_sheet(out_dir)
    return {"jobs": jobs, "wall_s": wall, "cpu_s": cpu, "load_before": load, "load_after": os.getloadavg()[0],
            "rows": rows, "status": status, "lines": lines, "starts": starts}


def submission_times(run):
    """``{(student, notebook): seconds}`` from one job's starts: each lasts until the next one starts."""
    starts = run["starts"]
    ends = [t for t, _, _ in starts[1:]] + [run["wall_s"]]
    return {(student, notebook): end - start for (start, student, notebook), end in zip(starts, ends)}


def own_times(instructor_paths, folder):
    """``{notebook: (seconds, cells not ok)}``: each instructor notebook run once in a Jupyter kernel."""
    import nbformat  # slow to import; only this step needs it

    times = {}
    for path in instructor_paths:
        notebook = nbformat.read(path, as_version=4)
        work = folder / path.stem
        work.mkdir(parents=True)
        start = time.perf_counter()
        statuses = execute_cells(notebook, work, cell_timeout=600)
        times[path.name] = (time.perf_counter() - start, sum(s != "ok" for s in statuses.values()))
        print(f"  {path.name}: {times[path.name][0]:.1f} s"
              + (f", {times[path.name][1]} cells not ok" if times[path.name][1] else ""), flush=True)
    return times


def score_shares(rows, manifest):
    """``{kind: (points / possible points, Counter of statuses)}`` over the rows of each kind of student."""
    points, possible, statuses = defaultdict(float), defaultdict(float), defaultdict(Counter)
    for row in rows:
        kind = manifest[row["student"]][0]
        points[kind] += float(row["score"])
        possible[kind] += float(row["max_score"])
        statuses[kind][row["status"]] += 1
    return {k: (points[k] / possible[k] if possible[k] else float("nan"), statuses[k])
            for k in CATEGORIES if k in possible}


def first_difference(rows, other):
    if len(rows) != len(other):
        return f"{len(rows)} rows against {len(other)}"
    for a, b in zip(rows, other):
        if a != b:
            columns = [c for c in a if a[c] != b.get(c)]
            return f"first differing row: {a['student']} {a['exercise']}: " + "; ".join(
                f"{c} {a[c]!r} against {b.get(c)!r}" for c in columns)
    return None


# --- the report --------------------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40, help="students in the class (40)")
    parser.add_argument("--notebooks", default=None, help="notebook numbers, e.g. 01,02 (default: all)")
    parser.add_argument("--jobs-list", default="1,2", help="job counts to grade with, in this order (1,2)")
    parser.add_argument("--cell-timeout", type=int, default=20,
                        help="seconds per cell when grading (20; a spinning cell costs this much)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the class's mix (0)")
    parser.add_argument("--keep", default=None, help="an empty or new folder to keep the class and the sheets in")
    parser.add_argument("--json", default=None, help="write the figures to this file")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK['students']} students, notebooks {QUICK['notebooks']} (a smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.students, args.notebooks = QUICK["students"], QUICK["notebooks"]
    jobs_list = [int(j) for j in args.jobs_list.split(",")]
    source_dir = ROOT / "notebooks"
    paths = sorted(source_dir.glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        wanted = args.notebooks.split(",")
        paths = [p for p in paths if p.name[:2] in wanted]
        if len(paths) != len(wanted):
            parser.error(f"--notebooks {args.notebooks}: found {[p.name for p in paths]} in {source_dir}")
    if args.students < 1:
        parser.error("--students must be at least 1")

    machine = io.StringIO()
    with contextlib.redirect_stdout(machine):
        print_machine(np)
    machine = machine.getvalue().strip()
    print(machine)

    if args.keep:
        work = Path(args.keep)
        if work.exists() and any(work.iterdir()):
            parser.error(f"--keep {work}: the folder is not empty")
        work.mkdir(parents=True, exist_ok=True)
        holder = contextlib.nullcontext(str(work))
    else:
        holder = tempfile.TemporaryDirectory(prefix="bpcourse-grade-class-")
    with holder as folder:
        work = Path(folder)
        class_dir = work / "class"
        manifest = make_class(class_dir, args.students, paths, np.random.default_rng(args.seed))
        (work / "class.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        kinds = Counter(kind for kind, _ in manifest.values())
        n_submissions = args.students * len(paths)
        print(f"class: {args.students} students ({', '.join(f'{kinds[k]} {k}' for k in CATEGORIES)}), "
              f"notebooks {', '.join(p.name[:2] for p in paths)}: {n_submissions} notebook-submissions; "
              f"cell time-out {args.cell_timeout} s; seed {args.seed}", flush=True)

        warm_up(paths)
        runs = []
        for jobs in jobs_list:
            print(f"grading at --jobs {jobs} ...", flush=True)
            runs.append(timed_grading(class_dir, source_dir, work / f"grades-jobs{jobs}", jobs, args.cell_timeout))
            print(f"  {runs[-1]['wall_s']:.1f} s", flush=True)
        print("the notebooks' own run time (execute_cells, unsandboxed, one after another):", flush=True)
        own = own_times(paths, work / "own-run")
        return report(args, machine, manifest, paths, n_submissions, runs, own)


def report(args, machine, manifest, paths, n_submissions, runs, own):
    """Print the table and the targets, write the JSON; the exit code (1 if the runs disagree)."""
    own_class = sum(own[p.name][0] for p in paths) * args.students
    by_jobs = {run["jobs"]: run for run in runs}
    print(f"\nown time of the class: {own_class:.1f} s ({own_class / n_submissions:.2f} s per notebook-submission)")
    print("\n| jobs | wall s | machine's CPUs busy, s (all processes) | notebook-submissions per minute "
          "| s per notebook-submission | load before/after |")
    print("|---:|---:|---:|---:|---:|---|")
    for run in runs:
        busy = "?" if run["cpu_s"] is None else f"{run['cpu_s']:.1f}"
        print(f"| {run['jobs']} | {run['wall_s']:.1f} | {busy} | {60 * n_submissions / run['wall_s']:.1f} "
              f"| {run['wall_s'] / n_submissions:.2f} | {run['load_before']:.1f} / {run['load_after']:.1f} |")

    figures = {"machine": machine, "students": args.students, "notebooks": [p.name for p in paths],
               "cell_timeout_s": args.cell_timeout, "seed": args.seed, "notebook_submissions": n_submissions,
               "kinds": dict(Counter(kind for kind, _ in manifest.values())),
               "own_s_per_notebook": {name: seconds for name, (seconds, _) in own.items()},
               "own_cells_not_ok": {name: bad for name, (_, bad) in own.items() if bad},
               "own_class_s": own_class,
               "runs": [{k: run[k] for k in ("jobs", "wall_s", "cpu_s", "load_before", "load_after")}
                        | {"per_minute": 60 * n_submissions / run["wall_s"]} for run in runs]}
    targets = []
    if 1 in by_jobs and 2 in by_jobs:
        speed_up = by_jobs[1]["wall_s"] / by_jobs[2]["wall_s"]
        figures["speed_up"] = speed_up
        targets.append(("speed-up, 1 to 2 jobs", f"{speed_up:.2f} x", f">= {SPEED_UP_TARGET}",
                        speed_up >= SPEED_UP_TARGET))
    if 1 in by_jobs:
        overhead = by_jobs[1]["wall_s"] / own_class
        figures["overhead"] = overhead
        targets.append(("overhead, 1 job / own time", f"{overhead:.2f} x", f"<= {OVERHEAD_TARGET}",
                        overhead <= OVERHEAD_TARGET))
    print()
    for name, value, target, met in targets:
        print(f"{name}: {value} (target {target}) -> {'met' if met else 'NOT met'}")
    figures["targets_met"] = {name: met for name, _, _, met in targets}

    differences = {run["jobs"]: first_difference(runs[0]["rows"], run["rows"]) for run in runs[1:]}
    agree = not any(differences.values())
    figures["rows_identical"] = agree
    print(f"rows of the sheets at jobs {', '.join(str(r['jobs']) for r in runs)}: "
          + ("identical" if agree else "DIFFERENT: " + "; ".join(f"jobs {j}: {d}" for j, d in differences.items() if d)))

    shares = score_shares(runs[0]["rows"], manifest)
    figures["score_share"] = {k: share for k, (share, _) in shares.items()}
    figures["statuses"] = {k: dict(statuses) for k, (_, statuses) in shares.items()}
    print(f"\nscore share per kind of student (jobs {runs[0]['jobs']}):")
    for kind, (share, statuses) in shares.items():
        print(f"  {kind:12s} {100 * share:5.1f}%   rows: "
              + ", ".join(f"{status} {n}" for status, n in statuses.most_common()))

    if 1 in by_jobs:
        times = submission_times(by_jobs[1])
        print("\nseconds per submission at 1 job (from the grader's start lines), mean per notebook and kind,"
              " and the notebook's own run:")
        header = [k for k in CATEGORIES if k in figures["kinds"]]
        print("| notebook | own run | " + " | ".join(header) + " |")
        print("|---|---:|" + "---:|" * len(header))
        figures["grading_s_per_submission"] = {}
        correct = [(t, notebook) for (student, notebook), t in times.items() if manifest[student][0] == "correct"]
        for path in paths:
            means = {}
            for kind in header:
                values = [t for (student, notebook), t in times.items()
                          if notebook == path.name and manifest.get(student, ("",))[0] == kind]
                means[kind] = statistics.mean(values) if values else None
            figures["grading_s_per_submission"][path.name] = means
            print(f"| {path.name} | {own[path.name][0]:.1f} | "
                  + " | ".join("" if means[k] is None else f"{means[k]:.1f}" for k in header) + " |")
        if correct:
            graded, alone = sum(t for t, _ in correct), sum(own[notebook][0] for _, notebook in correct)
            figures["overhead_correct"] = graded / alone
            print(f"\nthe correct submissions alone, at 1 job: {graded:.1f} s of grading against {alone:.1f} s "
                  f"of their notebooks' own runs: overhead {graded / alone:.2f} x")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1), encoding="utf-8")
        print(f"\nfigures written to {args.json}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
