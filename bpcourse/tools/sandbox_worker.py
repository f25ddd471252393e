"""The learner's side of grading: a plain Python process that runs cells and calls functions.

Started by :mod:`bpcourse.tools.kernel` (inside the sandbox). It reads requests from its standard input and
writes replies to its standard output, each a frame: an 8-byte big-endian length, then the payload; before
any learner code runs, the pipes move to other file descriptors and ``print`` goes to ``output.txt``.
Requests (from the grader, trusted) are pickled dicts: ``run`` a cell's code, ``call`` a learner's function
(under the grader's warning filters and NumPy error state; the reply holds the arguments after the call, so
that changes made in place can be copied back), ``get`` a name's value. Replies (untrusted: the learner's
code can change anything here) are JSON text of plain data only (:mod:`bpcourse.tools.plain`).
"""

import json
import os
import pickle
import struct
import sys
import traceback
import warnings

import numpy as np

from bpcourse.tools import plain

NAMESPACE = {"__name__": "__main__", "__builtins__": __builtins__}  # the learner's globals: every cell runs in it

MAX_REQUEST_BYTES = 1 << 30


def lookup(name):
    """The learner's object ``name`` (a request's arguments may hold a learner's function)."""
    return NAMESPACE[name]


def read_frame(fd):
    header = _read_exactly(fd, 8)
    if header is None:
        return None
    (length,) = struct.unpack(">Q", header)
    if length > MAX_REQUEST_BYTES:
        raise ValueError(f"request of {length} bytes")
    return _read_exactly(fd, length)


def _read_exactly(fd, count):
    chunks, remaining = [], count
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def write_frame(fd, payload):
    data = struct.pack(">Q", len(payload)) + payload
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _error(error):
    text = "".join(traceback.format_exception_only(type(error), error)).strip()
    return {"status": "error", "ename": type(error).__name__, "evalue": text[-2000:]}


def without_magics(source):
    """The cell's code with IPython magics and shell escapes (``%...``, ``!...``) turned into comments."""
    return "\n".join("# " + line if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def handle(request):
    op = request.get("op")
    if op == "run":
        code = compile(without_magics(request["source"]), request.get("filename", "<cell>"), "exec")
        exec(code, NAMESPACE)  # the learner's cell: this is what the sandbox is for
        return {"status": "ok"}
    if op == "get":
        value = NAMESPACE[request["name"]]
        if callable(value) and not isinstance(value, type):
            return {"status": "ok", "callable": True}  # the grader calls it through a proxy
        return {"status": "ok", "value": plain.encode(value)}
    if op == "call":
        function = NAMESPACE[request["name"]]
        args, kwargs = request["args"], request["kwargs"]
        with warnings.catch_warnings():
            warnings.filters[:] = request.get("warning_filters", warnings.filters)
            with np.errstate(**request.get("errstate", {})):
                result = function(*args, **kwargs)
        return {"status": "ok", "result": plain.encode(result), "args": plain.encode(list(args)),
                "kwargs": plain.encode(kwargs)}
    raise ValueError(f"unknown request {op!r}")


def main():
    requests, replies = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    output = os.open("output.txt", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(null, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.set_inheritable(requests, False)
    os.set_inheritable(replies, False)
    # `python -m` runs this file as __main__: pickled references to lookup() must find this NAMESPACE
    sys.modules.setdefault("bpcourse.tools.sandbox_worker", sys.modules[__name__])
    write_frame(replies, b'{"status": "ready"}')
    while True:
        frame = read_frame(requests)
        if frame is None:
            return
        request = pickle.loads(frame)  # from the grader: trusted
        try:
            reply = handle(request)
        except BaseException as error:  # SystemExit and KeyboardInterrupt in a cell are the cell's errors too
            reply = _error(error)
        reply["id"] = request.get("id")
        try:
            payload = json.dumps(reply).encode("utf-8")
        except (TypeError, ValueError) as error:
            payload = json.dumps({"status": "error", "ename": "ReplyError", "evalue": str(error),
                                        "id": request.get("id")}).encode("utf-8")
        sys.stdout.flush()
        sys.stderr.flush()
        write_frame(replies, payload)


if __name__ == "__main__":
    main()
