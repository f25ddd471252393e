"""The ``bpcourse`` command: homework tools for instructors.

    bpcourse student [--source notebooks] [--out build]
        write build/student/ (what learners get) and build/solutions/
    bpcourse grade SUBMISSIONS [--source notebooks] [--csv build/grades.csv] [--cell-timeout 120]
        run every SUBMISSIONS/<student>/NN_name.ipynb, print and write scores
"""

import argparse
import sys
from pathlib import Path

from bpcourse.tools.grading import CELL_TIMEOUT_SECONDS, grade_folder
from bpcourse.tools.student import NotebookFormatError, make_student_versions


def main(argv=None):
    parser = argparse.ArgumentParser(prog="bpcourse", description="Homework tools of the bpcourse course.")
    commands = parser.add_subparsers(dest="command", required=True)

    student = commands.add_parser("student", help="write student versions and a solutions copy")
    student.add_argument("--source", default="notebooks", help="the instructor's notebooks (default: notebooks)")
    student.add_argument("--out", default="build", help="writes OUT/student/ and OUT/solutions/ (default: build)")

    grade = commands.add_parser("grade", help="grade a folder of submitted notebooks")
    grade.add_argument("submissions", help="folder with one sub-folder per student")
    grade.add_argument("--source", default="notebooks", help="the instructor's notebooks (default: notebooks)")
    grade.add_argument("--csv", default="build/grades.csv", help="where the scores go (default: build/grades.csv)")
    grade.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT_SECONDS, help="seconds a cell may run")

    args = parser.parse_args(argv)
    try:
        if args.command == "student":
            out = Path(args.out)
            written = make_student_versions(args.source, out / "student", out / "solutions")
            for path in written:
                print(f"wrote {path}")
            print(f"solutions copy in {out / 'solutions'}/")
        else:
            grade_folder(args.submissions, args.source, args.csv, args.cell_timeout)
    except (NotebookFormatError, ValueError, FileNotFoundError) as error:
        print(f"bpcourse {args.command}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
