"""Grade one submitted notebook: the learner's code in the sandbox, the verdicts here.

The instructor's and the learner's ordinary cells run in the learner's kernel (:mod:`bpcourse.tools.kernel`),
each with its wall time. Check cells never go there: the grader runs them, hidden tests included, in *this*
process, with the imports of the instructor's cells above them (the package's own checks, from the grader's
disk), a :class:`LearnerFunction` proxy for every name a solution cell defines, and any other name fetched
from the kernel as plain data (:mod:`bpcourse.tools.plain`). So nothing the learner's code does in the
kernel reaches this process or its copy of the checks. A kernel that times out or dies is restarted and the
cells that ran before are run again (the culprit skipped).
"""

import builtins
import contextlib
import importlib
import inspect
import io
import json
import os
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bpcourse.core.atomic import atomic_write
from bpcourse.exercises.originality import BORROWED_TAG
from bpcourse.tools import plain, sandbox_worker
from bpcourse.tools.clean_room import CleanRoom, TripwireError, cell_label, clean_room_steps, split_name
from bpcourse.tools.kernel import Kernel, KernelError, Limits, die_with_parent
from bpcourse.tools.similarity import copy_reasons
from bpcourse.tools.student import exercises
from bpcourse.tools.submission import (SubmissionError, grading_plan, kernel_notebook, read_notebook,
                                       read_solutions, trusted_imports)

CELL_TIMEOUT_SECONDS = 120
MESSAGE_CHARACTERS = 2000  # longest message kept from a failed check (a check's message and hint fit)


@dataclass
class ExerciseScore:
    """One row of the grade sheet."""

    student: str
    notebook: str
    exercise: str  # the check cell's grade_id
    score: float
    max_score: float
    status: str  # one of STATUSES: ok, failed, borrowed, syntax error, timeout, kernel died, memory ...
    message: str = ""  # what the check said, or what happened, in words
    review: str = ""  # why the instructor should look at the solution ("" when nothing to see)


class KernelLost(BaseException):
    """The kernel timed out or died during a check cell (a BaseException: checks must not catch it)."""

    def __init__(self, kind, message, in_clean_room=False):
        super().__init__(message)
        self.kind, self.in_clean_room = kind, in_clean_room


class LearnerError(Exception):
    """An exception the learner's function raised whose type is not a built-in one."""


