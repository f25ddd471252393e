"""Grade one submitted notebook: the learner's code in the sandbox, the verdicts here.

This runs in its own child process per submission (:func:`run_job`,
started by :mod:`bpcourse.tools.grading`).

The instructor's and the learner's ordinary cells run in the learner's kernel
(:mod:`bpcourse.tools.kernel`), one request per cell, each with the cell's wall
time. Check cells never go there. The grader runs each check cell, hidden
tests included, in *this* process, in a namespace that holds:

- the import statements of the instructor's cells above it (so
  ``check_sigmoid`` is the package's own, read from the grader's disk);
- for every name a solution cell defines (``sigmoid``), a
  :class:`LearnerFunction` proxy: calling it pickles the arguments into the
  kernel, calls the learner's function there, and brings back the result and
  the arguments after the call as plain data (:mod:`bpcourse.tools.plain`),
  whose changes are written back onto the check's own arguments;
- any other name the check cell uses, fetched from the kernel as plain data
  (a function becomes a proxy too).

A check cell that runs without an exception earns its points. Nothing the
learner's code does in the kernel (rebinding ``check_sigmoid``, patching
``bpcourse`` or NumPy, IPython input transformers, editing check cells in the
submitted file) reaches this process or its copy of the checks.

When a cell or a call runs past its wall time, or the kernel dies, the kernel
is killed and started again, the cells that ran before are run again (each
with its own wall time; the culprit is skipped), and grading goes on.
"""

import builtins
import contextlib
import io
import json
import shutil
import tempfile
import time
import traceback
import types
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bpcourse.core.atomic import atomic_write
from bpcourse.exercises.originality import BORROWED_TAG
from bpcourse.tools import plain, sandbox_worker
from bpcourse.tools.kernel import Kernel, KernelError, Limits
from bpcourse.tools.student import exercises
from bpcourse.tools.submission import (SubmissionError, grading_plan, kernel_notebook, read_notebook,
                                       read_solutions, trusted_imports)

CELL_TIMEOUT_SECONDS = 120


@dataclass
class ExerciseScore:
    """One row of the grade sheet."""

    student: str
    notebook: str
    exercise: str  # the check cell's grade_id
    score: float
    max_score: float
    status: str  # ok, failed: ..., timeout, kernel died, not run, missing notebook, unreadable: ...
    review: str = ""  # why the instructor should look at the solution ("" when nothing to see)


class KernelLost(BaseException):
    """The kernel timed out or died during a check cell (a BaseException: checks must not catch it)."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


class LearnerError(Exception):
    """An exception the learner's function raised whose type is not a built-in one."""


