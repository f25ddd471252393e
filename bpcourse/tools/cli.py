"""The ``bpcourse`` command: ``bpcourse student`` (student versions and a solutions copy) and ``bpcourse grade
SUBMISSIONS`` (every submission in its own sandbox); ``bpcourse COMMAND --help`` lists the options."""

import argparse
import os
import sys
from pathlib import Path

from bpcourse.tools.checker import CELL_TIMEOUT_SECONDS
from bpcourse.tools.grading import (NO_SANDBOX_RISK, NOTEBOOK_TIMEOUT_SECONDS, ClusterProblem, SandboxUnavailable,
                                    grade_folder)
from bpcourse.tools.kernel import Limits
from bpcourse.tools.student import NotebookFormatError, make_student_versions


def main(argv=None):
    parser = argparse.ArgumentParser(prog="bpcourse", description="Homework tools of the bpcourse course.")
    commands = parser.add_subparsers(dest="command", required=True)

    student = commands.add_parser("student", help="write student versions and a solutions copy")
    student.add_argument("--source", default="notebooks", help="the instructor's notebooks (default: notebooks)")
    student.add_argument("--out", default="build", help="writes OUT/student/ and OUT/solutions/ (default: build)")

    grade = commands.add_parser("grade", help="grade a folder of submitted notebooks, each in a sandbox")
    grade.add_argument("submissions", help="folder with one sub-folder per student")
    grade.add_argument("--source", default="notebooks", help="the instructor's notebooks (default: notebooks)")
    grade.add_argument("--out", default="build/grades",
                       help="the run's folder: sheets, status, results, feedback, summary (default: build/grades)")
    grade.add_argument("--force", action="store_true",
                       help="grade every submission again, even those already graded in OUT with the same content")
    grade.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT_SECONDS,
                       help=f"seconds of wall time per cell (default: {CELL_TIMEOUT_SECONDS})")
    grade.add_argument("--notebook-timeout", type=int, default=NOTEBOOK_TIMEOUT_SECONDS,
                       help=f"seconds of wall time for one student's notebook in all, every cell and check "
                            f"together (default: {NOTEBOOK_TIMEOUT_SECONDS})")
    grade.add_argument("--memory-mb", type=int, default=Limits.memory_mb,
                       help=f"address space of a learner's kernel in MB (default: {Limits.memory_mb}); each kernel "
                            f"can hold that plus three in-memory file systems of {Limits.tmpfs_mb} MB "
                            f"(/sandbox, /tmp, /dev/shm), and at most {Limits.processes} processes")
    grade.add_argument("--cpu-seconds", type=int, default=Limits.cpu_seconds,
                       help=f"CPU seconds of a learner's kernel in total (default: {Limits.cpu_seconds})")
    grade.add_argument("--jobs", type=int, default=None,
                       help="submissions graded at once, each in its own sandbox (default: the number of cores). "
                            "Each kernel may use --memory-mb plus its three file systems, so the count is lowered "
                            "until that many kernels fit in the machine's memory together: with the default "
                            f"{Limits.memory_mb} MB, a machine with 16 GB grades at most 3 at once; "
                            "lower --memory-mb to run more")
    grade.add_argument("--dask", metavar="SCHEDULER_ADDRESS", default=None,
                       help="send the submissions to a Dask distributed cluster (pip install 'bpcourse[cluster]') "
                            "instead of grading them here; every worker needs bubblewrap, this version of the course "
                            "installed and MNIST, and is checked for them before anything is sent")
    grade.add_argument("--no-sandbox", action="store_true",
                       help=f"grade without bubblewrap: {NO_SANDBOX_RISK}")

    args = parser.parse_args(argv)
    try:
        if args.command == "student":
            out = Path(args.out)
            for path in make_student_versions(args.source, out / "student", out / "solutions"):
                print(f"wrote {path}")
            print(f"solutions copy in {out / 'solutions'}/")
        else:
            for name in ("cell_timeout", "notebook_timeout", "memory_mb", "cpu_seconds"):
                if getattr(args, name) <= 0:
                    raise ValueError(f"--{name.replace('_', '-')} must be a positive number, got {getattr(args, name)}")
            limits = Limits(memory_mb=args.memory_mb, cpu_seconds=args.cpu_seconds)
            os.environ.setdefault("MPLBACKEND", "Agg")  # the checks import pyplot; no window may open
            if args.dask is not None and args.jobs is not None:
                raise ValueError("--jobs and --dask exclude each other: a Dask cluster runs as many as its workers")
            grade_folder(args.submissions, args.source, args.out, args.cell_timeout, sandbox=not args.no_sandbox,
                         limits=limits, notebook_timeout=args.notebook_timeout, jobs=args.jobs, force=args.force,
                         dask=args.dask, progress_bar=True)
    except (NotebookFormatError, ValueError, FileNotFoundError, SandboxUnavailable, ClusterProblem) as error:
        print(f"bpcourse {args.command}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