def _rebuilt_exception(reply):
    ename, evalue = str(reply.get("ename", "Exception"))[:100], str(reply.get("evalue", ""))[-2000:]
    message = evalue.split(": ", 1)[1] if evalue.startswith(ename + ": ") else evalue
    cls = getattr(builtins, ename, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        with contextlib.suppress(TypeError):
            return cls(message)
    return LearnerError(f"{ename}: {message}")


class LearnerFunction:
    """Stands for the learner's function ``name`` in a check cell; calls it in the kernel."""

    def __init__(self, session, name, refusals=None):
        self._session, self.__name__, self.__qualname__ = session, name, name
        self.__module__ = "__main__"  # where the learner defined it
        self._refusals = refusals  # set: calls go to a clean room where these package functions are tripwires

    def __borrowing_guard__(self, refusals):
        """For :func:`bpcourse.exercises.originality.refuse_borrowed`: a stand-in whose calls go to a clean room
        (:mod:`bpcourse.tools.clean_room`) without the package functions named in ``refusals``."""
        self._session.refusals_seen.update(refusals)
        return LearnerFunction(self._session, self.__name__, dict(refusals))

    def __repr__(self):
        return f"<the learner's {self.__name__}>"

    def __reduce__(self):
        return (sandbox_worker.lookup, (self.__name__,))  # in the kernel: the learner's own object

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __call__(self, *args, **kwargs):
        filters = [f for f in warnings.filters if getattr(f[2], "__module__", "") == "builtins"]
        reply = self._session.request("call", room=self._refusals, name=self.__name__, args=args, kwargs=kwargs,
                                      warning_filters=filters, errstate=np.geterr())
        if reply.get("status") != "ok":
            raise _rebuilt_exception(reply)
        return adopt_reply(self.__name__, reply, args, kwargs)


def adopt_reply(name, reply, args, kwargs):
    """The result of a call in the kernel, after copying the numbers it changed in its arguments onto ``args``.

    Any change of structure (:func:`bpcourse.tools.plain.apply_state`) fails the call, so a check never
    measures an object the learner's code shortened, emptied or replaced.
    """
    try:
        result = plain.decode(reply.get("result"))
        sent_args, sent_kwargs = plain.decode(reply.get("args")), plain.decode(reply.get("kwargs"))
    except plain.PlainDataError as error:
        raise LearnerError(f"{name} sent back something that is not plain data: {error}") from None
    if not isinstance(sent_args, list) or len(sent_args) != len(args) or not isinstance(sent_kwargs, dict):
        raise LearnerError(f"{name}: the kernel sent back arguments of another form than the check gave")
    try:
        for position, (given, state) in enumerate(zip(args, sent_args), start=1):
            plain.apply_state(given, state, _where=f"argument {position}")
        for key, given in kwargs.items():
            plain.apply_state(given, sent_kwargs.get(key), _where=f"argument {key}")
    except plain.StateMismatch as error:
        raise LearnerError(f"your {name} changed the structure of what it was given, not only its numbers: "
                           f"{error}. Change values in place (e.g. conn.weight += ...), never replace, "
                           f"shorten or empty the check's lists, arrays and objects") from None
    return result


class Session:
    """One submission's kernel with the cells it ran, restarted and replayed after a timeout or death."""

    def __init__(self, kernel, cell_timeout, folder=None):
        self.kernel, self.cell_timeout, self.folder = kernel, cell_timeout, folder
        self.done = []  # sources of the kernel cells that ran (to replay after a restart)
        self.deadline = None
        self.problems = []
        self.room_steps = []  # the cells a clean room runs for the current check cell
        self.rooms = {}  # refusals -> CleanRoom, for the current check cell
        self.refusals_seen = {}  # full name -> refusal message, of the current check cell's refuse_borrowed calls

    def clean_room(self, refusals):
        key = tuple(sorted(refusals.items()))
        if key not in self.rooms:
            ran = {label for _, label in self.done}
            steps = [s for s in self.room_steps if cell_label(self.kernel.notebook_name, s.index) in ran]
            room = CleanRoom(Path(self.folder) / f"clean-room-{len(self.rooms)}", self.kernel.notebook_name,
                             refusals, steps, self.cell_timeout, self.kernel.limits, self.kernel.sandbox)
            self.rooms[key] = room
            room.start()
        return self.rooms[key]

    def close_rooms(self):
        for room in self.rooms.values():
            room.close()
        self.rooms = {}

    def run_cell(self, source, label):
        """Run a kernel cell; ``(status, error name)``, status ``ok``, ``failed``, ``timeout`` or ``kernel died``."""
        try:
            reply = self.kernel.request("run", self.cell_timeout, source=source, filename=label)
        except KernelError as error:
            self.recover(error, label)
            return ("timeout" if error.kind == "timeout" else "kernel died"), ""
        self.done.append((source, label))
        if reply.get("status") == "ok":
            return "ok", ""
        return "failed", str(reply.get("ename", ""))[:100]

    def request(self, op, room=None, **fields):
        """A request of a check cell, within its wall time; to the clean room of ``room`` (refusals) if given."""
        left = self.cell_timeout if self.deadline is None else self.deadline - time.monotonic()
        try:
            if left <= 0:
                raise KernelError("timeout", "the check cell ran out of time")
            target = self.kernel if room is None else self.clean_room(room)
            left = left if self.deadline is None else self.deadline - time.monotonic()
            return target.request(op, max(left, 0.001), **fields)
        except KernelError as error:
            raise KernelLost(error.kind, str(error), in_clean_room=room is not None) from None
        except (OSError, TripwireError) as error:
            raise KernelLost("died", f"the clean room did not start: {error}", in_clean_room=True) from None

    def recover(self, error, label):
        """Restart the kernel and run again the cells that had run; one that fails again is left out from then on,
        and the replay starts over without it (at most one restart per cell)."""
        self.problems.append(f"{label}: {error}; the kernel was restarted")
        pending = self.done
        while True:
            self.done = []
            try:
                self.kernel.restart()
            except KernelError as again:
                self.problems.append(f"{label}: the kernel could not be restarted: {again}")
                return
            for position, (source, earlier) in enumerate(pending):
                try:
                    self.kernel.request("run", self.cell_timeout, source=source, filename=earlier)
                except KernelError as again:
                    self.problems.append(f"{earlier}, run again after a restart: {again}; left out from now on")
                    pending = self.done + pending[position + 1:]
                    break
                self.done.append((source, earlier))
            else:
                return


def run_check(session, source, imports, solution_names, label):
    """Run a check cell in this process; returns ``(status, message)``."""
    source = sandbox_worker.without_magics(source)
    namespace = {"__name__": "__main__"}
    try:
        exec(compile(imports, f"<imports for {label}>", "exec"), namespace)
    except Exception as error:  # the instructor's imports: their problem, reported
        return "failed", f"the grader could not run the notebook's imports: {type(error).__name__}: {error}"
    needed = _free_names(source) - set(namespace) - set(dir(builtins))
    session.deadline = time.monotonic() + session.cell_timeout
    output = io.StringIO()
    try:
        for name in sorted(needed | (solution_names & _free_names(source))):
            if name in solution_names:
                namespace[name] = LearnerFunction(session, name)
                continue
            reply = session.request("get", name=name)
            if reply.get("status") != "ok":
                continue  # the check cell will raise NameError itself
            value = reply.get("value")
            namespace[name] = (LearnerFunction(session, name) if reply.get("callable")
                               else plain.decode(value))
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            exec(compile(source, label, "exec"), namespace)
        return "ok", ""
    except KernelLost as lost:
        where = " (in the clean room that calls your function)" if lost.in_clean_room else ""
        if lost.in_clean_room:
            session.problems.append(f"{label}: {lost}{where}")
        else:
            session.recover(lost, label)
        return ("timeout" if lost.kind == "timeout" else "kernel died"), f"{lost}{where}"
    except plain.PlainDataError as error:
        return "failed", f"the kernel sent something that is not plain data: {error}"
    except (Exception, SystemExit) as error:  # any exception in a check cell is a failed check (Ctrl-C is not)
        text = str(error).strip() if isinstance(error, AssertionError) else (
            "".join(traceback.format_exception_only(type(error), error)).strip())
        return "failed", text[:MESSAGE_CHARACTERS] if text else type(error).__name__
    finally:
        session.deadline = None
        session.close_rooms()


def _free_names(source):
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def grade_notebook(student, instructor_path, submitted_path, cell_timeout=CELL_TIMEOUT_SECONDS, limits=Limits(),
                   sandbox=True, progress=None, folder=None):
    """``(scores, problems)`` of one student's notebook: an ExerciseScore per graded cell, and strings.

    ``progress(scores, problems)`` is called after every graded cell; ``folder`` is an empty throwaway folder
    that the caller removes (without it, one is made and removed here).
    """
    instructor_path = Path(instructor_path)
    instructor = read_notebook(instructor_path)
    rows = [(grade_id, points) for _, grade_id, points in exercises(instructor)]
    name = instructor_path.name
    if submitted_path is None:
        return [ExerciseScore(student, name, g, 0, p, "missing notebook") for g, p in rows], []
    try:
        solutions = read_solutions(submitted_path)
    except SubmissionError as error:
        return [ExerciseScore(student, name, g, 0, p, "unreadable", str(error)) for g, p in rows], [f"{name}: {error}"]
    steps = grading_plan(instructor, solutions, name)
    with (contextlib.nullcontext(folder) if folder is not None
          else tempfile.TemporaryDirectory(prefix="bpcourse-grade-", ignore_cleanup_errors=True)) as folder:
        return _run_steps(student, name, steps, Path(folder), cell_timeout, limits, sandbox, progress)


def _run_steps(student, name, steps, folder, cell_timeout, limits, sandbox, progress):
    with atomic_write(folder / name, "w", encoding="utf-8") as handle:
        handle.write(kernel_notebook(steps))
    folder.chmod(0o755)
    kernel = Kernel(folder, name, limits, sandbox)
    scores, solution_names, answers = [], set(), []
    try:
        kernel.start()
    except (KernelError, OSError) as error:
        kernel.close()
        return [ExerciseScore(student, name, s.grade_id, 0, s.points, "kernel died", f"the kernel did not start: {error}")
                for s in steps if s.kind == "check" or s.points], [f"{name}: the kernel did not start: {error}"]
    session = Session(kernel, cell_timeout, folder)
    try:
        for position, step in enumerate(steps):
            label = cell_label(name, step.index)
            if step.kind == "kernel":
                status, error_name = session.run_cell(step.source, label)
                if step.solution_of:
                    solution_names |= step.names  # the instructor's names: a learner's `check_sigmoid = ...` is no proxy
                    answers.append(Answer(step, status, error_name))
                    if step.points:  # a solution cell that is graded too: nbgrader's manually graded answer
                        scores.append(ExerciseScore(student, name, step.grade_id, 0, step.points,
                                                    "manual grading needed"))
                continue
            session.room_steps = clean_room_steps(steps, position)
            session.refusals_seen = {}
            status, message = run_check(session, step.source, trusted_imports(steps, position), solution_names, label)
            status = status_label(status, message, answers)
            review = [f"{a.step.solution_of}: {reason}" for a in answers for reason in a.step.review]
            if status == "borrowed":
                review.append(f"{step.grade_id}: borrowed answer, 0 points")
            review += [f"{a.step.solution_of}: {note}" for a in answers
                       for note in copy_reasons(a.step.source, _references(a.step, session.refusals_seen),
                                                a.step.handed_out)]
            scores.append(ExerciseScore(student, name, step.grade_id, step.points if status == "ok" else 0,
                                        step.points, status, message, "; ".join(review)))
            answers = []
            if progress is not None:
                progress(scores, [f"{name}: {p}" for p in session.problems])
    finally:
        session.close_rooms()
        kernel.close()
    return scores, [f"{name}: {p}" for p in session.problems]


@dataclass
class Answer:
    """A learner's solution cell as it ran, for the status and review of the check after it."""

    step: object  # bpcourse.tools.submission.Step
    status: str  # as Session.run_cell says
    error_name: str


STATUSES = ("ok", "failed", "not written", "borrowed", "syntax error", "timeout", "kernel died", "memory",
            "missing notebook", "unreadable", "manual grading needed", "grader error")


def status_label(status, message, answers):
    """The status of a check cell's row, from the check's outcome and its solution cells' runs."""
    if status == "ok":
        return "ok"
    for answer in answers:
        try:
            compile(sandbox_worker.without_magics(answer.step.source), "<solution>", "exec")
        except (SyntaxError, ValueError):
            return "syntax error"
    for answer in answers:
        if answer.status in ("timeout", "kernel died"):
            return answer.status
        if "MemoryError" in answer.error_name:
            return "memory"
    if status in ("timeout", "kernel died"):
        return status
    first = message.splitlines()[0] if message else ""
    if first.startswith(BORROWED_TAG):
        return "borrowed"
    if "MemoryError" in message:
        return "memory"
    if "not written yet" in first or first.startswith("NotImplementedError"):
        return "not written"
    return "failed"


def _references(step, refusals):
    """What a solution could be a copy of: the instructor's solution, the package's code of the exercise."""
    references = {"the instructor's solution": step.instructor_source}
    for full_name in refusals:
        with contextlib.suppress(OSError, TypeError, AttributeError, ImportError, ValueError):
            references[f"the package's {full_name}"] = inspect.getsource(_resolve(full_name))
    return references


def _resolve(full_name):
    module, qualname = split_name(full_name)
    value = importlib.import_module(module)
    for part in qualname.split("."):
        value = getattr(value, part)
    return value


def run_job(job, result_path):
    """Grade the submission ``job`` (a dict), rewriting ``result_path`` (JSON) atomically after every check."""

    def write_result(scores, problems):
        with atomic_write(result_path, "w", encoding="utf-8") as handle:
            json.dump({"scores": [asdict(s) for s in scores], "problems": problems}, handle)

    scores, problems = grade_notebook(
        job["student"], job["instructor"], job["submitted"], job["cell_timeout"], job["limits"], job["sandbox"],
        progress=write_result, folder=job.get("folder"),
    )
    write_result(scores, problems)


def child_main(job, result_path, parent_pid):
    """The child process of one submission: its own session, :func:`run_job`, exit code 0 when it finished;
    it dies with its parent (a grader killed with ``kill -9`` leaves no child, and so no kernel, behind)."""
    os.setsid()  # a kill aimed at the child's process group never reaches the grader
    die_with_parent(parent_pid)
    try:
        run_job(job, result_path)
    except BaseException:  # noqa: BLE001 - reported by the exit code; the parent decides
        traceback.print_exc()
        os._exit(1)
    os._exit(0)


def exec_main():
    """``python -c '...exec_main()' JOB_JSON RESULT_JSON PARENT_PID``: :func:`child_main` in a new interpreter
    (a Dask worker runs its tasks in threads, and must not fork)."""
    job_path, result_path, parent_pid = sys.argv[1:4]
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    job["limits"] = Limits(**job["limits"])
    child_main(job, result_path, int(parent_pid))