def _rebuilt_exception(reply):
    ename, evalue = str(reply.get("ename", "Exception"))[:100], str(reply.get("evalue", ""))[-2000:]
    message = evalue.split(": ", 1)[1] if evalue.startswith(ename + ": ") else evalue
    cls = getattr(builtins, ename, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(message)
        except TypeError:
            pass
    return LearnerError(f"{ename}: {message}")


class LearnerFunction:
    """Stands for the learner's function ``name`` in a check cell; calls it in the kernel."""

    def __init__(self, session, name, code_view=None):
        self._session, self.__name__, self.__qualname__ = session, name, name
        self.__module__ = "__main__"  # where the learner defined it
        # The learner's own code, compiled here from the submitted source and never run: what the
        # checks' borrowed-answer test reads (bpcourse.exercises.originality), out of the kernel's reach.
        self.__code_view__ = code_view

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
        reply = self._session.request("call", name=self.__name__, args=args, kwargs=kwargs,
                                      warning_filters=filters, errstate=np.geterr())
        if reply.get("status") != "ok":
            raise _rebuilt_exception(reply)
        return adopt_reply(self.__name__, reply, args, kwargs)


def adopt_reply(name, reply, args, kwargs):
    """The result of a call in the kernel, after copying the changes it made to its arguments onto ``args``.

    Only numbers are copied, into the grader's own arrays and objects, and only
    when the structure of every argument is as the check gave it
    (:func:`bpcourse.tools.plain.apply_state`); anything else fails the call
    with a message, so a check never measures an object the learner's code
    shortened, emptied or replaced.
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

    def __init__(self, kernel, cell_timeout):
        self.kernel, self.cell_timeout = kernel, cell_timeout
        self.done = []  # sources of the kernel cells that ran (to replay after a restart)
        self.deadline = None
        self.problems = []

    def run_cell(self, source, label):
        """Run a kernel cell; returns ``"ok"``, ``"failed"``, ``"timeout"`` or ``"kernel died"``."""
        try:
            reply = self.kernel.request("run", self.cell_timeout, source=source, filename=label)
        except KernelError as error:
            self.recover(error, label)
            return "timeout" if error.kind == "timeout" else "kernel died"
        self.done.append((source, label))
        return "ok" if reply.get("status") == "ok" else "failed"

    def request(self, op, **fields):
        """A request on behalf of a check cell, within the check cell's wall time."""
        left = self.cell_timeout if self.deadline is None else self.deadline - time.monotonic()
        try:
            if left <= 0:
                raise KernelError("timeout", "the check cell ran out of time")
            return self.kernel.request(op, left, **fields)
        except KernelError as error:
            raise KernelLost(error.kind, str(error)) from None

    def recover(self, error, label):
        """Kill and restart the kernel, then run again the cells that had run (each with its own time).

        A cell that fails again on the way is left out from then on, and the
        replay starts over without it, so this ends after at most one restart
        per cell.
        """
        self.problems.append(f"{label}: {error}; the kernel was restarted")
        pending = self.done
        while True:
            self.done = []
            try:
                self.kernel.restart()
            except KernelError as again:
                self.problems.append(f"{label}: the kernel could not be restarted: {again}")
                return
            for position, (source, cell_label) in enumerate(pending):
                try:
                    self.kernel.request("run", self.cell_timeout, source=source, filename=cell_label)
                except KernelError as again:
                    self.problems.append(f"{cell_label}, run again after a restart: {again}; left out from now on")
                    pending = self.done + pending[position + 1:]
                    break
                self.done.append((source, cell_label))
            else:
                return


def code_views(solution_sources, imports):
    """``{name: function}`` for every top-level ``def`` in the learner's solution cells, compiled, never run.

    Each view is a plain function object built from the submitted source's code
    object, with globals that hold the notebook's (instructor's) imports and the
    other views, so the borrowed-answer test can read what the learner's code
    calls, helpers included, without running any of it here. A cell that does
    not compile gives no views (its check fails in the kernel anyway).
    """
    view_globals = {"__name__": "__main__"}
    try:
        exec(compile(imports, "<the notebook's imports>", "exec"), view_globals)
    except Exception:  # reported by run_check
        pass
    views = {}
    for label, source in solution_sources:
        try:
            module = compile(sandbox_worker.without_magics(source), label, "exec")
        except (SyntaxError, ValueError):
            continue
        for constant in module.co_consts:
            if isinstance(constant, types.CodeType) and constant.co_name.isidentifier() and \
                    constant.co_name != "<module>" and f"def {constant.co_name}" in source:
                views[constant.co_name] = types.FunctionType(constant, view_globals, constant.co_name)
    view_globals.update(views)
    return views


def run_check(session, source, imports, solution_names, label, views=None):
    """Run a check cell in this process; returns ``(status, message)``."""
    source = sandbox_worker.without_magics(source)
    views = {} if views is None else views
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
                namespace[name] = LearnerFunction(session, name, views.get(name))
                continue
            reply = session.request("get", name=name)
            if reply.get("status") != "ok":
                continue  # the check cell will raise NameError itself
            value = reply.get("value")
            namespace[name] = (LearnerFunction(session, name, views.get(name)) if reply.get("callable")
                               else plain.decode(value))
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            exec(compile(source, label, "exec"), namespace)
        return "ok", ""
    except KernelLost as lost:
        session.recover(lost, label)
        return ("timeout" if lost.kind == "timeout" else "kernel died"), str(lost)
    except plain.PlainDataError as error:
        return "failed", f"the kernel sent something that is not plain data: {error}"
    except (Exception, SystemExit) as error:  # any exception in a check cell is a failed check (Ctrl-C is not)
        text = "".join(traceback.format_exception_only(type(error), error)).strip()
        return "failed", text.splitlines()[0][:300] if text else type(error).__name__
    finally:
        session.deadline = None


def _free_names(source):
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def grade_notebook(student, instructor_path, submitted_path, cell_timeout=CELL_TIMEOUT_SECONDS, limits=Limits(),
                   sandbox=True, progress=None, folder=None):
    """Scores of one student's notebook: a list of ExerciseScore, one per graded cell, and a list of problems.

    ``progress(scores, problems)``, if given, is called after every graded cell
    with what is known so far (so that a kill loses nothing already decided).
    ``folder`` is the submission's throwaway folder (an empty folder that the
    caller removes); without it, one is made and removed here.
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
        return [ExerciseScore(student, name, g, 0, p, f"unreadable: {error}") for g, p in rows], [f"{name}: {error}"]
    steps = grading_plan(instructor, solutions, name)
    if folder is not None:
        return _run_steps(student, name, steps, Path(folder), cell_timeout, limits, sandbox, progress)
    folder = Path(tempfile.mkdtemp(prefix="bpcourse-grade-"))
    try:
        return _run_steps(student, name, steps, folder, cell_timeout, limits, sandbox, progress)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_steps(student, name, steps, folder, cell_timeout, limits, sandbox, progress):
    with atomic_write(folder / name, "w", encoding="utf-8") as handle:
        handle.write(kernel_notebook(steps))
    folder.chmod(0o755)
    kernel = Kernel(folder, name, limits, sandbox)
    scores, review, solution_names, solution_sources = [], [], set(), []
    try:
        kernel.start()
    except (KernelError, OSError) as error:
        return [ExerciseScore(student, name, s.grade_id, 0, s.points, f"kernel did not start: {error}")
                for s in steps if s.kind == "check" or s.points], [f"{name}: the kernel did not start: {error}"]
    session = Session(kernel, cell_timeout)
    try:
        for position, step in enumerate(steps):
            label = f"{name}, cell {step.index}"
            if step.kind == "kernel":
                status = session.run_cell(step.source, label)
                if step.solution_of:
                    solution_names |= step.names  # the instructor's names: a learner's `check_sigmoid = ...` is no proxy
                    solution_sources.append((label, step.source))
                    review += [f"{step.solution_of}: {reason}" for reason in step.review]
                    if step.points:  # a solution cell that is graded too: nbgrader's manually graded answer
                        scores.append(ExerciseScore(student, name, step.grade_id, 0, step.points,
                                                    "manual grading needed"))
                continue
            imports = trusted_imports(steps, position)
            status, message = run_check(session, step.source, imports, solution_names, label,
                                        code_views(solution_sources, imports))
            if status == "failed":
                status = f"failed: {message}"
                if BORROWED_TAG in message:
                    review.append(f"{step.grade_id}: borrowed answer, 0 points ({message.split(BORROWED_TAG, 1)[1][:200].strip(': ')})")
            scores.append(ExerciseScore(student, name, step.grade_id, step.points if status == "ok" else 0,
                                        step.points, status, "; ".join(review)))
            review = []
            if progress is not None:
                progress(scores, [f"{name}: {p}" for p in session.problems])
    finally:
        kernel.close()
    return scores, [f"{name}: {p}" for p in session.problems]


def run_job(job, result_path):
    """Grade the submission described by ``job`` (a dict) and keep ``result_path`` (JSON) up to date.

    The body of the child process that :mod:`bpcourse.tools.grading` starts for
    each submission; the result file is rewritten atomically after every check
    cell, so a child that is killed loses nothing already decided.
    """

    def write_result(scores, problems):
        with atomic_write(result_path, "w", encoding="utf-8") as handle:
            json.dump({"scores": [asdict(s) for s in scores], "problems": problems}, handle)

    scores, problems = grade_notebook(
        job["student"], job["instructor"], job["submitted"], job["cell_timeout"], job["limits"], job["sandbox"],
        progress=write_result, folder=job.get("folder"),
    )
    write_result(scores, problems)
